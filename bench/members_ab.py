"""The members article to a granted session, and the public page, from this checkout and from
another one (say, the commit before a change to members/fastpath.py), side by side.

    git worktree add /tmp/before HEAD~1 && ln -s "$PWD/.venv" /tmp/before/.venv
    .venv/bin/python bench/members_ab.py --before /tmp/before --rounds 4

Both checkouts run `make serve`'s server (granian, 2 workers, production settings) on the same
database, each with its own page-cache directory (where the members access version lives), and
the same granted session. Each round measures both, in an order that alternates, with wrk
keep-alive, without and with gzip, so a burst of load from other work lands on both. Figures
taken seconds apart in one round are compared; the absolute ones drift with the machine.
"""

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from common import (  # noqa: E402
    APP_PORT,
    PAGE_PORT_BEFORE,
    SERVERS,
    VAR,  # noqa: E402
    fetch_with_cookie,
    granted_session,
    prepare_site,
    production_env,
    start_server,
    warm,
    wrk,
)
from run import GZIP, PAGE  # noqa: E402

ARTICLE = "/members/toldts-fascia/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    env = production_env()
    prepare_site(env)
    before_env = dict(env, PAGE_CACHE_DIR=str(args.before / "var" / "page-cache"))
    servers = [
        start_server("granian-wsgi", env=env),
        start_server(
            "granian-wsgi",
            env=before_env,
            cwd=args.before,
            port=PAGE_PORT_BEFORE,
            argv=SERVERS["granian-wsgi"](PAGE_PORT_BEFORE, 2),
        ),
    ]
    bases = {"now": f"http://127.0.0.1:{APP_PORT}", "before": f"http://127.0.0.1:{PAGE_PORT_BEFORE}"}
    rows = []
    try:
        cookie = granted_session(bases["now"], env)
        script = VAR / "granted.lua"
        script.write_text(f'wrk.headers["Cookie"] = "{cookie}"\n')
        for base in bases.values():
            warm(base + PAGE)
            for _ in range(20):
                assert fetch_with_cookie(base + ARTICLE, cookie)[0] == 200
        for number in range(args.rounds):
            figures = {}
            for name in sorted(bases, reverse=number % 2 == 1):
                base = bases[name]
                runs = (
                    wrk(base + PAGE, seconds=args.seconds, connections=args.connections),
                    wrk(base + ARTICLE, seconds=args.seconds, connections=args.connections, script=script),
                    wrk(base + PAGE, seconds=args.seconds, connections=args.connections, headers=GZIP),
                    wrk(
                        base + ARTICLE,
                        seconds=args.seconds,
                        connections=args.connections,
                        script=script,
                        headers=GZIP,
                    ),
                )
                if any(run.errors or run.non_2xx for run in runs):
                    raise RuntimeError("errors:\n" + "\n".join(run.raw for run in runs))
                figures[name] = [run.requests_per_second for run in runs]
            rows.append(figures)
            line = []
            for name in ("before", "now"):
                public, members, public_gzip, members_gzip = figures[name]
                line.append(
                    f"{name}: public {public:.0f}, members {members:.0f} ({members / public:.2f}); "
                    f"gzip {public_gzip:.0f}, {members_gzip:.0f} ({members_gzip / public_gzip:.2f})"
                )
            print(f"round {number + 1}: " + " | ".join(line), flush=True)
    finally:
        for server in servers:
            server.stop()
    for name in ("before", "now"):
        plain = statistics.median(row[name][1] / row[name][0] for row in rows)
        zipped = statistics.median(row[name][3] / row[name][2] for row in rows)
        print(f"{name}: members article / public page, median of {len(rows)} rounds: {plain:.2f}, gzip {zipped:.2f}")
    gain = statistics.median(row["now"][1] / row["before"][1] for row in rows)
    gain_gzip = statistics.median(row["now"][3] / row["before"][3] for row in rows)
    print(f"members article, now / before, median: {gain:.2f}, gzip {gain_gzip:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
