"""The one booking service. The HTML flow, the JSON API and the staff views all call it.

book(): validate → transaction that locks the practitioner's row → overlap check → save → queue
emails in the outbox (same transaction, so a booking and its mail are stored together) → return.
On PostgreSQL an exclusion constraint backs the overlap check; on SQLite the IMMEDIATE transaction
mode serialises writers, so the check inside the transaction is enough.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Site

from . import emails
from . import slots as engine
from .availability import booking_settings, clinic_zone, find_slots
from .change_log import AppointmentChange
from .models import Appointment, Practitioner, Service

MAX_NAME = 100
MAX_EMAIL = 254
MAX_PHONE = 30
MAX_MESSAGE = 500
# Any control character (header injection lives here); the message may keep its line breaks.
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
CONTROL_EXCEPT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\u2028\u2029]")
PHONE = re.compile(r"^[0-9+()\-. ]{5,30}$")


class BookingError(Exception):
    """Something the patient can fix; carries messages per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class InvalidBooking(BookingError):
    pass


class SlotTaken(BookingError):
    def __init__(self, alternatives: list[engine.Slot]):
        super().__init__({"start": _("That time was just taken. Please choose another time.")})
        self.alternatives = alternatives


class TooLate(BookingError):
    pass


@dataclass
class Booked:
    appointment: Appointment
    manage_token: str
    alternatives: list[engine.Slot] = field(default_factory=list)


def clean_details(*, name: str, email: str, phone: str, message: str, consent: bool) -> dict[str, str]:
    """Normalised patient details; raises InvalidBooking with a message per bad field."""
    errors: dict[str, str] = {}
    values = {"name": name, "email": email, "phone": phone, "message": message}
    for key, value in values.items():
        if not isinstance(value, str):
            errors[key] = _("Enter text.")
    if errors:
        raise InvalidBooking(errors)
    name, email, phone, message = (v.strip() for v in (name, email, phone, message))
    # Browsers send a textarea's line breaks as CRLF but count each as one character against its
    # maxlength: measure what the patient saw, or a message the form accepted is refused here.
    message = message.replace("\r\n", "\n")
    if not name:
        errors["name"] = _("Enter your name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("Use at most %(n)s characters.") % {"n": MAX_NAME}
    elif CONTROL.search(name):
        errors["name"] = _("Use letters and spaces only, on one line.")
    if not email:
        errors["email"] = _("Enter your email address.")
    elif len(email) > MAX_EMAIL or CONTROL.search(email):
        errors["email"] = _("Enter a valid email address.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Enter a valid email address.")
    if phone and (CONTROL.search(phone) or not PHONE.match(phone)):
        errors["phone"] = _("Enter a phone number using digits, spaces and + ( ) - only.")
    if len(message) > MAX_MESSAGE:
        errors["message"] = _("Use at most %(n)s characters.") % {"n": MAX_MESSAGE}
    elif CONTROL_EXCEPT_NEWLINE.search(message):
        errors["message"] = _("Remove the special characters.")
    if consent is not True:
        errors["consent"] = _("Tick the box to let the clinic store your details, or phone us instead.")
    if errors:
        raise InvalidBooking(errors)
    return {"name": name, "email": email, "phone": phone, "message": message}


def resolve_service(slug) -> Service:
    if not isinstance(slug, str) or not slug:
        raise InvalidBooking({"service": _("Choose a service.")})
    if CONTROL.search(slug):
        raise InvalidBooking({"service": _("Unknown service.")})
    service = Service.objects.filter(slug=slug[:60], active=True).first()
    if service is None:
        raise InvalidBooking({"service": _("Unknown service.")})
    return service


def resolve_practitioner(service: Service, slug) -> Practitioner | None:
    if slug in (None, "", "anyone"):
        return None
    if not isinstance(slug, str) or CONTROL.search(slug):
        raise InvalidBooking({"practitioner": _("Unknown practitioner.")})
    practitioner = service.practitioners.filter(slug=slug[:60], active=True).first()
    if practitioner is None:
        raise InvalidBooking({"practitioner": _("This practitioner does not offer this service.")})
    return practitioner


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
    )
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
) -> Booked:
    """Book a slot, or raise InvalidBooking (bad input) or SlotTaken (someone else got there first)."""
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
                if _clashes(locked, start, end, blocked_until) or _day_full(locked, start, site=site):
                    continue
                appointment = Appointment(
                    practitioner=locked,
                    service=service_obj,
                    start=start,
                    end=end,
                    blocked_until=blocked_until,
                    status=Appointment.Status.PENDING if request_mode else Appointment.Status.CONFIRMED,
                    consent=True,
                    consent_at=now,
                    expires_at=min(start, now + dt.timedelta(hours=policy.request_expiry_hours))
                    if request_mode
                    else None,
                    **details,
                )
                token = appointment.set_manage_token()
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
