"""Opaque links a sandbox hands out: random URL-safe keys that stand for a value (a media file, a
recording id) and may expire — GoTo's content tokens and media URLs, Twilio's redirected media URLs.
Standard library only.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from typing import Any


class OpaqueLinks:
    """Random keys (``secrets.token_urlsafe(nbytes)``) mapped to values; with ``ttl`` (seconds) each key
    expires that long after it was issued, without it never (except by :meth:`expire_all`). Thread-safe."""

    def __init__(self, *, nbytes: int = 18, ttl: float | None = None) -> None:
        self.nbytes, self.ttl = nbytes, ttl
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Any, float]] = {}  # key → (value, UNIX expiry)

    def issue(self, value: Any) -> tuple[str, float]:
        """``(key, expiry)`` for a new key standing for ``value``; expiry in UNIX seconds (``inf`` without ttl)."""
        key = secrets.token_urlsafe(self.nbytes)
        expires = math.inf if self.ttl is None else time.time() + self.ttl
        with self._lock:
            self._entries[key] = (value, expires)
        return key, expires

    def get(self, key: str) -> tuple[Any, bool] | None:
        """``(value, expired)`` for an issued key, ``None`` for one never issued."""
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else (entry[0], entry[1] <= time.time())

    def expire_all(self) -> None:
        """Every key issued so far answers as expired (it still resolves to its value)."""
        with self._lock:
            self._entries = {key: (value, 0.0) for key, (value, _) in self._entries.items()}
