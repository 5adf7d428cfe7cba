"""Eight simultaneous online bookings for one email address: exactly the cap of four is booked.

The cap is counted inside each booking's transaction (the email's advisory lock on PostgreSQL,
SQLite's IMMEDIATE transactions), so bookings of different practitioners and days cannot all
see three upcoming bookings at once and each add a fourth.
"""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connections

from appointments import booking, online_limits
from appointments.models import Appointment

from .conftest import NOW, details

ATTEMPTS = 8
STARTS = [dt.datetime(2027, 1, day, 10, 0, tzinfo=dt.UTC) for day in (12, 13, 14, 15, 18, 19, 20, 21)]


@pytest.mark.django_db(transaction=True)
def test_simultaneous_online_bookings_for_one_email_stop_at_the_cap(clinic):
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(number: int):
        try:
            barrier.wait()
            booking.book(
                service="initial-evaluation",
                practitioner="alex" if number % 2 else "sam",
                start=STARTS[number],
                online=True,
                **details(email="same@example.org" if number % 3 else "Same+x@example.org"),
            )
            result = "booked"
        except online_limits.LimitReached:
            result = "refused"
        except Exception as error:  # anything else would be a 500 for that patient
            result = f"error: {error!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    with time_machine.travel(NOW, tick=False):
        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert sorted(outcomes) == ["booked"] * 4 + ["refused"] * 4, outcomes
    assert Appointment.objects.filter(booked_online=True).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_second_booking_for_the_email_waits_for_the_first_to_commit(clinic, monkeypatch):
    """Deterministic: the first booking holds its transaction open right after counting; the second
    (another practitioner, so no shared row lock) must wait for it and then be refused."""
    clinic["policy"].online_upcoming_per_email = 1
    clinic["policy"].save()
    counted, release = threading.Event(), threading.Event()
    original = online_limits.check_upcoming

    def check_then_hold(**kwargs):
        original(**kwargs)
        if threading.current_thread().name == "first":
            counted.set()
            release.wait(10)

    monkeypatch.setattr(online_limits, "check_upcoming", check_then_hold)
    outcomes: dict[str, str] = {}

    def attempt(practitioner: str, start: dt.datetime):
        try:
            booking.book(service="initial-evaluation", practitioner=practitioner, start=start, online=True, **details())
            outcomes[threading.current_thread().name] = "booked"
        except online_limits.LimitReached:
            outcomes[threading.current_thread().name] = "refused"
        except Exception as error:
            outcomes[threading.current_thread().name] = f"error: {error!r}"
        finally:
            connections.close_all()

    with time_machine.travel(NOW, tick=False):
        first = threading.Thread(target=attempt, args=("alex", STARTS[0]), name="first")
        second = threading.Thread(target=attempt, args=("sam", STARTS[1]), name="second")
        first.start()
        assert counted.wait(30)
        second.start()
        second.join(timeout=2)
        still_waiting = second.is_alive()
        release.set()
        first.join(timeout=60)
        second.join(timeout=60)

    assert still_waiting, outcomes  # it did not count past the open booking
    assert outcomes == {"first": "booked", "second": "refused"}
