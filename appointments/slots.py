"""The availability engine: plain data in, bookable slots out. No ORM, no HTTP.

Weekly hours are wall-clock times in the clinic's zone. Each day's grid is laid out in wall-clock
time and every start is turned into a UTC instant on its own, so a 09:00 start stays 09:00 across a
DST change. Durations are real elapsed time, added in UTC: Python adds timedeltas to aware datetimes
in wall-clock time when both share a tzinfo, which is wrong by an hour on transition days.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

UTC = dt.UTC


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span [start, end) of aware datetimes."""

    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    weekday: int  # Monday is 0
    starts: dt.time
    ends: dt.time


@dataclass(frozen=True, slots=True)
class PractitionerCalendar:
    key: str
    hours: tuple[WeeklyHours, ...]
    # Existing bookings (start to end plus their buffer) and time off.
    busy: tuple[Interval, ...] = ()
    # Active bookings per local date, for the optional daily limit.
    booked_per_day: Mapping[dt.date, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Policy:
    duration: dt.timedelta
    buffer: dt.timedelta = dt.timedelta(0)
    step: dt.timedelta = dt.timedelta(minutes=15)
    min_notice: dt.timedelta = dt.timedelta(hours=12)
    horizon: dt.timedelta = dt.timedelta(days=60)
    daily_limit: int | None = None


class Slot(NamedTuple):
    """A named tuple rather than a frozen dataclass: 60 days of ten practitioners make tens of
    thousands, and a tuple is built and compared in C (same fields, order, equality and hash)."""

    start: dt.datetime
    end: dt.datetime
    practitioner: str


def wall_to_utc(day: dt.date, wall: dt.time, tz: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a wall-clock time on a day; None when DST skips it.

    In an autumn overlap the earlier of the two instants is used (fold=0).
    """
    naive = dt.datetime.combine(day, wall)
    utc = naive.replace(tzinfo=tz).astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return utc


def period_end_utc(day: dt.date, wall: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant a working period ends. An end that a spring-forward gap skips is the
    moment the clock jumps: the first instant whose wall-clock time is at or after it."""
    end = wall_to_utc(day, wall, tz)
    if end is not None:
        return end
    naive = dt.datetime.combine(day, wall)
    # The two readings of a skipped time bracket the jump (the offsets before and after it).
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def local_day_span(day: dt.date, tz: ZoneInfo) -> Interval:
    """From the start of a local day to the start of the next (23 or 25 hours on DST days)."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(UTC)
    return Interval(start, end)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same time."""
    merged: list[Interval] = []
    for item in sorted(intervals, key=lambda i: i.start):
        if item.end <= item.start:
            continue
        if merged and item.start <= merged[-1].end:
            if item.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, item.end)
        else:
            merged.append(item)
    return merged


def _overlaps(starts: list[dt.datetime], busy: list[Interval], start: dt.datetime, end: dt.datetime) -> bool:
    index = bisect.bisect_left(starts, end) - 1
    return index >= 0 and busy[index].end > start


def grid_starts(*, day: dt.date, hours: WeeklyHours, step: dt.timedelta, tz: ZoneInfo) -> list[dt.datetime]:
    """The UTC start times on a day's wall-clock grid for one working period."""
    wall = dt.datetime.combine(day, hours.starts)
    last = dt.datetime.combine(day, hours.ends)
    first = wall_to_utc(day, hours.starts, tz)
    if first is not None and last.replace(tzinfo=tz).astimezone(UTC) - first == last - wall:
        # No clock change inside the period (nearly every day): the grid is plain arithmetic.
        return [first + k * step for k in range(-(-(last - wall) // step))]
    starts = []
    while wall < last:
        instant = wall_to_utc(day, wall.time(), tz)
        if instant is not None:
            starts.append(instant)
        wall += step
    return starts


def available_slots(
    *,
    calendars: Sequence[PractitionerCalendar],
    policy: Policy,
    closures: Sequence[Interval],
    tz: ZoneInfo,
    now: dt.datetime,
    first_day: dt.date,
    last_day: dt.date,
    ignore_busy: bool = False,
) -> list[Slot]:
    """Every bookable slot from first_day to last_day (local dates, inclusive), by start then practitioner.

    A slot lies inside one working period, starts on that period's grid, starts no sooner than the
    minimum notice and no later than the horizon allows, and neither it nor its buffer touches a
    booking, time off or a closure. `ignore_busy` keeps only the grid, notice and horizon rules:
    the booking service uses it to tell "not a valid time" from "already taken".
    """
    earliest = now + policy.min_notice
    latest = now + policy.horizon
    first_day = max(first_day, earliest.astimezone(tz).date())
    last_day = min(last_day, latest.astimezone(tz).date())
    slots: list[Slot] = []
    grids: dict[tuple[dt.date, dt.time, dt.time], list[tuple[dt.datetime, dt.datetime]]] = {}
    for calendar in calendars:
        busy = [] if ignore_busy else merge([*calendar.busy, *closures])
        starts = [b.start for b in busy]
        by_weekday: dict[int, list[WeeklyHours]] = {}
        for hours in calendar.hours:
            if hours.ends > hours.starts:
                by_weekday.setdefault(hours.weekday, []).append(hours)
        day = first_day
        while day <= last_day:
            periods = by_weekday.get(day.weekday())
            full = (
                policy.daily_limit is not None
                and not ignore_busy
                and calendar.booked_per_day.get(day, 0) >= policy.daily_limit
            )
            if periods and not full:
                for hours in periods:
                    # Practitioners mostly share their hours: each day's grid is worked out once.
                    cache_key = (day, hours.starts, hours.ends)
                    candidates = grids.get(cache_key)
                    if candidates is None:
                        period_end = period_end_utc(day, hours.ends, tz)
                        candidates = grids[cache_key] = [
                            (start, start + policy.duration)
                            for start in grid_starts(day=day, hours=hours, step=policy.step, tz=tz)
                            if start + policy.duration <= period_end and earliest <= start <= latest
                        ]
                    for start, end in candidates:
                        if busy and _overlaps(starts, busy, start, end + policy.buffer):
                            continue
                        slots.append(Slot(start, end, calendar.key))
            day += dt.timedelta(days=1)
    # By start, then practitioner: each calendar's slots arrive as one sorted run, which the sort
    # merges cheaply (sorted(set(...)) of dataclasses was the engine's slowest step).
    slots.sort(key=_slot_key)
    # Overlapping working periods on one day would offer a start twice.
    return [slot for index, slot in enumerate(slots) if not index or slots[index - 1] != slot]


def _slot_key(slot: Slot) -> tuple[dt.datetime, str]:
    return (slot.start, slot.practitioner)


def nearest(slots: Sequence[Slot], *, to: dt.datetime, count: int = 3) -> list[Slot]:
    """The free slots closest in time to the one a patient wanted, earliest first on ties."""
    unique: dict[dt.datetime, Slot] = {}
    for slot in slots:
        unique.setdefault(slot.start, slot)
    closest = sorted(unique.values(), key=lambda s: (abs(s.start - to), s.start))[:count]
    return sorted(closest)


def by_local_day(slots: Iterable[Slot], *, tz: ZoneInfo) -> dict[dt.date, list[Slot]]:
    days: dict[dt.date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot.start.astimezone(tz).date(), []).append(slot)
    return days
