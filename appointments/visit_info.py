"""What happens next, for the confirmation page and the patient's emails: all from the clinic's settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .models import Appointment


@dataclass(frozen=True)
class VisitInfo:
    arrive_minutes: int | None
    arrive_at: dt.datetime | None
    address_lines: list[str] = field(default_factory=list)
    nearest_station: str = ""
    parking: str = ""
    map_url: str = ""
    price: str = ""
    change_until: dt.datetime | None = None
    cutoff_hours: int = 24


def visit_info(appointment: Appointment, *, clinic, tz, cutoff_hours: int) -> VisitInfo:
    """Only what the clinic has filled in; a blank setting leaves its line out rather than guessing."""
    start = appointment.start.astimezone(tz)
    minutes = clinic.arrive_minutes_before
    return VisitInfo(
        arrive_minutes=minutes,
        arrive_at=start - dt.timedelta(minutes=minutes) if minutes else None,
        address_lines=[clinic.name, *clinic.address_lines] if clinic.address_lines else [],
        nearest_station=clinic.nearest_station,
        parking=clinic.parking,
        map_url=clinic.map_url,
        price=appointment.service.price_text,
        change_until=start - dt.timedelta(hours=cutoff_hours),
        cutoff_hours=cutoff_hours,
    )
