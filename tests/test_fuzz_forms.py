"""hypothesis fuzzing of every form the site serves outside Wagtail's own admin: the members
gate, the contact form, the patient's manage (cancel) and move forms, and the staff forms of the
members and appointments apps (with a signed-in superuser). Each must answer every input without
a 5xx, and whatever it refuses (4xx, or a staff form's error message) must change nothing.

Not repeated here: the booking steps (/appointments/, day, time, details) are fuzzed in
appointments/tests/test_views.py::test_no_input_makes_a_server_error and the JSON API by
schemathesis in appointments/tests/test_api.py.
"""

import datetime as dt
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.contrib.forms.models import FormSubmission

from appointments import booking
from appointments.availability import find_slots
from appointments.models import Appointment, Service
from members import passwords
from members.models import PatientPass, SharedPassword

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)

NASTY = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1",
        "yes",
        "on",
        "true",
        "cancel",
        "revoke",
        "confirm",
        "9" * 40,
        "\x00",
        "a\r\nBcc: x@example.org",
        "<script>alert(1)</script>",
        "'; DROP TABLE x; --",
        "2027-01-12",
        "2027-02-30T25:61",
        "x" * 5000,
        "%s%n",
        "\u202e\ufeff",
    ]
)
VALUE = st.one_of(st.text(max_size=120), NASTY)
addresses = (f"198.51.100.{n % 250}" for n in itertools.count())


def form_data(keys):
    return st.dictionaries(st.sampled_from(keys), VALUE, max_size=len(keys))


def snapshot():
    return {
        "appointments": list(Appointment.objects.order_by("pk").values_list("pk", "start", "status", "name", "email")),
        "outbox": DBTaskResult.objects.count(),
        "passwords": list(SharedPassword.objects.order_by("pk").values_list("pk", "generation", "replaced_at")),
        "passes": list(PatientPass.objects.order_by("pk").values_list("pk", "label", "revoked_at")),
        "submissions": FormSubmission.objects.count(),
    }


@pytest.fixture
def site(demo_content, settings):
    settings.MEMBERS_ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    passwords._hasher.cache_clear()
    passwords.current(now=timezone.now())
    yield
    passwords._hasher.cache_clear()


@pytest.fixture
def staff(site):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("fuzz-boss", "boss@example.org", "unused-pw-123"))
    return client


@pytest.fixture
def appointment(site):
    service = Service.objects.get(slug="initial-evaluation")
    slot = find_slots(service=service)[0]
    booked = booking.book(
        service=service.slug,
        start=slot.start,
        practitioner=slot.practitioner,
        name="Fuzz Patient",
        email="fuzz@example.org",
        consent=True,
    )
    return booked


def error_messages(response):
    return [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def forget_messages(client):
    """Messages of earlier examples are never displayed, so they pile up: drop them."""
    client.cookies.pop("messages", None)
    if "_messages" in client.session:
        session = client.session
        del session["_messages"]
        session.save()


@FUZZ
@given(data=form_data(["secret", "next", "csrfmiddlewaretoken", "code"]))
def test_members_gate(site, data):
    client = Client(REMOTE_ADDR=next(addresses))
    before = snapshot()
    response = client.post("/members/-/enter/", data)
    assert response.status_code < 500
    assert response.status_code in (400, 403, 429)  # a random string is never the password
    assert response["Cache-Control"] == "private, no-store" or "no-store" in response["Cache-Control"]
    assert not any(key.startswith("members") for key in client.session.keys())  # noqa: SIM118 - SessionBase is not iterable
    assert snapshot()["passwords"] == before["passwords"]


@FUZZ
@given(
    data=form_data(["your_name", "your_email", "your_message", "website"]),
    email=st.one_of(st.none(), st.text(max_size=40).filter(lambda s: "@" not in s)),
)
def test_contact_form(site, data, email):
    if email is not None:
        data["your_email"] = email  # never an address: must be refused
    client = Client(REMOTE_ADDR=next(addresses))
    before = snapshot()
    response = client.post("/contact/", data)
    assert response.status_code < 500
    after = snapshot()
    if email is not None or response.status_code >= 400 or data.get("website"):
        assert email is None or response.status_code >= 400 or data.get("website")
        assert after == before
    else:
        assert response.status_code == 200
        assert after["submissions"] == before["submissions"] + 1
        assert after["outbox"] == before["outbox"] + 1


@FUZZ
@given(data=form_data(["action", "start", "day"]), move=st.booleans())
def test_patient_manage_and_move(appointment, data, move):
    client = Client(REMOTE_ADDR=next(addresses))
    token = appointment.manage_token
    before = snapshot()
    path = f"/appointments/manage/{token}/move/" if move else f"/appointments/manage/{token}/"
    response = client.post(path, data)
    assert response.status_code < 500
    if response.status_code >= 400 or (not move and data.get("action") != "cancel"):
        assert snapshot()["appointments"] == before["appointments"]
    restore(appointment.appointment)


def restore(original):
    """Undo an accepted change so the next example starts from the same appointment."""
    Appointment.objects.filter(pk=original.pk).update(
        status=Appointment.Status.CONFIRMED,
        start=original.start,
        end=original.end,
        blocked_until=original.blocked_until,
    )


@FUZZ
@given(data=form_data(["grace_days", "generation", "confirm"]))
def test_staff_rotate(staff, data):
    from members.forms import RotateForm

    before = snapshot()
    generation = SharedPassword.objects.get(replaced_at__isnull=True).generation
    form = RotateForm(data)
    expected = form.is_valid() and form.cleaned_data["generation"] == generation
    forget_messages(staff)
    response = staff.post(reverse("members_admin:rotate"), data)
    assert response.status_code < 500
    after = SharedPassword.objects.get(replaced_at__isnull=True).generation
    assert after == (generation + 1 if expected else generation)
    if not expected:
        assert snapshot()["passwords"] == before["passwords"]


@FUZZ
@given(data=form_data(["label", "valid_until"]))
def test_staff_issue_pass(staff, data):
    before = snapshot()
    response = staff.post(reverse("members_admin:issue_pass"), data)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert snapshot()["passes"] == before["passes"]
    else:
        assert len(snapshot()["passes"]) == len(before["passes"]) + 1


@FUZZ
@given(pass_id=st.integers(min_value=-5, max_value=10**6), data=form_data(["confirm"]))
def test_staff_revoke_pass(staff, pass_id, data):
    before = snapshot()
    if pass_id < 0:
        response = staff.post(f"/admin/members-access/passes/{pass_id}/revoke/", data)
        assert response.status_code == 404
    else:
        response = staff.post(reverse("members_admin:revoke_pass", args=[pass_id]), data)
        assert response.status_code < 500
    assert snapshot()["passes"] == before["passes"]  # no such pass


@FUZZ
@given(appointment_id=st.integers(min_value=0, max_value=10**6), data=form_data(["confirm"]))
def test_staff_give_care_pass(staff, appointment, appointment_id, data):
    before = snapshot()
    response = staff.post(reverse("members_admin:give_care_pass", args=[appointment_id]), data)
    assert response.status_code < 500
    if appointment_id != appointment.appointment.pk:
        assert snapshot()["passes"] == before["passes"]  # no such appointment: nothing made


@FUZZ
@given(
    view=st.sampled_from(["action", "move", "undo_cancel", "cancel_rest", "slip"]),
    data=form_data(["action", "start", "confirm"]),
    method=st.sampled_from(["get", "post"]),
)
def test_staff_appointment_action_and_move(staff, appointment, view, data, method):
    pk = appointment.appointment.pk
    before = snapshot()
    forget_messages(staff)
    response = getattr(staff, method)(reverse(f"appointments_admin:{view}", args=[pk]), data)
    assert response.status_code < 500
    if method == "get":  # asking (the cancel/decline confirmation) never changes anything
        assert snapshot()["appointments"] == before["appointments"]
    if error_messages(response) or response.status_code >= 400:
        assert snapshot()["appointments"] == before["appointments"]
    restore(appointment.appointment)


@FUZZ
@given(
    data=form_data(["email", "phone", "name", "confirm", "format", "date", "view", "practitioner", "status", "do"]),
    target=st.sampled_from(["patient_data", "patient_delete", "calendar", "feeds"]),
    method=st.sampled_from(["get", "post"]),
)
def test_staff_patient_data_calendar_and_feeds(staff, appointment, data, target, method):
    before = snapshot()
    response = getattr(staff, method)(reverse(f"appointments_admin:{target}"), data)
    assert response.status_code < 500
    deleting = target == "patient_delete" and method == "post" and data.get("confirm") == "yes"
    if not (deleting and data.get("email", "").strip().lower() == "fuzz@example.org"):
        assert snapshot()["appointments"] == before["appointments"]


@FUZZ
@given(
    data=form_data(
        ["service", "practitioner", "start", "name", "phone", "email", "repeat_count", "repeat_weeks", "note",
         "outside_hours_ok", "day", "date", "appointment"]
    ),
    target=st.sampled_from(["book", "day_sheet"]),
    method=st.sampled_from(["get", "post"]),
)  # fmt: skip
def test_staff_book_for_a_patient_and_day_sheet(staff, appointment, data, target, method):
    before = snapshot()
    response = getattr(staff, method)(reverse(f"appointments_admin:{target}"), data)
    assert response.status_code < 500
    if method == "get" or response.status_code >= 400:
        assert snapshot()["appointments"] == before["appointments"]


@FUZZ
@given(
    data=form_data(["token", "otp_token", "code", "enrolment_code"]),
    path=st.sampled_from(["/admin/2fa/verify/", "/admin/2fa/enrol/"]),
)
def test_staff_two_factor_forms(staff, data, path):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    confirmed = TOTPDevice.objects.filter(confirmed=True).count()
    response = staff.post(path, data)
    assert response.status_code < 500
    assert TOTPDevice.objects.filter(confirmed=True).count() == confirmed  # a random code never enrols


def test_every_staff_form_url_is_covered():
    """The staff URL names fuzzed above (or read-only): a new staff view in either app fails this."""
    from django.urls import get_resolver

    names = set()
    for namespace in ("members_admin", "appointments_admin"):
        _prefix, resolver = get_resolver().namespace_dict[namespace]
        names |= {f"{namespace}:{key}" for key in resolver.reverse_dict if isinstance(key, str)}
    fuzzed_or_read_only = {
        "members_admin:index",
        "members_admin:rotate",
        "members_admin:password_card",
        "members_admin:issue_pass",
        "members_admin:pass_card",
        "members_admin:revoke_pass",
        "members_admin:give_care_pass",
        "appointments_admin:calendar",
        "appointments_admin:detail",
        "appointments_admin:action",
        "appointments_admin:move",
        "appointments_admin:patient_data",
        "appointments_admin:patient_delete",
        "appointments_admin:feeds",
        "appointments_admin:book",
        "appointments_admin:day_sheet",
        "appointments_admin:slip",
        "appointments_admin:undo_cancel",
        "appointments_admin:cancel_rest",
    }
    assert len(names) >= 10 and names <= fuzzed_or_read_only, names - fuzzed_or_read_only


def test_the_snapshot_notices_every_kind_of_write(staff, appointment):
    """snapshot() is what every fuzz test compares: each write it guards must change it."""
    from members import passes

    before = snapshot()
    now = timezone.now()
    passes.issue(label="chart 1", valid_until=now + dt.timedelta(days=1), now=now, user=None)
    passwords.rotate_now(now=now, grace=dt.timedelta(0))
    booking.change_status(appointment=appointment.appointment, action="cancel")
    after = snapshot()
    for key in ("appointments", "outbox", "passwords", "passes"):
        assert after[key] != before[key], key
    assert (
        Client(REMOTE_ADDR="203.0.113.9")
        .post("/contact/", {"your_name": "A", "your_email": "a@example.org", "your_message": "Hello"})
        .status_code
        == 200
    )
    assert snapshot()["submissions"] == before["submissions"] + 1


@pytest.mark.parametrize("start", ["0001-01-01T00:00", "9999-12-31T23:59", "2000-01-01T10:00"])
def test_staff_move_refuses_a_time_that_cannot_be_meant(staff, appointment, start):
    """Found by the fuzz above: the staff move accepted year 1 and emailed the patient about it."""
    pk = appointment.appointment.pk
    before = snapshot()
    response = staff.post(reverse("appointments_admin:move", args=[pk]), {"start": start})
    assert response.status_code == 302
    assert [m.message for m in error_messages(response)] == ["Choose a time between yesterday and a year from now."]
    assert snapshot() == before
