"""How an API reports errors: the one hook a provider customises (:class:`ErrorHook`).

:meth:`perftel.http.client.ApiClient.error_for` turns every failed response into perftel's error tree
(status → :class:`~perftel.errors.AuthError`, :class:`~perftel.errors.NotFoundError`, …, secrets
redacted). A provider's connection module subclasses :class:`ErrorHook` to say two things, and nothing
else customises errors:

* ``parse(response)`` — the provider's own error code and message from its error body;
* ``refine(error, response)`` — the final error: a clearer message (what to check), a wait read from a
  provider header, or another class (a refused signed media link is a retryable ``DownloadError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from perftel.errors import PerftelError


@dataclass(frozen=True)
class ErrorInfo:
    """What a provider's error body says: its own code and message (either may be None)."""

    code: str | None = None
    message: str | None = None


def error_body(response: httpx.Response) -> dict[str, Any] | None:
    """An error response's JSON object, or None when the body is not one (every parser starts here)."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def parse_generic_error(response: httpx.Response) -> ErrorInfo:
    """The common shapes: ``errorCode``/``error``/``code`` and ``message``/``error_description``/``detail``."""
    body = error_body(response)
    if body is None:
        return ErrorInfo(None, None)
    code = body.get("errorCode") or body.get("error") or body.get("code")
    message = body.get("message") or body.get("error_description") or body.get("detail")
    return ErrorInfo(str(code) if code is not None else None, str(message) if message is not None else None)


def reworded(error: PerftelError, message: str) -> PerftelError:
    """``error`` with ``message`` instead of its own (its class, status, code and URL kept)."""
    error.message = message
    error.args = (message,)
    return error


class ErrorHook:
    """The default hook: the common error-body shapes, the error left as it is. Subclass per API."""

    def parse(self, response: httpx.Response) -> ErrorInfo:
        """The provider's error code and message in ``response`` (a failed one)."""
        return parse_generic_error(response)

    def refine(self, error: PerftelError, response: httpx.Response) -> PerftelError:
        """The error to raise for ``response``, given the one built from its status and :meth:`parse`."""
        return error
