"""Unit tests: generating, hashing, encrypting, rotating the shared password (with time travel)."""

import datetime
import re

import pytest
import time_machine
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from members import access_state, passwords
from members.models import MembersPolicy, SharedPassword

from .conftest import T0, plain

DAY = datetime.timedelta(days=1)


def test_generated_passwords_are_three_words_and_two_digits():
    vocabulary = set(passwords.words())
    assert len(vocabulary) >= 200
    seen = set()
    for _ in range(50):
        value = passwords.generate()
        *parts, digits = value.split("-")
        assert len(parts) == 3 and all(part in vocabulary for part in parts)
        assert re.fullmatch(r"\d\d", digits)
        seen.add(value)
    assert len(seen) > 45  # random, not a weak rule


def test_format_is_configurable(settings):
    settings.MEMBERS_PASSWORD_FORMAT = {"WORDS": 4, "DIGITS": 3}
    *parts, digits = passwords.generate().split("-")
    assert len(parts) == 4 and len(digits) == 3


@given(
    st.lists(st.sampled_from(["maple", "otter", "kettle", "42"]), min_size=1, max_size=5),
    st.sampled_from([" ", "-", "  ", " - "]),
)
def test_normalise_ignores_case_spaces_and_dashes(parts, separator):
    typed = separator.join(part.upper() if i % 2 else part for i, part in enumerate(parts))
    assert passwords.normalise(typed) == "-".join(parts)


def test_hash_is_argon2_and_checks_typed_variants():
    hashed = passwords.hash_secret("maple-otter-kettle-42")
    assert hashed.startswith("$argon2id$") and "maple" not in hashed
    assert passwords.verify_secret(hashed, "Maple Otter Kettle 42")
    assert not passwords.verify_secret(hashed, "maple-otter-kettle-43")
    assert not passwords.verify_secret("not-a-hash", "maple-otter-kettle-42")


def test_encrypted_copy_survives_key_rotation(settings):
    old_key = settings.MEMBERS_ENCRYPTION_KEYS[0]
    token = passwords.encrypt("maple-otter-kettle-42")
    assert "maple" not in token
    new_key = Fernet.generate_key().decode()
    settings.MEMBERS_ENCRYPTION_KEYS = [new_key, old_key]
    assert passwords.decrypt(token) == "maple-otter-kettle-42"
    rotated = passwords.reencrypt(token)
    settings.MEMBERS_ENCRYPTION_KEYS = [new_key]
    assert passwords.decrypt(rotated) == "maple-otter-kettle-42"


@pytest.mark.django_db
def test_reencrypt_all_rewrites_every_stored_copy(settings):
    from members import passes

    with time_machine.travel(T0, tick=False):
        row = passwords.current(now=T0)
        item, code = passes.issue(label="A-1", valid_until=T0 + DAY, now=T0)
    new_key = Fernet.generate_key().decode()
    settings.MEMBERS_ENCRYPTION_KEYS = [new_key, *settings.MEMBERS_ENCRYPTION_KEYS]
    assert passwords.reencrypt_all() == passwords.Reencryption(rewritten=2, unreadable=0)
    settings.MEMBERS_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    row.refresh_from_db()
    item.refresh_from_db()
    assert passwords.decrypt(row.password_encrypted) and passes.code_of(item) == code


@pytest.mark.django_db
def test_first_call_creates_generation_one():
    row = passwords.current(now=T0)
    assert row.generation == 1 and row.replaced_at is None
    assert passwords.current(now=T0 + DAY).pk == row.pk


@pytest.mark.django_db
def test_lazy_rotation_when_due_and_never_an_expired_current():
    first = passwords.current(now=T0)
    just_before = T0 + datetime.timedelta(days=30) - datetime.timedelta(seconds=1)
    assert passwords.current(now=just_before).pk == first.pk
    due = T0 + datetime.timedelta(days=30)
    second = passwords.current(now=due)
    assert second.generation == 2 and plain(second) != plain(first)
    first.refresh_from_db()
    # The old one's grace runs from when it became due.
    assert first.replaced_at == due and first.grace_until == due + datetime.timedelta(days=7)


@pytest.mark.django_db
def test_after_a_long_idle_spell_the_old_password_has_no_grace_left():
    first = passwords.current(now=T0)
    much_later = T0 + datetime.timedelta(days=90)
    passwords.current(now=much_later)
    assert passwords.check(candidate=plain(first), now=much_later) is None


@pytest.mark.django_db
def test_policy_interval_and_grace_come_from_the_admin_setting():
    policy = MembersPolicy.load()
    policy.rotation_interval_days, policy.grace_days = 10, 2
    policy.save()
    first = passwords.current(now=T0)
    second = passwords.current(now=T0 + 10 * DAY)
    assert second.generation == 2
    assert passwords.check(candidate=plain(first), now=T0 + 11 * DAY).generation == 1
    assert passwords.check(candidate=plain(first), now=T0 + 12 * DAY) is None


@pytest.mark.django_db
def test_grace_keeps_the_old_password_working_then_ends_it():
    first = passwords.current(now=T0)
    rotation = passwords.rotate_now(now=T0 + DAY, grace=7 * DAY)
    assert rotation.rotated and rotation.password.generation == 2
    assert passwords.check(candidate=plain(first), now=T0 + 7 * DAY).generation == 1
    assert passwords.check(candidate=plain(rotation.password), now=T0 + 7 * DAY).generation == 2
    assert passwords.check(candidate=plain(first), now=T0 + 8 * DAY) is None
    assert access_state.generation_grants_access(generation=1, now=T0 + 8 * DAY - datetime.timedelta(seconds=1))
    assert not access_state.generation_grants_access(generation=1, now=T0 + 8 * DAY)


@pytest.mark.django_db
def test_rotation_with_no_grace_also_ends_older_passwords_still_in_grace():
    first = passwords.current(now=T0)
    second = passwords.rotate_now(now=T0 + DAY, grace=7 * DAY).password
    passwords.rotate_now(now=T0 + 2 * DAY, grace=datetime.timedelta(0))
    now = T0 + 2 * DAY
    assert passwords.check(candidate=plain(first), now=now) is None
    assert passwords.check(candidate=plain(second), now=now) is None
    assert [row.generation for row in passwords.accepted(now=now)] == [3]


@pytest.mark.django_db
def test_conditional_rotation_happens_once_for_a_given_generation():
    passwords.current(now=T0)
    first = passwords.rotate_now(now=T0, grace=DAY, expected_generation=1)
    again = passwords.rotate_now(now=T0, grace=DAY, expected_generation=1)  # e.g. a double-submitted form
    assert first.rotated and not again.rotated
    assert again.password.pk == first.password.pk
    assert SharedPassword.objects.count() == 2
    assert SharedPassword.objects.filter(replaced_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_nothing_stores_the_password_in_clear():
    row = passwords.current(now=T0)
    secret = plain(row)
    stored = " ".join(str(value) for value in SharedPassword.objects.values_list().get())
    assert secret not in stored and secret not in str(row)
