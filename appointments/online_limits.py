"""Limits on online booking, for the patient pages and the API alike; staff bookings are never limited.

- per client address: at most N online bookings an hour;
- per email address: at most N confirmation emails a day (new bookings and the patient's own moves);
- per email address: at most N upcoming online bookings, counted in the database inside the
  booking's own transaction (book(online=True) calls `check_upcoming`).

The first two are counters in the shared throttle store (throttling), so they hold across every
worker process and host; a booking that does not happen gives its hits back. Each refusal names
its cap and says how to phone the clinic. Numbers are in booking settings.
"""

from __future__ import annotations

import contextlib
import hashlib

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.models import Site

from pages.models import ClinicSettings
from throttling.limits import Limit

from .availability import booking_settings
from .models import Appointment

HOUR, DAY = 3600, 24 * 3600


class LimitReached(Exception):
    """An online booking refused by a limit: a message for the patient and, where known, when to retry."""

    def __init__(self, message: str, *, retry_after: int = 0):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def how_to_phone(site: Site | None) -> str:
    site = site or Site.objects.filter(is_default_site=True).first()
    phone = ClinicSettings.for_site(site).phone.strip() if site else ""
    if phone:
        return _("please phone the clinic on %(phone)s") % {"phone": phone}
    return _("please phone the clinic")


def mailbox(email: str) -> str:
    """One key per mailbox: case and a "+tag" do not make another address."""
    local, _at, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if local else email.strip().lower()


def _limits(site, *, waitlist: bool = False) -> tuple[Limit, Limit]:
    policy = booking_settings(site)
    # Joining the waitlist emails the address given too, so it has the same caps, its own hourly count.
    scope = "waitlist-joins" if waitlist else "online-bookings"
    return (
        Limit(scope, limit=policy.online_bookings_per_hour, seconds=HOUR),
        Limit("booking-emails", limit=policy.confirmation_emails_per_day, seconds=DAY),
    )


@contextlib.contextmanager
def counted(*, client: str | None, email: str, site: Site | None, waitlist: bool = False):
    """Count one online booking (or patient change) for the address and the email's daily mail.

    Raises LimitReached before the work when a cap is used up; gives the hits back if the work
    inside raises (the booking was refused or the slot taken), so only real bookings count.
    `client` may be None for a patient's own change, which only the email cap limits.
    `waitlist`: joining the waitlist, counted per address apart from bookings.
    """
    per_client, per_mailbox = _limits(site, waitlist=waitlist)
    key = mailbox(email) if isinstance(email, str) else ""
    taken = []
    try:
        if client is not None:
            taken.append((per_client, client))
            decision = per_client.hit(client)
            if not decision.allowed and waitlist:
                raise LimitReached(
                    _(
                        "This connection has joined the waitlist %(n)s times within an hour, the most we "
                        "accept. To be told of a free time, %(phone)s."
                    )
                    % {"n": decision.limit, "phone": how_to_phone(site)},
                    retry_after=decision.retry_after,
                )
            if not decision.allowed:
                raise LimitReached(
                    ngettext(
                        "This connection has made %(n)s online booking within an hour, the most we accept. "
                        "To book another appointment, %(phone)s.",
                        "This connection has made %(n)s online bookings within an hour, the most we accept. "
                        "To book another appointment, %(phone)s.",
                        decision.limit,
                    )
                    % {"n": decision.limit, "phone": how_to_phone(site)},
                    retry_after=decision.retry_after,
                )
        if key:
            taken.append((per_mailbox, key))
            decision = per_mailbox.hit(key)
            if not decision.allowed:
                raise LimitReached(
                    ngettext(
                        "We send at most %(n)s booking email a day to one email address, and this address "
                        "has had it today. To book or change an appointment, %(phone)s.",
                        "We send at most %(n)s booking emails a day to one email address, and this address "
                        "has had them today. To book or change an appointment, %(phone)s.",
                        decision.limit,
                    )
                    % {"n": decision.limit, "phone": how_to_phone(site)},
                    retry_after=decision.retry_after,
                )
        yield
    except BaseException:
        for limit, ident in taken:
            limit.refund(ident)
        raise


def check_upcoming(*, email: str, site: Site | None, now=None) -> None:
    """Inside book()'s transaction: refuse a new online booking past the email's cap of upcoming ones.

    The email's lock (PostgreSQL) makes two simultaneous bookings for one address count in turn;
    SQLite's IMMEDIATE transactions already run one writer at a time.
    """
    key = mailbox(email)
    if connection.vendor == "postgresql":
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
    local, _at, domain = key.rpartition("@")
    same_mailbox = Q(email__iexact=key) | Q(email__istartswith=f"{local}+", email__iendswith=f"@{domain}")
    cap = booking_settings(site).online_upcoming_per_email
    upcoming = Appointment.objects.filter(
        same_mailbox, booked_online=True, status__in=Appointment.ACTIVE, start__gt=now or timezone.now()
    ).count()
    if upcoming >= cap:
        raise LimitReached(
            ngettext(
                "This email address already has %(n)s upcoming appointment booked online, the most we accept. "
                "To book another, %(phone)s, or cancel one with the link in its confirmation email.",
                "This email address already has %(n)s upcoming appointments booked online, the most we accept. "
                "To book another, %(phone)s, or cancel one with the link in its confirmation email.",
                cap,
            )
            % {"n": cap, "phone": how_to_phone(site)}
        )
