"""One-time enrolment codes: a new or reset account sets up two-factor only with a code that an
administrator issued and handed over, not with the password alone.

The password may be known to others (a published development login, a shared or leaked one);
whoever enrolled first used to own the account. A code is random (80 bits), tied to one account,
stored as a keyed digest, shown once, expires, and is used up when the authenticator is confirmed.
"""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from .models import EnrolmentCode

# Crockford's base32 without I, L, O and U: read out on the phone or copied from paper.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits, shown as four groups of four


@dataclass(frozen=True)
class Issued:
    code: str  # the plain code: show it once, store it nowhere
    expires_at: datetime.datetime


def lifetime() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.STAFF_ENROLMENT_CODE_HOURS)


def normalise(candidate: str) -> str:
    cleaned = "".join(ch for ch in candidate.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def looks_like_code(candidate: str) -> bool:
    code = normalise(candidate)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def _digest(code: str) -> str:
    key = hashlib.sha256(b"staff-enrolment:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, normalise(code).encode(), hashlib.sha256).hexdigest()


def issue(*, user, now: datetime.datetime, issued_by=None) -> Issued:
    """A new code for this account; any earlier unused code of it stops working."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = now + lifetime()
    with transaction.atomic():
        EnrolmentCode.objects.filter(user=user, used_at__isnull=True).delete()
        EnrolmentCode.objects.create(
            user=user, code_digest=_digest(raw), created_at=now, expires_at=expires_at, created_by=issued_by
        )
    return Issued(code="-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4)), expires_at=expires_at)


def _usable(*, user, now: datetime.datetime):
    return EnrolmentCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now)


def match(*, user, candidate: str, now: datetime.datetime) -> EnrolmentCode | None:
    """The account's usable code that the candidate spells, if any."""
    if not looks_like_code(candidate):
        return None
    return _usable(user=user, now=now).filter(code_digest=_digest(candidate)).first()


def still_usable(*, code_id: int, user, now: datetime.datetime) -> bool:
    return _usable(user=user, now=now).filter(pk=code_id).exists()


def use_up(*, code_id: int, user, now: datetime.datetime) -> bool:
    """Mark the code used; False when it was used, replaced or expired meanwhile (one winner)."""
    return _usable(user=user, now=now).filter(pk=code_id).update(used_at=now) == 1


def waiting(*, now: datetime.datetime) -> dict[int, datetime.datetime]:
    """user id → expiry of their usable code, for the administrators' list."""
    return dict(
        EnrolmentCode.objects.filter(used_at__isnull=True, expires_at__gt=now).values_list("user_id", "expires_at")
    )
