"""Reception hears of a patient's own move or cancel, and a staff cancel can be undone while the time is free."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from appointments import booking, outbox, undo_cancel
from appointments.change_log import AppointmentChange
from appointments.models import Appointment

from .conftest import SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")


def clinic_mail():
    outbox.drain()
    return [m for m in mail.outbox if m.to == ["reception@clinic.example"]]


def test_reception_is_emailed_when_a_patient_cancels_by_the_link(client, clinic):
    booked = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    clinic_mail()
    mail.outbox.clear()
    # Cancelling asks first on a page of its own; its form posts the cancel.
    assert client.post(reverse("appointments:manage_cancel", args=[booked.manage_token])).status_code in (200, 303)
    [sent] = clinic_mail()
    assert sent.subject == f"Cancelled by the patient {booked.appointment.reference}: Initial evaluation"
    assert "Tuesday 12 January 2027, 10:00" in sent.body and "Pat Patient" in sent.body
    assert f"/admin/appointments/{booked.appointment.pk}/" in sent.body
    change = AppointmentChange.objects.get()
    assert change.kind == "cancelled" and change.by_patient and change.previous_status == "confirmed"


def test_reception_is_emailed_when_a_patient_moves_by_the_link(client, clinic):
    booked = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details())
    clinic_mail()
    mail.outbox.clear()
    url = reverse("appointments:manage_move", args=[booked.manage_token])
    assert client.post(url, {"start": "2027-01-13T11:00:00+00:00"}).status_code == 302
    [sent] = clinic_mail()
    assert sent.subject.startswith("Moved by the patient")
    assert "Was: Tuesday 12 January 2027, 10:00" in sent.body
    assert "Now: Wednesday 13 January 2027, 11:00" in sent.body


def test_staff_changes_are_not_announced_to_reception(clinic):
    appointment = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    clinic_mail()
    mail.outbox.clear()
    booking.reschedule(appointment=appointment, start=SLOT + dt.timedelta(hours=3), by_staff=True)
    booking.change_status(appointment=appointment, action="cancel")
    assert clinic_mail() == []
    assert [(c.kind, c.by_patient) for c in AppointmentChange.objects.order_by("at", "pk")] == [
        ("moved", False),
        ("cancelled", False),
    ]


def test_staff_cancel_is_undone_while_the_time_is_free(clinic):
    appointment = booking.book(service="follow-up-session", practitioner="alex", start=SLOT, **details()).appointment
    booking.change_status(appointment=appointment, action="cancel")
    outbox.drain()
    mail.outbox.clear()
    restored = undo_cancel.undo_cancel(appointment=appointment)
    assert restored.status == Appointment.Status.PENDING  # back to what it was, a request
    outbox.drain()
    [sent] = [m for m in mail.outbox if m.to == ["pat@example.org"]]
    assert "booked again" in sent.subject and "ignore the cancellation" in sent.body
    assert undo_cancel.cancel_to_undo(restored) is None


def test_undo_is_refused_once_the_time_is_taken_or_the_patient_cancelled(clinic):
    appointment = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    booking.change_status(appointment=appointment, action="cancel")
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details(email="o@example.org"))
    with pytest.raises(booking.SlotTaken):
        undo_cancel.undo_cancel(appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    own = booking.book(service="initial-evaluation", practitioner="sam", start=SLOT, **details()).appointment
    booking.change_status(appointment=own, action="cancel", by_patient=True)
    with pytest.raises(booking.InvalidBooking):
        undo_cancel.undo_cancel(appointment=own)  # the patient's own decision is theirs to reverse


def test_staff_move_to_another_practitioner_who_offers_the_service(clinic):
    from appointments.models import Practitioner

    appointment = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    moved = booking.reschedule(appointment=appointment, start=SLOT, by_staff=True, practitioner=clinic["b"])
    assert moved.practitioner == clinic["b"] and moved.start == SLOT
    outsider = Practitioner.objects.create(name="Out Sider", slug="out")
    with pytest.raises(booking.InvalidBooking):
        booking.reschedule(appointment=moved, start=SLOT, by_staff=True, practitioner=outsider)
