"""Staff bookings and courses of care: one session or a series, all or none, on the same lock and
overlap check as every other booking (booking.py's practitioner lock and clash check).

Staff may book inside the online notice period, past the online horizon and beyond the daily limit;
outside opening hours only once they have seen the warning (`outside_hours_ok`). The email is
optional: without one nothing is sent and staff print the appointment slip.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Site

from . import booking, emails, series_mail
from . import slots as engine
from .models import Appointment, Practitioner, Service
from .staff_times import STAFF_HORIZON, nearest_in_week, outside_hours_many
from .validators import CONTROL_EXCEPT_NEWLINE

MAX_SESSIONS = 12
MAX_WEEKS_APART = 4
MAX_NOTE = 500


class OutsideHours(booking.BookingError):
    """Staff must see these warnings, and say book anyway, before the booking is saved."""

    def __init__(self, sessions: list[Session]):
        super().__init__({"start": " ".join(w for s in sessions for w in s.warnings)})
        self.sessions = sessions


class SessionsUnavailable(booking.BookingError):
    """Some sessions' times are taken: staff pick another time for each, nothing is saved meanwhile."""

    def __init__(self, sessions: list[Session]):
        taken = [s for s in sessions if s.taken]
        super().__init__({"start": _("Choose another time for the sessions marked below.")})
        self.sessions = sessions
        self.taken = taken


@dataclass
class Session:
    number: int
    start: dt.datetime
    end: dt.datetime
    taken: bool = False
    warnings: list[str] = field(default_factory=list)
    alternatives: list[engine.Slot] = field(default_factory=list)


def plan(*, first: dt.datetime, count: int, weeks: int, tz) -> list[dt.datetime]:
    """The UTC starts of `count` sessions `weeks` apart at the same wall-clock time (09:00 stays
    09:00 across a clock change; a time the change skips moves on by the gap)."""
    wall = first.astimezone(tz).replace(tzinfo=None)
    starts = []
    for index in range(count):
        local = wall + dt.timedelta(weeks=weeks * index)
        starts.append(engine.wall_to_utc(local.date(), local.time(), tz) or local.replace(tzinfo=tz).astimezone(dt.UTC))
    return starts


def clean_staff_details(*, name: str, email: str, phone: str, note: str) -> dict[str, str]:
    """As booking.clean_details, but the email is optional (phone or email is needed to reach the
    patient) and there is an internal note instead of the patient's message."""
    values = {"name": name, "email": email, "phone": phone, "note": note}
    if any(not isinstance(v, str) for v in values.values()):
        raise booking.InvalidBooking({k: _("Enter text.") for k, v in values.items() if not isinstance(v, str)})
    name, email, phone, note = (v.strip() for v in values.values())
    note = note.replace("\r\n", "\n")
    errors: dict[str, str] = {}
    try:
        booking.clean_details(name=name, email=email or "x@example.org", phone=phone, message="", consent=True)
    except booking.InvalidBooking as error:
        errors.update(error.errors)
    if errors.get("name") == _("Enter your name."):
        errors["name"] = _("Enter the patient's name.")
    if not email and not phone and "phone" not in errors:
        errors["phone"] = _("Enter a phone number or an email address, so the clinic can reach the patient.")
    if len(note) > MAX_NOTE:
        errors["note"] = _("Use at most %(n)s characters.") % {"n": MAX_NOTE}
    elif CONTROL_EXCEPT_NEWLINE.search(note):
        errors["note"] = _("Remove the special characters.")
    if errors:
        raise booking.InvalidBooking(errors)
    return {"name": name, "email": email, "phone": phone, "note": note}


def resolve(*, service: str, practitioner: str) -> tuple[Service, Practitioner]:
    service_obj = booking.resolve_service(service)
    chosen = booking.resolve_practitioner(service_obj, practitioner)
    if chosen is None:
        raise booking.InvalidBooking({"practitioner": _("Choose a practitioner.")})
    return service_obj, chosen


def check_sessions(
    *,
    service: Service,
    practitioner: Practitioner,
    starts: list[dt.datetime],
    chosen: set[int],
    now: dt.datetime,
    site: Site | None = None,
) -> list[Session]:
    """Each session with what stands in its way. A session whose time staff did not choose
    themselves (a later week of a course) counts as taken when patients could not book it either
    (closed, time off, outside hours); the ones staff chose carry warnings instead."""
    duration = dt.timedelta(minutes=service.duration_minutes)
    buffer = dt.timedelta(minutes=service.buffer_minutes)
    sessions = [Session(number, start, start + duration) for number, start in enumerate(starts, start=1)]
    if not sessions:
        return []
    # One read of the practitioner's bookings across the course, not one per session: the same
    # test as booking._clashes (which book_series repeats under the lock).
    busy = list(
        Appointment.objects.filter(
            practitioner=practitioner,
            status__in=Appointment.ACTIVE,
            start__lt=max(s.end for s in sessions) + buffer,
            blocked_until__gt=min(s.start for s in sessions),
            start__gt=min(s.start for s in sessions) - booking.LONGEST_BOOKING,
        ).values_list("start", "blocked_until")
    )
    warnings = outside_hours_many(practitioner=practitioner, spans=[(s.start, s.end) for s in sessions], site=site)
    for session, session_warnings in zip(sessions, warnings, strict=True):
        blocked_until = session.end + buffer
        session.taken = any(start < blocked_until and until > session.start for start, until in busy)
        session.warnings = session_warnings
        if session.warnings and session.number not in chosen:
            session.taken = True
        if session.taken:
            session.alternatives = nearest_in_week(
                service=service, practitioner=practitioner, wanted=session.start, now=now, site=site
            )
    return sessions


def _check_start(start, *, now: dt.datetime) -> dt.datetime:
    start = booking._aware(start)
    if start <= now:
        raise booking.InvalidBooking({"start": _("That time has passed. Choose a later time.")})
    if start > now + STAFF_HORIZON:
        raise booking.InvalidBooking({"start": _("Choose a time within a year from today.")})
    return start


def book_one(*, start: dt.datetime, **details) -> booking.Booked:
    """One staff booking: a course of one session."""
    return book_series(starts=[start], **details)[0]


def book_series(
    *,
    service: str,
    practitioner: str,
    starts: list[dt.datetime],
    name: str,
    email: str = "",
    phone: str = "",
    note: str = "",
    booked_by: int | None = None,
    outside_hours_ok: bool = False,
    chosen: set[int] | None = None,
    site: Site | None = None,
    now: dt.datetime | None = None,
) -> list[booking.Booked]:
    """Book every session or none. Raises InvalidBooking, OutsideHours (not yet confirmed),
    SessionsUnavailable (taken before the transaction) or SlotTaken (taken meanwhile).

    `chosen`: the session numbers whose times staff picked themselves (default all); the others
    must be times patients could book too.
    """
    now = now or timezone.now()
    details = clean_staff_details(name=name, email=email, phone=phone, note=note)
    service_obj, chosen_practitioner = resolve(service=service, practitioner=practitioner)
    if not isinstance(starts, list) or not 1 <= len(starts) <= MAX_SESSIONS:
        raise booking.InvalidBooking({"repeat_count": _("Book 1 to %(n)s sessions.") % {"n": MAX_SESSIONS}})
    starts = [_check_start(start, now=now) for start in starts]
    if chosen is None:
        chosen = set(range(1, len(starts) + 1))
    sessions = check_sessions(
        service=service_obj, practitioner=chosen_practitioner, starts=starts, chosen=chosen, now=now, site=site
    )
    if any(s.taken for s in sessions):
        raise SessionsUnavailable(sessions)
    if not outside_hours_ok and any(s.warnings for s in sessions):
        raise OutsideHours([s for s in sessions if s.warnings])
    series_key = uuid.uuid4() if len(starts) > 1 else None
    booked: list[booking.Booked] = []
    try:
        with transaction.atomic():
            # The same lock and check as booking.book(): every booking of this practitioner waits here.
            locked = Practitioner.objects.select_for_update().get(pk=chosen_practitioner.pk)
            for session in sessions:
                blocked_until = session.end + dt.timedelta(minutes=service_obj.buffer_minutes)
                if booking._clashes(locked, session.start, session.end, blocked_until):
                    raise booking.SlotTaken([])
                appointment = Appointment(
                    practitioner=locked,
                    service=service_obj,
                    start=session.start,
                    end=session.end,
                    blocked_until=blocked_until,
                    status=Appointment.Status.CONFIRMED,
                    booked_by_id=booked_by,
                    series=series_key,
                    series_number=session.number if series_key else None,
                    series_total=len(sessions) if series_key else None,
                    **details,
                )
                token = appointment.set_manage_token()
                appointment.save()
                booked.append(booking.Booked(appointment, token))
            if details["email"] and series_key:
                series_mail.queue_series(booked, kind="booked")
            elif details["email"]:
                emails.queue_change(booked[0].appointment, "booked", manage_token=booked[0].manage_token)
    except IntegrityError:
        # The PostgreSQL exclusion constraint caught an overlap the check could not see.
        raise booking.SlotTaken([]) from None
    except OperationalError as error:
        if "locked" not in str(error).lower():
            raise
        raise booking.SlotTaken([]) from None
    return booked


def siblings(appointment: Appointment):
    """Every session of the appointment's course, in order (only itself when it is no course)."""
    if appointment.series is None:
        return Appointment.objects.filter(pk=appointment.pk)
    return Appointment.objects.filter(series=appointment.series).order_by("series_number", "start")


def cancel_rest(*, appointment: Appointment) -> list[Appointment]:
    """Cancel this session and every later one of its course that still holds a time; one email."""
    if appointment.series is None:
        raise booking.InvalidBooking({"action": _("This appointment is not part of a course of care.")})
    with transaction.atomic():
        rest = list(
            Appointment.objects.select_for_update()
            .filter(series=appointment.series, series_number__gte=appointment.series_number)
            .filter(status__in=Appointment.ACTIVE)
            .order_by("series_number")
        )
        if not rest:
            raise booking.InvalidBooking({"action": _("No session from this one on is still booked.")})
        for session in rest:
            session.status = Appointment.Status.CANCELLED
            session.sequence += 1
            session.save()
        if rest[0].email:
            series_mail.queue_series([booking.Booked(s, "") for s in rest], kind="cancelled")
    return rest
