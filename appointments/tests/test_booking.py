"""The booking service: rules, bad input of every kind, state changes, retention and patient data."""

import datetime as dt

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from appointments import booking, outbox
from appointments.models import Appointment, Closure, TimeOff, hash_token
from appointments.patient_data import delete_patient, export_rows, purge_expired

from .conftest import NOW, SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")


def book(**overrides):
    values = {"service": "initial-evaluation", "start": SLOT, "practitioner": "alex", **details()}
    values.update(overrides)
    return booking.book(**values)


def test_book_saves_and_queues_patient_and_clinic_mail(clinic):
    booked = book()
    appointment = booked.appointment
    assert appointment.status == Appointment.Status.CONFIRMED
    assert appointment.end - appointment.start == dt.timedelta(minutes=60)
    assert appointment.blocked_until - appointment.end == dt.timedelta(minutes=15)
    assert appointment.manage_token_hash == hash_token(booked.manage_token)
    assert booked.manage_token not in appointment.manage_token_hash
    assert appointment.consent_at == NOW
    assert DBTaskResult.objects.filter(backend_name="outbox").count() == 2
    assert outbox.drain() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["pat@example.org", "reception@clinic.example"]
    patient = next(m for m in mail.outbox if m.to == ["pat@example.org"])
    assert booked.manage_token in patient.body
    ics = patient.attachments[0]
    assert ics[0] == "appointment.ics"
    text = ics[1].decode() if isinstance(ics[1], bytes) else ics[1]
    assert "METHOD:REQUEST" in text and f"UID:appointment-{appointment.reference}@" in text and "SEQUENCE:0" in text
    assert "ORGANIZER" in text and "mailto:pat@example.org" in text
    # The token is not kept readable in the queue once it has been delivered.
    assert not any(booked.manage_token in str(t.args_kwargs) for t in DBTaskResult.objects.all())


def test_calendar_entry_says_where_to_go(clinic, client):
    from pages.models import ClinicSettings

    settings = ClinicSettings.for_site(clinic["site"])
    settings.name, settings.street_address, settings.locality, settings.postal_code = (
        "Demo Clinic",
        "1 Example Street",
        "Exampletown",
        "EX1 1AA",
    )
    settings.save()
    booked = book()
    outbox.drain()
    patient = next(m for m in mail.outbox if m.to == ["pat@example.org"])
    assert "Where: Demo Clinic, 1 Example Street, Exampletown EX1 1AA" in patient.body
    expected = "LOCATION:Demo Clinic\\, 1 Example Street\\, Exampletown EX1 1AA"
    attached = patient.attachments[0][1]
    attached = attached.decode() if isinstance(attached, bytes) else attached
    assert expected in attached.replace("\r\n ", "")
    download = client.get(f"/appointments/manage/{booked.manage_token}/appointment.ics")
    assert expected in download.content.decode().replace("\r\n ", "")


def test_second_booking_of_the_same_time_is_taken_with_alternatives(clinic):
    book()
    with pytest.raises(booking.SlotTaken) as taken:
        book(email="other@example.org")
    assert "just taken" in taken.value.errors["start"]
    assert taken.value.alternatives
    assert all(s.start != SLOT for s in taken.value.alternatives)
    assert Appointment.objects.count() == 1


def test_anyone_falls_back_to_the_other_practitioner(clinic):
    first = book(practitioner=None)
    second = book(practitioner=None, email="other@example.org")
    assert {first.appointment.practitioner.slug, second.appointment.practitioner.slug} == {"alex", "sam"}
    with pytest.raises(booking.SlotTaken):
        book(practitioner=None, email="third@example.org")


def test_buffer_keeps_the_next_start_free(clinic):
    book()
    # 11:00 would start inside the 15-minute buffer after 10:00–11:00.
    with pytest.raises(booking.SlotTaken):
        book(start=SLOT + dt.timedelta(hours=1))
    assert book(start=SLOT + dt.timedelta(hours=1, minutes=15)).appointment


def test_request_mode_holds_the_slot_until_it_expires(clinic):
    booked = book(service="follow-up-session")
    appointment = booked.appointment
    assert appointment.status == Appointment.Status.PENDING
    assert appointment.expires_at == NOW + dt.timedelta(hours=48)
    with pytest.raises(booking.SlotTaken):
        book(service="follow-up-session", email="other@example.org")
    assert booking.expire_requests(now=NOW + dt.timedelta(hours=49)) == 1
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.EXPIRED
    assert book(service="follow-up-session", email="other@example.org").appointment


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Pat\r\nBcc: victim@example.org"}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "pat@example.org\nBcc: victim@example.org"}, "email"),
        ({"email": "a" * 250 + "@example.org"}, "email"),
        ({"phone": "call me\r\nX-Header: 1"}, "phone"),
        ({"phone": "x" * 31}, "phone"),
        ({"message": "m" * 501}, "message"),
        ({"message": "hi\x00"}, "message"),
        ({"consent": False}, "consent"),
        ({"consent": "yes"}, "consent"),
        ({"service": "unknown"}, "service"),
        ({"service": None}, "service"),
        ({"practitioner": "nobody"}, "practitioner"),
        ({"start": SLOT + dt.timedelta(minutes=7)}, "start"),
        ({"start": SLOT.replace(tzinfo=None)}, "start"),
        ({"start": "tomorrow"}, "start"),
        ({"start": NOW - dt.timedelta(days=1)}, "start"),
        ({"start": NOW + dt.timedelta(hours=2)}, "start"),
        ({"start": NOW + dt.timedelta(days=61)}, "start"),
        ({"start": dt.datetime(2027, 1, 16, 10, tzinfo=dt.UTC)}, "start"),  # Saturday: no hours
        ({"start": SLOT.replace(hour=16, minute=30)}, "start"),  # would end after 17:00
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(clinic, overrides, field):
    with pytest.raises(booking.InvalidBooking) as invalid:
        book(**overrides)
    assert field in invalid.value.errors
    assert invalid.value.errors[field]
    assert Appointment.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_time_off_and_closures_are_not_bookable(clinic):
    TimeOff.objects.create(practitioner=clinic["a"], starts_at=SLOT, ends_at=SLOT + dt.timedelta(hours=2))
    with pytest.raises(booking.SlotTaken):
        book()
    Closure.objects.create(first_day=SLOT.date(), last_day=SLOT.date(), reason="Holiday")
    with pytest.raises(booking.SlotTaken):
        book(practitioner="sam")


def test_daily_limit(clinic):
    clinic["policy"].daily_limit = 1
    clinic["policy"].save()
    book()
    with pytest.raises(booking.SlotTaken):
        book(start=SLOT + dt.timedelta(hours=3), email="other@example.org")


def test_reschedule_bumps_sequence_and_resets_reminder(clinic):
    appointment = book().appointment
    appointment.reminder_sent_at = NOW
    appointment.save()
    moved = booking.reschedule(appointment=appointment, start=SLOT + dt.timedelta(hours=2))
    assert moved.start == SLOT + dt.timedelta(hours=2)
    assert moved.sequence == 1
    assert moved.reminder_sent_at is None
    # The old time is free again.
    assert book(email="other@example.org").appointment.start == SLOT


def test_patient_cannot_change_after_the_cutoff(clinic, frozen):
    appointment = book().appointment
    frozen.move_to(SLOT - dt.timedelta(hours=23))
    assert not booking.can_patient_change(appointment)
    with pytest.raises(booking.TooLate):
        booking.reschedule(appointment=appointment, start=SLOT + dt.timedelta(days=1))


def test_status_changes_follow_the_allowed_transitions(clinic):
    request = book(service="follow-up-session").appointment
    confirmed = booking.change_status(appointment=request, action="confirm")
    assert confirmed.status == Appointment.Status.CONFIRMED and confirmed.sequence == 1
    with pytest.raises(booking.InvalidBooking):
        booking.change_status(appointment=confirmed, action="decline")
    for early in ("attended", "no_show"):  # not before the appointment has started
        with pytest.raises(booking.InvalidBooking):
            booking.change_status(appointment=confirmed, action=early, now=SLOT - dt.timedelta(minutes=1))
    assert booking.change_status(appointment=confirmed, action="attended", now=SLOT).status == (
        Appointment.Status.ATTENDED
    )
    cancelled = booking.change_status(
        appointment=book(email="x@example.org", start=SLOT + dt.timedelta(hours=3)).appointment, action="cancel"
    )
    outbox.drain()
    cancel_mail = [m for m in mail.outbox if m.to == ["x@example.org"] and "cancelled" in m.subject]
    assert cancel_mail
    text = cancel_mail[0].attachments[0][1]
    text = text.decode() if isinstance(text, bytes) else text
    assert "METHOD:CANCEL" in text and f"SEQUENCE:{cancelled.sequence}" in text


def test_export_delete_and_retention(clinic, frozen):
    book()
    book(start=SLOT + dt.timedelta(hours=3), email="other@example.org")
    rows = export_rows("PAT@example.org")
    assert [r["reference"] for r in rows] and rows[0]["email"] == "pat@example.org"
    assert delete_patient("pat@example.org") == 1
    assert not Appointment.objects.filter(email="pat@example.org").exists()
    assert purge_expired(now=SLOT + dt.timedelta(days=30)) == 0  # retention is 24 months
    assert purge_expired(now=SLOT + dt.timedelta(days=2 * 365 + 40)) == 1
    purged = Appointment.objects.get()
    assert purged.name == "(removed)" and purged.phone == "" and purged.message == "" and purged.purged_at


@pytest.mark.parametrize(
    "field, value",
    [
        ("retention_months", 40000),
        ("reminder_hours", 30000),
        ("request_expiry_hours", 30000),
        ("manage_cutoff_hours", 30000),
    ],
)
def test_booking_settings_refuse_values_the_date_arithmetic_cannot_hold(clinic, field, value):
    from django.core.exceptions import ValidationError

    policy = clinic["policy"]
    setattr(policy, field, value)
    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert field in refused.value.message_dict


def test_the_longest_retention_allowed_still_purges(clinic):
    from appointments.patient_data import purge_expired

    policy = clinic["policy"]
    policy.retention_months = 1200
    policy.full_clean()
    policy.save()
    assert purge_expired() == 0  # before the bound, 40000 months raised "year -1307 is out of range"
