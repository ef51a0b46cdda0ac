"""OAuth2 token lifecycle: proactive refresh, one refresher at a time, tokens persisted before use.

* ``TokenManager.access_token()`` gives a token that is valid for at least ``margin`` seconds,
  refreshing first when it is not.
* A refresh runs inside ``store.update``, which holds the store's lock (a file lock for the
  encrypted credential store, so two kernels or processes never spend one single-use refresh
  token twice). Inside the lock the state is read again: if another process already refreshed,
  its token is used and no request is made.
* A refresh response without a ``refresh_token`` keeps the old one; with one, the new one is
  stored (atomically, by the store) before the access token is used.
* A 401 triggers at most one refresh per request, and only when the rejected token is still the
  current one — never a reflexive refresh loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from perftel.credentials import TokenState
from perftel.errors import AuthError, CredentialsError

if TYPE_CHECKING:
    from perftel.http.client import ApiClient


class TokenStore(Protocol):
    """Where one account's OAuth tokens live: :class:`MemoryTokenStore` or the encrypted
    :class:`perftel.credentials.StoredTokens`."""

    def load(self) -> TokenState:
        """The stored tokens (an empty ``TokenState`` when there are none), without taking the lock."""
        ...

    def update(self, change: Callable[[TokenState], TokenState | None]) -> TokenState:
        """Read, apply ``change`` and persist its result (``None`` = keep) under one lock."""
        ...


class MemoryTokenStore:
    """Tokens kept in this process only (credentials passed as a mapping, tests)."""

    def __init__(self, state: TokenState | None = None) -> None:
        self._state = state or TokenState()
        self._lock = threading.Lock()

    def load(self) -> TokenState:
        """The tokens held now."""
        return self._state

    def update(self, change: Callable[[TokenState], TokenState | None]) -> TokenState:
        """Apply ``change`` under a thread lock, keep its result (``None`` = keep); returns the state held."""
        with self._lock:
            new = change(self._state)
            if new is not None:
                self._state = new
            return self._state


RefreshFn = Callable[[str | None], dict[str, Any]]


class TokenManager:
    """Gives valid access tokens for one account, refreshing through ``refresh(refresh_token)``."""

    def __init__(
        self,
        store: TokenStore,
        refresh: RefreshFn,
        *,
        provider: str,
        margin: float = 300.0,
        needs_refresh_token: bool = True,
    ) -> None:
        """``refresh(refresh_token)`` asks the token endpoint for new tokens. With
        ``needs_refresh_token=False`` (e.g. a JWT-bearer grant) it is also called with ``None``."""
        self.store = store
        self.needs_refresh_token = needs_refresh_token
        self._refresh_fn = refresh
        self.provider = provider
        self.margin = margin
        self._lock = threading.Lock()
        self.refresh_count = 0

    def access_token(self) -> str:
        """An access token valid for at least ``margin`` seconds more, refreshed first when needed.

        Raises CredentialsError when a refresh is needed but no refresh token is stored or the answer has no
        access token, and whatever ``refresh`` raises (e.g. AuthError for a revoked refresh token).
        """
        state = self.store.load()
        if state.fresh(self.margin):
            return state.access_token  # type: ignore[return-value]
        return self._refresh(stale=state.access_token)

    def refresh_after_rejection(self, rejected: str) -> str:
        """A request with ``rejected`` got 401: refresh unless someone already has."""
        return self._refresh(stale=rejected, force=True)

    def _refresh(self, *, stale: str | None, force: bool = False) -> str:
        with self._lock:

            def change(current: TokenState) -> TokenState | None:
                if (
                    current.access_token
                    and current.access_token != stale
                    and current.fresh(0 if force else self.margin)
                ):
                    return None  # another thread or process refreshed while we waited
                if not current.refresh_token and self.needs_refresh_token:
                    raise CredentialsError(
                        f"No {self.provider} refresh token is stored: connect the account first "
                        "(perftel credentials set --replace, or the notebook's credentials form).",
                        provider=self.provider,
                    )
                body = self._refresh_fn(current.refresh_token)
                self.refresh_count += 1
                return TokenState.from_response(body, previous=current)

            state = self.store.update(change)
            if not state.access_token:
                raise CredentialsError(f"{self.provider} issued no access token.", provider=self.provider)
            return state.access_token

    def set_tokens(self, body: dict[str, Any]) -> TokenState:
        """Store what a token endpoint answered (after a consent / code exchange)."""
        return self.store.update(lambda current: TokenState.from_response(body, previous=current))

    def expire(self) -> None:
        """Forget the access token (tests; after a revocation)."""
        self.store.update(lambda current: replace(current, access_token=None, expires_at=None))


class OAuth2Auth(httpx.Auth):
    """httpx auth that sends ``Bearer`` tokens from a ``TokenManager`` and handles one 401."""

    def __init__(self, manager: TokenManager) -> None:
        self.manager = manager

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """httpx's auth hook: send ``Authorization: Bearer <token>``; on a 401 refresh once and resend."""
        token = self.manager.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.manager.refresh_after_rejection(token)}"
            yield request


def request_token(
    client: ApiClient, path: str, form: dict[str, str], *, client_id: str, client_secret: str, provider: str
) -> dict[str, Any]:
    """POST a token request to ``path`` with HTTP Basic client authentication (RFC 6749 §2.3.1) and
    return the JSON answer (``access_token``, ``expires_in`` seconds, maybe ``refresh_token``).

    What a refusal raises is the client's error hook's call (an ``AuthError`` saying what to check).
    Raises :class:`~perftel.errors.AuthError` when the answer holds no access token.
    """
    auth = httpx.BasicAuth(client_id, client_secret)
    response = client.request("POST", path, data=form, auth=auth)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body.get("access_token"):
        raise AuthError(f"{provider}'s token endpoint answered without an access token.", provider=provider)
    return body
