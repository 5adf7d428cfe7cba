"""What reception needs at a glance on the admin's start page: the day's appointments per
practitioner, requests waiting for confirmation, and what patients changed since yesterday."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from . import calendar_data
from .change_log import AppointmentChange
from .models import Appointment, Practitioner
from .slots import local_day_span

PENDING_SHOWN = 10
CHANGES_SHOWN = 20


@dataclass
class Glance:
    day: dt.date
    is_today: bool
    per_practitioner: list[tuple[Practitioner, int]]
    pending: list[Appointment]
    pending_count: int
    changes: list[AppointmentChange]


def glance(*, now: dt.datetime, tz) -> Glance:
    today = now.astimezone(tz).date()
    day = calendar_data.next_open_day(today)
    span = local_day_span(day, tz)
    on_day = Q(
        appointments__start__gte=span.start,
        appointments__start__lt=span.end,
        appointments__status__in=[*Appointment.ACTIVE, Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW],
    )
    practitioners = Practitioner.objects.annotate(booked=Count("appointments", filter=on_day)).order_by("name")
    per_practitioner = [(p, p.booked) for p in practitioners if p.active or p.booked]
    pending = Appointment.objects.filter(status=Appointment.Status.PENDING, start__gt=now).order_by("start")
    since = local_day_span(today - dt.timedelta(days=1), tz).start
    changes = (
        AppointmentChange.objects.filter(by_patient=True, at__gte=since)
        .select_related("appointment__practitioner", "appointment__service")
        .order_by("-at")
    )
    return Glance(
        day=day,
        is_today=day == today,
        per_practitioner=per_practitioner,
        pending=list(pending.select_related("practitioner", "service")[:PENDING_SHOWN]),
        pending_count=pending.count(),
        changes=list(changes[:CHANGES_SHOWN]),
    )
