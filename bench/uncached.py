"""The uncached sciatica page against a default Wagtail page, side by side, several rounds.

    BENCH_APP_PORT=8301 BENCH_BASELINE_PORT=8303 .venv/bin/python bench/uncached.py --rounds 3

The focused form of section 3 of bench/run.py (same servers, same wrk settings). All servers
(this checkout, the default page of a fresh `wagtail start` project and, with --before, another
checkout) run for the whole bench, one sync worker each; each round measures every one of them,
one after the other, in an order that rotates from round to round, so a burst of load from other
work on the machine does not always fall on the same server. Ratios compare figures taken
seconds apart in the same round.
"""

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from common import (  # noqa: E402
    APP_PORT,
    BASELINE_PORT,
    BIN,
    PAGE_PORT_BEFORE,
    prepare_site,
    production_env,
    start_server,
    warm,
    wrk,
)
from run import PAGE, app_queries, default_wagtail_site  # noqa: E402


def start_tree(tree: Path, env: dict):
    """The same page served by another checkout of this project (say, the commit before a change),
    on the same database, with a page cache directory of its own."""
    tree_env = dict(env, PAGE_CACHE_DIR=str(tree / "var" / "page-cache"))
    argv = [str(BIN / "gunicorn"), "clinic.wsgi:application", "--bind", f"127.0.0.1:{PAGE_PORT_BEFORE}",
            "--workers", "1", "--log-level", "warning"]  # fmt: skip
    return start_server("gunicorn-sync", env=tree_env, cwd=tree, port=PAGE_PORT_BEFORE, argv=argv)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--before", type=Path, help="another checkout to measure in the same rounds")
    args = parser.parse_args()
    env = production_env()
    prepare_site(env)
    project, site_env = default_wagtail_site(env)
    urls = {
        "now": f"http://127.0.0.1:{APP_PORT}{PAGE}?uncached=1",
        "default": f"http://127.0.0.1:{BASELINE_PORT}/",
    }
    servers = [
        start_server("gunicorn-sync", env=env, workers=1),
        start_server(
            "gunicorn-sync",
            env=site_env,
            cwd=project,
            port=BASELINE_PORT,
            argv=[str(BIN / "gunicorn"), "defaultsite.wsgi:application", "--bind", f"127.0.0.1:{BASELINE_PORT}",
                  "--workers", "1", "--log-level", "warning"],
        ),
    ]  # fmt: skip
    if args.before:
        servers.append(start_tree(args.before, env))
        urls["before"] = f"http://127.0.0.1:{PAGE_PORT_BEFORE}{PAGE}?uncached=1"
    rows = []
    try:
        for url in urls.values():
            warm(url)
        names = list(urls)
        for number in range(args.rounds):
            order = names[number % len(names) :] + names[: number % len(names)]
            figures = {}
            for name in order:
                result = wrk(urls[name], seconds=args.seconds, connections=args.connections)
                if result.errors or result.non_2xx:
                    print(f"  !! {name}: {result.errors} socket errors, {result.non_2xx} non-2xx")
                figures[name] = result.requests_per_second
            rows.append((number + 1, " > ".join(order), figures))
            print(f"round {number + 1} ({' > '.join(order)}): "
                  + ", ".join(f"{name} {figures[name]:.0f} req/s" for name in names)
                  + f"; now/default {figures['now'] / figures['default']:.2f}x")  # fmt: skip
    finally:
        for server in servers:
            server.stop()
    header = ["round", "order", "sciatica uncached, now req/s", "default Wagtail page req/s"]
    if args.before:
        header += [f"before ({args.before.name}) req/s"]
    header += ["now / default"] + (["before / default", "now / before"] if args.before else [])
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for number, order, f in rows:
        cells = [str(number), order, f"{f['now']:.0f}", f"{f['default']:.0f}"]
        if args.before:
            cells.append(f"{f['before']:.0f}")
        cells.append(f"{f['now'] / f['default']:.2f}x")
        if args.before:
            cells += [f"{f['before'] / f['default']:.2f}x", f"{f['now'] / f['before']:.1f}x"]
        print("| " + " | ".join(cells) + " |")
    ratios = sorted(f["now"] / f["default"] for _, _, f in rows)
    print(f"\nratios uncached sciatica / default Wagtail page: {', '.join(f'{r:.2f}x' for r in ratios)} "
          f"(median {statistics.median(ratios):.2f}x)")  # fmt: skip
    for label, lines in (
        ("sciatica page, uncached", app_queries(env, f"{PAGE}?uncached=1")),
        ("default Wagtail page", app_queries(site_env, "/", cwd=project)),
    ):
        print(f"\nQueries behind the {label} (status {lines[0]}): {len(lines) - 1}")
        print("\n".join(lines[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
