"""Returning devices: a signed cookie set when a browser enters the members area successfully.

While the site-wide limit refuses strangers (members.throttle), a device that has entered
before may still try, so guessing from many addresses cannot lock every patient out. The cookie
holds only a random id, signed with SECRET_KEY so it cannot be made up; it goes only to the
gate's form address, so pages, caches and the fast path never see it.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .throttle import config

COOKIE = "members_device"
SALT = "members.devices"


def _max_age() -> int:
    return int(config()["DEVICE_COOKIE_DAYS"]) * 24 * 3600


def known_device(request) -> str | None:
    """The id of a device that entered within DEVICE_COOKIE_DAYS, or None for a stranger."""
    try:
        value = request.get_signed_cookie(COOKIE, default=None, salt=SALT, max_age=_max_age())
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


def remember(request, response) -> None:
    """Mark this browser as a returning device (again: each entry renews the cookie's age)."""
    device = known_device(request) or secrets.token_urlsafe(16)
    response.set_signed_cookie(
        COOKIE,
        device,
        salt=SALT,
        max_age=_max_age(),
        path=reverse("members:enter"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
