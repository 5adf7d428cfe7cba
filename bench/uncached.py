"""The uncached sciatica page against a default Wagtail page, side by side, several rounds.

    BENCH_APP_PORT=8301 BENCH_BASELINE_PORT=8303 .venv/bin/python bench/uncached.py --rounds 3

The focused form of section 3 of bench/run.py (same servers, same wrk settings): each round
measures both pages back to back, so every ratio compares figures taken seconds apart.
"""

import argparse
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from common import BIN, PAGE_PORT_BEFORE, prepare_site, production_env, start_server, warm, wrk  # noqa: E402
from run import PAGE, uncached_vs_default  # noqa: E402


def measure_tree(tree: Path, env: dict, seconds: int, connections: int) -> float:
    """The same page served by another checkout of this project (say, the commit before a change),
    on the same database, with a page cache directory of its own."""
    tree_env = dict(env, PAGE_CACHE_DIR=str(tree / "var" / "page-cache"))
    argv = [str(BIN / "gunicorn"), "clinic.wsgi:application", "--bind", f"127.0.0.1:{PAGE_PORT_BEFORE}",
            "--workers", "1", "--log-level", "warning"]  # fmt: skip
    server = start_server("gunicorn-sync", env=tree_env, cwd=tree, port=PAGE_PORT_BEFORE, argv=argv)
    try:
        url = f"http://127.0.0.1:{PAGE_PORT_BEFORE}{PAGE}?uncached=1"
        warm(url)
        return wrk(url, seconds=seconds, connections=connections).requests_per_second
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--before", type=Path, help="another checkout to measure in the same rounds")
    args = parser.parse_args()
    env = production_env()
    prepare_site(env)
    ratios = []
    for number in range(1, args.rounds + 1):
        out = io.StringIO()
        uncached_vs_default(env, args.seconds, args.connections, out)
        text = out.getvalue()
        ratios.append(float(re.search(r"\*\*([\d.]+)x\*\*", text).group(1)))
        print(f"--- round {number}\n{text}")
        if args.before:
            before = measure_tree(args.before, env, args.seconds, args.connections)
            mine = float(re.search(r"\| sciatica page, uncached \| (\d+) ", text).group(1))
            default = float(re.search(r"\| default Wagtail welcome page \| (\d+) ", text).group(1))
            print(f"before ({args.before}): {before:.0f} req/s = {before / default:.2f}x the default page; "
                  f"now {mine / before:.1f}x the before figure")  # fmt: skip
    print(f"ratios uncached sciatica / default Wagtail page: {', '.join(f'{r:.2f}x' for r in ratios)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
