"""A small thread-safe mapping that keeps only its most recent entries.

The one bounded cache of the providers. Drivers remember things from a listing for the downloads that
follow (a recording's status, a media URL) and the ids a listing already gave (to drop repeated rows).
Keeping all of them would make memory grow with the number of calls; keeping the last few thousand
costs little, and a miss only means one more request (or the caller passes the listed
:class:`~perftel.models.Recording` again through ``Provider.remember``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedDict(Generic[K, V]):
    """The ``maxsize`` most recently set entries; older ones are forgotten."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def __getitem__(self, key: K) -> V:
        with self._lock:
            return self._items[key]

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value of ``key`` (it does not count as a use: the order is by setting), else ``default``."""
        with self._lock:
            return self._items.get(key, default)

    def pop(self, key: K, default: V | None = None) -> V | None:
        """Remove ``key`` and return its value, else ``default``."""
        with self._lock:
            return self._items.pop(key, default)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[K]:
        with self._lock:
            return iter(list(self._items))
