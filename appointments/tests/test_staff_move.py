"""Staff move: free times of every practitioner who gives the service, warnings before the patient is
emailed, and the undo of a staff cancel."""

import datetime as dt
import html
import re

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from appointments import booking
from appointments.models import Appointment, Closure, Practitioner, TimeOff

from .conftest import SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def reception(client, clinic):
    user = User.objects.create_user("reception", "r@example.org", "a-long-password-123")
    user.groups.add(Group.objects.get(name="Reception"))
    client.force_login(user)
    return client


def patient_mails() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="send_patient_email").count()


def test_the_appointment_page_offers_free_times_of_everyone_who_gives_the_service(reception, clinic):
    appointment = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    booking.book(
        service="initial-evaluation", practitioner="sam", start=SLOT + dt.timedelta(hours=2), **details(name="B")
    )
    Practitioner.objects.create(name="No Service", slug="none")
    detail = reverse("appointments_admin:detail", args=[appointment.pk])
    page = html.unescape(reception.get(detail, {"move_day": "2027-01-13"}).content.decode())
    assert "Free times for Initial evaluation on Wednesday 13 January 2027" in page
    labels = re.findall(r'<label for="move-slot-\d+">([^<]*)</label>', page)
    assert "09:00 with Alex Example" in labels and "09:00 with Sam Sample" in labels
    assert not any("No Service" in label for label in labels)
    today = html.unescape(reception.get(detail).content.decode())  # its own day by default
    labels = re.findall(r'<label for="move-slot-\d+">([^<]*)</label>', today)
    assert "10:00 with Alex Example (its time now)" in labels
    assert "12:00 with Sam Sample" not in labels  # Sam is booked then
    before = patient_mails()
    moved = reception.post(
        reverse("appointments_admin:move", args=[appointment.pk]), {"slot": "2027-01-13T09:00:00+00:00|sam"}
    )
    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert appointment.practitioner.slug == "sam" and appointment.start == dt.datetime(2027, 1, 13, 9, tzinfo=dt.UTC)
    assert patient_mails() == before + 1


@pytest.mark.parametrize(
    ("start", "warning"),
    [
        ("2027-01-12T16:30", "This is outside Alex Example&#x27;s working hours."),
        ("2027-01-13T10:00", "The clinic is closed that day (2027-01-13–2027-01-13 Training)."),
        ("2027-01-14T10:00", "Alex Example has time off then."),
    ],
)
def test_a_time_patients_could_not_book_is_named_before_the_patient_is_emailed(reception, clinic, start, warning):
    appointment = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    Closure.objects.create(first_day=dt.date(2027, 1, 13), last_day=dt.date(2027, 1, 13), reason="Training")
    TimeOff.objects.create(
        practitioner=clinic["a"],
        starts_at=dt.datetime(2027, 1, 14, 9, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 1, 14, 12, tzinfo=dt.UTC),
    )
    url = reverse("appointments_admin:move", args=[appointment.pk])
    before = patient_mails()
    asked = reception.post(url, {"start": start, "practitioner": "alex"})
    text = asked.content.decode()
    assert asked.status_code == 200 and warning in text and "Move anyway and email the patient" in text
    appointment.refresh_from_db()
    assert appointment.start == SLOT and patient_mails() == before  # nothing changed, nobody emailed
    slot = re.search(r'name="slot" value="([^"]+)"', text).group(1)
    assert reception.post(url, {"slot": html.unescape(slot), "confirm": "yes"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M") == start
    assert patient_mails() == before + 1


def test_a_plain_time_inside_hours_moves_at_once(reception, clinic):
    appointment = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    url = reverse("appointments_admin:move", args=[appointment.pk])
    assert reception.post(url, {"start": "2027-01-12T14:00"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == dt.datetime(2027, 1, 12, 14, tzinfo=dt.UTC)
    for bad, reason in [
        ({"slot": "nonsense|alex"}, "Choose one of the free times, or enter the new date and time."),
        ({"slot": "2027-01-13T09:00:00+00:00|nobody"}, "Choose one of the free times, or enter the new date and time."),
        ({"start": "0001-01-01T00:00"}, "Choose a time between yesterday and a year from now."),
    ]:
        response = reception.post(url, bad, follow=True)
        assert response.status_code == 200 and reason in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.start == dt.datetime(2027, 1, 12, 14, tzinfo=dt.UTC)


def test_staff_cancel_is_undone_from_the_appointment_page(reception, clinic):
    appointment = booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details()).appointment
    detail = reverse("appointments_admin:detail", args=[appointment.pk])
    assert "Undo cancel" not in reception.get(detail).content.decode()
    question = reception.get(reverse("appointments_admin:action", args=[appointment.pk]), {"action": "cancel"})
    text = question.content.decode()
    assert "you can undo the cancel" in text and "cannot be undone" not in text
    reception.post(reverse("appointments_admin:action", args=[appointment.pk]), {"action": "cancel"})
    assert "Undo cancel" in reception.get(detail).content.decode()
    done = reception.post(reverse("appointments_admin:undo_cancel", args=[appointment.pk]), follow=True)
    assert "Cancel undone" in done.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    reception.post(reverse("appointments_admin:action", args=[appointment.pk]), {"action": "cancel"})
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details(email="o@example.org"))
    refused = reception.post(reverse("appointments_admin:undo_cancel", args=[appointment.pk]), follow=True)
    assert "booked meanwhile, so the cancel cannot be undone" in refused.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
