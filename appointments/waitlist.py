"""The waitlist (キャンセル待ち): join, leave, offer a freed time, accept an offer, purge.

When a time frees up on a day people wait for, each waiting patient (in the order they joined) is
emailed a link offering a time that fits their service; the first to confirm books it through the
one booking service, so two can never both get it. A patient gets at most WAITLIST_OFFERS_PER_DAY
offers in 24 hours. Entries end when their days pass, and the daily purge deletes them.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_tasks import task

from . import booking
from .availability import booking_settings, clinic_zone, find_slots
from .mail import ClinicEmail
from .models import Appointment, Practitioner, Service, hash_token
from .patient_rules import PatientClash
from .waitlist_models import WaitlistDay, WaitlistEntry, WaitlistOffer

MAX_DAYS = 14


class OfferUnavailable(Exception):
    """The offer link cannot book: `reason` is "used", "expired", "gone" or "clash"."""

    def __init__(self, reason: str, offer: WaitlistOffer | None = None):
        super().__init__(reason)
        self.reason = reason
        self.offer = offer


def offers_per_day() -> int:
    return getattr(settings, "WAITLIST_OFFERS_PER_DAY", 3)


def _today(site=None) -> dt.date:
    return timezone.now().astimezone(clinic_zone(site)).date()


def _url(name: str, token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=[token])


def _clinic_name() -> str:
    from .emails import _clinic

    return _clinic().name


def join(
    *,
    service: Service,
    practitioner: Practitioner | None,
    days: list[dt.date],
    name: str,
    email: str,
    phone: str = "",
    consent: bool,
    site=None,
) -> str:
    """Put a patient on the list for these days; returns the private link's token for leaving it."""
    details = booking.clean_details(name=name, email=email, phone=phone, message="", consent=consent)
    today = _today(site)
    last = today + dt.timedelta(days=booking_settings(site).horizon_days)
    days = sorted(set(days))
    if not days:
        raise booking.InvalidBooking({"days": _("Choose at least one day.")})
    if len(days) > MAX_DAYS or any(d <= today or d > last for d in days):
        raise booking.InvalidBooking({"days": _("Choose days from the list.")})
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        entry = WaitlistEntry.objects.create(
            service=service,
            practitioner=practitioner,
            name=details["name"],
            email=details["email"],
            phone=details["phone"],
            consent_at=timezone.now(),
            leave_token_hash=hash_token(token),
        )
        WaitlistDay.objects.bulk_create(WaitlistDay(entry=entry, day=d) for d in days)
        send_waitlist_email.enqueue(entry_id=entry.pk, kind="joined", manage_token=token)
    return token


def leave(token: str) -> bool:
    deleted, _counts = WaitlistEntry.objects.filter(leave_token_hash=hash_token(token)).delete()
    return bool(deleted)


def entry_for_leave(token: str) -> WaitlistEntry | None:
    return WaitlistEntry.objects.filter(leave_token_hash=hash_token(token)).select_related("service").first()


@task(backend="outbox", queue_name="email")
def send_waitlist_email(*, entry_id: int, kind: str, manage_token: str, offer_id: int | None = None) -> str:
    """Rendered at send time. The link's token travels as `manage_token`, which the outbox blanks once
    the mail is sent, as it does for the appointment links: the queue never keeps it readable."""
    entry = WaitlistEntry.objects.filter(pk=entry_id).select_related("service").first()
    if entry is None:
        return "skipped: left the list"
    offer = WaitlistOffer.objects.filter(pk=offer_id).select_related("practitioner").first() if offer_id else None
    if kind == "offer" and (offer is None or offer.outcome != WaitlistOffer.Outcome.OPEN):
        return "skipped: offer closed"
    if kind == "gone" and offer is None:
        return "skipped: offer deleted"
    tz = clinic_zone()
    clinic_name = _clinic_name()
    with timezone.override(tz), translation.override(settings.LANGUAGE_CODE):
        if kind == "offer":
            template, subject = "appointments/email/waitlist_offer.txt", _("A time has come free")
            context = {"offer": offer, "start": offer.start.astimezone(tz)}
            context["offer_url"] = _url("appointments:waitlist_offer", manage_token)
        elif kind == "gone":
            template, subject = "appointments/email/waitlist_gone.txt", _("The time offered to you has gone")
            context = {"offer": offer, "start": offer.start.astimezone(tz)}
        else:
            template, subject = "appointments/email/waitlist_joined.txt", _("You are on the waitlist")
            context = {"days": [d.day for d in entry.days.all()]}
            context["leave_url"] = _url("appointments:waitlist_leave", manage_token)
        body = render_to_string(template, {"entry": entry, "clinic_name": clinic_name, **context})
        subject = " ".join(f"{subject} – {clinic_name}".split())
    ClinicEmail(subject=subject, body=body, to=[entry.email]).send()
    return "sent"


def offers_sent_today(email: str, *, now: dt.datetime) -> int:
    return WaitlistOffer.objects.filter(entry__email__iexact=email, created_at__gte=now - dt.timedelta(days=1)).count()


def make_offer(*, entry: WaitlistEntry, practitioner: Practitioner, start: dt.datetime, now=None) -> str | None:
    """Offer one free time to one waiting patient by email; None when their daily offers are used up or
    this time was offered to them already."""
    now = now or timezone.now()
    if offers_sent_today(entry.email, now=now) >= offers_per_day():
        return None
    token = secrets.token_urlsafe(32)
    expires = start - dt.timedelta(hours=booking_settings().min_notice_hours)
    try:
        with transaction.atomic():
            offer = WaitlistOffer.objects.create(
                entry=entry, practitioner=practitioner, start=start, expires_at=expires, token_hash=hash_token(token)
            )
            send_waitlist_email.enqueue(entry_id=entry.pk, kind="offer", manage_token=token, offer_id=offer.pk)
    except IntegrityError:
        return None
    return token


def time_freed(*, practitioner_id: int, day: dt.date, freed: dt.datetime | None = None, now=None) -> int:
    """Offer a freed time on `day` to everyone waiting for it, in the order they joined; returns offers sent.

    Each is offered the freed start if it fits their service, else the nearest free start after it that day."""
    now = now or timezone.now()
    practitioner = Practitioner.objects.filter(pk=practitioner_id, active=True).first()
    if practitioner is None:
        return 0
    waiting = (
        WaitlistEntry.objects.filter(days__day=day, service__active=True)
        .filter(Q(practitioner__isnull=True) | Q(practitioner=practitioner))
        .select_related("service")
        .order_by("created_at", "pk")
        .distinct()
    )
    sent = 0
    for entry in waiting:
        free = find_slots(service=entry.service, practitioner=practitioner, first_day=day, last_day=day, now=now)
        if not free:
            continue
        # The earliest free start not yet offered to this patient.
        offered = set(
            WaitlistOffer.objects.filter(entry=entry, practitioner=practitioner).values_list("start", flat=True)
        )
        candidates = [s for s in free if s.start not in offered]
        if freed is not None:
            candidates.sort(key=lambda s: (s.start < freed, abs((s.start - freed).total_seconds())))
        slot = candidates[0] if candidates else None
        if slot and make_offer(entry=entry, practitioner=practitioner, start=slot.start, now=now):
            sent += 1
    return sent


@task(backend="outbox", queue_name="email")
def offer_freed_time(*, practitioner_id: int, day: str, start: str = "") -> str:
    """Queued in the same transaction as the change that freed the time, so no freed time is missed."""
    freed = dt.datetime.fromisoformat(start) if start else None
    sent = time_freed(practitioner_id=practitioner_id, day=dt.date.fromisoformat(day), freed=freed)
    return f"offered to {sent}"


def manage_token_for_offer(token: str) -> str:
    """The private link of the appointment an offer books: the same on every press, so it books once."""
    return salted_hmac("appointments.waitlist.offer", token, algorithm="sha256").hexdigest()


def booked_by(token: str) -> Appointment | None:
    return Appointment.objects.filter(manage_token_hash=hash_token(manage_token_for_offer(token))).first()


def offer_for(token: str) -> WaitlistOffer | None:
    if not isinstance(token, str) or len(token) > 100:
        return None
    return (
        WaitlistOffer.objects.select_related("entry", "entry__service", "practitioner")
        .filter(token_hash=hash_token(token))
        .first()
    )


def accept(*, token: str, site=None, now=None) -> booking.Booked:
    """Book the offered time for the patient, or raise OfferUnavailable."""
    now = now or timezone.now()
    offer = offer_for(token)
    if offer is None:
        raise OfferUnavailable("expired")
    if offer.outcome == WaitlistOffer.Outcome.BOOKED:
        raise OfferUnavailable("used", offer)
    if offer.expires_at <= now:
        raise OfferUnavailable("expired", offer)
    entry = offer.entry
    try:
        booked = booking.book(
            service=entry.service.slug,
            practitioner=offer.practitioner.slug,
            start=offer.start,
            name=entry.name,
            email=entry.email,
            phone=entry.phone,
            consent=True,
            site=site,
            now=now,
            manage_token=manage_token_for_offer(token),
            patient_rules=True,
        )
    except (booking.SlotTaken, PatientClash) as refused:
        if booked_by(token):  # a second press of this same link lost to its first
            raise OfferUnavailable("used", offer) from None
        if isinstance(refused, PatientClash):
            raise OfferUnavailable("clash", offer) from None
        WaitlistOffer.objects.filter(pk=offer.pk, outcome=WaitlistOffer.Outcome.OPEN).update(
            outcome=WaitlistOffer.Outcome.GONE
        )
        raise OfferUnavailable("gone", offer) from None
    except booking.InvalidBooking:
        raise OfferUnavailable("expired", offer) from None
    WaitlistOffer.objects.filter(pk=offer.pk).update(outcome=WaitlistOffer.Outcome.BOOKED)
    # They have a time that day; they stay on the list for their other days.
    WaitlistDay.objects.filter(entry=entry, day=offer.start.astimezone(clinic_zone(site)).date()).delete()
    tell_the_others(offer, site=site, now=now)
    return booked


def tell_the_others(taken: WaitlistOffer, *, site=None, now=None) -> int:
    """Email at once everyone else whose open offer the booking just made impossible (the same time, or
    one overlapping it), rather than letting them find out when they open their link; they stay on the
    list. Returns how many were told."""
    now = now or timezone.now()
    day = taken.start.astimezone(clinic_zone(site)).date()
    others = (
        WaitlistOffer.objects.filter(practitioner_id=taken.practitioner_id, outcome=WaitlistOffer.Outcome.OPEN)
        .filter(start__gt=taken.start - dt.timedelta(days=1), start__lt=taken.start + dt.timedelta(days=1))
        .exclude(pk=taken.pk)
        .select_related("entry__service", "practitioner")
    )
    free_by_service: dict[int, set[dt.datetime]] = {}
    told = 0
    for other in others:
        service = other.entry.service
        if service.pk not in free_by_service:
            slots = find_slots(
                service=service, practitioner=other.practitioner, first_day=day, last_day=day, now=now, site=site
            )
            free_by_service[service.pk] = {slot.start for slot in slots}
        if other.start in free_by_service[service.pk]:
            continue  # still bookable: their offer stands
        with transaction.atomic():
            # Only the process that closes the offer sends the notice, so nobody is told twice.
            if WaitlistOffer.objects.filter(pk=other.pk, outcome=WaitlistOffer.Outcome.OPEN).update(
                outcome=WaitlistOffer.Outcome.GONE
            ):
                send_waitlist_email.enqueue(entry_id=other.entry_id, kind="gone", manage_token="", offer_id=other.pk)
                told += 1
    return told


def purge_past(*, now=None, site=None) -> int:
    """Days that have passed end their entries; entries with no day left are deleted with their offers."""
    today = (now or timezone.now()).astimezone(clinic_zone(site)).date()
    WaitlistDay.objects.filter(day__lt=today).delete()
    deleted, _counts = WaitlistEntry.objects.filter(days__isnull=True).delete()
    return deleted


def leave_by_offer(offer: WaitlistOffer) -> None:
    """Leave from an offer's page: its link stands for the patient as the first email's does."""
    WaitlistEntry.objects.filter(pk=offer.entry_id).delete()
