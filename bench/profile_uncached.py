"""Profile the uncached sciatica page in process: queries of one request, then cProfile of N.

    .venv/bin/python bench/profile_uncached.py [--requests 50] [--path /sciatica/?uncached=1] [--sort tottime]

Production settings on the bench database (bench/common.py prepares it); no server, no network.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import prepare_site, production_env  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--path", default="/sciatica/?uncached=1")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime, ...")
    parser.add_argument("--no-prepare", action="store_true")
    args = parser.parse_args()
    env = production_env()
    if not args.no_prepare:
        prepare_site(env)
    os.environ.update(env)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get(args.path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(args.path)
    print(f"status {response.status_code}, {len(ctx.captured_queries)} queries")
    for query in ctx.captured_queries:
        print("  ", query["sql"][:150])
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(args.requests):
            client.get(args.path)
        rounds.append(1000 * (time.perf_counter() - start) / args.requests)
    print(f"unprofiled, ms a request, 5 rounds of {args.requests}: {' '.join(f'{r:.2f}' for r in rounds)}")
    start = time.perf_counter()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        client.get(args.path)
    profiler.disable()
    elapsed = time.perf_counter() - start
    print(f"{args.requests} requests, {1000 * elapsed / args.requests:.1f} ms each (profiled)")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
