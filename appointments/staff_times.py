"""Times as staff see them: free times without the online notice, horizon or daily limit, the
nearest free times around a wanted one, and warnings for a time patients could not book.

Reads the database through availability.py and hands the plain data to the slot engine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.utils.translation import gettext as _
from wagtail.models import Site

from . import slots as engine
from .availability import booking_settings, calendars_for, clinic_zone, closures_between, policy_for
from .models import Closure, Practitioner, Service, TimeOff

# Staff book up to a year ahead (a 12-session course every 4 weeks runs 44 weeks).
STAFF_HORIZON = dt.timedelta(days=366)


def staff_policy(service: Service, site: Site | None = None) -> engine.Policy:
    """The online policy without its notice, horizon and daily limit: those are for patients online."""
    online = policy_for(service, booking_settings(site))
    return dataclasses.replace(online, min_notice=dt.timedelta(0), horizon=STAFF_HORIZON, daily_limit=None)


def free_times(
    *,
    service: Service,
    practitioner: Practitioner,
    first_day: dt.date,
    last_day: dt.date,
    now: dt.datetime,
    site: Site | None = None,
) -> list[engine.Slot]:
    """The practitioner's free starts for the service between two local dates (inclusive)."""
    tz = clinic_zone(site)
    today = now.astimezone(tz).date()
    first_day = max(first_day, today)
    last_day = min(last_day, today + STAFF_HORIZON)
    if last_day < first_day:
        return []
    span = engine.Interval(
        engine.local_day_span(first_day - dt.timedelta(days=1), tz).start, engine.local_day_span(last_day, tz).end
    )
    return engine.available_slots(
        calendars=calendars_for([practitioner], span=span, tz=tz),
        policy=staff_policy(service, site),
        closures=closures_between(first_day, last_day, tz=tz),
        tz=tz,
        now=now,
        first_day=first_day,
        last_day=last_day,
    )


def nearest_in_week(
    *, service: Service, practitioner: Practitioner, wanted: dt.datetime, now: dt.datetime, site=None, count: int = 6
) -> list[engine.Slot]:
    """Free times within three days either side of `wanted`: a weekly course keeps one session a week."""
    day = wanted.astimezone(clinic_zone(site)).date()
    free = free_times(
        service=service,
        practitioner=practitioner,
        first_day=day - dt.timedelta(days=3),
        last_day=day + dt.timedelta(days=3),
        now=now,
        site=site,
    )
    return engine.nearest(free, to=wanted, count=count)


def outside_hours_many(
    *, practitioner: Practitioner, spans: list[tuple[dt.datetime, dt.datetime]], site=None
) -> list[list[str]]:
    """Per (start, end) span, why patients could not book it online (closure, time off, outside
    working hours), if so; three queries whatever the number of spans."""
    tz = clinic_zone(site)
    if not spans:
        return []
    local = [(start.astimezone(tz), end.astimezone(tz)) for start, end in spans]
    closures = list(
        Closure.objects.filter(
            first_day__lte=max(e.date() for _, e in local), last_day__gte=min(s.date() for s, _ in local)
        )
    )
    time_off = list(
        TimeOff.objects.filter(
            practitioner=practitioner, starts_at__lt=max(e for _, e in spans), ends_at__gt=min(s for s, _ in spans)
        ).values_list("starts_at", "ends_at")
    )
    hours = list(practitioner.working_hours.values_list("weekday", "starts", "ends"))
    result = []
    for (start, end), (local_start, local_end) in zip(spans, local, strict=True):
        warnings = []
        closure = next(
            (c for c in closures if c.first_day <= local_end.date() and c.last_day >= local_start.date()), None
        )
        if closure is not None:
            warnings.append(_("The clinic is closed that day (%(closure)s).") % {"closure": closure})
        if any(off_start < end and off_end > start for off_start, off_end in time_off):
            warnings.append(_("%(name)s has time off then.") % {"name": practitioner})
        within = local_start.date() == local_end.date() and any(
            weekday == local_start.weekday() and starts <= local_start.time() and ends >= local_end.time()
            for weekday, starts, ends in hours
        )
        if not within:
            warnings.append(_("It is outside %(name)s's working hours.") % {"name": practitioner})
        result.append(warnings)
    return result
