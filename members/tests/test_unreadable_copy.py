"""When the keys no longer open the stored copy of the members password (a key changed, or the
database moved between settings): plain words and Rotate now, never a cryptography traceback."""

import datetime
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from members import passes, passwords

from .conftest import enter

INDEX = "/admin/members-access/"


def now():
    return datetime.datetime.now(datetime.UTC)


@pytest.fixture
def lost_key(members, settings):
    """A password (and a pass) encrypted under one key, then the settings carry only another."""
    plain = passwords.decrypt(passwords.current(now=now()).password_encrypted)
    item, code = passes.issue(label="A-1", valid_until=now() + datetime.timedelta(days=30), now=now())
    settings.MEMBERS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    return plain, item, code


def run(*args) -> str:
    out = io.StringIO()
    call_command("members_password", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_says_plainly_that_the_copy_cannot_be_read_and_how_to_rotate(lost_key, client):
    plain, _item, code = lost_key
    with pytest.raises(CommandError) as refused:
        run()
    message = str(refused.value)
    assert "cannot be read with the current keys" in message
    assert "still works at the gate" in message
    assert "manage.py members_password --rotate" in message
    # The status lines still come out before the refusal.
    status = io.StringIO()
    with pytest.raises(CommandError):
        call_command("members_password", "--status", stdout=status)
    assert "Valid until" in status.getvalue()
    # What the message promises: the password and the pass still open the members area.
    assert enter(client, plain).status_code == 302
    assert enter(client.__class__(), code).status_code == 302


@pytest.mark.django_db
def test_rotating_gives_a_readable_password_and_reencrypt_skips_what_it_cannot_read(lost_key):
    plain, _item, _code = lost_key
    rotated = run("--rotate").strip().splitlines()[-1]
    assert rotated and rotated != plain
    assert run().strip().splitlines()[-1] == rotated
    report = run("--reencrypt")
    # The new password is rewritten; the old generation and the pass are left, and said so.
    assert "Re-encrypted 1 stored secret(s)" in report
    assert "2 stored cop(ies) cannot be read with the current keys" in report


@pytest.mark.django_db
def test_the_staff_screen_explains_and_offers_rotate_now(client, reception_user, lost_key):
    _plain, item, _code = lost_key
    client.force_login(reception_user)
    screen = client.get(INDEX)
    assert screen.status_code == 200
    html = screen.text
    assert "The stored copy of the members password cannot be read with the current keys." in html
    assert "The password itself still works at the gate" in html
    assert 'href="#rotate-heading"' in html and 'id="rotate-heading"' in html
    assert "Print card" not in html

    card = client.get(f"{INDEX}card/", follow=True)
    assert card.redirect_chain == [(INDEX, 302)]
    assert "cannot be read with the current keys" in card.text
    pass_card = client.get(f"{INDEX}passes/{item.pk}/card/", follow=True)
    assert pass_card.redirect_chain == [(INDEX, 302)]
    assert "The pass itself still opens the members area" in pass_card.text

    generation = passwords.current(now=now()).generation
    client.post(f"{INDEX}rotate/", {"generation": generation, "grace_days": 0, "confirm": "on"})
    after = client.get(INDEX).text
    assert "cannot be read with the current keys" not in after and "Print card" in after


@pytest.mark.django_db
def test_without_rotate_permission_the_screen_says_whom_to_ask(client, lost_key):
    from django.contrib.auth.models import Permission, User

    viewer = User.objects.create_user("viewer", password="not-used-here-123")  # noqa: S106
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"), Permission.objects.get(codename="view_members_password")
    )
    client.force_login(viewer)
    html = client.get(INDEX).text
    assert "cannot be read with the current keys" in html
    assert "Ask a colleague who may rotate the members password" in html
    assert 'href="#rotate-heading"' not in html
