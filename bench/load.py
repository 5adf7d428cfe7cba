"""A bounded load run: 100 concurrent clients for 60 s against the `make serve` stack (2 workers).

    .venv/bin/python bench/load.py [--seconds 60] [--connections 100] [--server granian-wsgi]

The mix, in every ten requests: one booking POST to /api/v1/bookings (each a different free slot,
so every one should be a 201 until the free slots run out; then that turn goes to a public page),
three members pages sent with a session granted through the real gate (the members home and two
articles), six public pages in turn (home, the sciatica article, privacy, sitemap, robots.txt,
/healthz, and one uncached render of the article). It runs on a throwaway SQLite copy of the
demo site (var/bench/load-*.sqlite3, deleted afterwards), so neither the demo database nor the
benchmark database gets the bookings. The outbox worker runs beside the server, as in production
(deploy/systemd/clinic-worker.service; mail to the console backend), so the booking mail is sent
and /healthz's outbox lag stays low. wrk stops by itself; the run fails (exit 1) on any socket
error or any status outside 2xx/3xx, counted per status by the Lua script.
"""

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backends import (  # noqa: E402
    BackendError,
    Backends,
    describe,
    ensure_database,
    from_environ,
    lift_online_limits,
    remove_bench_bookings,
)
from checks import end_of_run_checks, outcome, passed, report  # noqa: E402
from common import (  # noqa: E402
    APP_PORT,
    PYTHON,
    ROOT,
    VAR,
    Server,
    fetch_with_cookie,
    free_slots,
    granted_session,
    prepare_site,
    production_env,
    start_server,
    warm,
    wrk,
)

PUBLIC_PATHS = ["/", "/sciatica/", "/privacy/", "/sitemap.xml", "/robots.txt", "/healthz", "/sciatica/?q=uncached"]
MEMBERS_PATHS = ["/members/", "/members/toldts-fascia/", "/members/"]
THREADS = 2

LUA = r"""
local public = {PUBLIC}
local members = {MEMBERS}
local slots = {SLOTS}
local cookie = "{COOKIE}"
local nthreads = {THREADS}
-- Seconds between one thread's bookings (0: as fast as the mix allows). The soak spreads the free
-- slots over its whole run this way, so booking POSTs go on until the end instead of running out.
local book_every = {BOOK_EVERY}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  i = 0
  booked = 0
  started = os.time()
  statuses = {}
end

local function public_page()
  return wrk.format("GET", public[(i % #public) + 1])
end

request = function()
  i = i + 1
  local turn = i % 10
  if turn == 0 then
    local index = id + booked * nthreads + 1
    if index <= #slots and os.time() - started >= booked * book_every then
      booked = booked + 1
      local slot = slots[index]
      local body = '{"service": "initial-evaluation", "start": "' .. slot[1] .. '", "practitioner": "' .. slot[2]
        .. '", "name": "Load Test", "email": "load' .. index .. '@example.org", "consent": true}'
      return wrk.format("POST", "/api/v1/bookings", {["Content-Type"] = "application/json"}, body)
    end
    return public_page()
  elseif turn <= 3 then
    return wrk.format("GET", members[turn], {["Cookie"] = cookie})
  end
  return public_page()
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  -- The first unexpected answer's body, so a failed run says why (e.g. a booking's 400 errors).
  if (status < 200 or status >= 400) and first_bad == nil then
    first_bad = status .. " " .. string.sub(body or "", 1, 300)
  end
end

function done(summary, latency, requests)
  local total = {}
  local sent = 0
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      total[code] = (total[code] or 0) + n
    end
    sent = sent + thread:get("booked")
    local bad = thread:get("first_bad")
    if bad then
      io.write("FIRST_BAD " .. (string.gsub(bad, "%s+", " ")) .. "\n")
    end
  end
  -- Booking POSTs sent, answered or not: the end-of-run checks compare the stored bookings with it.
  io.write("BOOKINGS_SENT " .. sent .. "\n")
  local parts = {}
  for code, n in pairs(total) do
    table.insert(parts, '"' .. code .. '": ' .. n)
  end
  io.write("STATUSES {" .. table.concat(parts, ", ") .. "}\n")
end
"""


def lua_list(items) -> str:
    return "{" + ", ".join(json.dumps(item).replace("[", "{").replace("]", "}") for item in items) + "}"


def write_script(cookie: str, slots, *, book_every: float = 0, name: str = "load-mix.lua") -> Path:
    script = VAR / name
    text = (
        LUA.replace("{PUBLIC}", lua_list(PUBLIC_PATHS))
        .replace("{MEMBERS}", lua_list(MEMBERS_PATHS))
        .replace("{SLOTS}", lua_list([list(slot) for slot in slots]))
        .replace("{COOKIE}", cookie)
        .replace("{THREADS}", str(THREADS))
        .replace("{BOOK_EVERY}", f"{book_every:g}")
    )
    script.write_text(text)
    return script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--server", default="granian-wsgi")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with bench_site("load") as site:
        slots = free_slots(site.env)
        since = dt.datetime.now(dt.UTC).isoformat()
        with mixed_stack(site.env, args.server, args.workers) as stack:
            result = wrk(
                stack.base + "/",
                seconds=args.seconds,
                connections=args.connections,
                threads=THREADS,
                script=write_script(stack.cookie, slots),
            )
            after = outcome(site.env, since=since, drain_seconds=DRAIN_SECONDS, python=PYTHON, root=ROOT)
    print(result.raw)
    statuses, _bad = statuses_of(result.raw)
    checks = end_of_run_checks(
        socket_errors=result.errors,
        statuses=statuses,
        offered=len(slots),
        outcome=after,
        sent=bookings_sent(result.raw),
        every_slot=True,
    )
    print(
        f"load: {args.connections} clients x {args.seconds} s on {args.server} ({args.workers} workers); "
        f"{site.line}: {result.requests} requests, {result.requests_per_second:.0f} req/s, mean latency "
        f"{result.latency_ms_avg:.1f} ms, {result.errors} socket errors; statuses {statuses}; "
        f"bookings stored {after['bookings']} of {len(slots)} free slots offered; outbox {after['outbox']}"
    )
    print("checks: " + report(checks))
    return 0 if passed(checks) else 1


# After wrk stops, how long the worker may take to send the last bookings' mail.
DRAIN_SECONDS = 60


@dataclass
class Site:
    env: dict
    backends: Backends
    chosen: dict[str, str]  # "database", "cache": what the app chose, in words

    @property
    def line(self) -> str:
        return f"database {self.chosen['database']}; cache {self.chosen['cache']}"


@contextmanager
def bench_site(name: str):
    """The demo site the run works on, prepared as `make serve` prepares it, on the database and
    cache the environment names (bench/backends.py); a throwaway SQLite copy is deleted afterwards."""
    try:
        backends = from_environ(os.environ)
    except BackendError as error:
        raise SystemExit(f"{name}: {error}") from None
    database = VAR / f"{name}-{os.getpid()}.sqlite3"
    env = production_env(SQLITE_PATH=str(database), APPOINTMENTS_API_BOOKINGS_PER_MINUTE="1000000", **backends.env())
    try:
        created = backends.database_url and ensure_database(backends.database_url)
        prepare_site(env)
        lift_online_limits(env, python=PYTHON, root=ROOT)
        removed = 0 if backends.throwaway_sqlite else remove_bench_bookings(env, python=PYTHON, root=ROOT)
        site = Site(env, backends, describe(env, python=PYTHON, root=ROOT))
        notes = ["created" if created else "", f"{removed} bookings of an earlier run removed" if removed else ""]
        print(f"{name}: {site.line}" + "".join(f"; {note}" for note in notes if note), flush=True)
        yield site
    finally:
        if backends.throwaway_sqlite:
            for suffix in ("", "-wal", "-shm"):
                Path(str(database) + suffix).unlink(missing_ok=True)


@dataclass
class Stack:
    base: str
    cookie: str
    server: Server
    worker: Server


@contextmanager
def mixed_stack(env: dict, server_name: str, workers: int):
    """The outbox worker and the server on a prepared site, a session granted through the gate and
    every page of the mix warmed; both processes stopped on the way out."""
    worker = start_worker(env)
    try:
        server = start_server(server_name, env=env, workers=workers)
    except BaseException:
        worker.stop()
        raise
    try:
        base = f"http://127.0.0.1:{APP_PORT}"
        cookie = granted_session(base, env)
        for path in PUBLIC_PATHS:
            warm(base + path, times=4)
        for path in MEMBERS_PATHS:
            assert fetch_with_cookie(base + path, cookie)[0] == 200, path
        yield Stack(base, cookie, server, worker)
    finally:
        server.stop()
        worker.stop()


def start_worker(env: dict) -> Server:
    """`manage.py outbox_worker`, as clinic-worker.service runs it next to the web server."""
    process = subprocess.Popen(
        [PYTHON, "manage.py", "outbox_worker", "--interval", "1"],
        cwd=ROOT,
        env={**env, "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    return Server(process, 0)


def statuses_of(raw: str) -> tuple[dict[str, int], dict[str, int]]:
    """Every status the Lua script counted, and those outside 2xx/3xx."""
    match = re.search(r"STATUSES (\{.*\})", raw)
    statuses = json.loads(match.group(1)) if match else {}
    return statuses, {code: n for code, n in statuses.items() if not 200 <= int(code) < 400}


def bookings_sent(raw: str) -> int:
    """Booking POSTs the Lua script sent (-1 if it did not say: the checks then fail)."""
    match = re.search(r"BOOKINGS_SENT (\d+)", raw)
    return int(match.group(1)) if match else -1


if __name__ == "__main__":
    raise SystemExit(main())
