"""A soak: steady load for 10 minutes while sampling the resident memory of the server's processes.

    .venv/bin/python bench/soak.py [--minutes 10] [--connections 10]

Passes (exit 0) when resident memory at the end is within 10% of the sample taken after the
first minute (the warm-up: caches filled, every code path imported).
"""

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import APP_PORT, prepare_site, production_env, rss_kib, start_server, warm, wrk  # noqa: E402
from load import PUBLIC_PATHS, lua_script  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--server", default="granian-wsgi")
    args = parser.parse_args()
    env = production_env()
    prepare_site(env)
    server = start_server(args.server, env=env, workers=2)
    samples: list[tuple[float, int]] = []
    try:
        base = f"http://127.0.0.1:{APP_PORT}"
        for path in PUBLIC_PATHS:
            warm(base + path, times=4)
        seconds = int(args.minutes * 60)
        result: dict = {}
        load = threading.Thread(
            target=lambda: result.update(
                run=wrk(base + "/", seconds=seconds, connections=args.connections, script=lua_script(PUBLIC_PATHS))
            )
        )
        started = time.monotonic()
        load.start()
        while load.is_alive():
            samples.append((time.monotonic() - started, rss_kib(server.process.pid)))
            print(f"{samples[-1][0]:6.0f} s  RSS {samples[-1][1] / 1024:7.1f} MiB", flush=True)
            load.join(timeout=15)
    except subprocess.CalledProcessError as error:
        print(error.stdout, error.stderr)
        raise
    finally:
        server.stop()
    warm_sample = next((kib for at, kib in samples if at >= 60), samples[0][1])
    final = samples[-1][1]
    growth = (final - warm_sample) / warm_sample
    run = result["run"]
    print(
        f"soak: {args.minutes:g} min, {run.requests} requests ({run.requests_per_second:.0f} req/s), "
        f"{run.errors} errors, {run.non_2xx} non-2xx; RSS after 1 min {warm_sample / 1024:.1f} MiB, "
        f"at the end {final / 1024:.1f} MiB, growth {growth:+.1%} (limit +10%)"
    )
    return 0 if growth <= 0.10 and run.errors == 0 and run.non_2xx == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
