"""The day step a week at a time: which week to show, its seven days, and the weeks either side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Day:
    date: dt.date
    times: int  # distinct free start times; 0 shows the day as having none
    past: bool = False  # before today: shown as gone, not as a day without free times


@dataclass(frozen=True)
class Week:
    first: dt.date  # a Monday
    days: list[Day]
    previous: dt.date | None
    next: dt.date | None
    next_free: dt.date | None  # the next day with free times after this week, for an empty week

    @property
    def has_free_times(self) -> bool:
        return any(day.times for day in self.days)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_view(*, counts: dict[dt.date, int], today: dt.date, last_day: dt.date, asked: dt.date | None) -> Week:
    """The week the patient asked for (kept inside today..last_day), or the first one with free times."""
    first_week, last_week = monday(today), monday(last_day)
    if asked is not None:
        first = min(max(monday(asked), first_week), last_week)
    else:
        free_days = sorted(day for day, n in counts.items() if n)
        first = monday(free_days[0]) if free_days else first_week
    days = [Day(d, counts.get(d, 0), past=d < today) for d in (first + dt.timedelta(days=i) for i in range(7))]
    after = first + dt.timedelta(days=7)
    later = sorted(day for day, n in counts.items() if n and day >= after)
    # Back only to a week with something left to book (this week's free days may all have gone),
    # skipping weeks that are wholly closed.
    earlier = sorted(day for day, n in counts.items() if n and today <= day < first)
    return Week(
        first=first,
        days=days,
        previous=monday(earlier[-1]) if earlier else None,
        next=after if after <= last_week else None,
        next_free=later[0] if later else None,
    )
