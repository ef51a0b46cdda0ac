"""Periods for the dataset's queries: the company's zone, local days → UTC bounds, and their SQL clause."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from perftel import dates
from perftel.company import company_settings

#: Open ends of a period, for a ``>= ? AND < ?`` clause (DuckDB's TIMESTAMPTZ range holds both).
_EARLIEST = datetime(1, 1, 2, tzinfo=dt_timezone.utc)
_LATEST = datetime(9999, 1, 1, tzinfo=dt_timezone.utc)


def company_timezone(company_id: str, data_dir: str | Path | None, tz: str | ZoneInfo | None) -> ZoneInfo:
    """``tz`` when given, else the company's time zone (``perftel.company``: ``PERFTEL_TIMEZONE``, the
    company's settings file, else UTC). Raises ``ConfigError`` for an unknown zone name."""
    if isinstance(tz, ZoneInfo):
        return tz
    return company_settings(company_id, data_dir, timezone=tz).timezone


def local_range(start: Any, end: Any, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """``[start, end)`` in UTC by perftel's date rules (:mod:`perftel.dates`: a whole day is the company's
    local day, the end day included; naive times are local). Either side may be ``None`` (open).
    Raises ``ConfigError`` for a value that is not a date or an end before the start."""
    if start is not None and end is not None:
        return dates.utc_range(start, end, tz=tz)
    lo = dates.to_utc(start, tz=tz, field="start") if start is not None else None
    hi = dates.to_utc(end, end=True, tz=tz, field="end") if end is not None else None
    return lo, hi


def recordings_of_calls_started(column: str, start: Any, end: Any, tz: ZoneInfo) -> tuple[str, list[Any]]:
    """SQL keeping the rows whose ``column`` (a recording id) belongs to a transcript whose call started
    in ``[start, end]`` (local days, :func:`local_range`), and its two parameters (UTC bounds); ``("TRUE",
    [])`` when both ends are open. Raises ``ConfigError`` for a bad date."""
    lo, hi = local_range(start, end, tz)
    if lo is None and hi is None:
        return "TRUE", []
    clause = (
        f"{column} IN (SELECT recording_id FROM transcripts WHERE call_start_utc >= ? AND call_start_utc < ?)"
    )
    return clause, [lo or _EARLIEST, hi or _LATEST]
