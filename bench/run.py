"""`make bench`: side-by-side figures with ratios, printed and written to docs/benchmarks.md.

1. Server choice: the cached sciatica page on each installed WSGI server (2 workers, production
   settings, the `make serve` stack), keep-alive and a new connection per request.
2. The cached page as `make serve` runs it (scripts/serve.sh: granian, 2 workers, the WSGI fast
   path), the same without the fast path (FASTPATH_SECONDS=0) and with granian's access log
   (ACCESS_LOG=1), against nginx (2 workers) serving a saved copy of the same HTML
   (deploy/nginx/clinic.conf, from STATIC_ROOT), in both connection modes, plus the page through
   nginx's proxy (the deployed path). `--sections 2` runs only this one, in place.
3. The uncached page (a query string bypasses the page cache) against the default page of a
   fresh `wagtail start` project, one sync worker each, with the database queries behind each.
4. Members and appointments: a members article to a granted session against the cached public
   page over HTTP (same server, same run), then bench/members_bench.py (throttled vs checked
   guess, article vs public page in-process) and bench/appointments_bench.py (60-day
   availability, bookings per second), each on a throwaway SQLite file; their JSON is tabulated.
5. Every figure of the run in one table.
"""

import argparse
import datetime
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    ACCESS_LOG_PORT,
    APP_PORT,
    BASELINE_PORT,
    NGINX_PORT,
    NOFAST_PORT,
    PYTHON,
    ROOT,
    VAR,
    available_servers,
    fetch,
    fetch_with_cookie,
    granted_session,
    prepare_site,
    production_env,
    start_make_serve,
    start_server,
    warm,
    wrk,
)

from deploy.render import render, site_values, start_nginx, stop_nginx, write_standalone  # noqa: E402

PAGE = "/sciatica/"
GZIP = {"Accept-Encoding": "gzip"}
MEMBERS_ROUNDS = int(os.environ.get("BENCH_MEMBERS_ROUNDS", "5"))


def section(title: str, out: io.StringIO) -> None:
    print(f"\n== {title}")
    out.write(f"\n## {title}\n\n")


def table(rows: list[tuple], header: tuple, out: io.StringIO) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    out.write("| " + " | ".join(header) + " |\n|" + "|".join("---" for _ in header) + "|\n")
    for row in rows:
        out.write("| " + " | ".join(str(cell) for cell in row) + " |\n")
    out.write("\n")


def measure(url: str, seconds: int, connections: int) -> dict[str, float]:
    warm(url)
    keep = wrk(url, seconds=seconds, connections=connections)
    close = wrk(url, seconds=seconds, connections=connections, close=True)
    for result in (keep, close):
        if result.errors or result.non_2xx:
            print(f"  !! {url}: {result.errors} socket errors, {result.non_2xx} non-2xx")
    return {"keep": keep.requests_per_second, "close": close.requests_per_second}


def choose_server(env, seconds, connections, out) -> str:
    section("1. Choosing the application server (cached sciatica page, 2 workers)", out)
    rows, best = [], None
    for name in available_servers():
        server = start_server(name, env=env, workers=2)
        try:
            figures = measure(f"http://127.0.0.1:{APP_PORT}{PAGE}", seconds, connections)
        finally:
            server.stop()
        rows.append((name, f"{figures['keep']:.0f}", f"{figures['close']:.0f}"))
        score = figures["keep"] + figures["close"]
        if best is None or score > best[1]:
            best = (name, score)
    table(rows, ("server", "keep-alive req/s", "new connection req/s"), out)
    out.write(f"Chosen by these figures: **{best[0]}** (highest sum of both modes).\n")
    print(f"chosen: {best[0]}")
    return best[0]


# Section 2's servers: `make serve` as shipped (the fast path on), the same without the fast path,
# the same with the server's access log; nginx on the saved page, and nginx proxying with its microcache.
APP_VARIANTS = (
    ("app", APP_PORT, {}),
    ("no fast path", NOFAST_PORT, {"FASTPATH_SECONDS": "0"}),
    ("access log", ACCESS_LOG_PORT, {"ACCESS_LOG": "1"}),
)
NGINX_WORKERS = 2  # as many processes as the app has workers


def cached_vs_nginx(env, seconds, connections, out, rounds=1) -> dict:
    section("2. Cached page against nginx serving the same HTML", out)
    run_dir = VAR / "nginx"
    static_root = ROOT / "staticfiles"
    servers = []
    try:
        # One after the other: each serve.sh runs the deploy steps before it starts listening.
        for name, port, overrides in APP_VARIANTS:
            servers.append(start_make_serve(env, port=port, name=name.replace(" ", "-"), **overrides))
        _status, _headers, html = fetch(f"http://127.0.0.1:{APP_PORT}{PAGE}")
        saved = static_root / "bench-sciatica.html"
        saved.write_bytes(html)
        site = render(
            "clinic.conf.template",
            site_values(
                upstream=f"127.0.0.1:{APP_PORT}",
                listen=f"127.0.0.1:{NGINX_PORT}",
                static_root=static_root,
                media_root=VAR / "media",
                access_log="off",
                cache_dir=run_dir / "cache",
            ),
        )
        nginx = start_nginx(write_standalone(run_dir=run_dir, site_conf=site, workers=NGINX_WORKERS), port=NGINX_PORT)
        urls = {
            "nginx static": f"http://127.0.0.1:{NGINX_PORT}/static/bench-sciatica.html",
            **{name: f"http://127.0.0.1:{port}{PAGE}" for name, port, _overrides in APP_VARIANTS},
            "via nginx": f"http://127.0.0.1:{NGINX_PORT}{PAGE}",
        }
        try:
            for url in urls.values():
                warm(url)
            # Every target back to back in each mode, so drifting load hits all of them alike.
            runs = {mode: {name: [] for name in urls} for mode in ("close", "keep")}
            for round_number in range(rounds):
                for mode in ("close", "keep"):
                    for name, url in urls.items():
                        result = wrk(url, seconds=seconds, connections=connections, close=mode == "close")
                        if result.errors or result.non_2xx:
                            print(f"  !! {url}: {result.errors} socket errors, {result.non_2xx} non-2xx")
                        runs[mode][name].append(result.requests_per_second)
                    line = "  ".join(f"{name} {runs[mode][name][-1]:.0f}" for name in urls)
                    print(f"  round {round_number + 1} {mode}: {line}")
        finally:
            stop_nginx(nginx)
            saved.unlink(missing_ok=True)
    finally:
        for server in servers:
            server.stop()
    median = {mode: {name: statistics.median(values) for name, values in named.items()} for mode, named in runs.items()}
    rows = []
    for mode, label in (("close", "new connection per request"), ("keep", "keep-alive")):
        figures = median[mode]
        static = figures["nginx static"]
        row = [label, f"{static:.0f}"]
        for name in ("app", "no fast path", "access log", "via nginx"):
            row += [f"{figures[name]:.0f}", f"{figures[name] / static:.0%}"]
        rows.append(tuple(row))
    table(
        rows,
        (
            "mode",
            f"nginx static ({NGINX_WORKERS} workers) req/s",
            "app: `make serve` (fast path) req/s",
            "app/nginx",
            "`make serve`, FASTPATH_SECONDS=0 req/s",
            "/nginx",
            "`make serve`, ACCESS_LOG=1 req/s",
            "/nginx",
            "via nginx (deploy config, 1 s microcache) req/s",
            "/nginx",
        ),
        out,
    )
    per_round = ", ".join(
        f"{runs['close']['app'][i] / runs['close']['nginx static'][i]:.1%}/"
        f"{runs['keep']['app'][i] / runs['keep']['nginx static'][i]:.1%}"
        for i in range(rounds)
    )
    out.write(
        f"Page size: {len(html)} bytes. Target: the cached page at 50% or more of nginx in each mode. "
        f"Every server on 2 processes; {rounds} round(s) of every target back to back in each mode, medians "
        f"shown; app/nginx per round (new connection/keep-alive): {per_round}. The `make serve` columns are "
        "scripts/serve.sh itself (granian, 2 workers); ACCESS_LOG=1 writes granian's access log to a file.\n"
    )
    return {
        "cached page, new connection req/s": median["close"]["app"],
        "cached page / nginx static, new connection": median["close"]["app"] / median["close"]["nginx static"],
        "cached page / nginx static, keep-alive": median["keep"]["app"] / median["keep"]["nginx static"],
        "cached page without fast path / nginx static, new connection": (
            median["close"]["no fast path"] / median["close"]["nginx static"]
        ),
        "cached page without fast path / nginx static, keep-alive": (
            median["keep"]["no fast path"] / median["keep"]["nginx static"]
        ),
    }


BASELINE_QUERIES = """
import os, django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client()
client.get("/")
with CaptureQueriesContext(connection) as ctx:
    response = client.get("/")
print(response.status_code)
for query in ctx.captured_queries:
    print(query["sql"][:160])
"""


def default_wagtail_site(env: dict) -> tuple[Path, dict]:
    """A fresh `wagtail start` project (its welcome page is the default Wagtail page)."""
    base = VAR / "defaultsite"
    project = base / "defaultsite"
    site_env = {key: value for key, value in env.items() if not key.startswith(("DJANGO_", "SQLITE", "MEDIA"))}
    site_env.update(DJANGO_SETTINGS_MODULE="defaultsite.settings.production", SECRET_KEY=env["SECRET_KEY"])
    if not (project / "manage.py").exists():
        project.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(ROOT / ".venv/bin/wagtail"), "start", "defaultsite", str(project)], check=True)
        production = project / "defaultsite" / "settings" / "production.py"
        production.write_text(production.read_text() + "\nimport os\nSECRET_KEY = os.environ['SECRET_KEY']\n"
                              "ALLOWED_HOSTS = ['127.0.0.1', 'localhost', 'testserver']\n")  # fmt: skip
        for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([PYTHON, "manage.py", *command], cwd=project, env=site_env, check=True)
    return project, site_env


def app_queries(env: dict, path: str, cwd: Path = ROOT) -> list[str]:
    script = BASELINE_QUERIES.replace('"/"', repr(path))
    out = subprocess.run([PYTHON, "-c", script], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def uncached_vs_default(env, seconds, connections, out) -> None:
    section("3. Uncached page against a default Wagtail page (one gunicorn sync worker each)", out)
    project, site_env = default_wagtail_site(env)
    ours = start_server("gunicorn-sync", env=env, workers=1)
    baseline = start_server(
        "gunicorn-sync",
        env=site_env,
        cwd=project,
        port=BASELINE_PORT,
        argv=[str(ROOT / ".venv/bin/gunicorn"), "defaultsite.wsgi:application", "--bind",
              f"127.0.0.1:{BASELINE_PORT}", "--workers", "1", "--log-level", "warning"],
    )  # fmt: skip
    try:
        uncached_url = f"http://127.0.0.1:{APP_PORT}{PAGE}?uncached=1"
        warm(uncached_url)
        warm(f"http://127.0.0.1:{BASELINE_PORT}/")
        mine = wrk(uncached_url, seconds=seconds, connections=connections)
        theirs = wrk(f"http://127.0.0.1:{BASELINE_PORT}/", seconds=seconds, connections=connections)
    finally:
        ours.stop()
        baseline.stop()
    our_queries = app_queries(env, f"{PAGE}?uncached=1")
    base_queries = app_queries(site_env, "/", cwd=project)
    rows = [
        ("sciatica page, uncached", f"{mine.requests_per_second:.0f}", f"{mine.latency_ms_avg:.1f}",
         len(our_queries) - 1),
        ("default Wagtail welcome page", f"{theirs.requests_per_second:.0f}", f"{theirs.latency_ms_avg:.1f}",
         len(base_queries) - 1),
    ]  # fmt: skip
    table(rows, ("page", "req/s", "mean latency ms", "SQL queries"), out)
    ratio = mine.requests_per_second / theirs.requests_per_second
    out.write(f"Ratio uncached sciatica / default Wagtail page: **{ratio:.2f}x** (target 2x).\n\n")
    figures = {"uncached page req/s (1 sync worker)": mine.requests_per_second, "uncached / default Wagtail": ratio}
    print(f"ratio uncached/default: {ratio:.2f}x")
    for label, lines in (("sciatica page, uncached", our_queries), ("default Wagtail page", base_queries)):
        out.write(f"Queries behind the {label} (status {lines[0]}):\n\n```\n")
        out.write("\n".join(lines[1:]) + "\n```\n\n")
    return figures


def bench_script(name: str, env: dict, *args: str) -> dict:
    """Run bench/<name>.py (in-process figures on its own throwaway SQLite file) and read its JSON line."""
    script_env = {key: value for key, value in env.items() if key not in {"DATABASE_URL", "SQLITE_PATH"}}
    script_env["DJANGO_SETTINGS_MODULE"] = "clinic.settings.test"
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / f"{name}.py"), *args], cwd=ROOT, env=script_env, capture_output=True, text=True
    )
    print(out.stdout)
    if out.returncode != 0:
        raise RuntimeError(f"{name} failed: {out.stderr[-2000:]}")
    line = next(line for line in out.stdout.splitlines() if line.startswith("BENCH_JSON "))
    return json.loads(line.removeprefix("BENCH_JSON "))


def members_and_appointments(server_name, env, seconds, connections, out, figures) -> None:
    section("4. Members and appointments, side by side with the public page", out)
    server = start_server(server_name, env=env, workers=2)
    # The same server without the WSGI fast path: the public page as Django's page cache serves it.
    django_hit = start_server(server_name, env={**env, "FASTPATH_SECONDS": "0"}, port=NOFAST_PORT, workers=2)
    try:
        base = f"http://127.0.0.1:{APP_PORT}"
        nofast = f"http://127.0.0.1:{NOFAST_PORT}"
        cookie = granted_session(base, env)
        article = "/members/toldts-fascia/"
        script = VAR / "granted.lua"
        script.write_text(f'wrk.headers["Cookie"] = "{cookie}"\n')
        warm(base + PAGE)
        warm(nofast + PAGE)
        for _ in range(20):
            article_bytes = len(fetch_with_cookie(base + article, cookie)[2])
        page_bytes = len(fetch_with_cookie(base + PAGE, "")[2])
        # Alternating rounds, so all of them see the same load from whatever else runs on the machine.
        rounds, gzip_rounds = [], []
        for _ in range(MEMBERS_ROUNDS):
            public = wrk(base + PAGE, seconds=seconds, connections=connections)
            public_django = wrk(nofast + PAGE, seconds=seconds, connections=connections)
            members = wrk(base + article, seconds=seconds, connections=connections, script=script)
            # As browsers ask: gzip (the public page from its stored gzip bytes, the members page
            # compressed once in pieces around the CSRF token; members/fastpath.py).
            public_gzip = wrk(base + PAGE, seconds=seconds, connections=connections, headers=GZIP)
            members_gzip = wrk(base + article, seconds=seconds, connections=connections, script=script, headers=GZIP)
            runs = (public, public_django, members, public_gzip, members_gzip)
            if any(r.errors or r.non_2xx for r in runs):
                raise RuntimeError("errors in the members rounds:\n" + "\n".join(r.raw for r in runs))
            rounds.append((public.requests_per_second, members.requests_per_second, public_django.requests_per_second))
            gzip_rounds.append((public_gzip.requests_per_second, members_gzip.requests_per_second))
    finally:
        server.stop()
        django_hit.stop()
    by_ratio = sorted(rounds, key=lambda r: r[1] / r[0])
    public_rps, members_rps, django_rps = by_ratio[len(by_ratio) // 2]  # the round with the median ratio
    django_ratio = sorted(m / d for _p, m, d in rounds)[len(rounds) // 2]
    gzip_public, gzip_members = sorted(gzip_rounds, key=lambda r: r[1] / r[0])[len(gzip_rounds) // 2]
    figures["cached page, keep-alive req/s"] = public_rps
    figures["members article, granted, keep-alive req/s"] = members_rps
    member_figures = bench_script("members_bench", env, "--requests", "200")
    booking_figures = bench_script("appointments_bench", env)
    # SQLite always; PostgreSQL too when BENCH_POSTGRES_URL names a database of its own.
    course_figures = bench_script("course_bench", env)
    article_queries = app_queries_with_session(env, article)
    ratio = members_rps / public_rps
    throttle_ratio = (
        member_figures["gate attempt, checked (argon2) ms"] / member_figures["gate attempt, throttled (429) ms"]
    )
    rows = [
        ("HTTP, 2 workers, keep-alive", "cached public page /sciatica/ as `make serve` serves it (WSGI fast path)",
         f"{public_rps:.0f} req/s", "1.00", ""),
        ("", f"members article {article}, granted session (members fast path)", f"{members_rps:.0f} req/s",
         f"{ratio:.2f}", "at least 0.50 of the cached page"),
        ("", "cached public page, FASTPATH_SECONDS=0 (Django's page-cache hit), same round",
         f"{django_rps:.0f} req/s", "", ""),
        ("", "members article / Django's page-cache hit (median of the rounds)", "", f"{django_ratio:.2f}", ""),
        ("HTTP, as above, gzip", "cached public page /sciatica/ (fast path), Accept-Encoding: gzip",
         f"{gzip_public:.0f} req/s", "1.00", ""),
        ("", f"members article {article}, granted session", f"{gzip_members:.0f} req/s",
         f"{gzip_members / gzip_public:.2f}", "at least 0.50 of the cached page"),
        ("in-process (members_bench)", "public page, page cache hit",
         f"{member_figures['public page, page cache hit ms']:.2f} ms", "1.00", ""),
        ("", "public page, rendered", f"{member_figures['public page, rendered ms']:.2f} ms",
         f"{member_figures['public page, rendered ms'] / member_figures['public page, page cache hit ms']:.1f}x", ""),
        ("", "members article, granted session (through Django: no fast path in the test client)",
         f"{member_figures['article, granted session ms']:.2f} ms",
         f"{member_figures['article, granted session ms'] / member_figures['public page, page cache hit ms']:.1f}x",
         ""),
        ("", "gate attempt, throttled (429)", f"{member_figures['gate attempt, throttled (429) ms']:.2f} ms",
         "1.00", f"argon2 runs: {member_figures['throttled_hashes']}"),
        ("", "gate attempt, checked (argon2)", f"{member_figures['gate attempt, checked (argon2) ms']:.2f} ms",
         f"{throttle_ratio:.0f}x", "throttled at least 20x cheaper"),
        ("in-process (appointments_bench)", "public page rendered (page cache cleared)",
         f"{booking_figures['public page rendered ms']:.2f} ms", "1.00", ""),
        ("", f"availability 60 days, engine only ({booking_figures['slots']} slots)",
         f"{booking_figures['availability engine ms']:.2f} ms",
         f"{booking_figures['availability engine ms'] / booking_figures['public page rendered ms']:.2f}", ""),
        ("", "availability 60 days, with database reads", f"{booking_figures['availability with database ms']:.2f} ms",
         f"{booking_figures['availability with database ms'] / booking_figures['public page rendered ms']:.2f}",
         "under 50 ms"),
        ("", "GET /api/v1/availability, 60 days", f"{booking_figures['availability API ms']:.2f} ms",
         f"{booking_figures['availability API ms'] / booking_figures['public page rendered ms']:.2f}", "under 50 ms"),
        ("", "bookings per second, booking service", f"{booking_figures['bookings per second, service']:.1f} /s", "",
         "sequential, SQLite"),
        ("", "bookings per second, POST /api/v1/bookings", f"{booking_figures['bookings per second, API']:.1f} /s", "",
         "sequential, SQLite"),
    ]  # fmt: skip
    for key, value in course_figures.items():
        where = "in-process (course_bench)" if key == next(iter(course_figures)) else ""
        rows.append((where, f"6-session course booked by staff: {key}", f"{value:.1f} ms", "", "under 200 ms"))
    table(rows, ("where", "figure", "value", "ratio", "target"), out)
    out.write(
        "HTTP rows: the chosen server with 2 workers, wrk keep-alive, "
        f"{connections} connections, {seconds} s each; bodies without gzip: the public page {page_bytes} bytes, "
        f"the members article {article_bytes} bytes; the public page and the members article in "
        f"{len(rounds)} alternating rounds, the round with the median ratio shown (all rounds: "
        + ", ".join(f"{p:.0f}/{m:.0f} req/s = {m / p:.2f} (Django's hit {d:.0f}: {m / d:.2f})" for p, m, d in rounds)
        + "); with gzip: "
        + ", ".join(f"{p:.0f}/{m:.0f} = {m / p:.2f}" for p, m in gzip_rounds)
        + ". In-process rows: Django's test "
        "client through the whole middleware stack, medians, each script on its own throwaway SQLite file.\n\n"
    )
    out.write(f"Queries behind the members article to a granted session (status {article_queries[0]}):\n\n```\n")
    out.write("\n".join(article_queries[1:] or ["(none)"]) + "\n```\n\n")
    figures.update(
        {
            "members article / cached page (HTTP)": ratio,
            "members article / Django's page-cache hit (HTTP)": django_ratio,
            "members article / cached page, gzip (HTTP)": gzip_members / gzip_public,
            "checked / throttled guess": throttle_ratio,
            "availability 60 days with DB ms": booking_figures["availability with database ms"],
            "bookings per second (API)": booking_figures["bookings per second, API"],
        }
    )


SESSION_QUERIES = """
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from members import passwords
client = Client()
secret = passwords.decrypt(passwords.current(now=timezone.now()).password_encrypted)
client.post("/members/-/enter/", {"secret": secret, "next": "/members/"})
client.get(PATH)
with CaptureQueriesContext(connection) as ctx:
    response = client.get(PATH)
print(response.status_code)
for query in ctx.captured_queries:
    print(query["sql"][:160])
"""


def app_queries_with_session(env: dict, path: str) -> list[str]:
    script = SESSION_QUERIES.replace("PATH", repr(path))
    out = subprocess.run([PYTHON, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def summary(figures: dict, out: io.StringIO) -> None:
    section("5. All figures of this run side by side", out)
    rows = [(name, f"{value:,.2f}") for name, value in figures.items()]
    table(rows, ("figure", "value"), out)
    for name, value in figures.items():
        print(f"{name:50} {value:12,.2f}")


SECTIONS = ("1", "2", "3", "4", "5", "6")


def reception_at_scale(env: dict, out: io.StringIO) -> None:
    """Staff day and week views and 60 days of availability, 1,000 and 100,000 past appointments side by side."""
    section("6. Reception at scale: 1,000 and 100,000 past appointments", out)
    figures = bench_script("desk_bench", env)
    sizes = sorted({int(key.rsplit("@", 1)[1]) for key in figures})
    small, large = sizes[0], sizes[-1]
    targets = {"day view ms": "under 100 ms", "week view ms": "under 100 ms", "availability 60 days ms": "under 50 ms"}
    rows = []
    for key in ("day view ms", "day view queries", "week view ms", "week view queries", "availability 60 days ms"):
        a, b = figures[f"{key} @{small}"], figures[f"{key} @{large}"]
        rows.append((key, f"{a:.2f}", f"{b:.2f}", f"{b / a:.2f}", targets.get(key, "the same count")))
    table(rows, ("figure", f"{small:,} past", f"{large:,} past", "growth", "target"), out)
    out.write(
        "bench/desk_bench.py: 10 practitioners on 12-hour weekdays plus the two demo ones, the past appointments "
        "spread over 2 years, a busy coming week; the Reception user's day view (every practitioner) and one "
        "practitioner's week, through Django's test client and the whole admin; medians of 20. Each size on "
        "its own throwaway SQLite file.\n\n"
    )


def splice(document: str, generated: str) -> str:
    """`document` with each `## N.` section that `generated` holds replaced by the new one."""
    for match in re.finditer(r"^## (\d+)\. .*?(?=^## |\Z)", generated, flags=re.M | re.S):
        old = re.search(rf"^## {match.group(1)}\. .*?(?=^## |\Z)", document, flags=re.M | re.S)
        if old is None:
            raise SystemExit(f"section {match.group(1)} not found in the output file: run every section")
        document = document[: old.start()] + match.group(0).rstrip("\n") + "\n\n" + document[old.end() :]
    return document


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "5")))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1, help="section 2: rounds of every target (medians shown)")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help="comma-separated, e.g. 2: only those sections, replaced in place in the output file",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    wanted = set(args.sections.split(","))
    if not wanted <= set(SECTIONS):
        parser.error(f"sections are {', '.join(SECTIONS)}")
    partial = wanted != set(SECTIONS)
    env = production_env()
    if wanted - {"2"}:
        prepare_site(env)  # section 2 runs scripts/serve.sh, which prepares the site itself
    out = io.StringIO()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out.write(
        f"# Benchmarks\n\nWritten by `make bench` (bench/run.py) on {now}: {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, wrk on loopback, {args.seconds} s per figure, "
        f"{args.connections} connections, one wrk thread. Absolute figures drift with the machine's load; "
        "compare the ratios, which are measured side by side in the same run.\n"
    )
    figures = {}
    # Section 2 serves through scripts/serve.sh, which runs granian; section 4 uses section 1's choice.
    chosen = choose_server(env, args.seconds, args.connections, out) if "1" in wanted else "granian-wsgi"
    if "2" in wanted:
        figures.update(cached_vs_nginx(env, args.seconds, args.connections, out, rounds=args.rounds))
    if "3" in wanted:
        figures.update(uncached_vs_default(env, args.seconds, args.connections, out))
    if "4" in wanted:
        members_and_appointments(chosen, env, args.seconds, args.connections, out, figures)
    if "5" in wanted:
        summary(figures, out)
    if "6" in wanted:
        reception_at_scale(env, out)
    if partial:
        stamp = (
            f"Measured on {now} by `bench/run.py --sections {args.sections}`: {os.cpu_count()} CPUs, "
            f"{args.seconds} s per figure, {args.connections} connections, one wrk thread.\n\n"
        )
        generated = re.sub(r"^(## \d+\. .*\n\n)", lambda m: m.group(1) + stamp, out.getvalue(), flags=re.M)
        args.output.write_text(splice(args.output.read_text(), generated))
    else:
        notes = ROOT / "bench" / "NOTES.md"
        if notes.exists():
            out.write("\n" + notes.read_text())
        args.output.write_text(out.getvalue())
    shown = args.output.relative_to(ROOT) if args.output.resolve().is_relative_to(ROOT) else args.output
    print(f"\nwritten to {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
