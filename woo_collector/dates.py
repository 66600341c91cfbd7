"""Dates as handlers mean them: whole calendar days in the local time zone, both ends inclusive.

The one place that knows the local zone. It is the workspace's ``timezone`` setting (default
Europe/Amsterdam), set by ``configure`` when a workspace opens; modules ask ``zone()`` or
``local(dt)`` when they need it rather than keeping their own copy. Timestamps are stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/Amsterdam"
LOCAL = ZoneInfo(DEFAULT_TIMEZONE)  # the configured zone; read it through zone(), it changes with configure()


def configure(name: str) -> ZoneInfo:
    """Make ``name`` (an IANA zone such as Europe/Amsterdam) the local zone; ConfigError when unknown."""
    global LOCAL
    try:
        LOCAL = ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        from woo_collector.errors import ConfigError

        raise ConfigError(f"unknown time zone {name!r} in setting 'timezone'; use an IANA name such as {DEFAULT_TIMEZONE}") from None
    return LOCAL


def zone() -> ZoneInfo:
    """The local time zone (the workspace's ``timezone`` setting)."""
    return LOCAL


def local(dt: datetime) -> datetime:
    """An aware time in the local zone."""
    return dt.astimezone(LOCAL)


def show_day(d: date | None) -> str:
    """A calendar day as the command line shows it: ``YYYY-MM-DD`` (empty when unknown)."""
    return d.isoformat() if d else ""


def show_time(dt: datetime | str | None, unknown: str = "") -> str:
    """A timestamp (aware datetime or stored ISO text) as the command line's tables show it:
    local time in the workspace's zone, ``YYYY-MM-DD HH:MM``. Text that is not a timestamp is shown as is."""
    if not dt:
        return unknown
    if isinstance(dt, str):
        try:
            dt = datetime.fromisoformat(dt)
        except ValueError:
            return dt
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)  # stored timestamps are UTC
    return local(dt).strftime("%Y-%m-%d %H:%M")


def day_bounds(d_from: date | None, d_to: date | None) -> tuple[datetime | None, datetime | None]:
    """[start, end) in UTC of the local days d_from through d_to (either may be open)."""
    lo = datetime.combine(d_from, time(0), LOCAL).astimezone(timezone.utc) if d_from else None
    hi = datetime.combine(d_to + timedelta(days=1), time(0), LOCAL).astimezone(timezone.utc) if d_to else None
    return lo, hi
