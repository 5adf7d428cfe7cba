"""Reception's grid: time down the side, one column per practitioner (a day) or per day (a practitioner's week).

Plain data in, rows out; `calendar_data.py` reads the database. A cell is either appointments (one
cell spanning their rows), a free time (with the start staff can book the chosen service at, if it
fits there), time the practitioner is not working, or a closure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from . import slots as engine

DEFAULT_DAY = (dt.time(8), dt.time(18))


@dataclass(frozen=True)
class Column:
    key: str  # practitioner slug
    label: str
    day: dt.date
    hours: tuple[engine.WeeklyHours, ...]


@dataclass
class Cell:
    kind: str  # "booked", "free", "off" (not working), "away" (time off) or "closed"
    rowspan: int = 1
    appointments: list = field(default_factory=list)
    bookable_at: dt.datetime | None = None  # UTC start where the chosen service fits
    book_href: str = ""
    book_label: str = ""


@dataclass
class Row:
    label: str  # local wall-clock time, "09:15"
    cells: list[Cell | None]  # None: covered by a cell above


def _wall(day: dt.date, moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Naive local wall-clock time of an instant, clamped to the day it is shown on."""
    local = moment.astimezone(tz).replace(tzinfo=None)
    return max(
        min(local, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0))), dt.datetime.combine(day, dt.time(0))
    )


def row_times(columns: list[Column], appointments: list, *, step: dt.timedelta, tz: ZoneInfo) -> list[dt.time]:
    """From the earliest start to the latest end of any column's hours or appointments, on the step."""
    starts, ends = [], []
    for column in columns:
        for hours in column.hours:
            if hours.weekday == column.day.weekday() and hours.ends > hours.starts:
                starts.append(hours.starts)
                ends.append(hours.ends)
    for appointment in appointments:
        local_start, local_end = appointment.start.astimezone(tz), appointment.end.astimezone(tz)
        starts.append(local_start.time())
        ends.append(local_end.time() if local_end.date() == local_start.date() else dt.time(23, 59))
    first, last = (min(starts), max(ends)) if starts else DEFAULT_DAY
    minutes = int(step.total_seconds() // 60)
    first_minute = (first.hour * 60 + first.minute) // minutes * minutes
    last_minute = last.hour * 60 + last.minute
    return [dt.time(m // 60, m % 60) for m in range(first_minute, last_minute, minutes)]


def build(
    *,
    columns: list[Column],
    appointments: list,
    closed_days: set[dt.date],
    time_off: list[tuple[str, engine.Interval]],
    bookable: set[tuple[str, dt.datetime]],
    step: dt.timedelta,
    tz: ZoneInfo,
) -> list[Row]:
    """`appointments` are those to show (any status staff want on the grid); `bookable` holds
    (practitioner, UTC start) pairs where the chosen service is free."""
    times = row_times(columns, appointments, step=step, tz=tz)
    grid: list[list[Cell | None]] = [[None] * len(columns) for _ in times]
    for index, column in enumerate(columns):
        mine = sorted(
            (
                a
                for a in appointments
                if a.practitioner.slug == column.key and a.start.astimezone(tz).date() == column.day
            ),
            key=lambda a: a.start,
        )
        walls = [dt.datetime.combine(column.day, t) for t in times]
        covered_until = None
        owner: Cell | None = None
        for appointment in mine:
            start = _wall(column.day, appointment.start, tz)
            end = _wall(column.day, appointment.end, tz)
            first = max((i for i, w in enumerate(walls) if w <= start), default=0)
            if owner is not None and covered_until is not None and (start < covered_until or grid[first][index]):
                # Overlaps the cell above (an attended visit and a rebooking, or an end off the step).
                owner.appointments.append(appointment)
                if end > covered_until:
                    extra = [i for i, w in enumerate(walls) if covered_until <= w < end and grid[i][index] is None]
                    for i in extra:
                        grid[i][index] = False  # type: ignore[call-overload]
                    owner.rowspan += len(extra)
                    covered_until = end
                continue
            span = max(1, sum(1 for w in walls[first:] if w < end))
            owner = Cell("booked", rowspan=span, appointments=[appointment])
            grid[first][index] = owner
            for i in range(first + 1, first + span):
                grid[i][index] = False  # type: ignore[call-overload]  # placeholder: covered
            covered_until = end
        periods = [h for h in column.hours if h.weekday == column.day.weekday() and h.ends > h.starts]
        off = [interval for key, interval in time_off if key == column.key]
        for i, wall in enumerate(walls):
            if grid[i][index] is not None:
                continue
            instant = engine.wall_to_utc(column.day, wall.time(), tz)
            if column.day in closed_days:
                grid[i][index] = Cell("closed")
            elif instant is None or not any(h.starts <= wall.time() < h.ends for h in periods):
                grid[i][index] = Cell("off")
            elif any(o.start <= instant < o.end for o in off):
                grid[i][index] = Cell("away")
            else:
                grid[i][index] = Cell("free", bookable_at=instant if (column.key, instant) in bookable else None)
    return [
        Row(t.strftime("%H:%M"), [c if isinstance(c, Cell) else None for c in cells])
        for t, cells in zip(times, grid, strict=True)
    ]
