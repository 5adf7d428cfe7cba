"""Reception at scale: the staff day and week views and 60 days of availability with 1,000 and with
100,000 past appointments (10 practitioners, 2 years of history), side by side with the growth ratio.
Each size runs on its own throwaway SQLite file unless DATABASE_URL is set (then give it an empty
database; it is filled once per size and the rows are deleted in between).

    .venv/bin/python bench/desk_bench.py [--sizes 1000 100000]
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
PRACTITIONERS = 10
HISTORY_DAYS = 730
TARGETS = {"day view ms": 100, "week view ms": 100, "availability 60 days ms": 50}


def timed(fn, repeat=20):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def load(size: int) -> None:
    """The bench fixture: 10 practitioners on weekday hours, `size` past appointments over 2 years
    (mostly attended, some cancelled or missed), and a normal week of future bookings."""
    import datetime as dt

    from django.utils import timezone

    from appointments.models import Appointment, Practitioner, Service, WorkingHours

    service = Service.objects.get(slug="initial-evaluation")
    practitioners = []
    for index in range(PRACTITIONERS):
        practitioner, _created = Practitioner.objects.get_or_create(
            slug=f"bench-{index}", defaults={"name": f"Bench Practitioner {index}"}
        )
        WorkingHours.objects.bulk_create(
            WorkingHours(practitioner=practitioner, weekday=d, starts=dt.time(8), ends=dt.time(20)) for d in range(5)
        )
        practitioners.append(practitioner)
    service.practitioners.add(*practitioners)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    statuses = [Appointment.Status.ATTENDED] * 8 + [Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW]
    rows = []
    for index in range(size):
        practitioner = practitioners[index % PRACTITIONERS]
        # Spread evenly back over two years, at whole quarter hours.
        start = now - dt.timedelta(minutes=15 * ((index * HISTORY_DAYS * 96) // max(size, 1) + 96))
        end = start + dt.timedelta(minutes=45)
        rows.append(
            Appointment(
                practitioner=practitioner,
                service=service,
                start=start,
                end=end,
                blocked_until=end + dt.timedelta(minutes=15),
                status=statuses[index % len(statuses)],
                manage_token_hash=f"bench-{index:064d}"[-64:],
                reference=f"B{index:09d}"[-12:],
                name="Bench Patient",
                email=f"p{index % 5000}@example.org",
                consent=True,
            )
        )
        if len(rows) == 5000:
            Appointment.objects.bulk_create(rows)
            rows = []
    Appointment.objects.bulk_create(rows)
    # The coming week, as a busy clinic has it: every other hour taken.
    upcoming = []
    for day in range(1, 8):
        for hour in range(8, 20, 2):
            for index, practitioner in enumerate(practitioners):
                local = timezone.localtime(now + dt.timedelta(days=day)).replace(hour=hour, minute=0)
                upcoming.append(
                    Appointment(
                        practitioner=practitioner,
                        service=service,
                        start=local,
                        end=local + dt.timedelta(minutes=45),
                        blocked_until=local + dt.timedelta(minutes=60),
                        status=Appointment.Status.CONFIRMED,
                        manage_token_hash=f"next-{day}-{hour}-{index}".ljust(64, "0"),
                        reference=f"N{day}{hour:02d}{index:02d}",
                        name="Bench Patient",
                        email="next@example.org",
                        consent=True,
                    )
                )
    Appointment.objects.bulk_create(upcoming)


def measure(size: int) -> dict:
    """One size in this process: migrate, load, time the views and availability, count queries."""
    import django

    django.setup()
    import datetime as dt

    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from appointments.availability import clinic_zone, find_slots
    from appointments.models import Appointment, Service

    call_command("migrate", verbosity=0)
    call_command("load_demo_content", stdout=open(os.devnull, "w"))  # noqa: SIM115
    started = time.perf_counter()
    load(size)
    load_s = time.perf_counter() - started
    user = User.objects.create_user("bench-reception", "r@example.org", "a-long-password-123")
    user.groups.add(Group.objects.get(name="Reception"))
    client = Client()
    client.force_login(user)
    tz = clinic_zone()
    tomorrow = (timezone.now().astimezone(tz) + dt.timedelta(days=1)).date()
    day_view = {"view": "day", "date": tomorrow.isoformat()}
    week_view = {"date": tomorrow.isoformat(), "practitioner": "bench-3"}
    service = Service.objects.get(slug="initial-evaluation")
    last = timezone.localdate(timezone=tz) + dt.timedelta(days=60)

    def get(params):
        response = client.get("/admin/appointments/calendar/", params)
        assert response.status_code == 200

    def queries(params) -> int:
        with CaptureQueriesContext(connection) as captured:
            get(params)
        return len(captured.captured_queries)

    get(day_view)
    figures = {
        "appointments": Appointment.objects.count(),
        "load s": load_s,
        "day view ms": timed(lambda: get(day_view)),
        "day view queries": queries(day_view),
        "week view ms": timed(lambda: get(week_view)),
        "week view queries": queries(week_view),
        "availability 60 days ms": timed(lambda: find_slots(service=service, last_day=last)),
        "availability slots": len(find_slots(service=service, last_day=last)),
    }
    return figures


def run_size(size: int) -> dict:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="clinic.settings.test")
    path = None
    if not env.get("DATABASE_URL"):
        path = Path(tempfile.gettempdir()) / f"desk-bench-{os.getpid()}-{size}.sqlite3"
        env["SQLITE_PATH"] = str(path)
    out = subprocess.run(
        [sys.executable, __file__, "--one", str(size)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    line = next(line for line in out.stdout.splitlines() if line.startswith("ONE_JSON "))
    return json.loads(line.removeprefix("ONE_JSON "))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        sys.path.insert(0, str(ROOT))
        print("ONE_JSON " + json.dumps(measure(args.one)))
        return
    results = {size: run_size(size) for size in args.sizes}
    small, large = results[args.sizes[0]], results[args.sizes[-1]]
    print(f"{PRACTITIONERS} practitioners, {HISTORY_DAYS // 365} years of history; medians of 20 requests")
    header = (
        f"{'figure':28}" + "".join(f"{f'{size:,} past':>16}" for size in args.sizes) + f"{'growth':>10}{'target':>10}"
    )
    print(header)
    for key in ("day view ms", "day view queries", "week view ms", "week view queries", "availability 60 days ms"):
        growth = large[key] / small[key] if small[key] else float("nan")
        target = f"< {TARGETS[key]}" if key in TARGETS else "same"
        cells = "".join(f"{results[size][key]:16.2f}" for size in args.sizes)
        print(f"{key:28}{cells}{growth:10.2f}{target:>10}")
    print(
        "BENCH_JSON "
        + json.dumps({f"{key} @{size}": round(v, 3) for size, r in results.items() for key, v in r.items()})
    )


if __name__ == "__main__":
    main()
