"""Pacing: a token bucket per key (e.g. per API), shared by all threads of one client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_EPSILON = 1e-9  # tokens: below this a bucket counts as full, so float rounding never waits 1e-17 s forever


class RateLimiter:
    """At most ``rate`` requests per second per key, with bursts up to ``burst``.

    ``pause(key, seconds)`` stops every request of that key until the time has passed (used when a
    provider answered 429 and said how long to wait).
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int | None = None,
        key_rates: dict[str, tuple[float, int]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``key_rates`` gives some keys their own ``(rate per second, burst)``, e.g. RingCentral's Heavy group.

        ``clock()`` (seconds, monotonic) and ``sleep(seconds)`` are the time source; tests pass a fake
        clock to check the pacing without waiting. Each :meth:`acquire` takes exactly one token.
        """
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1, int(rate))
        self.key_rates = dict(key_rates or {})
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._stamp: dict[str, float] = {}
        self._paused_until: dict[str, float] = {}

    def acquire(self, key: str = "") -> float:
        """Block until a request for ``key`` may go; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                paused = self._paused_until.get(key, 0.0) - now
                if paused <= 0:
                    rate, burst = self.key_rates.get(key, (self.rate, self.burst))
                    tokens = self._tokens.get(key, float(burst))
                    tokens = min(float(burst), tokens + (now - self._stamp.get(key, now)) * rate)
                    self._stamp[key] = now
                    if tokens >= 1.0 - _EPSILON:  # a refill of 0.1 s × 10/s may sum to 0.9999999999999998
                        self._tokens[key] = max(0.0, tokens - 1.0)
                        return waited
                    self._tokens[key] = tokens
                    wait = (1.0 - tokens) / rate
                else:
                    wait = paused
            self._sleep(wait)
            waited += wait

    def set_budget(self, key: str, remaining: int, reset_seconds: float) -> None:
        """Follow a provider's own count: ``remaining`` requests allowed in the next ``reset_seconds``."""
        with self._lock:
            if remaining <= 0:
                until = self._clock() + reset_seconds
                self._paused_until[key] = max(self._paused_until.get(key, 0.0), until)
            else:
                self._tokens[key] = min(self._tokens.get(key, float(remaining)), float(remaining))

    def pause(self, key: str, seconds: float) -> None:
        """Hold every request of ``key`` for ``seconds`` from now (a 429's ``Retry-After``).

        A pause already running longer is kept.
        """
        with self._lock:
            until = self._clock() + seconds
            self._paused_until[key] = max(self._paused_until.get(key, 0.0), until)
