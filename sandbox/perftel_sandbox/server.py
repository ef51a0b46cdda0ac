"""A small HTTP scaffold the provider sandboxes are built on. Standard library only.

:class:`SandboxServer` — a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0 = ephemeral) running in a daemon
thread, with a :class:`Router` (``/calls/{call_id}`` style path parameters), a thread-safe
:class:`RequestLog`, ``stop()`` / context-manager use, and a second loopback name for "another host"
(media hosts). The request/response objects are in :mod:`perftel_sandbox.messages`; the wire-level faults
it applies to GET requests in :mod:`perftel_sandbox.faults`.

Nothing here knows any provider; each provider module subclasses :class:`SandboxServer`, registers its
routes in ``__init__`` and may override :meth:`SandboxServer.dispatch` to add auth/faults around them.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from perftel_sandbox.faults import Faults, spoil
from perftel_sandbox.messages import SandboxRequest, SandboxResponse, text_response

Handler = Callable[[SandboxRequest], SandboxResponse]


class Router:
    """Maps ``(method, "/a/{name}/b")`` patterns to handlers; a ``{name}`` matches one path segment."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Route ``method`` requests whose path matches ``pattern`` (``{name}`` = one segment) to ``handler``."""
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
        """Keep ``request``; past :attr:`max_items` the oldest are dropped."""
        with self._lock:
            self._items.append(request)
            if len(self._items) > self.max_items:
                del self._items[: len(self._items) - self.max_items]

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[SandboxRequest]:
        """A copy of the log, oldest first."""
        with self._lock:
            return list(self._items)

    def matching(self, path_prefix: str = "", method: str | None = None) -> list[SandboxRequest]:
        """The logged requests whose path starts with ``path_prefix`` (and of ``method``, if given)."""
        return [r for r in self.snapshot() if r.path.startswith(path_prefix) and method in (None, r.method)]

    def __iter__(self) -> Iterator[SandboxRequest]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index):  # noqa: ANN001 - int or slice, like a list
        with self._lock:
            return self._items[index]


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
            response = spoil(faults, request, response)
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


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: SandboxServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up early (timeouts, truncated downloads) are normal here: stay quiet."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SandboxServer:
    """Base of every provider sandbox: owns the HTTP server, thread, router and request log.

    ``base_url`` is ``http://<host>:<port>``; ``media_base_url`` is the same server under the other
    loopback name (``localhost`` ↔ ``127.0.0.1``), so a client sees media on *another host* and must not
    send it the API's credentials.
    """

    provider = "sandbox"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.router = Router()
        self.requests = RequestLog()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.owner = self
        self.host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self.media_host = "localhost" if self.host != "localhost" else "127.0.0.1"
        self.media_base_url = f"http://{self.media_host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        """Serve in a daemon thread (idempotent); returns ``self``."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, args=(0.05,), name=f"{self.provider}-sandbox", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (waits up to 5 s for the thread) and close the socket."""
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
        """Plain-text 404 (no route) or 405 (the path exists for another method); providers override."""
        if method_not_allowed:
            return text_response(405, f"{request.method} not allowed on {request.path}")
        return text_response(404, f"no route for {request.method} {request.path}")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"
