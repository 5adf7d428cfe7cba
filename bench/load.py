"""A bounded load run: 100 concurrent clients for 60 s against the `make serve` stack (2 workers).

    .venv/bin/python bench/load.py [--seconds 60] [--connections 100] [--server gunicorn-sync]

Mixes every public page; paths that exist once the members and appointments apps are merged
(MIXED_PATHS_LATER) are added when they answer 200. wrk stops by itself; the run fails (exit 1)
on any socket error or non-2xx/3xx response.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import APP_PORT, VAR, fetch, prepare_site, production_env, start_server, warm, wrk  # noqa: E402

PUBLIC_PATHS = ["/", "/sciatica/", "/privacy/", "/sitemap.xml", "/robots.txt", "/healthz", "/sciatica/?q=uncached"]
# Members pages need a granted session and bookings a POST with a CSRF token: bench/members_bench.py and
# bench/appointments_bench.py own those flows; here they join the mix as plain GETs once they exist.
MIXED_PATHS_LATER = ["/members/", "/appointments/", "/api/v1/availability"]


def lua_script(paths: list[str]) -> Path:
    script = VAR / "mix.lua"
    quoted = ", ".join(f'"{path}"' for path in paths)
    script.write_text(
        f"local paths = {{{quoted}}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
    )
    return script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--server", default="granian-wsgi")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    env = production_env()
    prepare_site(env)
    server = start_server(args.server, env=env, workers=args.workers)
    try:
        base = f"http://127.0.0.1:{APP_PORT}"
        paths = list(PUBLIC_PATHS)
        for path in MIXED_PATHS_LATER:
            try:
                if fetch(base + path)[0] == 200:
                    paths.append(path)
            except OSError:
                pass
        for path in paths:
            warm(base + path, times=4)
        result = wrk(
            base + "/", seconds=args.seconds, connections=args.connections, threads=2, script=lua_script(paths)
        )
    finally:
        server.stop()
    print(result.raw)
    print(
        f"load: {args.connections} clients x {args.seconds} s on {args.server} ({args.workers} workers): "
        f"{result.requests} requests, {result.requests_per_second:.0f} req/s, mean latency "
        f"{result.latency_ms_avg:.1f} ms, {result.errors} socket errors, {result.non_2xx} non-2xx/3xx; "
        f"paths: {', '.join(paths)}"
    )
    return 0 if result.errors == 0 and result.non_2xx == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
