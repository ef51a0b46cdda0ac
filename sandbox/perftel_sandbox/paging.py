"""Paging pieces the emulators share: opaque signed cursors, list orders, keyset slicing.

Each provider keeps its own wire format (GoTo's ``nextPageMarker``, Twilio's ``PageToken``, RingCentral's
and Aircall's page numbers); these helpers only decide *which rows* a page holds. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

LIST_ORDERS = ("newest", "oldest", "shuffled")


class CursorCodec:
    """Opaque, signed paging cursors: a JSON-able key bound to one query; tampered or foreign → None."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(secret.encode()).digest()

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:12]

    def encode(self, key: Any, query_id: str) -> str:
        """``key`` (JSON-able) as an unpadded base64url cursor valid only for ``query_id``."""
        payload = json.dumps({"k": key, "q": hashlib.sha256(query_id.encode()).hexdigest()[:16]}).encode()
        return base64.urlsafe_b64encode(payload + self._sign(payload)).decode("ascii").rstrip("=")

    def decode(self, cursor: str, query_id: str) -> Any | None:
        """The key :meth:`encode` put in ``cursor`` (JSON lists come back as lists), or ``None`` when the
        cursor is malformed, tampered with or was issued for another query."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload, signature = raw[:-12], raw[-12:]
            if len(raw) <= 12 or not hmac.compare_digest(signature, self._sign(payload)):
                return None
            data = json.loads(payload)
            if data["q"] != hashlib.sha256(query_id.encode()).hexdigest()[:16]:
                return None
            return data["k"]
        except (ValueError, KeyError, TypeError):
            return None


def check_list_order(order: str) -> str:
    """A sandbox's ``list_order`` option: real APIs do not promise one, so clients must not rely on it.

    Returns ``order``; raises ``ValueError`` unless it is one of :data:`LIST_ORDERS`.
    """
    if order not in LIST_ORDERS:
        raise ValueError(f"list_order must be one of {', '.join(LIST_ORDERS)}, not {order!r}")
    return order


def list_key(order: str, key: Callable[[Any], tuple], seed: int) -> tuple[Callable[[Any], tuple], bool]:
    """(sort key, reverse) that lists rows in ``order``: by ``key`` newest or oldest first, or shuffled
    (a fixed pseudo-random order, the same for every page of one query, so paging still works)."""
    if order == "shuffled":
        return (lambda row: (hashlib.sha256(f"{seed}|{key(row)}".encode()).hexdigest(), *key(row))), False
    return key, order == "newest"


def rows_after(rows: list, key: Callable[[Any], tuple], after: Any, *, descending: bool = False) -> list:
    """Keyset paging: the ``rows`` (already sorted by ``key``) that come after the cursor key ``after``
    (a list or tuple, as decoded from a cursor) — smaller keys when ``descending``, else larger ones."""
    bound = tuple(after)
    return [r for r in rows if (key(r) < bound if descending else key(r) > bound)]
