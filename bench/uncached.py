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

from common import prepare_site, production_env  # noqa: E402
from run import uncached_vs_default  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
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
    print(f"ratios uncached sciatica / default Wagtail page: {', '.join(f'{r:.2f}x' for r in ratios)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
