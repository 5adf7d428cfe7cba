"""Availability for 60 days and bookings per second, with a public page rendered in the same run as
the reference. Uses a throwaway SQLite file unless DATABASE_URL is set (then that database is used
as is: give it an empty one).

    .venv/bin/python bench/appointments_bench.py
"""

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.test")
if not os.environ.get("DATABASE_URL"):
    os.environ["SQLITE_PATH"] = str(Path(tempfile.gettempdir()) / f"appointments-bench-{os.getpid()}.sqlite3")

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from appointments import slots as engine  # noqa: E402
from appointments.availability import (  # noqa: E402
    booking_settings,
    calendars_for,
    clinic_zone,
    closures_between,
    find_slots,
    policy_for,
    practitioners_for,
)
from appointments.booking import book  # noqa: E402
from appointments.models import Service  # noqa: E402


def non_overlapping(slots, gap):
    """Free slots that can all be booked: per practitioner, each starts after the last one's buffer."""
    chosen, free_from = [], {}
    for slot in slots:
        if slot.start >= free_from.get(slot.practitioner, slot.start):
            chosen.append(slot)
            free_from[slot.practitioner] = slot.end + gap
    return chosen


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples)


def lift_online_limits() -> None:
    """The bench books many times an hour from one address; patients' limits would refuse it."""
    policy = booking_settings()
    policy.online_bookings_per_hour = 32767
    policy.save()


def main():
    call_command("migrate", verbosity=0)
    call_command("load_demo_content", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.APPOINTMENTS_API_BOOKINGS_PER_MINUTE = 10**9
    settings.APPOINTMENTS_API_READS_PER_MINUTE = 10**9
    lift_online_limits()
    client = Client()
    service = Service.objects.get(slug="initial-evaluation")
    tz = clinic_zone()
    today = timezone.localdate(timezone=tz)
    last = today + dt.timedelta(days=60)
    print(f"database: {connection.vendor}; clinic time zone {tz.key}; 2 practitioners, weekday hours")

    def public_page():
        caches["pages"].clear()
        response = client.get("/sciatica/")
        assert response.status_code == 200

    def public_page_cached():
        response = client.get("/sciatica/")
        assert response.status_code == 200

    # Book a spread of appointments first so the engine has busy time to avoid.
    free = find_slots(service=service, last_day=last)
    seeded = 0
    for index, slot in enumerate(free[::9]):
        try:
            book(
                service=service.slug,
                start=slot.start,
                practitioner=slot.practitioner,
                name="Bench",
                email=f"seed{index}@example.org",
                consent=True,
            )
            seeded += 1
        except Exception:  # noqa: S112 - a slot taken by an earlier seed booking
            continue

    practitioners = practitioners_for(service)
    span = engine.Interval(engine.local_day_span(today, tz).start, engine.local_day_span(last, tz).end)
    calendars = calendars_for(practitioners, span=span, tz=tz)
    policy = policy_for(service, booking_settings())
    closures = closures_between(today, last, tz=tz)
    now = timezone.now()

    def engine_only():
        engine.available_slots(
            calendars=calendars, policy=policy, closures=closures, tz=tz, now=now, first_day=today, last_day=last
        )

    def with_orm():
        find_slots(service=service, last_day=last)

    def over_api():
        response = client.get(
            "/api/v1/availability", {"service": service.slug, "from": today.isoformat(), "to": last.isoformat()}
        )
        assert response.status_code == 200

    count = len(find_slots(service=service, last_day=last))
    page_ms, _ = timed(public_page, 30)
    cached_ms, _ = timed(public_page_cached, 30)
    engine_ms, _ = timed(engine_only, 30)
    orm_ms, _ = timed(with_orm, 30)
    api_ms, _ = timed(over_api, 30)

    # Bookings per second: distinct free slots, one after another, through the service and the API.
    gap = dt.timedelta(minutes=service.buffer_minutes)
    free = non_overlapping(find_slots(service=service, last_day=last), gap)
    direct = free[: min(150, len(free) // 2)]
    start = time.perf_counter()
    for index, slot in enumerate(direct):
        book(
            service=service.slug,
            start=slot.start,
            practitioner=slot.practitioner,
            name="Bench",
            email=f"direct{index}@example.org",
            consent=True,
        )
    direct_rate = len(direct) / (time.perf_counter() - start)
    free = non_overlapping(find_slots(service=service, last_day=last), gap)
    via_api = free[: min(150, len(free))]
    start = time.perf_counter()
    for index, slot in enumerate(via_api):
        response = client.post(
            "/api/v1/bookings",
            data={
                "service": service.slug,
                "start": slot.start.isoformat(),
                "practitioner": slot.practitioner,
                "name": "Bench",
                "email": f"api{index}@example.org",
                "consent": True,
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
    api_rate = len(via_api) / (time.perf_counter() - start)

    print(f"\n{'measurement':58} {'median':>10}  ratio to public page")
    print(f"{'public page /sciatica/ rendered (page cache cleared)':58} {page_ms:8.2f} ms  1.00")
    print(f"{'public page /sciatica/ from the page cache':58} {cached_ms:8.2f} ms  {cached_ms / page_ms:.2f}")
    print(f"{f'availability, 60 days, engine only ({count} slots)':58} {engine_ms:8.2f} ms  {engine_ms / page_ms:.2f}")
    print(f"{'availability, 60 days, with database reads':58} {orm_ms:8.2f} ms  {orm_ms / page_ms:.2f}")
    print(f"{'GET /api/v1/availability, 60 days':58} {api_ms:8.2f} ms  {api_ms / page_ms:.2f}")
    print(
        f"\n{'bookings per second, booking service (sequential)':58} {direct_rate:8.1f} /s  "
        f"{1000 / direct_rate:.2f} ms each = {1000 / direct_rate / page_ms:.2f}x a page render"
    )
    print(
        f"{'bookings per second, POST /api/v1/bookings (sequential)':58} {api_rate:8.1f} /s  "
        f"{1000 / api_rate:.2f} ms each = {1000 / api_rate / page_ms:.2f}x a page render"
    )
    print(f"\n(seeded {seeded} bookings first; target: 60 days of availability under 50 ms)")
    figures = {
        "public page rendered ms": page_ms,
        "public page cached ms": cached_ms,
        "availability engine ms": engine_ms,
        "availability with database ms": orm_ms,
        "availability API ms": api_ms,
        "slots": count,
        "bookings per second, service": direct_rate,
        "bookings per second, API": api_rate,
    }
    print("BENCH_JSON " + json.dumps({key: round(value, 3) for key, value in figures.items()}))  # for bench/run.py
    if not os.environ.get("DATABASE_URL"):
        for suffix in ("", "-wal", "-shm"):
            Path(os.environ["SQLITE_PATH"] + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
