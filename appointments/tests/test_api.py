"""The JSON API: services, availability, bookings (201/409/400/422), rate limit, docs.

test_api_conformance.py holds schemathesis and redocly."""

import datetime as dt
import json

import pytest

from appointments.models import Appointment

from .conftest import SLOT, details

pytestmark = pytest.mark.usefixtures("frozen")


def post(client, payload):
    return client.post("/api/v1/bookings", data=json.dumps(payload), content_type="application/json")


def payload(**overrides):
    values = {"service": "initial-evaluation", "start": SLOT.isoformat(), "practitioner": "alex", **details()}
    values.update(overrides)
    return values


def test_services(client, clinic):
    response = client.get("/api/v1/services")
    assert response.status_code == 200
    slugs = {s["slug"]: s for s in response.json()}
    assert slugs["initial-evaluation"]["duration"] == 60
    assert slugs["initial-evaluation"]["practitioners"] == ["alex", "sam"]


def test_availability_gives_iso_times_with_offset(client, clinic):
    response = client.get(
        "/api/v1/availability",
        {"service": "initial-evaluation", "from": "2027-01-12", "to": "2027-01-12", "practitioner": "alex"},
    )
    assert response.status_code == 200
    slots = response.json()["slots"]
    assert slots[0] == {
        "start": "2027-01-12T09:00:00+00:00",
        "end": "2027-01-12T10:00:00+00:00",
        "practitioner": "alex",
    }
    assert all(s["practitioner"] == "alex" for s in slots)
    # In summer the clinic's offset is +01:00.
    summer = client.get(
        "/api/v1/availability", {"service": "initial-evaluation", "from": "2027-03-01", "to": "2027-03-05"}
    )
    assert summer.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"service": "nope", "from": "2027-01-12", "to": "2027-01-13"},
        {"service": "initial-evaluation", "from": "2027-01-13", "to": "2027-01-12"},
        {"service": "initial-evaluation", "from": "2027-01-01", "to": "2027-06-01"},
        {"service": "initial-evaluation", "from": "2027-01-12", "to": "2027-01-13", "practitioner": "nobody"},
    ],
)
def test_availability_bad_query_is_400(client, clinic, query):
    response = client.get("/api/v1/availability", query)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_availability_malformed_dates_are_422(client, clinic):
    response = client.get("/api/v1/availability", {"service": "initial-evaluation", "from": "soon", "to": "later"})
    assert response.status_code == 422


def test_booking_201_then_409_with_alternatives(client, clinic):
    first = post(client, payload())
    assert first.status_code == 201, first.content
    body = first.json()
    appointment = Appointment.objects.get(reference=body["reference"])
    assert body["link"].startswith("http") and "/appointments/manage/" in body["link"]
    assert body["start"] == "2027-01-12T10:00:00+00:00"
    assert "no-store" in first["Cache-Control"] and "private" in first["Cache-Control"]
    second = post(client, payload(email="other@example.org"))
    assert second.status_code == 409
    assert "just taken" in second.json()["detail"]
    assert second.json()["alternatives"]
    assert Appointment.objects.count() == 1 and appointment.pk


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "bad"},
        {"email": " pat@example.org"},
        {"name": "A\r\nBcc: x@example.org"},
        {"name": "   "},
        {"phone": "call me"},
        {"message": "tab\there"},
        {"consent": False},
        {"consent": 1},
    ],
)
def test_booking_not_matching_the_schema_is_422_with_field_messages(client, clinic, overrides):
    response = post(client, payload(**overrides))
    assert response.status_code == 422
    assert set(response.json()["errors"]) == set(overrides)
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"service": "unknown"},
        {"practitioner": "nobody"},
        {"start": "2027-01-12T10:07:00+00:00"},
        {"start": "2027-01-12T10:00:00"},
        {"start": "2026-01-12T10:00:00+00:00"},
        {"start": "2027-06-12T10:00:00+00:00"},
        {"start": "0001-01-01T00:00:00+14:00"},
        {"start": "9999-12-31T23:59:59-14:00"},
    ],
)
def test_booking_refused_by_the_clinics_rules_is_400_with_field_messages(client, clinic, overrides):
    response = post(client, payload(**overrides))
    assert response.status_code == 400
    assert response.json()["errors"]
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        payload(name="x" * 5000),
        {k: v for k, v in payload().items() if k != "email"},
        payload(start="not a time"),
        "not json",
    ],
)
def test_booking_malformed_is_422(client, clinic, body):
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post("/api/v1/bookings", data=data, content_type="application/json")
    assert response.status_code in (400, 422)
    assert Appointment.objects.count() == 0


def test_bookings_are_rate_limited_per_client(client, clinic, settings):
    settings.APPOINTMENTS_API_BOOKINGS_PER_MINUTE = 3
    answers = [post(client, payload(service="unknown")) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [400, 400, 400, 429, 429]
    assert isinstance(answers[-1].json()["detail"], str)  # ErrorOut, as the document says


def test_the_per_minute_booking_limit_says_how_to_phone_the_clinic(client, clinic, settings):
    # Found by the attack review: this 429 said only "Too many requests." while every other
    # booking refusal names the clinic's phone number.
    from pages.models import ClinicSettings

    clinic_settings = ClinicSettings.for_site(clinic["site"])
    clinic_settings.phone = "+44 20 7946 0999"
    clinic_settings.save()
    settings.APPOINTMENTS_API_BOOKINGS_PER_MINUTE = 1
    post(client, payload(service="unknown"))
    refused = post(client, payload(service="unknown"))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    body = refused.json()
    assert "+44 20 7946 0999" in body["detail"] and "minute" in body["detail"]
    assert body["errors"] == {}


def test_the_per_minute_read_limit_answers_in_the_error_shape(client, clinic, settings):
    settings.APPOINTMENTS_API_READS_PER_MINUTE = 1
    client.get("/api/v1/services")
    refused = client.get("/api/v1/services")
    assert refused.status_code == 429
    assert refused.json()["errors"] == {}
    assert "minute" in refused.json()["detail"]


def test_an_oversized_body_is_refused_in_the_error_shape(client, clinic, settings):
    # Found by the attack review: a 10 MB body got Django's HTML "Bad Request (400)" page, not the
    # JSON error the document promises.
    body = json.dumps(payload(message="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)))
    response = client.post("/api/v1/bookings", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "too large" in response.json()["detail"]
    assert Appointment.objects.count() == 0
    assert "413" in client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/bookings"]["post"]["responses"]


def test_docs_are_served_locally_with_a_workable_csp(client, clinic):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" in csp.split("style-src")[1].split(";")[0]
    assert client.get("/api/v1/openapi.json").json()["info"]["title"]


def test_slots_per_day_are_consistent_with_booking(client, clinic):
    """Every slot the API offers can actually be booked."""
    slots = client.get(
        "/api/v1/availability",
        {"service": "initial-evaluation", "from": "2027-01-12", "to": "2027-01-12", "practitioner": "sam"},
    ).json()["slots"]
    for slot in slots[:: max(1, len(slots) // 3)]:
        response = post(
            client, payload(start=slot["start"], practitioner="sam", email=f"p{slot['start'][11:13]}@example.org")
        )
        assert response.status_code in (201, 409), response.content
    assert Appointment.objects.filter(start__date=dt.date(2027, 1, 12)).exists()
