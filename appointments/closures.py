"""Coming clinic closures, as patients see them on the booking pages and beside the opening hours."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .availability import booking_settings, clinic_zone
from .models import Closure

SHOWN = 5


def coming_closures(*, now: dt.datetime | None = None) -> list[Closure]:
    """Closures that have not ended, up to the booking horizon ahead."""
    today = (now or timezone.now()).astimezone(clinic_zone()).date()
    horizon = today + dt.timedelta(days=booking_settings().horizon_days)
    return list(Closure.objects.filter(last_day__gte=today, first_day__lte=horizon).order_by("first_day")[:SHOWN])
