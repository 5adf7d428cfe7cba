"""May this session see the members area? One place answers, for pages, images and documents.

A grant in the session records what opened it (the password generation or the pass), so
rotating the password past its grace or revoking a pass closes that session on its next
request: the grant is re-validated every time, never trusted on its own.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from . import access_state, passes, passwords

SESSION_KEY = "members_grant"


@dataclass(frozen=True)
class Grant:
    kind: str  # "password" or "pass"
    ref: int  # password generation or pass id

    def as_session(self) -> dict:
        return {"kind": self.kind, "ref": self.ref}


def staff_may_see(user) -> bool:
    """Staff who may read the password out anyway may also read the pages it opens.

    Only once signed in as fully as the admin asks: with two-factor authentication required, a
    staff password alone (no code yet) opens neither the password screen nor these pages.
    """
    if not (user and user.is_authenticated and user.has_perm("members.view_members_password")):
        return False
    return not settings.STAFF_2FA_REQUIRED or bool(getattr(user, "is_verified", lambda: False)())


def grant_from_session(session) -> Grant | None:
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("kind") not in ("password", "pass"):
        return None
    try:
        return Grant(kind=data["kind"], ref=int(data["ref"]))
    except (KeyError, TypeError, ValueError):
        return None


def grant_is_valid(grant: Grant, *, now: datetime.datetime) -> bool:
    return grant_valid_until(grant, now=now) is not None


def grant_valid_until(grant: Grant, *, now: datetime.datetime) -> datetime.datetime | None:
    """Until when the grant holds unless something changes first (None: not now)."""
    if grant.kind == "password":
        return access_state.generation_access_until(generation=grant.ref, now=now)
    return access_state.pass_access_until(pass_id=grant.ref, now=now)


def may_see(request, *, now: datetime.datetime | None = None) -> bool:
    """May this request's session see members pages, images and documents?

    Answered once per request (routing and the serve hook both ask).
    """
    cached = getattr(request, "_members_may_see", None)
    if cached is not None and now is None:
        return cached
    answer = _may_see(request, now=now or timezone.now())
    request._members_may_see = answer
    return answer


def _may_see(request, *, now: datetime.datetime) -> bool:
    request._members_grant_until = None
    if staff_may_see(getattr(request, "user", None)):
        return True
    grant = grant_from_session(request.session)
    if grant is None:
        return False
    until = grant_valid_until(grant, now=now)
    if until is not None:
        request._members_grant_until = until  # read by members.page_cache for the WSGI fast path
        return True
    # The password it came from is past its grace, or the pass was revoked or expired.
    request.session.pop(SESSION_KEY, None)
    return False


def authenticate(*, candidate: str, now: datetime.datetime) -> Grant | None:
    """Check a typed password or pass code. Slow (argon2) on purpose: throttle first."""
    matched = passwords.check(candidate=candidate, now=now)
    if matched is not None:
        return Grant(kind="password", ref=matched.generation)
    item = passes.check(candidate=candidate, now=now)
    if item is not None:
        return Grant(kind="pass", ref=item.pk)
    return None


def authenticate_pass(*, candidate: str, now: datetime.datetime) -> Grant | None:
    """A personal pass code only: a keyed digest, no argon2, so it stays cheap while the
    site-wide limit refuses strangers (a pass is personal; guessing one is hopeless)."""
    item = passes.check(candidate=candidate, now=now)
    return Grant(kind="pass", ref=item.pk) if item is not None else None


def grant(request, given: Grant) -> None:
    had_grant = SESSION_KEY in request.session
    # A new session key on every grant, so a session id planted before entry is worthless.
    request.session.cycle_key()
    request.session[SESSION_KEY] = given.as_session()
    # A fixed end, so every process knows without reading the session when it closes.
    request.session.set_expiry(timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE))
    if had_grant:
        access_state.invalidate()  # the old key had access and is gone: processes that remember it must forget


def leave(request) -> None:
    had_grant = request.session.pop(SESSION_KEY, None) is not None
    request.session.cycle_key()
    if had_grant:
        access_state.invalidate()  # processes that remember the old key as granted must forget it


def session_closes_at(session) -> datetime.datetime | None:
    """The session's fixed end (set by `grant`), or None when it only has a relative one."""
    expiry = session.get("_session_expiry")
    if not isinstance(expiry, str):
        return None
    try:
        closes = datetime.datetime.fromisoformat(expiry)
    except ValueError:
        return None
    return closes if closes.tzinfo is not None else None
