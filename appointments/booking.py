"""The one booking service. The HTML flow, the JSON API and the staff views all call it.

book(): validate → transaction that locks the practitioner's row → overlap check → save → queue
emails in the outbox (same transaction, so a booking and its mail are stored together) → return.
On PostgreSQL an exclusion constraint backs the overlap check; on SQLite the IMMEDIATE transaction
mode serialises writers, so the check inside the transaction is enough.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Site

from . import emails, online_limits
from . import slots as engine
from .availability import booking_settings, clinic_zone, find_slots

# Input checks and the errors every caller catches live in booking_input.py; booking.X still names them.
from .booking_input import (  # noqa: E402, F401
    LONGEST_BOOKING,
    MAX_EMAIL,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_PHONE,
    BookingError,
    InvalidBooking,
    SlotTaken,
    TooLate,
    clean_details,
    resolve_practitioner,
    resolve_service,
)
from .change_log import AppointmentChange
from .models import Appointment, Practitioner, Service, hash_token
from .patient_rules import check as check_patient


@dataclass
class Booked:
    appointment: Appointment
    manage_token: str
    alternatives: list[engine.Slot] = field(default_factory=list)


def check_time(*, start, now: dt.datetime, site: Site | None) -> dt.datetime:
    start = _aware(start)
    policy = booking_settings(site)
    if start <= now:
        raise InvalidBooking({"start": _("That time is in the past.")})
    if start < now + dt.timedelta(hours=policy.min_notice_hours):
        raise InvalidBooking(
            {"start": _("Book at least %(h)s hours ahead, or phone the clinic.") % {"h": policy.min_notice_hours}}
        )
    if start > now + dt.timedelta(days=policy.horizon_days):
        raise InvalidBooking(
            {"start": _("Bookings open %(d)s days ahead; choose an earlier day.") % {"d": policy.horizon_days}}
        )
    return start


def _alternatives(service, practitioner, start, *, now, site, exclude=None) -> list[engine.Slot]:
    tz = clinic_zone(site)
    day = start.astimezone(tz).date()
    free = find_slots(
        service=service,
        practitioner=practitioner,
        first_day=day - dt.timedelta(days=3),
        last_day=day + dt.timedelta(days=7),
        now=now,
        site=site,
        exclude_appointment=exclude,
    )
    return engine.nearest(free, to=start)


def _candidates(service, practitioner, start, *, now, site, exclude=None) -> list[str]:
    """Practitioners free at `start`; raises when the time is off the grid or out of hours."""
    tz = clinic_zone(site)
    day = start.astimezone(tz).date()
    common = {"service": service, "practitioner": practitioner, "first_day": day, "last_day": day, "now": now}
    free = find_slots(**common, site=site, exclude_appointment=exclude)
    keys = [s.practitioner for s in free if s.start == start]
    if keys:
        return keys
    grid = find_slots(**common, site=site, ignore_busy=True)
    if not any(s.start == start for s in grid):
        raise InvalidBooking({"start": _("That is not one of the offered start times. Choose a time from the list.")})
    raise SlotTaken(_alternatives(service, practitioner, start, now=now, site=site, exclude=exclude))


def check_start(*, service: Service, practitioner: Practitioner | None, start, site=None, now=None) -> dt.datetime:
    """The start in UTC if it is offered and free right now; raises InvalidBooking, or SlotTaken with alternatives.

    book() checks the same again inside its transaction; this lets a page say so before the patient types.
    """
    now = now or timezone.now()
    start = check_time(start=start, now=now, site=site)
    _candidates(service, practitioner, start, now=now, site=site)
    return start


def _clashes(practitioner: Practitioner, start, end, blocked_until, *, exclude=None) -> bool:
    clashes = Appointment.objects.filter(
        practitioner=practitioner, status__in=Appointment.ACTIVE, start__lt=blocked_until, blocked_until__gt=start
    ).filter(start__gt=start - LONGEST_BOOKING)  # an index range, not every past booking (SQLite scanned them)
    if exclude is not None:
        clashes = clashes.exclude(pk=exclude)
    return clashes.exists()


def _day_full(practitioner: Practitioner, start, *, site, exclude=None) -> bool:
    limit = booking_settings(site).daily_limit
    if limit is None:
        return False
    span = engine.local_day_span(start.astimezone(clinic_zone(site)).date(), clinic_zone(site))
    same_day = Appointment.objects.filter(
        practitioner=practitioner, status__in=Appointment.ACTIVE, start__gte=span.start, start__lt=span.end
    )
    if exclude is not None:
        same_day = same_day.exclude(pk=exclude)
    return same_day.count() >= limit


def book(
    *,
    service: str,
    start,
    practitioner: str | None = None,
    name: str,
    email: str,
    phone: str = "",
    message: str = "",
    consent: bool,
    site: Site | None = None,
    now: dt.datetime | None = None,
    online: bool = False,
    manage_token: str | None = None,
    patient_rules: bool = False,
    same_day_ok: bool = True,
) -> Booked:
    """Book a slot, or raise InvalidBooking (bad input) or SlotTaken (someone else got there first).

    online (patient pages, API): also raises online_limits.LimitReached past the email's cap of
    upcoming online bookings, counted inside the transaction. Staff bookings leave it False.
    manage_token: the private link to give the appointment (a resubmitted form derives the same one,
    and its hash is unique, so it cannot book twice). patient_rules: refuse an overlap with the same
    patient's other appointments (patient_rules.PatientClash) and, unless same_day_ok, ask before a
    second one of this service on the same day (patient_rules.SameDayRepeat).
    """
    now = now or timezone.now()
    details = clean_details(name=name, email=email, phone=phone, message=message, consent=consent)
    service_obj = resolve_service(service)
    chosen = resolve_practitioner(service_obj, practitioner)
    start = check_time(start=start, now=now, site=site)
    end = start + dt.timedelta(minutes=service_obj.duration_minutes)
    blocked_until = end + dt.timedelta(minutes=service_obj.buffer_minutes)
    policy = booking_settings(site)
    request_mode = service_obj.confirmation == Service.Confirmation.REQUEST
    for key in _candidates(service_obj, chosen, start, now=now, site=site):
        try:
            with transaction.atomic():
                # The row lock serialises bookings per practitioner on PostgreSQL; on SQLite the
                # IMMEDIATE transaction already holds the database's write lock.
                locked = Practitioner.objects.select_for_update().get(slug=key)
                if patient_rules:
                    check_patient(details, service_obj, start, end, site=site, same_day_ok=same_day_ok)
                if _clashes(locked, start, end, blocked_until) or _day_full(locked, start, site=site):
                    continue
                if online:
                    online_limits.check_upcoming(email=details["email"], site=site, now=now)
                appointment = Appointment(
                    practitioner=locked,
                    service=service_obj,
                    start=start,
                    end=end,
                    blocked_until=blocked_until,
                    status=Appointment.Status.PENDING if request_mode else Appointment.Status.CONFIRMED,
                    consent=True,
                    consent_at=now,
                    booked_online=online,
                    expires_at=min(start, now + dt.timedelta(hours=policy.request_expiry_hours))
                    if request_mode
                    else None,
                    **details,
                )
                token = appointment.set_manage_token()
                if manage_token:
                    token, appointment.manage_token_hash = manage_token, hash_token(manage_token)
                appointment.save()
                emails.queue_new_booking(appointment, manage_token=token)
                return Booked(appointment, token)
        except IntegrityError:
            # The PostgreSQL exclusion constraint caught an overlap the check could not see.
            continue
        except OperationalError as error:
            if "locked" not in str(error).lower():
                raise
            continue
    raise SlotTaken(_alternatives(service_obj, chosen, start, now=now, site=site))


def can_patient_change(appointment: Appointment, *, now: dt.datetime | None = None, site=None) -> bool:
    now = now or timezone.now()
    cutoff = dt.timedelta(hours=booking_settings(site).manage_cutoff_hours)
    return appointment.is_active and appointment.start - cutoff > now


def reschedule(
    *,
    appointment: Appointment,
    start,
    by_staff: bool = False,
    practitioner: Practitioner | None = None,
    manage_token: str = "",
    site: Site | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move an active appointment to another free start; staff may also give it to another practitioner
    who offers the service. A patient's move is logged and announced to reception."""
    now = now or timezone.now()
    if not appointment.is_active:
        raise InvalidBooking({"start": _("Only a requested or confirmed appointment can be moved.")})
    if not by_staff and not can_patient_change(appointment, now=now, site=site):
        raise TooLate({"start": _("It is too late to change this appointment online. Please phone the clinic.")})
    start = check_time(start=start, now=now, site=site) if not by_staff else _aware(start)
    service = appointment.service
    target = practitioner if by_staff and practitioner is not None else appointment.practitioner
    if target.pk != appointment.practitioner_id and not service.practitioners.filter(pk=target.pk).exists():
        raise InvalidBooking({"practitioner": _("This practitioner does not offer this service.")})
    end = start + dt.timedelta(minutes=service.duration_minutes)
    blocked_until = end + dt.timedelta(minutes=service.buffer_minutes)
    if not by_staff:
        _candidates(service, appointment.practitioner, start, now=now, site=site, exclude=appointment.pk)
    try:
        with transaction.atomic():
            locked = Practitioner.objects.select_for_update().get(pk=target.pk)
            current = Appointment.objects.select_for_update().get(pk=appointment.pk)
            if not current.is_active or _clashes(locked, start, end, blocked_until, exclude=current.pk):
                raise SlotTaken(_alternatives(service, locked, start, now=now, site=site, exclude=current.pk))
            previous_start = current.start
            current.practitioner = locked
            current.start, current.end, current.blocked_until = start, end, blocked_until
            current.sequence += 1
            current.reminder_sent_at = None
            current.save()
            AppointmentChange.log(current, "moved", by_patient=not by_staff, at=now, previous_start=previous_start)
            emails.queue_change(current, "moved", manage_token=manage_token)
            if not by_staff:
                emails.queue_clinic_change(current, "moved", previous_start=previous_start)
    except IntegrityError:
        raise SlotTaken(_alternatives(service, target, start, now=now, site=site, exclude=appointment.pk)) from None
    return current


def _aware(start) -> dt.datetime:
    if not isinstance(start, dt.datetime) or start.tzinfo is None or start.utcoffset() is None:
        raise InvalidBooking({"start": _("Give the start as a date and time with its time-zone offset.")})
    try:
        return start.astimezone(dt.UTC)
    except OverflowError:
        # 0001-01-01T00:00+14:00 or 9999-12-31T23:59-14:00: a real date that has no UTC equivalent.
        raise InvalidBooking(
            {"start": _("That is not one of the offered start times. Choose a time from the list.")}
        ) from None


TRANSITIONS = {
    "confirm": ({Appointment.Status.PENDING}, Appointment.Status.CONFIRMED, "confirmed"),
    "decline": ({Appointment.Status.PENDING}, Appointment.Status.DECLINED, "declined"),
    "cancel": (set(Appointment.ACTIVE), Appointment.Status.CANCELLED, "cancelled"),
    "attended": ({Appointment.Status.CONFIRMED, Appointment.Status.NO_SHOW}, Appointment.Status.ATTENDED, None),
    "no_show": ({Appointment.Status.CONFIRMED, Appointment.Status.ATTENDED}, Appointment.Status.NO_SHOW, None),
}
# Only once the appointment has begun.
AFTER_START = {"attended", "no_show"}


def change_status(
    *, appointment: Appointment, action: str, by_patient: bool = False, now: dt.datetime | None = None
) -> Appointment:
    """Staff (and patients, for "cancel") change an appointment's status; the patient is told by email,
    and reception when the patient cancelled."""
    if action not in TRANSITIONS:
        raise InvalidBooking({"action": _("Unknown action.")})
    now = now or timezone.now()
    allowed_from, target, mail = TRANSITIONS[action]
    with transaction.atomic():
        current = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if current.status not in allowed_from:
            raise InvalidBooking(
                {
                    "action": _("An appointment that is %(s)s cannot be changed that way.")
                    % {"s": current.get_status_display()}
                }
            )
        if action in AFTER_START and current.start > now:
            # Marking tomorrow's patient "did not attend" by mistake would free their time for
            # someone else, with no way back to "confirmed".
            raise InvalidBooking({"action": _("This can be marked only once the appointment has started.")})
        previous_status = current.status
        current.status = target
        if mail:
            current.sequence += 1
        current.save()
        if action == "cancel":
            AppointmentChange.log(current, "cancelled", by_patient=by_patient, at=now, previous_status=previous_status)
        if mail:
            emails.queue_change(current, mail)
        if action == "cancel" and by_patient:
            emails.queue_clinic_change(current, "cancelled")
    return current


def expire_requests(*, now: dt.datetime | None = None) -> int:
    """Release the slots of requests that nobody confirmed in time."""
    now = now or timezone.now()
    count = 0
    for pk in Appointment.objects.filter(status=Appointment.Status.PENDING, expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            current = Appointment.objects.select_for_update().get(pk=pk)
            if current.status != Appointment.Status.PENDING:
                continue
            current.status = Appointment.Status.EXPIRED
            current.sequence += 1
            current.save()
            emails.queue_change(current, "expired")
            count += 1
    return count
