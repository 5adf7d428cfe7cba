"""Integration tests: the staff "Members access" screen, permissions, audit log, cards and the command."""

import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from wagtail.models import ModelLogEntry

from members import passes, passwords
from members.models import PatientPass, SharedPassword

from .conftest import enter, plain

INDEX = "/admin/members-access/"


@pytest.mark.django_db
def test_reception_group_has_the_members_permissions_and_not_page_editing(reception_user):
    codenames = set(Group.objects.get(name="Reception").permissions.values_list("codename", flat=True))
    assert {"view_members_password", "rotate_members_password", "manage_passes", "access_admin"} <= codenames
    assert not reception_user.has_perm("wagtailcore.change_page")


@pytest.mark.django_db
def test_screen_needs_a_members_permission(client, editor_user, reception_user, members):
    client.force_login(editor_user)
    denied = client.get(INDEX)  # Wagtail turns PermissionDenied into a redirect with a message
    assert denied.status_code == 302 and denied["Location"] == "/admin/"
    assert "Members access" not in client.get("/admin/").text
    client.force_login(reception_user)
    assert "Members access" in client.get("/admin/").text
    response = client.get(INDEX)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    current = passwords.current(now=datetime.datetime.now(datetime.UTC))
    assert plain(current) in response.text
    assert "Days left" in response.text and "Rotate now" in response.text and "Print card" in response.text
    assert "The last 30 days" in response.text


@pytest.mark.django_db
def test_seeing_the_password_and_issuing_passes_are_separate_permissions(client, members):
    user = User.objects.create_user("passes-only")
    user.user_permissions.add(
        *Group.objects.get(name="Reception").permissions.exclude(codename="view_members_password")
    )
    client.force_login(user)
    response = client.get(INDEX)
    current = passwords.current(now=datetime.datetime.now(datetime.UTC))
    assert response.status_code == 200 and plain(current) not in response.text
    assert "Personal patient passes" in response.text
    denied = client.get(INDEX + "card/")
    assert denied.status_code == 302 and denied["Location"] == "/admin/"


@pytest.mark.django_db
def test_rotate_now_needs_confirmation_and_is_audited(client, reception_user, members):
    client.force_login(reception_user)
    old = passwords.current(now=datetime.datetime.now(datetime.UTC))
    refused = client.post(INDEX + "rotate/", {"grace_days": 0, "generation": old.generation})
    assert refused.status_code == 302 and SharedPassword.objects.count() == 1
    done = client.post(INDEX + "rotate/", {"grace_days": 0, "generation": old.generation, "confirm": "on"})
    assert done.status_code == 302 and SharedPassword.objects.count() == 2
    again = client.post(INDEX + "rotate/", {"grace_days": 0, "generation": old.generation, "confirm": "on"})
    assert again.status_code == 302 and SharedPassword.objects.count() == 2  # a double submit rotates once
    entry = ModelLogEntry.objects.get(action="members.rotate_password")
    assert entry.user == reception_user and entry.data["grace_days"] == 0
    assert plain(passwords.current(now=datetime.datetime.now(datetime.UTC))) not in str(entry.data)
    assert client.get("/admin/members-access/rotate/").status_code == 405


@pytest.mark.django_db
def test_print_card_has_clinic_url_qr_password_and_validity(client, reception_user, members):
    client.force_login(reception_user)
    response = client.get(INDEX + "card/")
    assert response.status_code == 200
    html = response.text
    current = passwords.current(now=datetime.datetime.now(datetime.UTC))
    assert plain(current) in html
    assert "Demo Manual Therapy Clinic" in html and "http://testserver/members/" in html
    assert "<svg" in html and "<?xml" not in html and "members/card.css" in html
    assert "Valid until" in html


@pytest.mark.django_db
def test_issue_print_and_revoke_a_pass_with_audit(client, reception_user, members):
    client.force_login(reception_user)
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    issued = client.post(INDEX + "passes/issue/", {"label": "Chart 1042", "valid_until": tomorrow})
    item = PatientPass.objects.get()
    assert issued.status_code == 302 and issued["Location"] == f"{INDEX}passes/{item.pk}/card/"
    card = client.get(issued["Location"])
    code = passes.code_of(item)
    assert code in card.text and "Chart 1042" in card.text
    patient = client.__class__()
    assert enter(patient, code, "/members/").status_code == 302
    assert patient.get("/members/").status_code == 200
    listing = client.get(INDEX).text
    assert "Chart 1042" in listing and code not in listing  # codes are shown only on the card
    # The screen's Revoke button asks first; only the confirmation's POST revokes.
    assert f'href="{INDEX}passes/{item.pk}/revoke/"' in listing
    question = client.get(f"{INDEX}passes/{item.pk}/revoke/")
    assert question.status_code == 200 and "Revoke the pass for <strong>Chart 1042</strong>?" in question.text
    assert "no-store" in question["Cache-Control"] and 'method="post"' in question.text
    assert patient.get("/members/").status_code == 200  # asking changed nothing
    revoked = client.post(f"{INDEX}passes/{item.pk}/revoke/")
    assert revoked.status_code == 302
    assert client.get(f"{INDEX}passes/{item.pk}/revoke/")["Location"] == INDEX  # nothing left to confirm
    assert patient.get("/members/").status_code == 403
    actions = list(ModelLogEntry.objects.filter(user=reception_user).values_list("action", flat=True))
    assert "members.issue_pass" in actions and "members.revoke_pass" in actions


@pytest.mark.django_db
def test_bad_pass_input_is_a_400_and_saves_nothing(client, reception_user, members):
    client.force_login(reception_user)
    past = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    for data in (
        {"label": "", "valid_until": past},
        {"label": "x", "valid_until": "not a date"},
        {"label": "x", "valid_until": past},
    ):
        assert client.post(INDEX + "passes/issue/", data).status_code == 400
    assert not PatientPass.objects.exists()


@pytest.mark.django_db
def test_daily_counts_show_on_the_screen(client, reception_user, members):
    passwords.current(now=datetime.datetime.now(datetime.UTC))
    enter(client.__class__(), "wrong-words-here-00")
    client.force_login(reception_user)
    html = client.get(INDEX).text
    assert "<td>0</td><td>1</td><td>0</td>" in html.replace("\n", "")


@pytest.mark.django_db
def test_command_prints_password_last_rotates_and_shows_status(members):
    def run(*args) -> list[str]:
        out = io.StringIO()
        call_command("members_password", *args, stdout=out)
        return out.getvalue().strip().splitlines()

    first = run()[-1]
    assert first == plain(passwords.current(now=datetime.datetime.now(datetime.UTC)))
    rotated = run("--rotate", "--grace-days", "0")
    assert rotated[-1] != first and rotated[-1] == plain(passwords.current(now=datetime.datetime.now(datetime.UTC)))
    status = run("--status")
    assert status[-1] == rotated[-1]
    assert any(line.startswith("Valid until") for line in status) and any("grace" in line for line in status)
    assert ModelLogEntry.objects.filter(action="members.rotate_password").count() == 1
    assert run("--reencrypt")[-1].startswith("Re-encrypted 2")


@pytest.mark.django_db
def test_the_screen_shows_the_site_wide_limit_and_who_still_gets_in(client, reception_user, members, settings):
    """The admins' alert email goes nowhere without ADMIN_EMAILS; reception must see it where they work."""
    from django.test import Client

    settings.MEMBERS_THROTTLE = {"SITE_FAILURES": 3}
    client.force_login(reception_user)
    calm = " ".join(client.get(INDEX).text.split())
    assert "New devices cannot enter" not in calm and "Not reached: everyone may try" in calm
    assert "0 of 3 allowed in 10 minutes" in calm
    for i in range(3):
        enter(Client(REMOTE_ADDR=f"192.0.2.{i}"), "wrong-words-here-00")
    assert (
        enter(
            Client(REMOTE_ADDR="192.0.2.50"), plain(passwords.current(now=datetime.datetime.now(datetime.UTC)))
        ).status_code
        == 429
    )
    screen = " ".join(client.get(INDEX).text.split())
    assert "New devices cannot enter with the members password right now." in screen and "more minute" in screen
    assert "Reached: refusing new devices" in screen and "3 of 3 allowed in 10 minutes" in screen
    # The screen says who still gets in, so reception knows what to tell a patient on the phone.
    assert "can still get in" in screen and "personal pass code" in screen


@pytest.mark.django_db
def test_the_pass_form_fills_its_date_in_the_format_a_date_input_takes(client, reception_user, members):
    """<input type="date"> accepts only yyyy-mm-dd; the en-gb default (28/02/2027) showed an empty field."""
    import re

    from django.utils import timezone

    client.force_login(reception_user)
    field = re.search(r'<input type="date" name="valid_until" value="([^"]*)"', client.get(INDEX).text)
    assert field and field.group(1) == (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
