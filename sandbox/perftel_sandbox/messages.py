"""The request and response objects the sandboxes' handlers see, and the response builders.

* :class:`SandboxRequest` — one request as a handler sees it and as the request log keeps it.
* :class:`SandboxResponse` and :func:`json_response`, :func:`text_response`, :func:`redirect`,
  :func:`bytes_response`. A response may be marked ``truncate_to=n``: the full ``Content-Length`` is
  announced, only ``n`` bytes are sent, and the connection is closed (a broken download).

Provider-neutral; each emulator builds its own error bodies on top of these. Standard library only.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class SandboxRequest:
    """One request as a handler sees it and as the log keeps it (``status`` is set after answering).

    ``query`` is the URL query (last value wins), ``headers`` are lower-cased names, ``params`` the
    route's ``{name}`` path parameters; ``status`` is 0 for a connection reset on purpose; ``note`` is a
    free-text remark for tests (e.g. whether a media request carried credentials).
    """

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
        """Whether the request carried an ``Authorization`` header (of any scheme)."""
        return "authorization" in self.headers

    @property
    def host(self) -> str:
        """The ``Host`` header (``name:port``), or ``""``."""
        return self.headers.get("host", "")

    @property
    def authorization(self) -> tuple[str, str]:
        """``(scheme, credentials)`` of the ``Authorization`` header, split at the first space (``("", "")``
        when there is none); the credentials are not stripped."""
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        return scheme, value

    def basic_credentials(self, *, validate: bool = False) -> tuple[str, str] | None:
        """``(user, password)`` from an HTTP Basic ``Authorization`` header, or ``None`` when the scheme is
        not Basic or the value does not decode (``validate``: refuse characters outside base64 instead of
        skipping them). The value is stripped first; the password may be empty."""
        scheme, value = self.authorization
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = (
                base64.b64decode(value.strip(), validate=validate).decode("utf-8").partition(":")
            )
        except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
            return None
        return user, password

    def note_authorization(self) -> None:
        """Record in :attr:`note` whether credentials came along (media hosts must never get them)."""
        self.note = "authorization header present" if self.has_authorization else "no authorization header"

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (last value wins)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path} → {self.status}>"


@dataclass
class SandboxResponse:
    """An answer: HTTP ``status``, ``body`` bytes, ``headers`` (``Content-Length`` is added when sent) and
    ``truncate_to`` (send only that many bytes of the body, then close the connection)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    truncate_to: int | None = None


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> SandboxResponse:
    """``data`` as UTF-8 JSON (non-ASCII kept as is), ``Content-Type: application/json`` plus ``headers``."""
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return SandboxResponse(status, body, {"Content-Type": "application/json", **(headers or {})})


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> SandboxResponse:
    """``text`` as UTF-8 with the given content type (plain text by default)."""
    return SandboxResponse(status, text.encode("utf-8"), {"Content-Type": content_type})


def redirect(location: str, status: int = 302) -> SandboxResponse:
    """An empty redirect (302 by default) to ``location``."""
    return SandboxResponse(status, b"", {"Location": location})


def bytes_response(data: bytes, content_type: str, *, truncate_to: int | None = None) -> SandboxResponse:
    """A 200 with ``data`` as the body (e.g. audio); see :class:`SandboxResponse` for ``truncate_to``."""
    return SandboxResponse(200, data, {"Content-Type": content_type}, truncate_to=truncate_to)
