"""The scale-out path (PostgreSQL and Redis): the public page and a members article, this checkout
and optionally `--before` another one, keep-alive, 2 workers, with the Redis commands per request.

    .venv/bin/python bench/scaleout_ab.py --before /tmp/before \\
        --database-url postgres://postgres@127.0.0.1:5432/clinic_bench \\
        --redis-url redis://127.0.0.1:6379/13

Both checkouts serve the same PostgreSQL database with granian (2 workers, production settings),
one after the other in each round (the order alternates): the two codes may store different
things under the same Redis keys, so the given Redis db is emptied before each server starts
(only that db; a fresh granted session is made each time). Each round measures the public page
and the members article with wrk keep-alive, seconds apart. Before the rounds, redis-cli MONITOR
counts the commands a handful of warm requests send to that db (what the time goes to).
"""

import argparse
import collections
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from backends import ensure_database, from_environ, redis_db  # noqa: E402
from common import (  # noqa: E402
    APP_PORT,
    PAGE_PORT_BEFORE,
    PYTHON,
    SERVERS,
    VAR,
    fetch_with_cookie,
    granted_session,
    prepare_site,
    production_env,
    start_server,
    warm,
    wrk,
)

PAGE = "/sciatica/"
ARTICLE = "/members/toldts-fascia/"


def empty_redis_db(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def redis_commands(url: str, base: str, path: str, cookie: str, requests: int) -> collections.Counter:
    """Commands MONITOR saw on `url`'s db while `requests` warm GETs of `path` were answered."""
    import redis

    connection = redis.Redis.from_url(url).connection_pool.get_connection()
    monitor = subprocess.Popen(
        ["redis-cli", "-h", connection.host, "-p", str(connection.port), "MONITOR"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.5)
        for _ in range(requests):
            assert fetch_with_cookie(base + path, cookie)[0] == 200
        time.sleep(0.5)
    finally:
        monitor.terminate()
        out, _ = monitor.communicate(timeout=10)
    db = f"[{redis_db(url)} "
    seen = collections.Counter()
    for line in out.splitlines():
        if db not in line:
            continue
        words = shlex.split(line.split("] ", 1)[1])
        # The key without the session id or token, so equal commands count together.
        key = words[1].split(":")[-1][:40] if len(words) > 1 else ""
        seen[f"{words[0]} {key}"] += 1
    return seen


def measure(name, cwd, port, env, args) -> dict:
    empty_redis_db(args.redis_url)
    argv = SERVERS["granian-wsgi"](port, 2)
    server = start_server("granian-wsgi", env=env, cwd=cwd, port=port, argv=argv)
    base = f"http://127.0.0.1:{port}"
    try:
        cookie = granted_session(base, env)
        script = VAR / f"granted-scaleout-{name}.lua"
        script.write_text(f'wrk.headers["Cookie"] = "{cookie}"\n')
        warm(base + PAGE)
        for _ in range(20):
            assert fetch_with_cookie(base + ARTICLE, cookie)[0] == 200
        figures = {"cookie": cookie, "base": base}
        if args.count_commands and not args.counted.get(name):
            args.counted[name] = True
            for label, path, with_cookie in (("public", PAGE, ""), ("members", ARTICLE, cookie)):
                seen = redis_commands(args.redis_url, base, path, with_cookie, args.count_commands)
                total = sum(seen.values())
                print(
                    f"{name}: {label} {path}: {total} Redis commands in {args.count_commands} requests "
                    f"({total / args.count_commands:.1f} each): {dict(seen)}",
                    flush=True,
                )
        public = wrk(base + PAGE, seconds=args.seconds, connections=args.connections)
        members = wrk(base + ARTICLE, seconds=args.seconds, connections=args.connections, script=script)
        for run in (public, members):
            if run.errors or run.non_2xx:
                raise RuntimeError("errors:\n" + run.raw)
        figures.update(public=public.requests_per_second, members=members.requests_per_second)
        return figures
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, help="the other checkout")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--count-commands", type=int, default=10, help="warm requests watched by MONITOR (0: none)")
    args = parser.parse_args()
    args.counted = {}
    from_environ({"DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url})  # refuses other schemes
    env = production_env(DATABASE_URL=args.database_url, REDIS_URL=args.redis_url)
    ensure_database(args.database_url)
    prepare_site(env)
    checkouts = {"now": (ROOT, APP_PORT)}
    if args.before:
        checkouts["before"] = (args.before, PAGE_PORT_BEFORE)
        subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=args.before, env=env, check=True)
    rows = []
    for number in range(args.rounds):
        figures = {}
        for name in sorted(checkouts, reverse=number % 2 == 1):
            cwd, port = checkouts[name]
            with open("/proc/loadavg") as file:
                load = " ".join(file.read().split()[:3])
            figures[name] = measure(name, cwd, port, env, args)
            figures[name]["load"] = load
        rows.append(figures)
        print(
            f"round {number + 1}: "
            + " | ".join(
                f"{name}: public {f['public']:.0f}, members {f['members']:.0f} ({f['members'] / f['public']:.2f}), "
                f"load {f['load']}"
                for name, f in figures.items()
            ),
            flush=True,
        )
    for name in checkouts:
        ratio = statistics.median(row[name]["members"] / row[name]["public"] for row in rows)
        print(f"{name}: members article / public page, median of {len(rows)} rounds: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
