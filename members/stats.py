"""Daily totals for the staff screen: counts only, never who or from where."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import DailyAccessCount

FIELDS = ("entries", "failures", "throttled")


def bump(field: str) -> None:
    if field not in FIELDS:
        raise ValueError(field)
    today = timezone.localdate()
    if DailyAccessCount.objects.filter(date=today).update(**{field: F(field) + 1}):
        return
    try:
        with transaction.atomic():
            DailyAccessCount.objects.create(date=today, **{field: 1})
    except IntegrityError:
        DailyAccessCount.objects.filter(date=today).update(**{field: F(field) + 1})


def last_days(*, days: int = 30) -> list[DailyAccessCount]:
    """One row per day, newest first, including days with nothing (shown as zeros)."""
    today = timezone.localdate()
    stored = {row.date: row for row in DailyAccessCount.objects.filter(date__gt=today - timezone.timedelta(days=days))}
    return [
        stored.get(day) or DailyAccessCount(date=day)
        for day in (today - timezone.timedelta(days=n) for n in range(days))
    ]
