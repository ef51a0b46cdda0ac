"""Twilio's list filters as the sandbox reads them: ``StartTime`` / ``StartTime>`` / ``StartTime<`` (and the
``DateCreated`` ones) as dates or date-times, and the 400 20001 a bad value earns (REFERENCE.md §2).
Standard library only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache


@lru_cache(maxsize=1 << 18)  # every page of a listing sorts every row by it
def to_time(value: str) -> datetime:
    """An RFC 2822 time as the API writes it (``Fri, 18 Oct 2019 17:00:00 +0000``) → aware UTC datetime."""
    return parsedate_to_datetime(value).astimezone(timezone.utc)


class BadParam(Exception):
    """A query parameter Twilio would refuse (400 20001)."""


def moment_of(value: str, name: str) -> tuple[datetime, bool]:
    """A filter value → (UTC moment, is_date_only)."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc), True
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            moment = parsedate_to_datetime(text)
    except (TypeError, ValueError) as exc:
        raise BadParam(f"Invalid value for {name}: {value!r} (use YYYY-MM-DD)") from exc
    return (
        moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    ), False


def bounds(query: dict[str, str], name: str) -> tuple[datetime | None, datetime | None]:
    """``[lo, hi)`` from ``Name``, ``Name>`` (on or after) and ``Name<`` (before)."""
    lo = hi = None
    if query.get(name):
        lo, is_date = moment_of(query[name], name)
        hi = lo + timedelta(days=1) if is_date else lo + timedelta(seconds=1)
    if query.get(f"{name}>"):
        lo = max(filter(None, (lo, moment_of(query[f"{name}>"], f"{name}>")[0])))
    if query.get(f"{name}<"):
        hi = min(filter(None, (hi, moment_of(query[f"{name}<"], f"{name}<")[0])))
    return lo, hi
