"""The patient-data purge runs once a day inside the outbox worker, remembered in the database."""

import datetime as dt

import pytest
from django.core.management import call_command

from appointments import booking, outbox
from appointments.models import Appointment, ScheduledRun

from .conftest import SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")

RETENTION_PASSED = SLOT + dt.timedelta(days=800)  # retention is 24 months


def book(start=SLOT, email="pat@example.org"):
    return booking.book(
        service="initial-evaluation", practitioner="alex", start=start, **details(email=email)
    ).appointment


def purge_record():
    return ScheduledRun.objects.get(name=outbox.PURGE_JOB).last_run_at


def worker_pass():
    """One pass of `manage.py outbox_worker`, as a new process would run it after a restart."""
    call_command("outbox_worker", "--once")


def test_first_pass_purges_and_records_the_run(clinic, frozen):
    old = book()
    frozen.move_to(RETENTION_PASSED)
    worker_pass()
    old.refresh_from_db()
    assert old.name == "(removed)" and old.email == "removed@invalid" and old.purged_at is not None
    assert purge_record() == RETENTION_PASSED


# Two years after the first booking's day, at noon: the booking at SLOT (ends 11:00 on 12 January
# 2027) is past retention, the one the next morning (ends 10:00 on 13 January) only 22 hours later.
FIRST_RUN = dt.datetime(2029, 1, 12, 12, 0, tzinfo=dt.UTC)
NEXT_MORNING = dt.datetime(2027, 1, 13, 9, 0, tzinfo=dt.UTC)


def test_runs_once_a_day_and_restarts_neither_repeat_nor_skip_it(clinic, frozen):
    first = book()
    second = book(start=NEXT_MORNING, email="sam@example.org")
    frozen.move_to(FIRST_RUN)
    worker_pass()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.purged_at is not None and second.purged_at is None
    assert purge_record() == FIRST_RUN
    # The second booking falls due 22 hours later; passes before a day has gone (each one a fresh
    # command, as after a restart) do not run the purge again.
    for hours in (1, 12, 23):
        frozen.move_to(FIRST_RUN + dt.timedelta(hours=hours))
        worker_pass()
        second.refresh_from_db()
        assert second.purged_at is None, f"purge ran again {hours} h after the last run"
        assert purge_record() == FIRST_RUN
    frozen.move_to(FIRST_RUN + dt.timedelta(days=1, seconds=1))
    worker_pass()
    second.refresh_from_db()
    assert second.name == "(removed)" and second.purged_at is not None
    assert purge_record() == FIRST_RUN + dt.timedelta(days=1, seconds=1)


def test_a_worker_down_for_days_catches_up_on_its_first_pass(clinic, frozen):
    book()
    second = book(start=NEXT_MORNING, email="sam@example.org")
    frozen.move_to(FIRST_RUN)
    worker_pass()
    frozen.move_to(FIRST_RUN + dt.timedelta(days=3))  # stopped for three days, then restarted
    worker_pass()
    second.refresh_from_db()
    assert second.purged_at is not None
    assert purge_record() == FIRST_RUN + dt.timedelta(days=3)


def test_a_failing_purge_is_not_recorded_and_runs_again_next_pass(clinic, frozen, monkeypatch):
    old = book()
    frozen.move_to(RETENTION_PASSED)
    calls = []

    def broken(*, now):
        calls.append(now)
        Appointment.objects.update(name="half-done")  # rolled back with the failed job
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        outbox.run_daily(name=outbox.PURGE_JOB, job=broken, now=RETENTION_PASSED)
    old.refresh_from_db()
    assert old.name == "Pat Patient"
    assert not ScheduledRun.objects.filter(name=outbox.PURGE_JOB, last_run_at__isnull=False).exists()
    frozen.shift(dt.timedelta(seconds=2))
    worker_pass()
    old.refresh_from_db()
    assert old.name == "(removed)" and len(calls) == 1


def test_nothing_purged_before_the_retention_period(clinic, frozen):
    recent = book()
    frozen.move_to(SLOT + dt.timedelta(days=30))
    worker_pass()
    recent.refresh_from_db()
    assert recent.name == "Pat Patient" and recent.purged_at is None
    assert purge_record() is not None  # it ran and found nothing due
