"""A 6-session course of care booked by staff, on SQLite and PostgreSQL side by side, with 1,000 and
100,000 past appointments (10 practitioners, 2 years of history) in the database. Target: < 200 ms.

Two figures per run: the booking service alone (series.book_series: checks, one transaction that
locks the practitioner, six inserts, the email queued) and the whole staff form POST to
/admin/appointments/book/ (form, free-time checks, service, redirect) through Django's test client.

    .venv/bin/python bench/course_bench.py                      # SQLite only (a throwaway file)
    .venv/bin/python bench/course_bench.py --postgres postgres://postgres@127.0.0.1:5432/clinic_course_bench

The PostgreSQL database is created if missing and its appointments, practitioners and services are
deleted first: give it a database of its own, never one with real bookings.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = tuple(int(n) for n in os.environ.get("COURSE_BENCH_SIZES", "1000,100000").split(","))
PRACTITIONERS = 10
COURSES = 15  # measured courses per figure; the median is reported
TARGET_MS = 200


def child(size: int) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.test")
    import django

    django.setup()
    import datetime as dt

    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from appointments import series
    from appointments.availability import clinic_zone
    from appointments.models import Appointment, Practitioner, Service, WorkingHours
    from clinic.testing import ensure_wagtail_tree

    call_command("migrate", verbosity=0)
    ensure_wagtail_tree()
    Appointment.objects.all().delete()
    Service.objects.all().delete()
    Practitioner.objects.all().delete()
    practitioners = [Practitioner.objects.create(name=f"Bench {n}", slug=f"bench-{n}") for n in range(PRACTITIONERS)]
    for practitioner in practitioners:
        for weekday in range(5):
            WorkingHours.objects.create(practitioner=practitioner, weekday=weekday, starts=dt.time(8), ends=dt.time(19))
    service = Service.objects.create(name="Bench session", slug="bench-session", duration_minutes=45, buffer_minutes=15)
    service.practitioners.set(practitioners)

    # History: `size` past appointments over two years, spread over the practitioners.
    now = timezone.now()
    step = dt.timedelta(days=730) / size
    rows = []
    for index in range(size):
        start = now - dt.timedelta(days=730) + index * step
        rows.append(
            Appointment(
                reference=f"H{index:09d}",
                manage_token_hash=f"{index:064d}",
                practitioner=practitioners[index % PRACTITIONERS],
                service=service,
                start=start,
                end=start + dt.timedelta(minutes=45),
                blocked_until=start + dt.timedelta(minutes=60),
                status=Appointment.Status.ATTENDED,
                name="History",
                email=f"history{index}@example.org",
            )
        )
        if len(rows) == 5000:
            Appointment.objects.bulk_create(rows)
            rows = []
    Appointment.objects.bulk_create(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    tz = clinic_zone()
    monday = (now.astimezone(tz) + dt.timedelta(days=7 - now.astimezone(tz).weekday())).date()

    def first_start(course: int) -> dt.datetime:
        # Each course its own free hour: courses never collide, so every run books all six.
        day = monday + dt.timedelta(days=course % 5)
        wall = dt.datetime.combine(day, dt.time(8 + course // 5), tzinfo=tz)
        return wall.astimezone(dt.UTC)

    service_ms, queries = [], []
    for course in range(COURSES):
        first = first_start(course)
        starts = series.plan(first=first, count=6, weeks=1, tz=tz)
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            series.book_series(
                service="bench-session", practitioner="bench-0", starts=starts, name="Bench", phone="020 7946 0000"
            )
        service_ms.append((time.perf_counter() - began) * 1000)
        queries.append(len(captured))

    user = User.objects.filter(username="bench-reception").first() or User.objects.create_user("bench-reception")
    user.groups.add(Group.objects.get(name="Reception"))
    client = Client()
    client.force_login(user)
    form_ms = []
    for course in range(COURSES):
        first = first_start(course).astimezone(tz)
        began = time.perf_counter()
        response = client.post(
            "/admin/appointments/book/",
            {
                "service": "bench-session",
                "practitioner": "bench-1",
                "start": first.strftime("%Y-%m-%dT%H:%M"),
                "name": "Bench",
                "phone": "020 7946 0000",
                "repeat_count": "6",
                "repeat_weeks": "1",
                "book": "1",
            },
        )
        form_ms.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 302, response.content[:500]
    assert Appointment.objects.filter(name="Bench").count() == 2 * COURSES * 6
    return {
        "vendor": connection.vendor,
        "size": size,
        "service_ms": statistics.median(service_ms),
        "form_ms": statistics.median(form_ms),
        "queries": statistics.median(queries),
    }


def run(size: int, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    sqlite = ""
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        sqlite = str(Path(tempfile.gettempdir()) / f"course-bench-{os.getpid()}-{size}.sqlite3")
        env["SQLITE_PATH"] = sqlite
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size)], env=env, capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            raise SystemExit(f"course bench failed ({size}, {database_url or 'sqlite'}):\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        for suffix in ("", "-wal", "-shm"):
            if sqlite:
                Path(sqlite + suffix).unlink(missing_ok=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", ""), help="a PostgreSQL URL")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    backends = [("SQLite", "")]
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from backends import ensure_database

        ensure_database(args.postgres)
        backends.append(("PostgreSQL", args.postgres))
    results = {(name, size): run(size, url) for name, url in backends for size in SIZES}
    names = [name for name, _ in backends]
    print(f"\n6-session course booked by staff (median of {COURSES}); target under {TARGET_MS} ms")
    header = f"{'past appointments':>18}  {'measured':<26}" + "".join(f"{name:>14}" for name in names)
    if len(names) == 2:
        header += f"{'PG / SQLite':>14}"
    print(header)
    for size in SIZES:
        for key, label in (("service_ms", "booking service (ms)"), ("form_ms", "staff form POST (ms)")):
            values = [results[(name, size)][key] for name in names]
            line = f"{size:>18,}  {label:<26}" + "".join(f"{v:>14.1f}" for v in values)
            if len(values) == 2:
                line += f"{values[1] / values[0]:>14.2f}"
            print(line)
        queries = [results[(name, size)]["queries"] for name in names]
        print(f"{size:>18,}  {'queries per course':<26}" + "".join(f"{q:>14.0f}" for q in queries))
    for name in names:
        small, large = results[(name, SIZES[0])], results[(name, SIZES[-1])]
        growth = large["service_ms"] / small["service_ms"], large["form_ms"] / small["form_ms"]
        print(
            f"{name}: from {SIZES[0]:,} to {SIZES[-1]:,} past appointments the service figure grows "
            f"x{growth[0]:.2f}, the form POST x{growth[1]:.2f}"
        )
    worst = max(r["form_ms"] for r in results.values())
    print(f"slowest figure {worst:.1f} ms: {'under' if worst < TARGET_MS else 'OVER'} the {TARGET_MS} ms target")
    figures = {
        f"{name} {size} {key}": round(results[(name, size)][key], 3)
        for (name, size) in results
        for key in ("service_ms", "form_ms")
    }
    print("BENCH_JSON " + json.dumps(figures))


if __name__ == "__main__":
    main()
