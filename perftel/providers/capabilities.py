"""What some providers can do beyond the contract in :mod:`perftel.providers.base`, as protocols.

Callers ask ``isinstance(provider, ConsentFlow)`` instead of probing for attributes; a driver offers
a capability by having the methods (no registration, no base class).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ConsentFlow(Protocol):
    """A one-time OAuth consent that yields the refresh token (GoTo Connect's authorization code flow).

    1. ``authorization_url()`` — the page where a user of the account approves access;
    2. ``complete_authorization(redirected)`` — the URL the browser was sent to afterwards (or the bare
       ``code``), exchanged for tokens that the driver keeps in its token store.

    ``complete_authorization`` raises :class:`~perftel.errors.AuthError` when the consent was refused
    and :class:`~perftel.errors.ConfigError` when the text holds no code.
    """

    def authorization_url(self, *, state: str | None = None) -> str:
        """The consent page's URL (``state``: the OAuth anti-forgery value; random when None)."""
        ...

    def complete_authorization(self, redirected: str) -> None:
        """Exchange the redirected URL or bare code for tokens and store them."""
        ...
