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


def scalar_text(value: Any) -> str | None:
    """Text of a string or number (stripped; None when blank); None for objects, lists, booleans, null."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return str(value).strip() or None


#: Keys an object-valued ``"error"`` (``{"error": {"code", "message"}}``) or an ``errors[0]`` names its
#: code and its message by, in this order (Google/JSON:API/OAuth-like shapes).
INNER_CODE_KEYS = ("code", "errorCode", "error", "type", "status")
INNER_MESSAGE_KEYS = ("message", "description", "error_description", "detail", "title")


def read_error(body: dict[str, Any], code_keys: tuple[str, ...], message_keys: tuple[str, ...]) -> ErrorInfo:
    """The code and message of an error body: the first of ``code_keys``/``message_keys`` at the top that is
    text or a number, else those of an object-valued ``"error"``, else of the first ``"errors"`` entry
    (:data:`INNER_CODE_KEYS`, :data:`INNER_MESSAGE_KEYS`). An object is never turned into the text of a dict.
    """
    inner = body.get("error") if isinstance(body.get("error"), dict) else {}
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    first = next((e for e in errors if isinstance(e, dict)), {})

    def pick(sources: list[tuple[dict[str, Any], tuple[str, ...]]]) -> str | None:
        return next((t for src, keys in sources for k in keys if (t := scalar_text(src.get(k)))), None)

    code = pick([(body, code_keys), (inner, INNER_CODE_KEYS), (first, INNER_CODE_KEYS)])
    message = pick([(body, message_keys), (inner, INNER_MESSAGE_KEYS), (first, INNER_MESSAGE_KEYS)])
    return ErrorInfo(code, message)


def parse_generic_error(response: httpx.Response) -> ErrorInfo:
    """The common shapes: ``errorCode``/``error``/``code`` and ``message``/``error_description``/``detail``;
    an object-valued ``error`` or an ``errors`` list gives its own code and message (:func:`read_error`)."""
    body = error_body(response)
    if body is None:
        return ErrorInfo(None, None)
    return read_error(body, ("errorCode", "error", "code"), ("message", "error_description", "detail"))


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
