"""Dates as users give them → UTC ranges; UTC instants → a company's local days and times.

This module is the one place in perftel that reads a date a person typed or passed. Every date-like
means the same thing everywhere (CLI ``--start/--end/--days``, ``run_pipeline``, ``fetch_calls``,
reports and notebook filters):

* **accepted forms** — ``str`` (``"2026-11-01"``; ISO-8601 times such as ``"2026-11-01T09:30"``,
  ``"2026-11-01 09:30:00"``, ``"2026-11-01T12:30:00Z"``, ``"2026-11-01T09:30-03:00"``),
  :class:`datetime.date`, naive or aware :class:`datetime.datetime`, pandas ``Timestamp`` (naive or
  aware; below a microsecond is dropped), a daily pandas ``Period`` and numpy ``datetime64`` (unit ``D``
  or finer, or a 0-d array of one).
* **a whole day** — a value without a time, or at midnight (00:00:00.000000) on its own clock, means that
  whole day: as a start, the day's first instant; as an end, the first instant of the next day, so the
  end day is included (``"2026-11-01".."2026-11-01"`` is one day).
* **an explicit time** is honoured: a start at that instant, an end exclusive at that instant.
* **which clock** — naive values (no offset) are wall-clock times in the company's zone ``tz``. An aware
  value written at midnight is a whole day: the company's day when it is also the company's midnight
  (``"2026-11-01T00:00-03:00"`` for São Paulo), else the day of its own zone
  (``pd.Timestamp("2026-11-01", tz="UTC")`` is the UTC day). Any other aware value is that instant
  (``"2026-11-01T03:00Z"`` is an instant, even if it is São Paulo's midnight).
* **daylight saving** — a local day lasts 23, 24 or 25 hours. A local midnight that does not exist
  (America/Sao_Paulo on 2018-11-04 went from 00:00 to 01:00) resolves to the day's first instant; an
  ambiguous one to its earlier occurrence; a naive time inside a gap or fold follows PEP 495 (``fold=0``).

Every range is half-open ``[start, end)`` of aware UTC datetimes; data on disk stays UTC. ``tz`` is an
IANA name (``"America/Sao_Paulo"``), a :class:`zoneinfo.ZoneInfo` (e.g.
``perftel.company.company_settings(company_id).timezone``) or ``None``: ``PERFTEL_TIMEZONE`` if set,
else UTC.

Errors: :class:`~perftel.errors.ConfigError` naming the value and the accepted forms for anything else
(``"2026-13-01"``, ``"yesterday"``, ``NaT``, ``None``, numbers, a month such as ``datetime64("2026-11")``)
and for an end that is not after its start.

Standard library only: pandas and numpy objects are recognised without importing either.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Union
from zoneinfo import ZoneInfo

from perftel.errors import ConfigError

#: anything :func:`to_utc` reads: str, date, datetime, pandas Timestamp (a datetime), numpy datetime64
DateLike = Union[date, datetime, str, Any]  # noqa: UP007 - Any in a runtime union needs Python 3.11
#: an IANA name, a tzinfo, or None (``PERFTEL_TIMEZONE``, else UTC)
ZoneLike = Union[str, tzinfo, None]  # noqa: UP007 - a runtime alias, kept like DateLike

UTC = timezone.utc
ACCEPTED_FORMS = (
    "YYYY-MM-DD (a whole day), an ISO-8601 time such as 2026-11-01T09:30 or 2026-11-01T09:30:00-03:00, "
    "a datetime.date or datetime.datetime, a pandas Timestamp or a numpy datetime64"
)


# -- time zones --------------------------------------------------------------------------------------
def zone(tz: ZoneLike = None) -> tzinfo:
    """The tzinfo for ``tz``: an IANA name, a tzinfo (pytz zones become ZoneInfo), or ``None`` →
    ``PERFTEL_TIMEZONE`` when set, else UTC. Raises ConfigError for an unknown name."""
    source = "timezone"
    if tz is None or tz == "":
        from perftel import config

        tz, source = config.env("PERFTEL_TIMEZONE"), "PERFTEL_TIMEZONE"
        if not tz:
            return UTC
    if isinstance(tz, str):
        from perftel.company import timezone_named

        return timezone_named(tz, source=source)
    if isinstance(tz, tzinfo):
        return _plain_zone(tz)
    raise ConfigError(
        f"{source}={tz!r} is not a time zone: use an IANA name such as 'America/Sao_Paulo'.", field=source
    )


def _plain_zone(tz: tzinfo) -> tzinfo:
    """pytz zones cannot do wall-clock arithmetic with ``replace``/``combine``: use the ZoneInfo of that name."""
    name = getattr(tz, "zone", None)
    if name and hasattr(tz, "localize"):
        try:
            return ZoneInfo(name)
        except (ValueError, OSError, KeyError):  # pragma: no cover - a pytz name unknown to tzdata
            return tz
    return tz


def day_start(day: date, tz: ZoneLike = None) -> datetime:
    """The first instant (aware UTC) of the local calendar day ``day`` in ``tz``.

    Usually local midnight. When midnight does not exist (a daylight-saving gap at 00:00), the instant
    the clocks jump; when it happens twice (a fold), the earlier one.
    """
    tz = zone(tz)
    wall = datetime.combine(day, time.min)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first <= second:  # exists once (equal), or twice (the earlier is fold=0)
        return first
    # A gap: fold=1 (the new offset) lies before the jump, fold=0 (the old offset) at or after it.
    # The jump is the first whole second whose wall clock reads day 00:00 or later.
    lo, hi = int(second.timestamp()), int(first.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def day_length(day: date, tz: ZoneLike = None) -> timedelta:
    """How long the local day ``day`` lasts in ``tz``: 24 hours, or 23/25 on daylight-saving days."""
    return day_start(day + timedelta(days=1), tz) - day_start(day, tz)


# -- reading what users give -------------------------------------------------------------------------
def _garbage(value: Any, field: str, why: str = "is not a date") -> ConfigError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return ConfigError(f"{field} {shown} {why}: use {ACCEPTED_FORMS}.", field=field)


def _is_nat(value: Any) -> bool:
    return type(value).__name__ == "NaTType"


def _from_numpy(value: Any, field: str) -> date | datetime:
    np = sys.modules["numpy"]
    if getattr(value, "ndim", 0) != 0:
        raise _garbage(value, field, "is an array, not one date")
    value = value[()] if isinstance(value, np.ndarray) else value
    if np.isnat(value):
        raise _garbage(value, field, "is NaT (not a time)")
    unit = np.datetime_data(value.dtype)[0]
    if unit in ("Y", "M", "W", "generic"):
        raise _garbage(
            value, field, f"is a {dict(Y='year', M='month', W='week').get(unit, 'unitless')} value, not a day"
        )
    moment = value.astype("datetime64[D]" if unit == "D" else "datetime64[us]").item()
    if not isinstance(moment, (date, datetime)):  # outside the years 1-9999
        raise _garbage(value, field, "is outside the years 1-9999")
    return moment


def read_date(value: DateLike, *, field: str = "date") -> date | datetime:
    """A date-like as a plain ``date`` (no time given) or a ``datetime`` (naive or aware, pytz → ZoneInfo).

    Raises ConfigError (``field`` names the argument) for anything that is not one of the accepted forms.
    """
    if value is None:
        raise ConfigError(f"{field} is missing: give {ACCEPTED_FORMS}.", field=field)
    if isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"  # Python 3.10's fromisoformat does not read Z
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise _garbage(value, field) from None
        return moment.replace(tzinfo=_plain_zone(moment.tzinfo)) if moment.tzinfo else moment
    if _is_nat(value):
        raise _garbage(value, field, "is NaT (not a time)")
    if isinstance(value, datetime):
        if hasattr(value, "to_pydatetime"):  # pandas Timestamp: nanoseconds below a microsecond are dropped
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = value.to_pydatetime()
        if value.tzinfo is not None:
            plain = _plain_zone(value.tzinfo)
            if plain is not value.tzinfo:
                value = value.astimezone(plain)
        return value
    if isinstance(value, date):
        return value
    np = sys.modules.get("numpy")
    if (
        np is not None
        and isinstance(value, (np.datetime64, np.ndarray))
        and np.issubdtype(value.dtype, np.datetime64)
    ):
        return _from_numpy(value, field)
    if type(value).__name__ == "Period" and hasattr(value, "freqstr"):  # pandas Period: a day only
        if value.freqstr != "D":
            raise _garbage(value, field, f"is a period of {value.freqstr!r}, not a day")
        return date(value.year, value.month, value.day)
    raise _garbage(value, field)


def is_whole_day(value: date | datetime) -> bool:
    """True for a date, or a datetime at midnight (00:00:00.000000) on its own clock."""
    return not isinstance(value, datetime) or value.time() == time.min


def to_utc(value: DateLike, *, end: bool = False, tz: ZoneLike = None, field: str | None = None) -> datetime:
    """One bound of a range as an aware UTC datetime (see the module docstring for the rules).

    A whole day means its first instant, or — with ``end=True`` — the first instant of the next day, so
    ``end_date=2026-11-26`` includes the whole of the 26th. Naive values are read in ``tz``.
    Raises ConfigError for a value that is not a date.
    """
    field = field or ("end_date" if end else "start_date")
    moment = read_date(value, field=field)
    clock = zone(tz)
    try:
        if isinstance(moment, datetime) and moment.tzinfo is not None:
            if moment.time() != time.min:  # an explicit time
                return moment.astimezone(UTC)
            local = moment.astimezone(clock)
            if local.time() == time.min:  # also the company's midnight: the company's day (DST-aware)
                moment = local.replace(tzinfo=None)
            else:  # midnight on its own clock only: that zone's whole day
                clock, moment = moment.tzinfo, moment.replace(tzinfo=None)
        if is_whole_day(moment):
            day = moment.date() if isinstance(moment, datetime) else moment
            return day_start(day + timedelta(days=1) if end else day, clock)
        return moment.replace(tzinfo=clock).astimezone(UTC)
    except OverflowError:
        raise _garbage(value, field, "is too close to the year 1 or 9999") from None


def utc_range(start: DateLike, end: DateLike, *, tz: ZoneLike = None) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC for two date-likes read in ``tz`` (a whole-day end includes that day).

    Raises ConfigError for a value that is not a date, or when the end is not after the start.
    """
    lo, hi = to_utc(start, tz=tz), to_utc(end, end=True, tz=tz)
    if hi <= lo:
        raise ConfigError(
            f"The end ({_show(end)}) is before the start ({_show(start)}): pick an end on or after the start.",
            field="end_date",
        )
    return lo, hi


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def to_day(value: DateLike, *, tz: ZoneLike = None, field: str = "date") -> date:
    """The local calendar day of a date-like: its own date when naive or a date, else its date in ``tz``."""
    moment = read_date(value, field=field)
    if isinstance(moment, datetime):
        return moment.astimezone(zone(tz)).date() if moment.tzinfo else moment.date()
    return moment


def local_day_range(
    start: DateLike, end: DateLike | None = None, *, tz: ZoneLike = None
) -> tuple[datetime, datetime]:
    """The whole local days ``start``..``end`` (both included; ``end`` None: just ``start``'s day) in
    ``tz`` as a UTC ``[first instant, first instant of the day after end)``. Times are ignored: each
    value stands for its local day (see :func:`to_day`). Raises ConfigError when end is before start."""
    first = to_day(start, tz=tz, field="start")
    last = to_day(end, tz=tz, field="end") if end is not None else first
    if last < first:
        raise ConfigError(
            f"The end ({last}) is before the start ({first}): pick an end on or after the start.", field="end"
        )
    return day_start(first, tz), day_start(last + timedelta(days=1), tz)


def today(tz: ZoneLike = None, *, now: datetime | None = None) -> date:
    """Today's date in ``tz`` (``now`` for tests: an aware instant)."""
    return (now or datetime.now(UTC)).astimezone(zone(tz)).date()


def last_days(days: int, *, now: datetime | None = None, tz: ZoneLike = None) -> tuple[datetime, datetime]:
    """The last ``days`` whole local days up to now: ``[first instant of today - (days-1), now)`` in UTC.

    Raises ConfigError when ``days`` is below 1.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ConfigError(f"--days must be a whole number of at least 1 (got {days!r}).", field="days")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return day_start(today(tz, now=now) - timedelta(days=days - 1), tz), now


def last_days_dates(days: int, *, now: datetime | None = None, tz: ZoneLike = None) -> tuple[date, date]:
    """The first and last local day (today) of the last ``days`` days, for a report's period."""
    last_days(days, now=now, tz=tz)  # validates days
    end = today(tz, now=now)
    return end - timedelta(days=days - 1), end


# -- instants from APIs and files ---------------------------------------------------------------------
def parse_time(value: object) -> datetime | None:
    """An ISO-8601 time from an API or a file → aware datetime (naive ones are UTC); ``None`` for
    null/empty/unparseable. Also takes a datetime (naive = UTC)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def utc_date(moment: datetime) -> date:
    """The UTC calendar date of an instant (naive = UTC), for APIs that filter by UTC date."""
    return moment.date() if moment.tzinfo is None else moment.astimezone(UTC).date()


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
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- local display (notebooks, tables, charts) ---------------------------------------------------------
def to_local(value: Any, tz: ZoneLike = None) -> Any:
    """UTC instants → the same instants on ``tz``'s clock, for display and for grouping by local day/hour.

    * a ``datetime`` (naive = UTC, as stored) or an ISO string → an aware datetime in ``tz``;
      ``None``/NaT → ``None``;
    * a pandas ``Series`` of datetimes or ISO strings (naive = UTC) → a tz-aware Series in ``tz``
      (``.dt.date`` is then the local day, ``.dt.hour`` the local hour); a ``DatetimeIndex`` likewise.

    Raises ConfigError for an unknown zone.
    """
    clock = zone(tz)
    if value is None or _is_nat(value):
        return None
    if isinstance(value, (str, datetime)):
        moment = parse_time(value)
        if moment is None:
            raise _garbage(value, "time")
        return moment.astimezone(clock)
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(value, (pd.Series, pd.DatetimeIndex)):
        stamps = pd.to_datetime(value, utc=True)
        key = getattr(clock, "key", None) or ("UTC" if clock is UTC else clock)
        return stamps.dt.tz_convert(key) if isinstance(stamps, pd.Series) else stamps.tz_convert(key)
    raise ConfigError(
        f"to_local takes a datetime, an ISO string or a pandas Series, not {type(value).__name__}.",
        field="time",
    )


def in_range(stamps: Any, start: DateLike | None, end: DateLike | None, *, tz: ZoneLike = None) -> Any:
    """A boolean pandas Series: which of ``stamps`` (UTC instants; naive = UTC) fall in the range
    ``start``..``end`` read like :func:`utc_range` in ``tz`` (``None``: open on that side)."""
    pd = sys.modules.get("pandas")
    if pd is None:  # pragma: no cover - a Series implies pandas is imported
        import pandas as pd
    moments = pd.to_datetime(stamps, utc=True)
    keep = pd.Series(True, index=getattr(stamps, "index", None))
    if start is not None and end is not None:
        lo, hi = utc_range(start, end, tz=tz)
    else:
        lo = to_utc(start, tz=tz) if start is not None else None
        hi = to_utc(end, end=True, tz=tz) if end is not None else None
    if lo is not None:
        keep &= moments >= lo
    if hi is not None:
        keep &= moments < hi
    return keep
