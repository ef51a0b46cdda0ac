"""Run-time fault switches every sandbox shares, and the wire-level faults the HTTP scaffold applies.

:class:`Faults` holds counters and values tests flip from any thread; ``take(name)`` atomically consumes
one unit of a counter. :func:`spoil` spoils a good answer the way networks and storage do (malformed
JSON, vanished or mislabelled media, a repeated page). Each emulator turns :meth:`Faults.next_server_error`
and its own 429 into its provider's error body. Standard library only.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from perftel_sandbox.messages import SandboxRequest, SandboxResponse, text_response

PAGING_PARAMS = frozenset({"Page", "PageToken", "page", "pageMarker"})  # Twilio, Aircall/RingCentral, GoTo


class Faults:
    """Run-time fault switches shared by every sandbox; plain attributes, safe to set from any thread.

    ``rate_limit_burst``  next N API requests get the provider's 429
    ``server_errors``     next N API requests get a 5xx (503 and 500 alternating, see :meth:`next_server_error`)
    ``slow_seconds``      delay every API answer by this many seconds
    ``truncate_media``    next N media downloads announce the full Content-Length, send less, and close

    Wire-level faults, the same for every provider (applied by the scaffold to GET requests only, so a
    single-use token is never spent by a fault):

    ``connection_resets``  next N GETs: the connection is closed without an answer
    ``malformed_json``     next N JSON answers: status 200, the body cut in half
    ``wrong_content_type`` next N media answers: an HTML page instead of audio
    ``vanish_media``       next N media answers: 404, as if the recording was deleted after listing
    ``stall_requests``     next N GETs wait ``stall_seconds`` before answering (client time-outs)
    ``repeat_pages``       next N requests for the next page of a list get the previous page again (its
                           rows and its own next link), as a server that lost its place would send;
                           never twice in a row, so the repeats spread over the listings

    Counters are consumed with :meth:`take`. Subclasses add their own switches as class attributes
    (ints are counters) and methods; ``sandbox`` is the emulator those methods act on (optional).
    """

    rate_limit_burst: int = 0
    server_errors: int = 0
    slow_seconds: float = 0.0
    truncate_media: int = 0
    connection_resets: int = 0
    malformed_json: int = 0
    wrong_content_type: int = 0
    vanish_media: int = 0
    stall_requests: int = 0
    stall_seconds: float = 2.0
    repeat_pages: int = 0

    def __init__(self, sandbox: Any = None) -> None:
        self._lock = threading.RLock()
        self._sandbox = sandbox
        self._last_page: dict[tuple[str, str], tuple[dict[str, str], SandboxResponse, bool]] = {}
        self._server_errors_sent = 0  # not a switch: reset() keeps the 503/500 alternation going

    def take(self, name: str) -> bool:
        """If counter ``name`` is positive, decrement it and return True (atomically)."""
        with self._lock:
            value = getattr(self, name)
            if value > 0:
                setattr(self, name, value - 1)
                return True
            return False

    def reset(self) -> None:
        """Every switch back to its class default."""
        with self._lock:
            self._last_page.clear()
            for klass in type(self).__mro__:
                for name, value in vars(klass).items():
                    if not name.startswith("_") and isinstance(value, (int, float)) and name in vars(self):
                        delattr(self, name)  # back to the class default

    def pause(self) -> None:
        """Sleep ``slow_seconds`` (seconds) when that switch is on; the caller's thread blocks."""
        if self.slow_seconds > 0:
            time.sleep(self.slow_seconds)

    def next_server_error(self) -> int | None:
        """The status of the next forced server error — 503, then 500, alternating over the sandbox's
        life — when ``server_errors`` has one left (consumed), else ``None``."""
        if not self.take("server_errors"):
            return None
        with self._lock:
            self._server_errors_sent += 1
            return 503 if self._server_errors_sent % 2 == 1 else 500

    def truncation(self, size: int) -> int | None:
        """``truncate_to`` for a media answer of ``size`` bytes: half of it when ``truncate_media`` has one
        left (consumed), else ``None`` (send it all)."""
        return size // 2 if self.take("truncate_media") else None


def _repeated_page(faults: Faults, request: SandboxRequest, response: SandboxResponse) -> SandboxResponse:
    """The previous page of the same list (same path and filters, another page), when the switch says so."""
    filters = sorted((k, v) for k, v in request.query.items() if k not in PAGING_PARAMS)
    key = (request.path, repr(filters))
    with faults._lock:
        previous = faults._last_page.get(key)
        paging = {k: v for k, v in request.query.items() if k in PAGING_PARAMS}
        if previous is not None and previous[0] != paging and not previous[2] and faults.take("repeat_pages"):
            faults._last_page[key] = (*previous[:2], True)
            return previous[1]
        faults._last_page[key] = (paging, response, False)
    return response


def spoil(faults: Faults, request: SandboxRequest, response: SandboxResponse) -> SandboxResponse:
    """Spoil a good (200) answer the way networks and storage do, when a wire-level switch says so:
    a repeated page, JSON cut in half, media that vanished (404) or came back as an HTML page."""
    if response.status != 200:
        return response
    content_type = response.headers.get("Content-Type", "")
    if "json" in content_type and request.method == "GET" and faults.repeat_pages:
        response = _repeated_page(faults, request, response)
    if "json" in content_type and faults.take("malformed_json"):
        return SandboxResponse(200, response.body[: len(response.body) // 2], dict(response.headers))
    if content_type.startswith("audio/"):
        if faults.take("vanish_media"):
            return text_response(404, "Not Found")
        if faults.take("wrong_content_type"):
            return text_response(200, "<html><body>Please sign in</body></html>", "text/html; charset=utf-8")
    return response
