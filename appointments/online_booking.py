"""Booking from the patient pages and the API: the one booking service inside the online limits."""

from __future__ import annotations

from wagtail.models import Site

from . import booking, online_limits


def is_staff(user) -> bool:
    """Signed-in staff booking for a patient are not held to the online limits."""
    return bool(user and user.is_authenticated and user.has_perm("wagtailadmin.access_admin"))


def book_online(*, client: str, staff: bool = False, site: Site | None, **details) -> booking.Booked:
    """book() for a patient online, counted against the limits in booking settings.

    Raises online_limits.LimitReached (with the cap and the clinic's phone number), or whatever
    book() raises; a refused or failed booking gives its counts back. Staff are never limited.
    """
    if staff:
        return booking.book(site=site, **details)
    email = details.get("email")
    with online_limits.counted(client=client, email=email if isinstance(email, str) else "", site=site):
        return booking.book(site=site, online=True, **details)
