"""The shared members password: generate, hash, encrypt, check and rotate.

Rotation is a function of time and the stored generations, called by whoever needs the
current password (the gate, the access check, the staff screen, the command), so no cron
job is needed and no request ever sees an expired password as current. Two simultaneous
rotations produce exactly one new password: the loser's conditional UPDATE matches no row.
"""

import datetime
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from caching.tokens import access_version

from .access_models import MembersPolicy, PatientPass, SharedPassword

WORDS_FILE = Path(__file__).resolve().parent / "data" / "words.txt"


@cache
def words() -> tuple[str, ...]:
    lines = WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def generate(*, word_count: int | None = None, digits: int | None = None) -> str:
    """Three short words and two digits by default ("maple-otter-kettle-42"): easy to say and type."""
    config = getattr(settings, "MEMBERS_PASSWORD_FORMAT", {})
    word_count = word_count if word_count is not None else config.get("WORDS", 3)
    digits = digits if digits is not None else config.get("DIGITS", 2)
    vocabulary = words()
    parts = [secrets.choice(vocabulary) for _ in range(word_count)]
    if digits:
        parts.append("".join(secrets.choice("0123456789") for _ in range(digits)))
    return "-".join(parts)


def normalise(candidate: str) -> str:
    """What patients type on a phone: any case, spaces or dashes between the parts."""
    return "-".join(candidate.lower().replace("-", " ").split())


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher(**getattr(settings, "MEMBERS_ARGON2_PARAMETERS", {}))


def hash_secret(plain: str) -> str:
    return _hasher().hash(normalise(plain))


def verify_secret(hashed: str, candidate: str) -> bool:
    try:
        return _hasher().verify(hashed, normalise(candidate))
    except (VerificationError, InvalidHashError):
        return False


def _fernet() -> MultiFernet:
    # Newest key first: it encrypts; every listed key can still decrypt.
    return MultiFernet([Fernet(key) for key in settings.MEMBERS_ENCRYPTION_KEYS])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


class UnreadableCopy(Exception):
    """No key in MEMBERS_ENCRYPTION_KEYS (or derived from SECRET_KEY) opens a stored copy: a key
    changed, or the database came from another server. Only the readable copy is lost; the argon2
    hash still checks the password at the gate."""


UNREADABLE_EXPLANATION = _(
    "The stored copy of the members password cannot be read with the current keys "
    "(SECRET_KEY or MEMBERS_ENCRYPTION_KEYS changed, or the database came from another server). "
    "The password itself still works at the gate for patients who know it. "
    "Rotate now to make a new password that staff can read and print."
)


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise UnreadableCopy from error


def reencrypt(token: str) -> str:
    """The same secret under the newest key (for key rotation)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise UnreadableCopy from error


def valid_until(row: SharedPassword, *, policy: MembersPolicy) -> datetime.datetime:
    return row.created_at + policy.interval


@dataclass(frozen=True)
class Rotation:
    password: SharedPassword
    rotated: bool  # False when another request or worker rotated first


def _current_row() -> SharedPassword | None:
    return SharedPassword.objects.filter(replaced_at__isnull=True).order_by("-generation").first()


def _new_row_values(*, now: datetime.datetime, user=None) -> dict:
    # Hashing is slow on purpose, so it happens before any lock is taken.
    plain = generate()
    return {
        "password_hash": hash_secret(plain),
        "password_encrypted": encrypt(plain),
        "created_at": now,
        "created_by": user,
    }


def _create_first(*, now: datetime.datetime) -> SharedPassword:
    values = _new_row_values(now=now)
    try:
        with transaction.atomic():
            return SharedPassword.objects.create(generation=1, **values)
    except IntegrityError:
        # Another request created it at the same moment; theirs is the one.
        return _current_row()


def current(*, now: datetime.datetime) -> SharedPassword:
    """The password patients should be told now, rotating first if it has reached its age."""
    return current_and_policy(now=now)[0]


def current_and_policy(*, now: datetime.datetime) -> tuple[SharedPassword, MembersPolicy]:
    policy = MembersPolicy.load()
    row = _current_row()
    if row is None:
        return _create_first(now=now), policy
    due = valid_until(row, policy=policy)
    if now >= due:
        # The old password's grace runs from when it became due, not from whoever noticed.
        return rotate(now=now, grace_until=due + policy.grace, expected_generation=row.generation).password, policy
    return row, policy


def rotate(
    *,
    now: datetime.datetime,
    grace_until: datetime.datetime,
    expected_generation: int | None = None,
    user=None,
) -> Rotation:
    """Replace the current password with a new one, once.

    `expected_generation` makes the rotation conditional: if the current generation is
    no longer that one (someone rotated meanwhile), nothing changes and the winner's
    password is returned. Without it, the rotation applies to whatever is current.
    `grace_until` also shortens the grace of any older password still in its grace,
    so a rotation with no grace revokes everyone.
    """
    values = _new_row_values(now=now, user=user)
    with transaction.atomic():
        row = _lock_current()
        while row is None and SharedPassword.objects.exists():
            # PostgreSQL: a row this query waited on and another rotation then replaced drops
            # out of the result; its successor is committed by now, and a new query sees it.
            row = _lock_current()
        if row is None:
            if expected_generation is not None:
                return Rotation(_current_row(), rotated=False)
            return Rotation(_create_first(now=now), rotated=True)
        if expected_generation is not None and row.generation != expected_generation:
            return Rotation(_current_row(), rotated=False)
        # The conditional UPDATE is the arbiter: on SQLite (no row locks) as on PostgreSQL.
        grace_until = max(grace_until, now)
        won = SharedPassword.objects.filter(pk=row.pk, replaced_at__isnull=True).update(
            replaced_at=now, grace_until=grace_until
        )
        if not won:
            return Rotation(_current_row(), rotated=False)
        SharedPassword.objects.filter(replaced_at__isnull=False, grace_until__gt=grace_until).update(
            grace_until=grace_until
        )
        new = SharedPassword.objects.create(generation=row.generation + 1, **values)
        access_version.replace_now_and_on_commit()  # the updates above send no signal; every process must see them
    return Rotation(new, rotated=True)


def _lock_current() -> SharedPassword | None:
    return SharedPassword.objects.select_for_update().filter(replaced_at__isnull=True).order_by("-generation").first()


def rotate_now(*, now: datetime.datetime, grace: datetime.timedelta, user=None, expected_generation=None) -> Rotation:
    """Staff's "Rotate now": the previous password keeps working for `grace` (0 = not at all)."""
    current(now=now)  # make sure there is a current password to replace
    return rotate(now=now, grace_until=now + grace, expected_generation=expected_generation, user=user)


def accepted(*, now: datetime.datetime) -> list[SharedPassword]:
    """Every generation that opens the area now: the current one and any still in grace."""
    head = current(now=now)
    older = list(SharedPassword.objects.filter(replaced_at__isnull=False, grace_until__gt=now).order_by("-generation"))
    return [head, *older]


def check(*, candidate: str, now: datetime.datetime) -> SharedPassword | None:
    """The generation this candidate matches, if any. Every accepted hash is checked, so the
    time taken does not tell an attacker which generation (if any) came close."""
    match = None
    for row in accepted(now=now):
        if verify_secret(row.password_hash, candidate) and match is None:
            match = row
    return match


@dataclass(frozen=True)
class Reencryption:
    rewritten: int
    unreadable: int  # copies no current key opens; left as they are (see UnreadableCopy)


def reencrypt_all() -> Reencryption:
    """Re-encrypt every stored copy under the newest key. A copy no key opens is skipped, not
    fatal: after a lost key and a rotation the replaced generation stays unreadable for good."""
    rewritten = unreadable = 0
    with transaction.atomic():
        for model, field in ((SharedPassword, "password_encrypted"), (PatientPass, "code_encrypted")):
            for row in model.objects.select_for_update():
                try:
                    setattr(row, field, reencrypt(getattr(row, field)))
                except UnreadableCopy:
                    unreadable += 1
                    continue
                row.save(update_fields=[field])
                rewritten += 1
    return Reencryption(rewritten=rewritten, unreadable=unreadable)
