"""Request-rate windows the emulators enforce; each provider turns a refusal into its own 429.

* :class:`SlidingWindow` — at most ``limit`` hits per ``window`` seconds, with an optional penalty window
  (GoTo's per-API limit, RingCentral's throttling groups).
* :class:`SandboxRateLimiter` — one sliding window per bucket name (GoTo).
* :class:`FixedWindow` — ``limit`` requests per window that starts with the first request (Aircall).

Times are ``time.monotonic()`` seconds except :class:`FixedWindow`'s, which are UNIX seconds because its
reset time goes on the wire. Standard library only.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindow:
    """At most ``limit`` accepted hits in any ``window`` seconds. Not locked: callers hold their own lock.

    ``hits`` are the accepted hits' monotonic times; ``penalty_until`` the monotonic time a refusal's
    penalty window ends (0 = none).
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.hits: deque[float] = deque()
        self.penalty_until = 0.0

    @property
    def remaining(self) -> int:
        """How many more hits the current window accepts (never below 0)."""
        return max(0, self.limit - len(self.hits))

    def admit(
        self, now: float, *, enforce: bool = True, forced: bool = False, penalty: float = 0.0
    ) -> tuple[bool, bool]:
        """``(allowed, penalised)`` for a hit at ``now``: refused inside a penalty window (``penalised``),
        when ``forced``, or when ``enforce`` and the window is full. An accepted hit is counted; a refused
        one starts (or restarts) a penalty window of ``penalty`` seconds."""
        while self.hits and now - self.hits[0] >= self.window:
            self.hits.popleft()
        penalised = now < self.penalty_until
        allowed = not (penalised or forced or (enforce and len(self.hits) >= self.limit))
        if allowed:
            self.hits.append(now)
        else:
            self.penalty_until = now + penalty
        return allowed, penalised


class SandboxRateLimiter:
    """At most ``limit`` accepted requests per ``per`` seconds for each bucket (sliding window). Thread-safe."""

    def __init__(self, limit: int, per: float = 1.0) -> None:
        self.limit, self.per = limit, per
        self._lock = threading.Lock()
        self._seen: dict[str, SlidingWindow] = {}

    def allow(self, bucket: str) -> bool:
        """Count a request in ``bucket`` and say whether it is within the limit (a refused one is not counted)."""
        now = time.monotonic()
        with self._lock:
            return self._seen.setdefault(bucket, SlidingWindow(self.limit, self.per)).admit(now)[0]


class FixedWindow:
    """``limit`` requests per ``window`` seconds; a window starts with the first request after the last one
    ended. Not locked: callers hold their own lock. With ``enforce`` off nothing is refused and
    ``remaining`` always reads ``limit``."""

    def __init__(self, limit: int, window: float, *, enforce: bool = True) -> None:
        self.limit, self.window, self.enforce = limit, window, enforce
        self.start, self.used = 0.0, 0

    def admit(self, now: float) -> tuple[bool, int, float]:
        """``(limited, remaining, reset)`` for a request at UNIX time ``now``; ``reset`` is the UNIX time the
        window ends. A refused request is not counted."""
        if now >= self.start + self.window:
            self.start, self.used = now, 0
        limited = self.enforce and self.used >= self.limit
        self.used += 0 if limited else 1
        remaining = max(0, self.limit - self.used) if self.enforce else self.limit
        return limited, remaining, self.start + self.window
