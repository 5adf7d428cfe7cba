"""Reads the database for reception: a day's grid, a practitioner's week, the next open day and the
free times staff may book or move to. A fixed number of queries whatever the data: the views'
query counts are asserted in tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from django.utils.formats import date_format

from . import day_grid
from . import slots as engine
from .availability import (
    LONGEST_BLOCK,
    booking_settings,
    calendars_for,
    closures_between,
    policy_for,
    practitioners_for,
)
from .models import Appointment, Closure, Practitioner, Service, TimeOff, WorkingHours

# Staff may book past the online horizon (a course of care runs for months), but not into nonsense.
STAFF_HORIZON = dt.timedelta(days=366)
# Statuses that free their time: listed under the grid, not in it, so a cancel can still be undone.
FREED = (Appointment.Status.CANCELLED, Appointment.Status.DECLINED, Appointment.Status.EXPIRED)


def staff_policy(service: Service, site=None) -> engine.Policy:
    """The online rules without the notice, the horizon or the daily limit: staff decide those."""
    return dataclasses.replace(
        policy_for(service, booking_settings(site)), min_notice=dt.timedelta(0), horizon=STAFF_HORIZON, daily_limit=None
    )


def free_times(
    *,
    service: Service,
    day: dt.date,
    now: dt.datetime,
    tz: zoneinfo.ZoneInfo,
    site=None,
    exclude_appointment: int | None = None,
) -> list[engine.Slot]:
    """Every free start on a day for the service, with any active practitioner who gives it."""
    practitioners = practitioners_for(service)
    span = engine.Interval(
        engine.local_day_span(day - dt.timedelta(days=1), tz).start, engine.local_day_span(day, tz).end
    )
    return engine.available_slots(
        calendars=calendars_for(practitioners, span=span, tz=tz, exclude_appointment=exclude_appointment),
        policy=staff_policy(service, site),
        closures=closures_between(day, day, tz=tz),
        tz=tz,
        now=now,
        first_day=day,
        last_day=day,
    )


def closed_days(first: dt.date, last: dt.date) -> dict[dt.date, Closure]:
    days = {}
    for closure in Closure.objects.filter(first_day__lte=last, last_day__gte=first):
        day = max(closure.first_day, first)
        while day <= min(closure.last_day, last):
            days[day] = closure
            day += dt.timedelta(days=1)
    return days


def next_open_day(today: dt.date) -> dt.date:
    """Today if anyone works and the clinic is not closed, else the next such day (within a year)."""
    weekdays = set(WorkingHours.objects.filter(practitioner__active=True).values_list("weekday", flat=True))
    if not weekdays:
        return today
    closed = closed_days(today, today + STAFF_HORIZON)
    day = today
    while day <= today + STAFF_HORIZON:
        if day.weekday() in weekdays and day not in closed:
            return day
        day += dt.timedelta(days=1)
    return today


def practitioners_with_hours():
    return Practitioner.objects.prefetch_related("working_hours")


def columns_for_day(practitioners, day: dt.date) -> list[day_grid.Column]:
    return [day_grid.Column(p.slug, p.name, day, _hours(p)) for p in practitioners]


def columns_for_week(practitioner: Practitioner, days: list[dt.date]) -> list[day_grid.Column]:
    hours = _hours(practitioner)
    return [day_grid.Column(practitioner.slug, date_format(d, "D j"), d, hours) for d in days]


def _hours(practitioner) -> tuple[engine.WeeklyHours, ...]:
    return tuple(engine.WeeklyHours(h.weekday, h.starts, h.ends) for h in practitioner.working_hours.all())


def grid(
    *,
    columns: list[day_grid.Column],
    appointments: list[Appointment],
    service: Service | None,
    first: dt.date,
    last: dt.date,
    now: dt.datetime,
    tz: zoneinfo.ZoneInfo,
    site=None,
) -> tuple[list[day_grid.Row], dict[dt.date, Closure]]:
    span = engine.Interval(engine.local_day_span(first, tz).start, engine.local_day_span(last, tz).end)
    keys = {c.key for c in columns}
    off = [
        (slug, engine.Interval(start, end))
        for slug, start, end in TimeOff.objects.filter(
            practitioner__slug__in=keys, starts_at__lt=span.end, ends_at__gt=span.start
        ).values_list("practitioner__slug", "starts_at", "ends_at")
    ]
    closed = closed_days(first, last)
    bookable: set[tuple[str, dt.datetime]] = set()
    policy = staff_policy(service, site) if service else None
    if service is not None:
        offering = [p for p in practitioners_for(service) if p.slug in keys]
        wide = engine.Interval(span.start - LONGEST_BLOCK, span.end)
        slots = engine.available_slots(
            calendars=calendars_for(offering, span=wide, tz=tz),
            policy=policy,
            closures=closures_between(first, last, tz=tz),
            tz=tz,
            now=now,
            first_day=first,
            last_day=last,
        )
        bookable = {(s.practitioner, s.start) for s in slots}
    step = policy.step if policy else dt.timedelta(minutes=booking_settings(site).slot_step_minutes)
    shown = [a for a in appointments if a.status not in FREED]
    rows = day_grid.build(
        columns=columns,
        appointments=shown,
        closed_days=set(closed),
        time_off=off,
        bookable=bookable,
        step=step,
        tz=tz,
    )
    return rows, closed
