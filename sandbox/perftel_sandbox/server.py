"""A small HTTP scaffold the provider sandboxes are built on. Standard library only.

* :class:`SandboxServer` — a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0 = ephemeral) running in a
  daemon thread, with a :class:`Router` (``/calls/{call_id}`` style path parameters), a thread-safe
  :class:`RequestLog`, and ``stop()`` / context-manager use.
* :class:`SandboxResponse` and the helpers :func:`json_response`, :func:`text_response`, :func:`redirect`,
  :func:`bytes_response`. A response may be marked ``truncate_to=n``: the full ``Content-Length`` is
  announced, only ``n`` bytes are sent, and the connection is closed (a broken download).
* :class:`Faults` — counters and values tests flip at run time; ``take(name)`` atomically consumes one
  unit of a counter. :class:`SandboxRateLimiter` — a sliding one-second window per bucket.
  :class:`CursorCodec` — opaque signed paging cursors bound to their query.

Nothing here knows any provider; each provider module subclasses :class:`SandboxServer`, registers its
routes in ``__init__`` and may override :meth:`SandboxServer.dispatch` to add auth/faults around them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class SandboxRequest:
    """One request as a handler sees it and as the log keeps it (``status`` is set after answering)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    note: str = ""

    @property
    def has_authorization(self) -> bool:
        return "authorization" in self.headers

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (last value wins)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path} → {self.status}>"


@dataclass
class SandboxResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    truncate_to: int | None = None


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> SandboxResponse:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return SandboxResponse(status, body, {"Content-Type": "application/json", **(headers or {})})


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> SandboxResponse:
    return SandboxResponse(status, text.encode("utf-8"), {"Content-Type": content_type})


def redirect(location: str, status: int = 302) -> SandboxResponse:
    return SandboxResponse(status, b"", {"Location": location})


def bytes_response(data: bytes, content_type: str, *, truncate_to: int | None = None) -> SandboxResponse:
    return SandboxResponse(200, data, {"Content-Type": content_type}, truncate_to=truncate_to)


Handler = Callable[[SandboxRequest], SandboxResponse]


class Router:
    """Maps ``(method, "/a/{name}/b")`` patterns to handlers; a ``{name}`` matches one path segment."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern))
        self._routes.append((method.upper(), re.compile(f"^{regex}$"), handler))

    def match(self, method: str, path: str) -> tuple[Handler | None, dict[str, str], bool]:
        """``(handler, params, path_known)``; ``path_known`` tells 405 from 404 when no handler matched."""
        path_known = False
        for route_method, regex, handler in self._routes:
            found = regex.match(path)
            if found:
                path_known = True
                if route_method == method:
                    return handler, found.groupdict(), True
        return None, {}, path_known


class RequestLog:
    """Thread-safe, list-like log of :class:`SandboxRequest` objects (iteration works on a snapshot)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[SandboxRequest] = []

    max_items = 10_000  # a long-running `perftel sandbox` keeps only the newest requests

    def append(self, request: SandboxRequest) -> None:
        with self._lock:
            self._items.append(request)
            if len(self._items) > self.max_items:
                del self._items[: len(self._items) - self.max_items]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[SandboxRequest]:
        with self._lock:
            return list(self._items)

    def matching(self, path_prefix: str = "", method: str | None = None) -> list[SandboxRequest]:
        return [r for r in self.snapshot() if r.path.startswith(path_prefix) and method in (None, r.method)]

    def __iter__(self) -> Iterator[SandboxRequest]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index):  # noqa: ANN001 - int or slice, like a list
        with self._lock:
            return self._items[index]


class Faults:
    """Run-time fault switches shared by every sandbox; plain attributes, safe to set from any thread.

    ``rate_limit_burst``  next N API requests get the provider's 429
    ``server_errors``     next N API requests get a 5xx
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
    (ints are counters) and methods.
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

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._last_page: dict[tuple[str, str], tuple[dict[str, str], SandboxResponse, bool]] = {}

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


class SandboxRateLimiter:
    """At most ``limit`` accepted requests per ``per`` seconds for each bucket (sliding window)."""

    def __init__(self, limit: int, per: float = 1.0) -> None:
        self.limit, self.per = limit, per
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def allow(self, bucket: str) -> bool:
        now = time.monotonic()
        with self._lock:
            window = self._seen.setdefault(bucket, deque())
            while window and now - window[0] >= self.per:
                window.popleft()
            if len(window) >= self.limit:
                return False
            window.append(now)
            return True


class CursorCodec:
    """Opaque, signed paging cursors: a JSON-able key bound to one query; tampered or foreign → None."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(secret.encode()).digest()

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:12]

    def encode(self, key: Any, query_id: str) -> str:
        payload = json.dumps({"k": key, "q": hashlib.sha256(query_id.encode()).hexdigest()[:16]}).encode()
        return base64.urlsafe_b64encode(payload + self._sign(payload)).decode("ascii").rstrip("=")

    def decode(self, cursor: str, query_id: str) -> Any | None:
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


LIST_ORDERS = ("newest", "oldest", "shuffled")


def check_list_order(order: str) -> str:
    """A sandbox's ``list_order`` option: real APIs do not promise one, so clients must not rely on it."""
    if order not in LIST_ORDERS:
        raise ValueError(f"list_order must be one of {', '.join(LIST_ORDERS)}, not {order!r}")
    return order


def list_key(order: str, key: Callable[[Any], tuple], seed: int) -> tuple[Callable[[Any], tuple], bool]:
    """(sort key, reverse) that lists rows in ``order``: by ``key`` newest or oldest first, or shuffled
    (a fixed pseudo-random order, the same for every page of one query, so paging still works)."""
    if order == "shuffled":
        return (lambda row: (hashlib.sha256(f"{seed}|{key(row)}".encode()).hexdigest(), *key(row))), False
    return key, order == "newest"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall
    server: _HTTPServer

    def _handle(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = SandboxRequest(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        owner = self.server.owner
        faults = getattr(owner, "faults", None) if self.command == "GET" else None
        if isinstance(faults, Faults) and faults.take("connection_resets"):
            request.status = 0
            owner.requests.append(request)
            self.close_connection = True  # hang up without a word
            return
        if isinstance(faults, Faults) and faults.take("stall_requests"):
            time.sleep(faults.stall_seconds)
        try:
            response = owner.dispatch(request)
        except Exception as exc:  # a sandbox bug must not hang the client
            response = text_response(500, f"sandbox error: {exc!r}")
        if isinstance(faults, Faults):
            response = _wire_faults(faults, request, response)
        request.status = response.status
        owner.requests.append(request)
        self._send(response)

    def _send(self, response: SandboxResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if response.truncate_to is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.truncate_to is not None:
            self.wfile.write(response.body[: response.truncate_to])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:  # quiet; the RequestLog keeps the record
        pass


PAGING_PARAMS = frozenset({"Page", "PageToken", "page", "pageMarker"})  # Twilio, Aircall/RingCentral, GoTo


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


def _wire_faults(faults: Faults, request: SandboxRequest, response: SandboxResponse) -> SandboxResponse:
    """Spoil a good answer the way networks and storage do, when a switch says so."""
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


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: SandboxServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up early (timeouts, truncated downloads) are normal here: stay quiet."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SandboxServer:
    """Base of every provider sandbox: owns the HTTP server, thread, router and request log."""

    provider = "sandbox"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.router = Router()
        self.requests = RequestLog()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.owner = self
        self.host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, args=(0.05,), name=f"{self.provider}-sandbox", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        """Route ``request``; subclasses wrap this with auth, rate limits and faults."""
        handler, params, path_known = self.router.match(request.method, request.path)
        if handler is None:
            return self.not_found(request, method_not_allowed=path_known)
        request.params = params
        return handler(request)

    def not_found(self, request: SandboxRequest, *, method_not_allowed: bool = False) -> SandboxResponse:
        if method_not_allowed:
            return text_response(405, f"{request.method} not allowed on {request.path}")
        return text_response(404, f"no route for {request.method} {request.path}")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"
