"""The thin ORM adapter: reads the database into the slot engine's plain data."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from collections.abc import Sequence

from django.utils import timezone
from wagtail.models import Site

from pages.models import ClinicSettings

from . import slots as engine
from .models import Appointment, BookingSettings, Closure, Practitioner, Service, TimeOff

# Service.duration_minutes and buffer_minutes at their validators' maximums.
LONGEST_BLOCK = dt.timedelta(minutes=480 + 240)


def clinic_zone(site: Site | None = None) -> zoneinfo.ZoneInfo:
    site = site or Site.objects.filter(is_default_site=True).first()
    name = ClinicSettings.for_site(site).time_zone if site else "Europe/London"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def booking_settings(site: Site | None = None) -> BookingSettings:
    site = site or Site.objects.filter(is_default_site=True).first()
    if site is None:
        return BookingSettings()
    return BookingSettings.for_site(site)


def policy_for(service: Service, policy: BookingSettings) -> engine.Policy:
    return engine.Policy(
        duration=dt.timedelta(minutes=service.duration_minutes),
        buffer=dt.timedelta(minutes=service.buffer_minutes),
        step=dt.timedelta(minutes=policy.slot_step_minutes),
        min_notice=dt.timedelta(hours=policy.min_notice_hours),
        horizon=dt.timedelta(days=policy.horizon_days),
        daily_limit=policy.daily_limit,
    )


def practitioners_for(service: Service, practitioner: Practitioner | None = None) -> list[Practitioner]:
    qs = service.practitioners.filter(active=True).prefetch_related("working_hours").order_by("name")
    if practitioner is not None:
        qs = qs.filter(pk=practitioner.pk)
    return list(qs)


def calendars_for(
    practitioners: Sequence[Practitioner],
    *,
    span: engine.Interval,
    tz: zoneinfo.ZoneInfo,
    exclude_appointment: int | None = None,
) -> list[engine.PractitionerCalendar]:
    ids = [p.pk for p in practitioners]
    bookings = Appointment.objects.filter(
        practitioner_id__in=ids,
        status__in=Appointment.ACTIVE,
        # A lower bound on start lets the (practitioner, start) index skip years of history; no
        # booking runs longer than the longest service plus its buffer.
        start__gte=span.start - LONGEST_BLOCK,
        start__lt=span.end,
        blocked_until__gt=span.start,
    )
    if exclude_appointment is not None:
        bookings = bookings.exclude(pk=exclude_appointment)
    busy: dict[int, list[engine.Interval]] = {pk: [] for pk in ids}
    per_day: dict[int, Counter] = {pk: Counter() for pk in ids}
    for practitioner_id, start, blocked_until in bookings.values_list("practitioner_id", "start", "blocked_until"):
        busy[practitioner_id].append(engine.Interval(start, blocked_until))
        per_day[practitioner_id][start.astimezone(tz).date()] += 1
    for practitioner_id, start, end in TimeOff.objects.filter(
        practitioner_id__in=ids, starts_at__lt=span.end, ends_at__gt=span.start
    ).values_list("practitioner_id", "starts_at", "ends_at"):
        busy[practitioner_id].append(engine.Interval(start, end))
    return [
        engine.PractitionerCalendar(
            key=p.slug,
            hours=tuple(engine.WeeklyHours(h.weekday, h.starts, h.ends) for h in p.working_hours.all()),
            busy=tuple(busy[p.pk]),
            booked_per_day=dict(per_day[p.pk]),
        )
        for p in practitioners
    ]


def closures_between(first_day: dt.date, last_day: dt.date, *, tz: zoneinfo.ZoneInfo) -> list[engine.Interval]:
    rows = Closure.objects.filter(first_day__lte=last_day, last_day__gte=first_day).values_list("first_day", "last_day")
    return [
        engine.Interval(engine.local_day_span(first, tz).start, engine.local_day_span(last, tz).end)
        for first, last in rows
    ]


def find_slots(
    *,
    service: Service,
    practitioner: Practitioner | None = None,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    now: dt.datetime | None = None,
    site: Site | None = None,
    ignore_busy: bool = False,
    exclude_appointment: int | None = None,
) -> list[engine.Slot]:
    """Free slots for a service (and optionally one practitioner) between two local dates."""
    site = site or Site.objects.filter(is_default_site=True).first()
    tz = clinic_zone(site)
    settings = booking_settings(site)
    now = now or timezone.now()
    today = now.astimezone(tz).date()
    first_day = max(first_day or today, today)
    last_day = min(last_day or today + dt.timedelta(days=settings.horizon_days), today + dt.timedelta(days=366))
    if last_day < first_day:
        return []
    practitioners = practitioners_for(service, practitioner)
    # Bookings that start the day before can still run into the first day.
    span = engine.Interval(
        engine.local_day_span(first_day - dt.timedelta(days=1), tz).start, engine.local_day_span(last_day, tz).end
    )
    return engine.available_slots(
        calendars=calendars_for(practitioners, span=span, tz=tz, exclude_appointment=exclude_appointment),
        policy=policy_for(service, settings),
        closures=closures_between(first_day, last_day, tz=tz),
        tz=tz,
        now=now,
        first_day=first_day,
        last_day=last_day,
        ignore_busy=ignore_busy,
    )
