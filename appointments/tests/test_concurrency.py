"""Thirty patients press "Book" for the same slot at the same moment: exactly one gets it."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections

from appointments import booking
from appointments.models import Appointment
from appointments.patient_rules import PatientClash

from .conftest import NOW, SLOT, details

ATTEMPTS = 30


@pytest.mark.django_db(transaction=True)
def test_thirty_simultaneous_bookings_of_one_slot_make_one_booking(clinic):
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(number: int):
        try:
            barrier.wait()
            booking.book(
                service="initial-evaluation",
                practitioner="alex",
                start=SLOT,
                **details(email=f"patient{number}@example.org"),
            )
            result = "booked"
        except booking.SlotTaken:
            result = "taken"
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

    assert sorted(set(outcomes)) == ["booked", "taken"], outcomes
    assert outcomes.count("booked") == 1
    assert outcomes.count("taken") == ATTEMPTS - 1
    assert Appointment.objects.filter(start=SLOT, practitioner__slug="alex").count() == 1
    print(f"{connection.vendor}: 1 booked, {ATTEMPTS - 1} told the time was taken")


@pytest.mark.django_db(transaction=True)
def test_postgres_constraint_catches_what_the_check_misses(clinic, monkeypatch):
    """With the in-transaction check switched off, the exclusion constraint still refuses the overlap,
    and the patient is told the time was taken (409), not shown a 500."""
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    with time_machine.travel(NOW, tick=False):
        booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
        monkeypatch.setattr(booking, "_clashes", lambda *args, **kwargs: False)
        monkeypatch.setattr(booking, "_candidates", lambda *args, **kwargs: ["alex"])
        with pytest.raises(booking.SlotTaken):
            booking.book(
                service="initial-evaluation",
                practitioner="alex",
                start=SLOT + dt.timedelta(minutes=30),
                **details(email="other@example.org"),
            )
    assert Appointment.objects.count() == 1


def _race(count, attempt):
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(number: int):
        try:
            barrier.wait()
            attempt(number)
            result = "booked"
        except (booking.BookingError, PatientClash) as refused:
            result = type(refused).__name__
        except Exception as error:  # anything else would be a 500 for that patient
            result = f"error: {error!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    with time_machine.travel(NOW, tick=False):
        threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_one_form_pressed_ten_times_at_once_books_once(clinic):
    """Double taps and a second tab: one token, with "anyone", so each press could take another practitioner."""
    outcomes = _race(
        10,
        lambda n: booking.book(
            service="initial-evaluation", start=SLOT, manage_token="one-form", patient_rules=True, **details()
        ),
    )
    assert outcomes.count("booked") == 1 and not [o for o in outcomes if o.startswith("error")], outcomes
    assert Appointment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_patient_booking_two_practitioners_at_once_gets_one(clinic):
    """Two tabs, two forms, the same patient and time: the patient lock holds across connections."""
    outcomes = _race(
        2,
        lambda n: booking.book(
            service="initial-evaluation",
            practitioner=["alex", "sam"][n],
            start=SLOT,
            patient_rules=True,
            **details(),
        ),
    )
    assert sorted(outcomes) == ["PatientClash", "booked"], outcomes
    assert Appointment.objects.count() == 1
