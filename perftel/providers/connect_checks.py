"""The pieces of the connect flow (:mod:`perftel.providers.connect`): what an attempt returns, and the
checks made before any credential is saved — the replace guard, the base URL's shape and that it
answers, and which input an error belongs next to.
"""

from __future__ import annotations

import enum
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from perftel.credentials import CredentialStore
from perftel.errors import ApiError, AuthError, ConfigError, CredentialsError, NetworkError, PerftelError
from perftel.models import ConnectionStatus
from perftel.providers.base import Provider
from perftel.providers.registry import get_provider_class

#: seconds to wait for a base URL's host to accept a TCP connection before calling it unreachable
CONNECT_TIMEOUT = 2.0
#: the field names results use besides the providers' credential fields
COMPANY, PROVIDER, BASE_URL, CODE, REPLACE = "company_id", "provider", "base_url", "code", "replace"


class Outcome(enum.Enum):
    """How a connect attempt ended. Only ``CONNECTED`` and ``SAVED_UNTESTED`` saved anything."""

    CONNECTED = "connected"  # tested, then saved
    SAVED_UNTESTED = "saved_untested"  # test=False: saved as given, the provider not contacted
    NEEDS_CONSENT = "needs_consent"  # waiting for the redirected URL of the one-time consent
    INVALID = "invalid"  # the input is wrong; the provider was not contacted
    EXISTS = "exists"  # saved credentials exist and replace was not asked
    FAILED = "failed"  # unreachable, refused, or the consent failed


@dataclass(frozen=True)
class ConnectResult:
    """What :func:`connect_account` did; the CLI prints ``message``, the form shows it and ``errors``.

    Attributes:
        outcome: how it ended (:class:`Outcome`).
        message: one or two sentences naming the problem and what to do; never a secret.
        provider_name: the registry name (``goto_connect``) or the name as given when unknown.
        display_name: the provider as users know it (``GoTo Connect``), or the name as given.
        errors: field name → what is wrong with it, for a form to show beside the field. Keys are the
            provider's credential field names or ``company_id``, ``provider``, ``base_url``, ``code``
            (the redirected URL), ``replace``; empty when no single field is to blame.
        error_type: the class of the error that stopped the flow (``AuthError``, ``NetworkError``, …),
            ``None`` on success or for an input problem found before any request.
        authorization_url: with ``NEEDS_CONSENT``, the page where the user approves access.
        problem: the error's own words (redacted), without the flow's framing; ``""`` when none.
    """

    outcome: Outcome
    message: str
    provider_name: str = ""
    display_name: str = ""
    errors: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    error_type: type[PerftelError] | None = None
    authorization_url: str | None = None
    problem: str = ""

    @property
    def saved(self) -> bool:
        """True when the credentials were written to the store."""
        return self.outcome in (Outcome.CONNECTED, Outcome.SAVED_UNTESTED)

    @property
    def success(self) -> bool:
        """True when the connection was tested and works (and so was saved)."""
        return self.outcome is Outcome.CONNECTED

    @property
    def status(self) -> ConnectionStatus:
        """The result as a :class:`~perftel.models.ConnectionStatus` (``success``, ``message``)."""
        return ConnectionStatus(self.success, self.message)


def replace_refusal(
    store: CredentialStore, company_id: str, provider: str, *, replace: bool
) -> ConnectResult | None:
    """The ``EXISTS`` result when ``company_id`` already has saved ``provider`` credentials and
    ``replace`` is false; ``None`` when saving may go ahead. ``provider`` is a registry name.

    Raises ConfigError for an invalid company id or provider name.
    """
    if replace or not store.exists(company_id, provider):
        return None
    display = get_provider_class(provider).display_name
    problem = "Saved credentials exist; replacing them must be asked for."
    return ConnectResult(
        Outcome.EXISTS,
        f"Nothing was saved: company {company_id} already has saved {display} credentials, and they are "
        "only replaced when you ask to replace them.",
        provider_name=provider,
        display_name=display,
        errors=MappingProxyType({REPLACE: problem}),
    )


def base_url_problem(url: str | None) -> str:
    """What is wrong with the shape of a base URL (``""`` when it is fine or empty): it must start with
    ``http://`` or ``https://``."""
    if url and not url.strip().startswith(("http://", "https://")):
        return "A base URL starts with http:// or https://."
    return ""


def unreachable_reason(url: str | None, timeout: float = CONNECT_TIMEOUT) -> str:
    """A plain sentence when nothing accepts a TCP connection at ``url``'s host and port within
    ``timeout`` seconds; ``""`` when something does, or when ``url`` is empty (the provider's own API,
    reached through the HTTP client and its retries instead). Port: the URL's, else 443/80 by scheme."""
    if not url:
        return ""
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "The base URL has an invalid port."
    if not host:
        return "The base URL has no host name."
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ""
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
        return (
            f"Nothing answers at {host}:{port} ({reason} within {timeout:g} s). Check the base URL, or start "
            "the sandbox again if it is one."
        )


def error_field(exc: PerftelError, cls: type[Provider] | None, *, has_base_url: bool) -> str | None:
    """Which input an error belongs next to: the field a ``ConfigError`` names, ``base_url`` for a
    network error (or a 404 from an overridden base URL), the first secret field for refused
    credentials; ``None`` when no single field is to blame."""
    if isinstance(exc, ConfigError) and exc.field:
        return {"company": COMPANY}.get(exc.field, exc.field)
    if isinstance(exc, NetworkError):
        return BASE_URL
    if isinstance(exc, (AuthError, CredentialsError)):
        secret = [f.name for f in cls.credential_fields if f.secret] if cls is not None else []
        return secret[0] if secret else None
    if isinstance(exc, ApiError) and exc.status_code == 404 and has_base_url:
        return BASE_URL
    return None
