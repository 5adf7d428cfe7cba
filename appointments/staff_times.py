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


def outside_hours(*, practitioner: Practitioner, start: dt.datetime, end: dt.datetime, site=None) -> list[str]:
    """Why patients could not book this time online (closure, time off, outside working hours), if so."""
    tz = clinic_zone(site)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    warnings = []
    closure = Closure.objects.filter(first_day__lte=local_end.date(), last_day__gte=local_start.date()).first()
    if closure is not None:
        warnings.append(_("The clinic is closed that day (%(closure)s).") % {"closure": closure})
    if TimeOff.objects.filter(practitioner=practitioner, starts_at__lt=end, ends_at__gt=start).exists():
        warnings.append(_("%(name)s has time off then.") % {"name": practitioner})
    within = (
        local_start.date() == local_end.date()
        and practitioner.working_hours.filter(
            weekday=local_start.weekday(), starts__lte=local_start.time(), ends__gte=local_end.time()
        ).exists()
    )
    if not within:
        warnings.append(_("It is outside %(name)s's working hours.") % {"name": practitioner})
    return warnings
