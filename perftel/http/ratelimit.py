"""Pacing: a token bucket per key (e.g. per API), shared by all threads of one client."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    """At most ``rate`` requests per second per key, with bursts up to ``burst``.

    ``pause(key, seconds)`` stops every request of that key until the time has passed (used when a
    provider answered 429 and said how long to wait).
    """

    def __init__(self, rate: float, *, burst: int | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1, int(rate))
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._stamp: dict[str, float] = {}
        self._paused_until: dict[str, float] = {}

    def acquire(self, key: str = "") -> float:
        """Block until a request for ``key`` may go; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                paused = self._paused_until.get(key, 0.0) - now
                if paused <= 0:
                    tokens = self._tokens.get(key, float(self.burst))
                    tokens = min(float(self.burst), tokens + (now - self._stamp.get(key, now)) * self.rate)
                    self._stamp[key] = now
                    if tokens >= 1.0:
                        self._tokens[key] = tokens - 1.0
                        return waited
                    self._tokens[key] = tokens
                    wait = (1.0 - tokens) / self.rate
                else:
                    wait = paused
            time.sleep(wait)
            waited += wait

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            self._paused_until[key] = max(self._paused_until.get(key, 0.0), until)
