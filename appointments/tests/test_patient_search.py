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


@pytest.fixture
def phone_only(clinic):
    """Booked at the desk without an email address; a household member shares the phone."""
    from appointments import series

    for name, start in (("Jo Phone", SLOT), ("Jo Phone", SLOT + dt.timedelta(days=1)), ("Kit Phone", SLOT)):
        series.book_one(
            service="initial-evaluation",
            practitioner="sam" if name == "Kit Phone" else "alex",
            start=start,
            name=name,
            phone="020 7946 0999",
        )


def test_a_patient_without_email_can_be_opened_exported_and_erased(client, clinic, phone_only, admin_user):
    client.force_login(admin_user)
    rows = found(client, "020-7946-0999")
    assert sorted((r[0], r[1], r[3]) for r in rows) == [("Jo Phone", "—", "2"), ("Kit Phone", "—", "1")]
    listing = client.post(URL, {"q": "020-7946-0999"}).content.decode()
    assert 'name="phone" value="020 7946 0999"' in listing and 'name="name" value="Jo Phone"' in listing
    key = {"phone": "020 7946 0999", "name": "Jo Phone"}
    page = html.unescape(client.post(URL, key).content.decode())
    assert "2 bookings" in page and "Kit Phone" not in page and "Wednesday 13 January 2027, 10:00" in page
    assert "?phone=" not in page and "0999" not in client.get(URL, key).content.decode(), "posted, never in a URL"
    # The same number typed another way opens the same patient.
    assert "2 bookings" in client.post(URL, {"phone": "(020) 7946-0999", "name": "jo phone"}).content.decode()
    exported = client.post(URL, {**key, "format": "json"}).json()
    assert [a["name"] for a in exported["appointments"]] == ["Jo Phone", "Jo Phone"] and exported["waitlist"] == []
    assert b"Jo Phone" in client.post(URL, {**key, "format": "csv"}).content
    # Digits alone (no name) or a number too short to be a phone open nobody.
    assert not re.search(r"\d+ bookings?</h3>", client.post(URL, {"phone": "020 7946 0999"}).content.decode())
    refused = client.post(reverse("appointments_admin:patient_delete"), {"phone": "0999", "name": "Jo Phone"})
    assert refused.status_code == 400 and Appointment.objects.count() == 3
    done = client.post(reverse("appointments_admin:patient_delete"), {**key, "confirm": "yes"})
    assert done.status_code == 302
    assert list(Appointment.objects.values_list("name", flat=True)) == ["Kit Phone"], "the household member stays"


def test_the_patient_page_makes_the_same_number_of_queries_however_many_bookings(client, clinic, admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from appointments import series

    client.force_login(admin_user)
    key = {"phone": "07700 900555", "name": "Lee Desk"}
    counts = []
    for day in range(3):
        series.book_one(
            service="initial-evaluation",
            practitioner="alex",
            start=SLOT + dt.timedelta(days=day),
            name="Lee Desk",
            phone="07700 900555",
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.post(URL, key).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts
