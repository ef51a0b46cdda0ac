"""Tolerant readers of provider JSON: any value may be missing, null, empty or of an unexpected type.

Every provider mapping reads fields through these, so the same odd value means the same thing for
every provider: blank text is absent, a number may come as a string, and a time may be UNIX seconds,
UNIX milliseconds or ISO-8601. Nothing here raises for bad input; it answers ``None`` instead.

It also holds the rules every mapping applies to what it read: a call without a start time is skipped
(:func:`start_or_skip`: it is never placed on a made-up time), and a length that is not a finite number
of seconds in ``[0, MAX_CALL_SECONDS]`` is unknown (:func:`call_seconds`, :func:`plausible_end`). Those
log a warning naming the provider and the call id only (never numbers, names or other personal data).
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta, timezone
from typing import Any

from perftel.dates import parse_time

log = logging.getLogger("perftel.providers")

#: A UNIX time above this is taken as milliseconds: 1e11 seconds is the year 5138.
MILLISECONDS_ABOVE = 1e11
#: Times from this instant on are taken as wrong values (far-future placeholders such as year 9999): None.
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)
#: A call (or leg) longer than this (2 days, in seconds) is taken as a wrong value: its length is unknown.
MAX_CALL_SECONDS = 2 * 86400.0


def text(value: Any) -> str | None:
    """A scalar as stripped text; ``None`` for null, blank text, dicts and lists."""
    if value is None or isinstance(value, (dict, list)):
        return None
    result = str(value).strip()
    return result or None


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def to_float(value: Any) -> float | None:
    """A finite number from a number or numeric text (``"12.5"``); ``None`` otherwise (booleans too)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def scalar(value: Any) -> str | int | float | bool | None:
    """A JSON scalar worth keeping as it is in ``extra``: text, a boolean, an integer or a *finite* float.

    ``None`` for null, objects, lists and non-finite numbers (``Infinity``/``NaN`` would not survive a
    strict JSON or Parquet reader downstream).
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value if isinstance(value, (str, int, bool)) else None


def to_int(value: Any) -> int | None:
    """An integer from a number or numeric text (``"50"``, ``"50.0"``, fractions cut); ``None`` otherwise."""
    number = to_float(value)
    return int(number) if number is not None else None


def unix_seconds(value: float) -> float:
    """A UNIX time in seconds, from seconds or milliseconds (above :data:`MILLISECONDS_ABOVE`)."""
    return value / 1000.0 if value > MILLISECONDS_ABOVE else float(value)


def moment(value: Any) -> datetime | None:
    """A time as an aware UTC datetime; ``None`` when absent or unreadable.

    Accepts UNIX seconds or milliseconds (numbers or numeric text; negative ones are refused) and
    ISO-8601 with ``Z``, ``±hh:mm`` or ``±hhmm`` (a time without an offset is taken as UTC). Non-finite
    numbers (``inf``, ``NaN``) and times at or after :data:`LATEST` are refused too.
    """
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    number = to_float(value)
    if number is not None:
        if number < 0:
            return None
        try:
            found = datetime.fromtimestamp(unix_seconds(number), timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
        return found if found < LATEST else None
    raw = text(value)
    if raw is None:
        return None
    found = parse_time(raw)
    if found is None and len(raw) > 5 and raw[-5] in "+-" and raw[-4:].isdigit():  # +0000: no colon
        found = parse_time(f"{raw[:-2]}:{raw[-2:]}")
    if found is None:
        return None
    try:
        found = found.astimezone(timezone.utc)
    except (OverflowError, ValueError):  # 9999-12-31T23:00-03:00 is past datetime.max in UTC
        return None
    return found if found < LATEST else None


def call_seconds(
    value: Any, *, provider: str, call_id: str, field: str = "duration", per_second: float = 1.0
) -> float | None:
    """A call's (or leg's) length in seconds from ``value``; ``None`` when it is absent or unusable.

    ``value`` is a number or numeric text in units of ``1/per_second`` s (``per_second=1000`` for
    milliseconds). Absent (null, blank) is ``None`` quietly; a value given but not a finite number in
    ``[0, MAX_CALL_SECONDS]`` (``"inf"``, ``NaN``, ``1e308``, ``-4``, ``"abc"``) is ``None`` with a warning
    naming ``provider``, ``call_id`` and ``field`` (not the value).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = to_float(value)
    seconds = number / per_second if number is not None else None
    if seconds is None or not 0 <= seconds <= MAX_CALL_SECONDS:
        log.warning(
            "%s call %s: its %s is not a usable length in seconds; taken as unknown.",
            provider,
            call_id,
            field,
        )
        return None
    return seconds


def plausible_end(
    started: datetime, ended: datetime | None, *, provider: str, call_id: str
) -> datetime | None:
    """``ended`` when it is neither before ``started`` nor more than :data:`MAX_CALL_SECONDS` after it.

    Else ``None`` (an end before the start quietly: providers send those for calls still ringing; one
    days later with a warning naming ``provider`` and ``call_id``).
    """
    if ended is None or ended < started:
        return None
    if ended - started > timedelta(seconds=MAX_CALL_SECONDS):
        log.warning("%s call %s ends implausibly late; its end is taken as unknown.", provider, call_id)
        return None
    return ended


def start_or_skip(started: datetime | None, *, provider: str, call_id: str) -> datetime | None:
    """The one rule for a call without a start time, for every provider: it is skipped.

    Returns ``started``; when it is ``None`` logs a warning naming ``provider`` and ``call_id`` (the
    mapping then returns ``None`` and the listing goes on). A call is never placed on a made-up time
    (the window start, the epoch, the time it was listed): it would land in the wrong day's numbers.
    """
    if started is None:
        log.warning("%s call %s has no start time; skipped.", provider, call_id)
    return started
