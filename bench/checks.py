"""The end-of-run checks of `make load` and `make soak`, the same on SQLite and PostgreSQL.

What the database holds after the run is read through Django (`outcome()`), so one query serves
both engines; `end_of_run_checks()` only compares numbers and is tested without a server.
"""

import json
from dataclasses import dataclass

from backends import BENCH_BOOKING, shell

OUTCOME_SNIPPET = """
import datetime as dt, json, time
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from appointments.models import Appointment
since = dt.datetime.fromisoformat({since!r})
tasks = DBTaskResult.objects.filter(enqueued_at__gte=since)
deadline = time.monotonic() + {drain_seconds}
while tasks.filter(status__in=["READY", "RUNNING"]).exists() and time.monotonic() < deadline:
    time.sleep(0.5)
bookings = Appointment.objects.filter(
    name={name!r}, email__startswith={email_prefix!r}, email__endswith={email_domain!r}
)
by_status = tasks.order_by().values("status").annotate(n=Count("id")).values_list("status", "n")
print(json.dumps({{
    "bookings": bookings.count(),
    "slots": bookings.values("practitioner", "start").distinct().count(),
    "outbox": dict(by_status),
}}))
"""


def outcome(env: dict, *, since: str, drain_seconds: float, python: str, root) -> dict:
    """The bench's bookings (how many, on how many distinct slots) and the outbox tasks enqueued
    since `since` by status, after waiting up to `drain_seconds` for the worker to send them
    (call it while the worker still runs)."""
    snippet = OUTCOME_SNIPPET.format(since=since, drain_seconds=drain_seconds, **BENCH_BOOKING)
    return json.loads(shell(snippet, env, python=python, root=root))


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: not reached in this run (told, not failed)
    detail: str


def end_of_run_checks(
    *,
    socket_errors: int,
    statuses: dict[str, int],
    offered: int,
    outcome: dict,
    sent: int,
    every_slot: bool,
) -> list[Check]:
    """`sent`: booking POSTs the Lua script sent. Those in flight when wrk stopped may be stored
    without their 201 counted, so the stored bookings lie between the 201s and `sent`.
    `every_slot`: the load run books as fast as the mix allows, so once it has sent a POST for every
    offered slot, each must be booked; a run too short or too slow to send them all says so. The
    soak paces its bookings with a margin and does not ask."""
    bad = {code: n for code, n in statuses.items() if not 200 <= int(code) < 400}
    created = statuses.get("201", 0)
    stored, slots = outcome["bookings"], outcome["slots"]
    outbox = outcome["outbox"]
    waiting = outbox.get("READY", 0) + outbox.get("RUNNING", 0)
    # Each booking queues its mail (patient and clinic): fewer sent tasks than bookings means the
    # worker did not run, however empty the queue looks.
    mailed = outbox.get("SUCCESSFUL", 0)
    checks = [
        Check("no socket error", socket_errors == 0, f"{socket_errors} socket errors"),
        Check(
            "responses",
            bool(statuses) and not bad,
            f"{sum(statuses.values())} counted, {bad or 'none'} outside 2xx/3xx",
        ),
        Check("no slot booked twice", stored == slots, f"{stored} bookings on {slots} distinct slots"),
        Check(
            "every 201 stored",
            created <= stored <= sent,
            f"{created} answered 201, {stored} stored, {sent} POSTs sent (the rest in flight at the stop)",
        ),
        Check(
            "outbox drained",
            waiting == 0 and outbox.get("FAILED", 0) == 0 and mailed >= stored,
            ", ".join(f"{status} {n}" for status, n in sorted(outbox.items())) or "no task",
        ),
    ]
    if every_slot:
        if sent >= offered:
            checks.append(Check("every free slot booked", stored == offered, f"{stored} of {offered} offered"))
        else:
            checks.append(
                Check(
                    "every free slot booked",
                    None,
                    f"{stored} of {offered}: the run sent only {sent} booking POSTs (too short or too slow)",
                )
            )
    return checks


def report(checks: list[Check]) -> str:
    words = {True: "ok", False: "FAILED", None: "not reached"}
    return "; ".join(f"{check.name}: {words[check.ok]} ({check.detail})" for check in checks)


def passed(checks: list[Check]) -> bool:
    return all(check.ok is not False for check in checks)
