"""Personal patient passes: a short code for one patient, valid until a date, revocable at once.

Codes are stored as a keyed HMAC digest (so a copy of the database alone does not let anyone
test guesses offline) plus an encrypted copy for reprinting the card.
"""

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db.models import Q

from caching.tokens import access_version

from . import passwords
from .access_models import PatientPass

# Crockford's base32 without I, L, O and U: nothing to misread on a printed card.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10  # 50 bits, shown as two groups of five


def generate_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(candidate: str) -> str:
    cleaned = "".join(ch for ch in candidate.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def digest(code: str) -> str:
    key = hashlib.sha256(b"members-pass:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, normalise(code).encode(), hashlib.sha256).hexdigest()


def looks_like_code(candidate: str) -> bool:
    return len(normalise(candidate)) == CODE_LENGTH


def issue(*, label: str, valid_until: datetime.datetime, now: datetime.datetime, user=None) -> tuple[PatientPass, str]:
    """A new pass and its code (shown once to staff; kept only encrypted)."""
    code = generate_code()
    item = PatientPass.objects.create(
        label=label.strip(),
        code_digest=digest(code),
        code_encrypted=passwords.encrypt(code),
        valid_until=valid_until,
        created_at=now,
        created_by=user,
    )
    return item, code


def _matching(candidate: str) -> PatientPass | None:
    if not looks_like_code(candidate):
        return None
    item = PatientPass.objects.filter(code_digest=digest(candidate)).first()
    # The lookup is by a keyed digest; compare again in constant time for good measure.
    if item is None or not hmac.compare_digest(item.code_digest, digest(candidate)):
        return None
    return item


def has_ended(*, candidate: str, now: datetime.datetime) -> bool:
    """Is this a real pass code whose pass has run out (not revoked)? Asked only after the code
    failed at the gate, so the answer depends on the pass's own state once the code checks out:
    a typo or a guessed code is never told apart from a code that does not exist."""
    item = _matching(candidate)
    return item is not None and item.revoked_at is None and not item.is_valid(now=now)


def check(*, candidate: str, now: datetime.datetime) -> PatientPass | None:
    item = _matching(candidate)
    if item is None or not item.is_valid(now=now):
        return None
    PatientPass.objects.filter(pk=item.pk).update(last_used_at=now)
    return item


def revoke(*, item: PatientPass, now: datetime.datetime) -> bool:
    """Revoke at once; True if this call revoked it (False if it already was)."""
    revoked = bool(PatientPass.objects.filter(pk=item.pk, revoked_at__isnull=True).update(revoked_at=now))
    access_version.replace_now_and_on_commit()  # update() sends no signal; every process must see the revocation
    return revoked


def active(*, now: datetime.datetime):
    return PatientPass.objects.filter(revoked_at__isnull=True, valid_until__gt=now)


def inactive(*, now: datetime.datetime):
    return PatientPass.objects.filter(Q(revoked_at__isnull=False) | Q(valid_until__lte=now))


def code_of(item: PatientPass) -> str:
    return passwords.decrypt(item.code_encrypted)
