"""Booking abuse (issue 13, item 3): JSON-only API, per-address and per-email caps, daily email cap.

The limits hold for the API and the patient pages alike; staff bookings are never limited.
"""

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from appointments import booking, outbox
from appointments.models import Appointment, BookingSettings
from pages.models import ClinicSettings
from throttling.models import Counter

from .conftest import details

pytestmark = pytest.mark.usefixtures("frozen")
PHONE = "020 7946 0000"
# Free weekday mornings inside the horizon (the clinic fixture's hours are 9 to 17, Monday to Friday).
STARTS = [dt.datetime(2027, 1, day, 10, 0, tzinfo=dt.UTC) for day in (12, 13, 14, 15, 18, 19, 20)]


@pytest.fixture
def clinic_with_phone(clinic):
    settings_row = ClinicSettings.for_site(clinic["site"])
    settings_row.phone = PHONE
    settings_row.save()
    return clinic


def api_book(client, start, **overrides):
    body = {"service": "initial-evaluation", "start": start.isoformat(), "practitioner": "alex", **details()}
    body.update(overrides)
    return client.post("/api/v1/bookings", data=json.dumps(body), content_type="application/json")


def text(response) -> str:
    return " ".join(response.content.decode().split())


# ---- the API takes JSON from this site only ----


@pytest.mark.parametrize(
    ("content_type", "extra"),
    [
        ("text/plain", {}),
        ("text/plain", {"HTTP_ORIGIN": "https://attacker.example"}),
        ("application/x-www-form-urlencoded", {}),
        ("multipart/form-data; boundary=x", {}),
        ("", {}),
    ],
)
def test_the_api_refuses_bodies_that_are_not_json_with_415(client, clinic, content_type, extra):
    body = json.dumps({"service": "initial-evaluation", "start": STARTS[0].isoformat(), **details()})
    response = client.post("/api/v1/bookings", data=body, content_type=content_type, **extra)
    assert response.status_code in (403, 415)
    assert response.status_code == (403 if extra else 415)
    assert "detail" in response.json()
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_ORIGIN": "https://attacker.example"}, {"HTTP_ORIGIN": "null"}, {"HTTP_SEC_FETCH_SITE": "cross-site"}],
)
def test_the_api_refuses_json_from_another_website_with_403(client, clinic, headers):
    body = json.dumps({"service": "initial-evaluation", "start": STARTS[0].isoformat(), **details()})
    response = client.post("/api/v1/bookings", data=body, content_type="application/json", **headers)
    assert response.status_code == 403
    assert Appointment.objects.count() == 0


def test_the_api_accepts_json_from_its_own_pages_and_from_non_browsers(client, clinic):
    own = {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "same-origin"}
    body = {"service": "initial-evaluation", "start": STARTS[0].isoformat(), "practitioner": "alex", **details()}
    response = client.post(
        "/api/v1/bookings", data=json.dumps(body), content_type="application/json; charset=utf-8", **own
    )
    assert response.status_code == 201, response.content
    assert api_book(client, STARTS[1]).status_code == 201  # no Origin: curl, a server


# ---- at most 5 online bookings an hour per address ----


def test_an_address_books_at_most_five_times_an_hour_and_is_told_how_to_phone(client, clinic_with_phone, frozen):
    emails = [f"p{i}@example.org" for i in range(7)]
    assert api_book(client, STARTS[0], email="not-an-address").status_code == 422  # a refusal does not count
    codes = [api_book(client, start, email=emails[i]).status_code for i, start in enumerate(STARTS[:6])]
    assert codes == [201] * 5 + [429]
    refused = api_book(client, STARTS[6], email=emails[6])
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    detail = refused.json()["detail"]
    assert "5 online bookings within an hour" in detail and f"phone the clinic on {PHONE}" in detail
    assert Appointment.objects.count() == 5
    assert api_book(Client(REMOTE_ADDR="198.51.100.8"), STARTS[6], email=emails[6]).status_code == 201
    frozen.shift(dt.timedelta(hours=1))
    assert api_book(client, dt.datetime(2027, 1, 21, 10, tzinfo=dt.UTC), email="later@example.org").status_code == 201


def test_the_hourly_cap_is_a_booking_setting(client, clinic):
    clinic["policy"].online_bookings_per_hour = 2
    clinic["policy"].save()
    codes = [api_book(client, start, email=f"q{i}@example.org").status_code for i, start in enumerate(STARTS[:3])]
    assert codes == [201, 201, 429]


def html_book(client, start, email):
    """The patient pages: details (saved in the session, nothing booked), then "Book" on the check page."""
    data = {"service": "initial-evaluation", "practitioner": "alex", "start": start.isoformat(), **details()}
    sent = client.post("/appointments/details/", {**data, "email": email, "consent": "yes"})
    if sent.status_code != 303:
        return sent
    return client.post(sent["Location"], {})


def test_the_html_flow_has_the_same_hourly_cap(client, clinic_with_phone):
    codes = [html_book(client, start, f"h{i}@example.org").status_code for i, start in enumerate(STARTS[:6])]
    assert codes == [303] * 5 + [429]
    refused = html_book(client, STARTS[6], "h6@example.org")
    assert refused.status_code == 429 and refused["Retry-After"]
    assert f"please phone the clinic on {PHONE}" in text(refused) and 'role="alert"' in text(refused)
    assert Appointment.objects.filter(booked_online=True).count() == 5


def test_staff_booking_through_the_pages_are_not_limited(client, clinic):
    staff = User.objects.create_user("desk", password="not-used-here-123")  # noqa: S106
    staff.groups.add(Group.objects.get(name="Editors"))
    client.force_login(staff)
    for start in STARTS[:6]:
        assert html_book(client, start, "pat@example.org").status_code == 303  # past the per-email cap too
    assert Appointment.objects.filter(booked_online=False).count() == 6


# ---- at most 4 upcoming online bookings per email address ----


def test_an_email_address_holds_at_most_four_upcoming_online_bookings(clinic_with_phone):
    spellings = ["pat@example.org", "Pat@Example.org", "pat+2@example.org", "PAT+x@example.org", "pat@example.org"]
    codes = [
        api_book(Client(REMOTE_ADDR=f"203.0.113.{i}"), start, email=email).status_code
        for i, (start, email) in enumerate(zip(STARTS[:5], spellings, strict=True))
    ]
    assert codes == [201, 201, 201, 201, 429]
    refused = api_book(Client(REMOTE_ADDR="203.0.113.99"), STARTS[5], email="pat@example.org")
    detail = refused.json()["detail"]
    assert "already has 4 upcoming appointments booked online" in detail and PHONE in detail
    # Cancelling one frees a place; staff bookings never count.
    booking.change_status(appointment=Appointment.objects.first(), action="cancel")
    booking.book(
        service="initial-evaluation", start=STARTS[6], practitioner="sam", site=clinic_with_phone["site"], **details()
    )
    assert api_book(Client(REMOTE_ADDR="203.0.113.98"), STARTS[5], email="pat@example.org").status_code == 201


def test_the_upcoming_cap_is_a_booking_setting_and_is_checked_in_the_booking_itself(clinic):
    clinic["policy"].online_upcoming_per_email = 1
    clinic["policy"].save()
    booking.book(service="initial-evaluation", start=STARTS[0], site=clinic["site"], online=True, **details())
    with pytest.raises(booking.online_limits.LimitReached):
        booking.book(service="initial-evaluation", start=STARTS[1], site=clinic["site"], online=True, **details())
    assert Appointment.objects.count() == 1


# ---- booking emails to one address per day ----


def test_booking_emails_to_one_address_are_capped_per_day_and_the_cap_is_named(clinic_with_phone, frozen):
    policy = BookingSettings.for_site(clinic_with_phone["site"])
    policy.confirmation_emails_per_day = 2
    policy.save()
    first = api_book(Client(REMOTE_ADDR="192.0.2.1"), STARTS[0], email="victim@example.org")
    assert first.status_code == 201
    # The patient's own move is confirmed by email too, and counts.
    token = first.json()["link"].rstrip("/").rsplit("/", 1)[-1]
    moved = Client().post(f"/appointments/manage/{token}/move/", {"start": STARTS[1].isoformat()})
    assert moved.status_code == 302
    refused = api_book(Client(REMOTE_ADDR="192.0.2.2"), STARTS[2], email="victim+1@example.org")
    assert refused.status_code == 429
    assert "at most 2 booking emails a day to one email address" in refused.json()["detail"]
    assert PHONE in refused.json()["detail"]
    again = Client().post(f"/appointments/manage/{token}/move/", {"start": STARTS[3].isoformat()})
    assert again.status_code == 429 and "at most 2 booking emails a day" in text(again)
    assert Appointment.objects.count() == 1
    frozen.shift(dt.timedelta(days=1))
    assert api_book(Client(REMOTE_ADDR="192.0.2.3"), STARTS[4], email="victim@example.org").status_code == 201


# ---- counters are purged daily ----


def test_the_daily_job_purges_ended_throttle_counters(client, clinic, frozen, settings):
    settings.THROTTLING = {"STORE": "database"}  # Redis expires its own keys
    api_book(client, STARTS[0])
    assert Counter.objects.exists()
    frozen.shift(dt.timedelta(days=2))
    outbox.run_scheduled()
    assert not Counter.objects.exists()
