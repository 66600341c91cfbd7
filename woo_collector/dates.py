"""Dates as handlers mean them: whole calendar days in Europe/Amsterdam, both ends inclusive."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Amsterdam")


def day_bounds(d_from: date | None, d_to: date | None) -> tuple[datetime | None, datetime | None]:
    """[start, end) in UTC of the local days d_from through d_to (either may be open)."""
    lo = datetime.combine(d_from, time(0), LOCAL).astimezone(timezone.utc) if d_from else None
    hi = datetime.combine(d_to + timedelta(days=1), time(0), LOCAL).astimezone(timezone.utc) if d_to else None
    return lo, hi
