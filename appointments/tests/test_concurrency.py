"""Thirty patients press "Book" for the same slot at the same moment: exactly one gets it."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections

from appointments import booking, series
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


@pytest.mark.django_db(transaction=True)
def test_two_staff_and_one_online_patient_on_the_same_time_exactly_one_wins(clinic):
    """Reception at two desks and a patient online press "Book" for Alex at 10:00 at the same moment."""
    barrier = threading.Barrier(3)
    outcomes: dict[str, str] = {}
    lock = threading.Lock()
    staff = {"email": "", "phone": "020 7946 0003"}
    attempts = {
        "desk 1": (series.book_one, {"name": "Desk One", **staff}),
        "desk 2": (series.book_one, {"name": "Desk Two", **staff}),
        "online": (booking.book, {**details(email="online@example.org"), "online": True}),
    }

    def attempt(who: str):
        try:
            barrier.wait()
            book, person = attempts[who]
            book(service="initial-evaluation", practitioner="alex", start=SLOT, **person)
            result = "booked"
        except booking.SlotTaken:
            result = "taken"
        except Exception as error:  # anything else would be a 500 for that person
            result = f"error: {error!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes[who] = result

    with time_machine.travel(NOW, tick=False):
        threads = [threading.Thread(target=attempt, args=(who,)) for who in attempts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert sorted(outcomes.values()) == ["booked", "taken", "taken"], outcomes
    (stored,) = Appointment.objects.filter(practitioner__slug="alex", start=SLOT)
    winner = next(who for who, result in outcomes.items() if result == "booked")
    assert stored.name == attempts[winner][1]["name"]
    print(f"{connection.vendor}: {winner} booked, the other two told the time was taken")


@pytest.mark.django_db(transaction=True)
def test_postgres_constraint_refuses_a_course_whole_when_one_session_overlaps(clinic, monkeypatch):
    """The staff and course path rests on the same exclusion constraint: with the checks switched
    off, the overlapping third session rolls back the first two as well."""
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")

    with time_machine.travel(NOW, tick=False):
        booking.book(service="initial-evaluation", practitioner="alex", start=SLOT + dt.timedelta(weeks=2), **details())
        monkeypatch.setattr(booking, "_clashes", lambda *args, **kwargs: False)

        def unchecked(*, service, starts, **kwargs):
            length = dt.timedelta(minutes=service.duration_minutes)
            return [series.Session(n, start, start + length) for n, start in enumerate(starts, start=1)]

        monkeypatch.setattr(series, "check_sessions", unchecked)
        with pytest.raises(booking.SlotTaken):
            series.book_series(
                service="initial-evaluation",
                practitioner="alex",
                starts=[SLOT + dt.timedelta(weeks=n, minutes=30) for n in range(4)],
                name="Course Patient",
                phone="020 7946 0005",
            )


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
