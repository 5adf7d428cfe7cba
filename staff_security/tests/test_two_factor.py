import time

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff_security import enrolment

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("editor", "editor@clinic.example", PASSWORD)


@pytest.fixture
def required(settings):
    settings.STAFF_2FA_REQUIRED = True


def code_for(device: TOTPDevice, *, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def wagtail_login(client, password=PASSWORD):
    return client.post("/admin/login/", {"username": "editor", "password": password})


def issue_code(user) -> str:
    import datetime

    return enrolment.issue(user=user, now=datetime.datetime.now(datetime.UTC)).code


def give_code(client, code: str, next_url: str = "/admin/"):
    return client.post("/admin/2fa/enrol/", {"enrolment_code": code, "next": next_url})


def test_with_2fa_off_a_password_is_enough(client, staff, settings):
    settings.STAFF_2FA_REQUIRED = False
    wagtail_login(client)
    assert client.get("/admin/").status_code == 200


def test_first_login_leads_to_enrolment_and_a_correct_code_opens_the_admin(client, staff, required):
    response = wagtail_login(client)
    assert response.status_code == 302
    response = client.get("/admin/pages/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/2fa/enrol/?next=%2Fadmin%2Fpages%2F")

    asked = client.get(response["Location"])
    assert asked.status_code == 200 and b'name="enrolment_code"' in asked.content
    accepted = give_code(client, issue_code(staff), next_url="/admin/pages/")
    assert accepted.status_code == 302 and accepted["Location"].startswith("/admin/2fa/enrol/?next=%2Fadmin%2Fpages%2F")
    page = client.get(accepted["Location"])
    assert page.status_code == 200
    assert b'src="/admin/2fa/enrol/qr.svg"' in page.content
    qr = client.get("/admin/2fa/enrol/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.lstrip().startswith(b"<?xml") or b"<svg" in qr.content[:200]
    assert "no-store" in qr["Cache-Control"] or "max-age=0" in qr["Cache-Control"]

    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed is False
    assert device.config_url.startswith("otpauth://totp/")

    wrong = client.post("/admin/2fa/enrol/", {"token": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert b'aria-invalid="true"' in wrong.content
    assert client.get("/admin/").status_code == 302

    # A failure starts django-otp's back-off (1 s, doubling); a later right code is accepted.
    with time_machine.travel(time.time() + 5, tick=False):
        right = client.post("/admin/2fa/enrol/", {"token": code_for(device), "next": "/admin/pages/"})
    assert right.status_code == 302 and right["Location"] == "/admin/pages/"
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/admin/").status_code == 200


def test_later_logins_must_verify_a_code(client, staff, required):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    wagtail_login(client)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/2fa/verify/")
    # Enrolling another device is not a way around verification.
    assert client.get("/admin/2fa/enrol/")["Location"].startswith("/admin/2fa/verify/")
    assert client.get("/django-admin/").status_code == 302
    # The icon sprite the two-factor page itself loads is not redirected.
    assert client.get("/admin/sprite/").status_code == 200

    assert client.post("/admin/2fa/verify/", {"token": "12ab"}).status_code == 400
    ok = client.post("/admin/2fa/verify/", {"token": code_for(device), "next": "https://evil.example/"})
    assert ok.status_code == 302 and ok["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_code_cannot_be_replayed_in_another_session(client, staff, required, django_user_model):
    from django.test import Client

    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    code = code_for(device)
    wagtail_login(client)
    assert client.post("/admin/2fa/verify/", {"token": code}).status_code == 302

    other = Client()
    wagtail_login(other)
    assert other.post("/admin/2fa/verify/", {"token": code}).status_code == 400
    assert other.get("/admin/").status_code == 302


def test_wrong_codes_are_throttled(client, staff, required):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    wagtail_login(client)
    start = time.time()
    with time_machine.travel(start, tick=False):
        client.post("/admin/2fa/verify/", {"token": "999999" if code_for(device) != "999999" else "888888"})
        # django-otp's back-off now refuses even the right code for a while...
        assert client.post("/admin/2fa/verify/", {"token": code_for(device)}).status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # ...and accepts it once the back-off has passed.
    with time_machine.travel(start + 3, tick=False):
        assert client.post("/admin/2fa/verify/", {"token": code_for(device)}).status_code == 302


def test_anonymous_visitors_still_get_the_ordinary_login_page(client, db, required):
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/").status_code == 200


def test_reset_command_removes_devices_and_prints_the_code_the_user_enrols_with(client, staff, required):
    import io

    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    out = io.StringIO()
    call_command("staff_2fa_reset", "editor", stdout=out)
    assert not TOTPDevice.objects.filter(user=staff).exists()
    code = out.getvalue().strip().splitlines()[-1]
    assert enrolment.looks_like_code(code) and "in person or by phone" in out.getvalue()
    wagtail_login(client)
    assert client.get("/admin/")["Location"].startswith("/admin/2fa/enrol/")
    # The password alone no longer sets up a phone; the printed code does.
    assert b"qr.svg" not in client.get("/admin/2fa/enrol/").content
    assert give_code(client, code).status_code == 302
    assert b"qr.svg" in client.get("/admin/2fa/enrol/").content


def test_axes_locks_the_login_after_repeated_failures_even_with_the_right_password(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = wagtail_login(client, password="wrong password " + str(time.time()))
        assert response.status_code == 200  # the form again, with an error
    assert wagtail_login(client, password="wrong again").status_code == 429  # the limit-th failure locks
    locked = wagtail_login(client)
    assert locked.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_enrolment_shows_the_key_in_groups_and_a_link_for_enrolling_on_the_phone_itself(client, staff, required):
    """The key used to hide behind an unmarked "Can't scan?" line; on a phone the QR code cannot be scanned."""
    import base64
    import html

    wagtail_login(client)
    give_code(client, issue_code(staff))
    page = client.get("/admin/2fa/enrol/").content.decode()
    device = TOTPDevice.objects.get(user=staff)
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    grouped = " ".join(key[i : i + 4] for i in range(0, len(key), 4))
    assert f">{grouped}</code>" in page and "<details" not in page
    assert device.config_url.startswith("otpauth://totp/")
    assert f'href="{html.escape(device.config_url)}"' in page
