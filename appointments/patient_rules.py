"""One patient, one booking at a time: called by book() inside its transaction for patient bookings.

A patient is known by their email address (any case) or phone number (digits only). Two overlapping
active appointments for one patient are refused; a second appointment for the same service on the
same day is allowed only when the patient has said yes to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from django.db import connection
from django.utils.translation import gettext as _

from . import slots as engine
from .availability import clinic_zone
from .models import Appointment, Service

NOT_DIGIT = re.compile(r"\D")


class PatientClash(Exception):
    """This patient already holds an appointment at an overlapping time."""

    def __init__(self, appointment: Appointment):
        super().__init__(appointment.reference)
        self.appointment = appointment
        self.errors = {
            "start": _(
                "You already have an appointment at this time, booked with this email address or phone number. "
                "Check the confirmation email for it, or phone the clinic."
            )
        }


class SameDayRepeat(Exception):
    """This patient already holds this service on this day; book again only once they have said yes."""

    def __init__(self, appointment: Appointment):
        super().__init__(appointment.reference)
        self.appointment = appointment
        self.errors = {"repeat": _("You already have this appointment on this day. Do you want to book it twice?")}


def phone_digits(phone: str) -> str:
    return NOT_DIGIT.sub("", phone or "")


def _same_patient(queryset, *, email: str, phone: str):
    candidates = list(queryset.filter(status__in=Appointment.ACTIVE, purged_at__isnull=True))
    digits = phone_digits(phone)
    return [
        a
        for a in candidates
        if a.email.casefold() == email.casefold() or (len(digits) >= 5 and phone_digits(a.phone) == digits)
    ]


def lock_patient(*, email: str, phone: str) -> None:
    """Serialise bookings of one patient across processes and hosts (PostgreSQL advisory locks).

    SQLite's IMMEDIATE transactions already hold the database's one write lock.
    """
    if connection.vendor != "postgresql":
        return
    keys = {"email:" + email.casefold()}
    if len(phone_digits(phone)) >= 5:
        keys.add("phone:" + phone_digits(phone))
    with connection.cursor() as cursor:
        for key in sorted(keys):  # the same order everywhere, so two bookings never wait on each other
            number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def check(details: dict, service: Service, start: dt.datetime, end: dt.datetime, *, site, same_day_ok: bool) -> None:
    """Raise PatientClash or SameDayRepeat; call inside the booking's transaction (it takes the patient's lock)."""
    email, phone = details["email"], details["phone"]
    lock_patient(email=email, phone=phone)
    overlapping = Appointment.objects.filter(start__lt=end, end__gt=start)
    if same_patient := _same_patient(overlapping, email=email, phone=phone):
        raise PatientClash(same_patient[0])
    if same_day_ok:
        return
    tz = clinic_zone(site)
    span = engine.local_day_span(start.astimezone(tz).date(), tz)
    same_day = Appointment.objects.filter(service=service, start__gte=span.start, start__lt=span.end)
    if repeats := _same_patient(same_day, email=email, phone=phone):
        raise SameDayRepeat(repeats[0])
