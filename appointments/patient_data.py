"""Health data duties: export or delete one patient's bookings, and purge details after retention."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from .availability import booking_settings
from .models import Appointment

PURGED_NAME = "(removed)"
EXPORT_FIELDS = [
    "reference",
    "service",
    "practitioner",
    "start",
    "end",
    "status",
    "name",
    "email",
    "phone",
    "message",
    "consent",
    "consent_at",
    "created_at",
]


def bookings_for(email: str):
    return Appointment.objects.filter(email__iexact=email.strip()).select_related("service", "practitioner")


def export_rows(email: str) -> list[dict]:
    rows = []
    for appointment in bookings_for(email).order_by("start"):
        row = {}
        for name in EXPORT_FIELDS:
            value = getattr(appointment, name)
            if isinstance(value, dt.datetime):
                value = value.isoformat()
            elif hasattr(value, "pk"):
                value = str(value)
            row[name] = value
        rows.append(row)
    return rows


def delete_patient(email: str) -> int:
    """Delete every booking made with this email; the slots they held are released."""
    with transaction.atomic():
        count, _ = bookings_for(email).delete()
    return count


def months_ago(now: dt.datetime, months: int) -> dt.datetime:
    year, month = divmod(now.year * 12 + (now.month - 1) - months, 12)
    day = min(now.day, 28)
    return now.replace(year=year, month=month + 1, day=day)


def purge_expired(*, now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Blank the personal details of appointments that ended more than the retention period ago.

    The appointment row stays (times, service, status) so the clinic's statistics still add up.
    """
    now = now or timezone.now()
    cutoff = months_ago(now, booking_settings().retention_months)
    due = Appointment.objects.filter(end__lt=cutoff, purged_at__isnull=True)
    if dry_run:
        return due.count()
    return due.update(name=PURGED_NAME, email="removed@invalid", phone="", message="", purged_at=now)
