"""Two-factor enrolment needs a one-time code an administrator handed over, not the password alone.

Before: whoever signed in first with a new or reset account's password enrolled their own phone
and owned the account (issue 13, item 5).
"""

import datetime
import io
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import ModelLogEntry

from staff_security import enrolment
from staff_security.models import EnrolmentCode

from .test_two_factor import PASSWORD, code_for, give_code, issue_code, wagtail_login

INDEX = "/admin/staff-sign-in/"
T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def staff(db, settings):
    settings.STAFF_2FA_REQUIRED = True
    user = get_user_model().objects.create_user("editor", "editor@clinic.example", PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return user


@pytest.fixture
def boss(db):
    return get_user_model().objects.create_superuser("boss", "boss@clinic.example", "boss-password-123")


def shown_code(response) -> str:
    return re.search(r'<code class="staff-enrolment-code"[^>]*>([^<]+)</code>', response.content.decode()).group(1)


def test_the_password_alone_cannot_set_up_a_phone(client, staff):
    wagtail_login(client)
    page = client.get("/admin/2fa/enrol/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="enrolment_code"' in html and "qr.svg" not in html and "otpauth://" not in html
    assert client.get("/admin/2fa/enrol/qr.svg").status_code == 404
    # A token posted straight away confirms nothing: there is no device to confirm.
    assert client.post("/admin/2fa/enrol/", {"token": "123456"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert client.get("/admin/")["Location"].startswith("/admin/2fa/enrol/")


@pytest.mark.parametrize("case", ["malformed", "wrong", "someone else's", "expired", "replaced"])
def test_only_the_accounts_own_live_code_is_accepted(client, staff, boss, case):
    with time_machine.travel(T0, tick=False):
        code = enrolment.issue(user=staff, now=T0).code
        if case == "malformed":
            code = "12345"
        elif case == "wrong":
            code = "0000-0000-0000-0000" if code != "0000-0000-0000-0000" else "1111-1111-1111-1111"
        elif case == "someone else's":
            code = enrolment.issue(user=boss, now=T0).code
        elif case == "replaced":
            enrolment.issue(user=staff, now=T0)
    moment = T0 + datetime.timedelta(hours=73 if case == "expired" else 1)
    with time_machine.travel(moment, tick=False):
        wagtail_login(client)
        refused = give_code(client, code)
    assert refused.status_code == 400
    assert b'aria-invalid="true"' in refused.content
    assert "qr.svg" not in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=staff).exists()


def test_the_code_is_used_up_by_the_confirmed_phone_and_stored_only_as_a_digest(client, staff):
    code = issue_code(staff)
    stored = EnrolmentCode.objects.get(user=staff)
    assert enrolment.normalise(code) not in stored.code_digest and len(stored.code_digest) == 64
    wagtail_login(client)
    # Typed as people type: lower case, spaces, an O for a zero.
    assert give_code(client, code.lower().replace("-", " ").replace("0", "o")).status_code == 302
    assert b"qr.svg" in client.get("/admin/2fa/enrol/").content
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    done = client.post("/admin/2fa/enrol/", {"token": code_for(device), "next": "/admin/"})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    stored.refresh_from_db()
    assert stored.used_at is not None
    # After a reset, the same code does not work a second time.
    TOTPDevice.objects.filter(user=staff).delete()
    again = Client()
    wagtail_login(again)
    assert give_code(again, code).status_code == 400


def test_a_code_replaced_while_the_phone_is_being_set_up_confirms_nothing(client, staff):
    wagtail_login(client)
    give_code(client, issue_code(staff))
    client.get("/admin/2fa/enrol/")
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    issue_code(staff)  # an administrator issues a new one meanwhile (the old one stops working)
    response = client.post("/admin/2fa/enrol/", {"token": code_for(device)}, follow=True)
    assert "was replaced or has expired" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    assert client.get("/admin/")["Location"].startswith("/admin/2fa/enrol/")


def test_a_secret_seen_before_the_code_was_accepted_is_never_the_one_confirmed(client, staff):
    old = TOTPDevice.objects.create(user=staff, name="left over", confirmed=False)
    wagtail_login(client)
    give_code(client, issue_code(staff))
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


def test_an_administrator_issues_a_code_shown_once_and_audited(client, staff, boss, settings):
    settings.STAFF_2FA_REQUIRED = False  # the administrator's own second factor is not what is tested
    client.force_login(boss)
    listing = client.get(INDEX).content.decode()
    assert "Issue enrolment code for editor" in listing
    question = client.get(f"{INDEX}{staff.pk}/enrolment-code/")
    assert question.status_code == 200 and not EnrolmentCode.objects.exists()
    response = client.post(f"{INDEX}{staff.pk}/enrolment-code/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    code = shown_code(response)
    assert enrolment.looks_like_code(code)
    assert "Valid until" in response.content.decode() and "/admin/login/" in response.content.decode()
    assert "enrolment code issued, valid until" in client.get(INDEX).content.decode()
    assert code not in client.get(INDEX).content.decode()
    entry = ModelLogEntry.objects.get(action="staff_security.issue_enrolment_code")
    assert entry.user_id == boss.pk and code not in str(entry.data)

    settings.STAFF_2FA_REQUIRED = True
    colleague = Client()
    wagtail_login(colleague)
    assert give_code(colleague, code).status_code == 302


def test_no_code_for_an_account_that_already_has_a_phone(client, staff, boss, settings):
    settings.STAFF_2FA_REQUIRED = False
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(boss)
    response = client.post(f"{INDEX}{staff.pk}/enrolment-code/", follow=True)
    assert "already has an authenticator app" in response.content.decode()
    assert not EnrolmentCode.objects.exists()
    with pytest.raises(CommandError, match="staff_2fa_reset editor"):
        call_command("staff_2fa_enrolment_code", "editor", stdout=io.StringIO())


def test_user_administrators_help_colleagues_but_not_administrators(client, staff, boss, settings):
    settings.STAFF_2FA_REQUIRED = False
    helper = get_user_model().objects.create_user("helper", password="helper-password-123")
    helper.user_permissions.add(
        Permission.objects.get(codename="access_admin"), Permission.objects.get(codename="change_user")
    )
    client.force_login(helper)
    assert "Staff sign-in" in client.get("/admin/").content.decode()
    assert client.post(f"{INDEX}{staff.pk}/enrolment-code/").status_code == 200
    # Wagtail answers PermissionDenied with a redirect to the dashboard.
    assert client.post(f"{INDEX}{boss.pk}/enrolment-code/")["Location"] == "/admin/"
    assert client.post(f"{INDEX}{boss.pk}/reset-two-factor/")["Location"] == "/admin/"
    assert not EnrolmentCode.objects.filter(user=boss).exists()
    assert "Issue enrolment code for boss" not in client.get(INDEX).content.decode()


def test_the_command_prints_a_code_for_a_new_account_on_its_last_line(client, staff):
    out = io.StringIO()
    call_command("staff_2fa_enrolment_code", "editor", stdout=out)
    code = out.getvalue().strip().splitlines()[-1]
    assert enrolment.looks_like_code(code)
    wagtail_login(client)
    assert give_code(client, code).status_code == 302
    with pytest.raises(CommandError, match="No user named"):
        call_command("staff_2fa_enrolment_code", "nobody", stdout=io.StringIO())
