"""Date ranges as users give them (dates, datetimes, ISO strings, "last N days") → UTC windows.

Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone

from perftel.errors import ConfigError

DateLike = date | datetime | str


def to_utc(value: DateLike, *, end: bool = False) -> datetime:
    """A UTC datetime. A bare date means its start, or — with ``end=True`` — the start of the next day,
    so that ``end_date=2026-11-26`` includes the whole of the 26th."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(f"{value!r} is not a date (use YYYY-MM-DD or an ISO-8601 time).", field="date") from exc
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    moment = datetime.combine(value, time.min, tzinfo=timezone.utc)
    return moment + timedelta(days=1) if end else moment


def utc_range(start: DateLike, end: DateLike) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC; raises ``ConfigError`` when end is before start."""
    lo, hi = to_utc(start), to_utc(end, end=True)
    if hi <= lo:
        raise ConfigError(f"The end ({end}) is before the start ({start}): pick an end on or after the start.", field="end_date")
    return lo, hi


def last_days(days: int, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last ``days`` whole days up to now: today and the ``days - 1`` before it."""
    if days < 1:
        raise ConfigError(f"--days must be at least 1 (got {days}).", field="days")
    now = now or datetime.now(timezone.utc)
    today = now.astimezone(timezone.utc).date()
    return to_utc(today - timedelta(days=days - 1)), now


def windows(start: datetime, end: datetime, max_days: int) -> Iterator[tuple[datetime, datetime]]:
    """Split ``[start, end)`` into consecutive windows of at most ``max_days``."""
    step = timedelta(days=max_days)
    cursor = start
    while cursor < end:
        upper = min(end, cursor + step)
        yield cursor, upper
        cursor = upper


def iso_z(moment: datetime) -> str:
    """``2026-11-26T10:00:00.000Z`` — the form GoTo and others expect."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: object) -> datetime | None:
    """Parse an ISO-8601 time from an API; ``None`` for null/empty/unparseable."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
