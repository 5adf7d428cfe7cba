"""A soak: 10 minutes of the load run's mix while sampling the resident memory of the server.

    .venv/bin/python bench/soak.py [--minutes 10] [--connections 10] [--workers 2]

The mix is bench/load.py's: in every ten requests one booking POST, three members pages with a
session granted through the real gate, six public pages. The free slots are spread over the whole
run (each wrk thread books one every few seconds), so booking POSTs go on until the end; the
outbox worker runs beside the server and sends their mail (console backend), as in production.
Database and cache as in bench/load.py, from DATABASE_URL and REDIS_URL: without them a throwaway
copy of the demo site (var/bench/soak-*.sqlite3, deleted afterwards); the report names both.

Passes (exit 0) when resident memory at the end is within 10% of the sample taken after the
first minute (the warm-up: caches filled, every code path imported), with no socket error, no
status outside 2xx/3xx, and the end-of-run checks of bench/checks.py (no slot booked twice, every
201 stored, the outbox drained). `--minutes 1` is a quick try of the whole path; its memory figure
then compares the end with itself and says nothing.
"""

import argparse
import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from checks import end_of_run_checks, outcome, passed, report  # noqa: E402
from common import PYTHON, ROOT, free_slots, rss_kib, wrk  # noqa: E402
from load import DRAIN_SECONDS, THREADS, bench_site, bookings_sent, mixed_stack, statuses_of, write_script  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--server", default="granian-wsgi")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    seconds = int(args.minutes * 60)
    samples: list[tuple[float, int]] = []
    result: dict = {}
    with bench_site("soak") as site:
        slots = free_slots(site.env)
        # Each thread books every `book_every` s: the slots last the whole run, with a margin.
        book_every = seconds * THREADS / max(len(slots), 1) * 1.05
        since = dt.datetime.now(dt.UTC).isoformat()
        try:
            with mixed_stack(site.env, args.server, args.workers) as stack:
                script = write_script(stack.cookie, slots, book_every=book_every, name="soak-mix.lua")
                load = threading.Thread(
                    target=lambda: result.update(
                        run=wrk(
                            stack.base + "/",
                            seconds=seconds,
                            connections=args.connections,
                            threads=THREADS,
                            script=script,
                        )
                    )
                )
                worker_start_rss = rss_kib(stack.worker.process.pid)
                started = time.monotonic()
                load.start()
                while load.is_alive():
                    samples.append((time.monotonic() - started, rss_kib(stack.server.process.pid)))
                    print(f"{samples[-1][0]:6.0f} s  RSS {samples[-1][1] / 1024:7.1f} MiB", flush=True)
                    load.join(timeout=15)
                samples.append((time.monotonic() - started, rss_kib(stack.server.process.pid)))
                worker_rss = (rss_kib(stack.worker.process.pid), worker_start_rss)
                after = outcome(site.env, since=since, drain_seconds=DRAIN_SECONDS, python=PYTHON, root=ROOT)
        except subprocess.CalledProcessError as error:
            print(error.stdout, error.stderr)
            raise
    run = result["run"]
    print(run.raw)
    statuses, _bad = statuses_of(run.raw)
    checks = end_of_run_checks(
        socket_errors=run.errors,
        statuses=statuses,
        offered=len(slots),
        outcome=after,
        sent=bookings_sent(run.raw),
        every_slot=False,
    )
    first = samples[0][1]
    warm_sample = next((kib for at, kib in samples if at >= 60), first)
    final = samples[-1][1]
    growth = (final - warm_sample) / warm_sample
    print(
        f"soak: {args.minutes:g} min, {args.connections} clients, {args.workers} workers ({args.server}); "
        f"{site.line}: "
        f"{run.requests} requests ({run.requests_per_second:.0f} req/s, mean latency {run.latency_ms_avg:.1f} ms), "
        f"{run.errors} socket errors; statuses {statuses}; "
        f"bookings stored {after['bookings']} of {len(slots)} free slots "
        f"(one per thread every {book_every:.1f} s), outbox {after['outbox']}; outbox worker RSS "
        f"{worker_rss[1] / 1024:.1f} -> {worker_rss[0] / 1024:.1f} MiB; server RSS at start {first / 1024:.1f} MiB, "
        f"after 1 min "
        f"{warm_sample / 1024:.1f} MiB, at the end {final / 1024:.1f} MiB, growth {growth:+.1%} (limit +10%); "
        f"load average at the end {' '.join(f'{n:.2f}' for n in os.getloadavg())}"
    )
    print("checks: " + report(checks))
    return 0 if growth <= 0.10 and passed(checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
