"""The one retry policy: 429, 5xx and transport errors are retried with backoff, honouring Retry-After."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a failed request.

    ``max_attempts`` counts the first try. The wait doubles from ``backoff`` up to ``max_backoff``
    (with jitter) unless the server says how long in ``Retry-After``; a ``Retry-After`` above
    ``max_retry_after`` is not waited for (the error is raised instead). All times are seconds;
    ``statuses`` are the HTTP statuses worth another try.
    """

    max_attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 300.0
    statuses: frozenset[int] = RETRY_STATUSES

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` starts at 1).

        ``retry_after`` (seconds) when given; else exponential backoff with "equal jitter": a random
        value between half and all of ``min(max_backoff, backoff * 2**(attempt-1))``.
        """
        if retry_after is not None:
            return max(0.0, retry_after)
        base = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        return base * (0.5 + random.random() / 2)

    def sleep(self, attempt: int, retry_after: float | None = None) -> None:
        """Sleep :meth:`delay` seconds (``time.sleep``; the client uses its own ``sleep`` instead)."""
        time.sleep(self.delay(attempt, retry_after))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110 §10.2.3).

    A date is counted from now (UTC); a past date gives 0.0. None for no header or an unreadable one,
    non-finite numbers (``inf``, ``NaN``) included: they are no wait anyone can keep.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
