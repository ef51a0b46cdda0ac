"""Tolerant readers of provider JSON: any value may be missing, null, empty or of an unexpected type.

Every provider mapping reads fields through these, so the same odd value means the same thing for
every provider: blank text is absent, a number may come as a string, and a time may be UNIX seconds,
UNIX milliseconds or ISO-8601. Nothing here raises for bad input; it answers ``None`` instead.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

from perftel.dates import parse_time

#: A UNIX time above this is taken as milliseconds: 1e11 seconds is the year 5138.
MILLISECONDS_ABOVE = 1e11


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
    ISO-8601 with ``Z``, ``±hh:mm`` or ``±hhmm`` (a time without an offset is taken as UTC).
    """
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    number = to_float(value)
    if number is not None:
        if number < 0:
            return None
        try:
            return datetime.fromtimestamp(unix_seconds(number), timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    raw = text(value)
    if raw is None:
        return None
    found = parse_time(raw)
    if found is None and len(raw) > 5 and raw[-5] in "+-" and raw[-4:].isdigit():  # +0000: no colon
        found = parse_time(f"{raw[:-2]}:{raw[-2:]}")
    return found.astimezone(timezone.utc) if found is not None else None
