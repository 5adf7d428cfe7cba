"""Removing ended throttle windows: the daily purge (appointments' scheduled jobs) calls this."""

from __future__ import annotations

import datetime as dt
import time

from .stores import fallback, shared_store


def purge_expired(*, now: dt.datetime | float | None = None) -> int:
    """Delete counters whose window has ended; returns how many rows the shared store dropped."""
    if isinstance(now, dt.datetime):
        now = now.timestamp()
    now = time.time() if now is None else now
    fallback.purge(now=now)
    return shared_store().purge(now=now)
