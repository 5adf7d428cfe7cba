"""Patient data: find a patient by name, phone or email (posted, never in a URL); times and statuses in words."""

import datetime as dt
import html
import re

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from appointments import booking
from appointments.models import Appointment

from .conftest import SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")
URL = "/admin/appointments/patient-data/"


@pytest.fixture
def reception(client, clinic):
    user = User.objects.create_user("reception", "r@example.org", "a-long-password-123")
    user.groups.add(Group.objects.get(name="Reception"))
    client.force_login(user)
    return client


@pytest.fixture
def patients(clinic):
    booking.book(service="initial-evaluation", practitioner="alex", start=SLOT, **details(name="Robin Hood"))
    booking.book(
        service="follow-up-session",
        practitioner="sam",
        start=SLOT + dt.timedelta(days=1),
        **details(name="Robin Hood"),
    )
    booking.book(
        service="initial-evaluation",
        practitioner="sam",
        start=SLOT,
        **details(name="Maid Marian", email="marian@example.org", phone="07700 900123"),
    )


def found(client, q) -> list[list[str]]:
    text = html.unescape(client.post(URL, {"q": q}).content.decode())
    body = re.search(r"patients? found</h2>.*?<tbody>(.*?)</tbody>", text, re.S)
    if not body:
        return []
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)]


def test_find_by_name_phone_or_email(reception, patients):
    by_name = found(reception, "robin")
    assert [(r[0], r[1], r[3]) for r in by_name] == [("Robin Hood", "pat@example.org", "2")]
    assert by_name[0][4] == "Wednesday 13 January 2027, 10:00"  # the latest, in the clinic's time in words
    assert [r[0] for r in found(reception, "07700-900-123")] == ["Maid Marian"]  # typed differently
    assert [r[0] for r in found(reception, "0770090")] == ["Maid Marian"]
    assert found(reception, "nobody here") == []
    assert "Nobody found" in reception.post(URL, {"q": "nobody here"}).content.decode()
    # An address opens the bookings at once, with times and statuses in words.
    page = html.unescape(reception.post(URL, {"q": "Marian@Example.org"}).content.decode())
    assert "1 booking" in page and "Tuesday 12 January 2027, 10:00" in page and "<td>Confirmed</td>" in page
    assert "+00:00" not in page


def test_search_is_posted_and_never_lands_in_a_url(reception, patients):
    form = reception.get(URL).content.decode()
    assert re.search(r'<form method="post" action="' + re.escape(URL) + r'">\s*<input type="hidden" name="csrf', form)
    assert 'name="q"' in form
    assert "Robin Hood" not in reception.get(URL, {"q": "robin"}).content.decode()
    page = reception.post(URL, {"q": "robin"}).content.decode()
    assert "?q=" not in page and "robin" not in re.sub(r'value="robin"', "", page).lower().replace("robin hood", "")


def test_a_request_shows_as_requested_in_words(reception, clinic):
    booking.book(service="follow-up-session", practitioner="alex", start=SLOT, **details())
    page = reception.post(URL, {"email": "pat@example.org"}).content.decode()
    assert "<td>Requested</td>" in page and Appointment.objects.get().status == "pending"
    assert reverse("appointments_admin:detail", args=[Appointment.objects.get().pk]) in page
