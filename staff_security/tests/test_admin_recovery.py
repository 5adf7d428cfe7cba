"""Settings → Staff sign-in: an administrator resets a lost phone or lifts a lockout without a shell."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import ModelLogEntry

INDEX = "/admin/staff-sign-in/"
PASSWORD = "reception-password-123"


@pytest.fixture
def boss(db):
    return get_user_model().objects.create_superuser("boss", "boss@clinic.example", "boss-password-123")


@pytest.fixture
def reception(db):
    user = get_user_model().objects.create_user("reception", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Reception"))
    return user


def test_only_administrators_see_the_page(client, boss, reception):
    client.force_login(reception)
    assert "Staff sign-in" not in client.get("/admin/").content.decode()
    assert client.get(INDEX)["Location"] == "/admin/"  # Wagtail's answer to PermissionDenied
    TOTPDevice.objects.create(user=reception, name="phone", confirmed=True)
    assert client.post(f"{INDEX}{reception.pk}/reset-two-factor/").status_code == 302
    assert TOTPDevice.objects.filter(user=reception).exists()
    client.force_login(boss)
    assert "Staff sign-in" in client.get("/admin/").content.decode()
    assert client.get(INDEX).status_code == 200


def test_lost_phone_reset_asks_first_then_the_colleague_enrols_again(client, boss, reception, settings):
    TOTPDevice.objects.create(user=reception, name="phone", confirmed=True)
    client.force_login(boss)
    page = client.get(INDEX).content.decode()
    assert "Reset two-factor for reception" in page
    question = client.get(f"{INDEX}{reception.pk}/reset-two-factor/")
    assert question.status_code == 200 and "Reset two-factor authentication for <strong>reception</strong>?" in (
        question.content.decode()
    )
    assert TOTPDevice.objects.filter(user=reception).exists()  # asking changed nothing
    done = client.post(f"{INDEX}{reception.pk}/reset-two-factor/")
    assert "Two-factor authentication reset for reception" in done.content.decode()
    assert "no-store" in done["Cache-Control"]
    code = re.search(r'<code class="staff-enrolment-code"[^>]*>([^<]+)</code>', done.content.decode()).group(1)
    assert not TOTPDevice.objects.filter(user=reception).exists()
    entry = ModelLogEntry.objects.get(action="staff_security.reset_two_factor")
    assert entry.user_id == boss.pk and entry.object_id == str(reception.pk)
    settings.STAFF_2FA_REQUIRED = True
    colleague = client.__class__()
    colleague.post("/admin/login/", {"username": "reception", "password": PASSWORD})
    assert colleague.get("/admin/")["Location"].startswith("/admin/2fa/enrol/")
    assert colleague.post("/admin/2fa/enrol/", {"enrolment_code": code}).status_code == 302
    assert b"qr.svg" in colleague.get("/admin/2fa/enrol/").content


def test_a_locked_out_colleague_sees_what_to_do_and_an_administrator_unlocks_them(client, boss, reception, settings):
    locked = client.__class__()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = locked.post("/admin/login/", {"username": "reception", "password": "wrong"})
    assert response.status_code == 429
    text = response.content.decode()
    assert "<html" in text and "Sign-in locked for now" in text and "Settings → Staff sign-in" in text
    assert locked.post("/admin/login/", {"username": "reception", "password": PASSWORD}).status_code == 429
    client.force_login(boss)
    page = client.get(INDEX).content.decode()
    assert "Locked: too many wrong passwords" in page and "Unlock reception" in page
    assert client.post(f"{INDEX}{reception.pk}/unlock/").status_code == 302
    assert "Locked: too many wrong passwords" not in client.get(INDEX).content.decode()
    assert locked.post("/admin/login/", {"username": "reception", "password": PASSWORD}).status_code == 302
    assert ModelLogEntry.objects.filter(action="staff_security.unlock", user=boss).exists()


def test_unknown_or_malformed_accounts_are_404s(client, boss):
    client.force_login(boss)
    assert client.post(f"{INDEX}999999/unlock/").status_code == 404
    assert client.get(f"{INDEX}999999/reset-two-factor/").status_code == 404
    assert client.get(f"{INDEX}{boss.pk}/unlock/").status_code == 405


def test_failures_for_one_username_from_many_addresses_lock_it_within_the_hour(client, boss, reception, settings):
    """axes counted per (username, address) only: every new address had a fresh allowance."""
    import datetime

    import time_machine
    from django.test import Client

    settings.AXES_USERNAME_FAILURE_LIMIT = 6
    start = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
            for _ in range(2):  # below the per-address limit (5) everywhere
                wrong = Client(REMOTE_ADDR=address).post("/admin/login/", {"username": "reception", "password": "x"})
                assert wrong.status_code in (200, 429)
        refused = Client(REMOTE_ADDR="198.51.100.9").post(
            "/admin/login/", {"username": "reception", "password": PASSWORD}
        )
        assert refused.status_code == 429 and "Sign-in locked for now" in refused.content.decode()
        # Other accounts are not affected.
        other = Client(REMOTE_ADDR="198.51.100.9").post(
            "/admin/login/", {"username": "boss", "password": "boss-password-123"}
        )
        assert other.status_code == 302
        client.force_login(boss)
        assert "Unlock reception" in client.get(INDEX).content.decode()
    # The bound is hourly: an hour after the last failure the account opens again.
    with time_machine.travel(start + datetime.timedelta(minutes=61), tick=False):
        again = Client(REMOTE_ADDR="198.51.100.9").post(
            "/admin/login/", {"username": "reception", "password": PASSWORD}
        )
        assert again.status_code == 302


def test_an_administrator_lifts_a_lock_from_many_addresses(client, boss, reception, settings):
    from django.test import Client

    settings.AXES_USERNAME_FAILURE_LIMIT = 4
    for i in range(4):
        Client(REMOTE_ADDR=f"192.0.2.{i}").post("/admin/login/", {"username": "reception", "password": "x"})
    login = {"username": "reception", "password": PASSWORD}
    assert Client(REMOTE_ADDR="198.51.100.9").post("/admin/login/", login).status_code == 429
    client.force_login(boss)
    assert client.post(f"{INDEX}{reception.pk}/unlock/").status_code == 302
    assert Client(REMOTE_ADDR="198.51.100.9").post("/admin/login/", login).status_code == 302
