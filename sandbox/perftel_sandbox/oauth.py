"""An OAuth2 authorization server's state for the sandboxes: one client, auth codes, access and
refresh tokens, optional refresh-token rotation, and the faults that expire or revoke them.

Provider-neutral: :func:`authorize_response` (auto-consent) and :func:`token_response` (RFC 6749 token
endpoint, HTTP Basic client auth) build GoTo's HTTP answers, the provider adding its own response fields;
RingCentral's JWT-bearer token endpoint (``ringcentral_oauth.py``) uses the same :class:`SandboxTokens`.
:meth:`SandboxTokens.check_bearer` classifies an API request's bearer for either provider's 401.
Tokens look like JWTs (three base64url parts) so "malformed" can be told from "unknown".
Standard library only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from perftel_sandbox.faults import Faults
from perftel_sandbox.messages import SandboxRequest, SandboxResponse, json_response, redirect, text_response

_JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
CODE_TTL = 600.0


class OAuthError(Exception):
    """An RFC 6749 error: ``error`` code, description, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict[str, str]:
        """``{"error", "error_description"}``, the RFC 6749 §5.2 error body."""
        return {"error": self.error, "error_description": self.description}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwt_like(claims: dict, signature: bytes | None = None) -> str:
    """A token shaped like a JWT (not verifiable): header.payload.signature, base64url."""
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{payload}.{_b64(signature or secrets.token_bytes(32))}"


def fixed_token(claims: dict, seed_text: str) -> str:
    """A JWT-shaped token derived from ``seed_text`` (the same every time)."""
    return _jwt_like(claims, hashlib.sha256(seed_text.encode()).digest())


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    expires: float
    used: bool = False


class SandboxTokens:
    """Issues and checks tokens for one registered client. Thread-safe."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str],
        token_ttl: int = 3600,
        rotate_refresh_tokens: bool = False,
        principal: str = "",
        scope: str = "",
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uris = list(redirect_uris)
        self.token_ttl, self.rotate_refresh_tokens = token_ttl, rotate_refresh_tokens
        self.principal, self.scope = principal, scope
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, float] = {}  # token → expiry (epoch seconds); 0 = expired by fault
        self._refresh: dict[str, bool] = {}  # token → still valid

    # --- client authentication -------------------------------------------------------------
    def check_basic(self, authorization: str | None) -> None:
        """Raise ``invalid_client`` (401) unless ``authorization`` is Basic with our id and secret."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            raise OAuthError("invalid_client", "Client authentication (HTTP Basic) is required.", 401)
        try:
            user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "Malformed Basic credentials.", 401) from exc
        if not (
            secrets.compare_digest(user, self.client_id)
            and secrets.compare_digest(password, self.client_secret)
        ):
            raise OAuthError("invalid_client", "Unknown client or wrong secret.", 401)

    # --- authorization code ----------------------------------------------------------------
    def issue_code(self, client_id: str, redirect_uri: str) -> str:
        """A single-use authorization code for ``client_id``/``redirect_uri``, valid ``CODE_TTL`` seconds."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(client_id, redirect_uri, time.time() + CODE_TTL)
        return code

    def exchange_code(self, code: str, redirect_uri: str) -> tuple[str, str]:
        """Single-use code → ``(access_token, refresh_token)``."""
        with self._lock:
            entry = self._codes.get(code)
            if entry is None or entry.used or entry.expires < time.time():
                raise OAuthError(
                    "invalid_grant", "The authorization code is invalid, expired or already used."
                )
            if entry.client_id != self.client_id:
                raise OAuthError("invalid_grant", "The authorization code was issued to another client.")
            if entry.redirect_uri != redirect_uri:
                raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request.")
            entry.used = True
            return self._new_access(), self._new_refresh()

    # --- refresh ---------------------------------------------------------------------------
    def issue_refresh_token(self, token: str | None = None) -> str:
        """A valid refresh token; pass ``token`` to register a fixed value (stable across restarts)."""
        with self._lock:
            if token is None:
                return self._new_refresh()
            self._refresh[token] = True
            return token

    def refresh(self, refresh_token: str) -> tuple[str, str | None]:
        """``(access_token, new_refresh_token or None)``; rotation invalidates the old token."""
        with self._lock:
            if not self._refresh.get(refresh_token):
                raise OAuthError("invalid_grant", "The refresh token is invalid, revoked or already used.")
            new_refresh = None
            if self.rotate_refresh_tokens:
                self._refresh[refresh_token] = False
                new_refresh = self._new_refresh()
            return self._new_access(), new_refresh

    # --- access ----------------------------------------------------------------------------
    def check_access(self, token: str) -> str | None:
        """``None`` if valid, else "malformed", "invalid" or "expired"."""
        if not _JWT_SHAPE.match(token):
            return "malformed"
        with self._lock:
            expiry = self._access.get(token)
        if expiry is None:
            return "invalid"
        return "expired" if expiry <= time.time() else None

    def issue_access_token(self) -> str:
        """An access token without going through the token endpoint (for tests)."""
        with self._lock:
            return self._new_access()

    def check_bearer(self, scheme: str, token: str) -> str | None:
        """``None`` when ``Authorization: <scheme> <token>`` is a valid Bearer access token; else why not:
        "missing" (no header), "scheme" (not Bearer), "malformed", "invalid" or "expired"."""
        if not scheme:
            return "missing"
        if scheme.lower() != "bearer":
            return "scheme"
        return self.check_access(token.strip())

    # --- faults ----------------------------------------------------------------------------
    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers as expired."""
        with self._lock:
            for token in self._access:
                self._access[token] = 0.0

    def revoke(self) -> None:
        """Every access token, refresh token and pending code issued so far becomes invalid."""
        with self._lock:
            self._access.clear()
            for token in self._refresh:
                self._refresh[token] = False
            for code in self._codes.values():
                code.used = True

    # --- internals (lock held) ---------------------------------------------------------------
    def _new_access(self) -> str:
        now = int(time.time())
        token = _jwt_like(
            {
                "sub": self.principal,
                "aud": self.client_id,
                "scope": self.scope,
                "iat": now,
                "exp": now + self.token_ttl,
                "jti": secrets.token_hex(8),
            }
        )
        self._access[token] = time.time() + self.token_ttl
        return token

    def _new_refresh(self) -> str:
        token = _jwt_like(
            {"sub": self.principal, "aud": self.client_id, "typ": "refresh", "jti": secrets.token_hex(8)}
        )
        self._refresh[token] = True
        return token


class OAuthFaults(Faults):
    """:class:`Faults` plus ``expire_access_tokens()`` and ``revoke()`` on a :class:`SandboxTokens`;
    ``sandbox`` is the emulator provider-specific switches act on."""

    def __init__(self, store: SandboxTokens, sandbox: object = None) -> None:
        super().__init__(sandbox)
        self._store = store

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers as expired; new ones (after a refresh) work."""
        self._store.expire_access_tokens()

    def revoke(self) -> None:
        """Every refresh token, access token and pending code issued so far becomes invalid."""
        self._store.revoke()


def _html_error(message: str) -> SandboxResponse:
    page = f"<html><body><h1>Invalid request</h1><p>{message}</p></body></html>"
    return text_response(400, page, "text/html; charset=utf-8")


def authorize_response(store: SandboxTokens, request: SandboxRequest) -> SandboxResponse:
    """``GET /oauth/authorize``: consent is automatic; 302 to ``redirect_uri?code=...&state=...``.

    Unknown client or unregistered redirect URI → 400 HTML page (nothing is redirected, as RFC 6749
    §4.1.2.1 requires); a wrong ``response_type`` is reported to the redirect URI.
    """
    q = request.query
    if q.get("client_id") != store.client_id:
        return _html_error("Unknown client_id.")
    redirect_uri = q.get("redirect_uri", "")
    if redirect_uri not in store.redirect_uris:
        return _html_error("redirect_uri is not registered for this client.")
    params = {}
    if q.get("response_type") != "code":
        params["error"] = "unsupported_response_type"
    else:
        params["code"] = store.issue_code(q["client_id"], redirect_uri)
    if "state" in q:
        params["state"] = q["state"]
    return redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(params)}")


def token_response(
    store: SandboxTokens, request: SandboxRequest, extra: dict, *, code_extra: dict | None = None
) -> SandboxResponse:
    """``POST /oauth/token`` for ``authorization_code`` and ``refresh_token`` grants.

    ``extra`` fields are added to every success body, ``code_extra`` only to auth-code answers.
    A refresh answer carries ``refresh_token`` only when the store rotates them.
    """
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    try:
        store.check_basic(request.headers.get("authorization"))
        form = request.form()
        grant = form.get("grant_type", "")
        if grant == "authorization_code":
            if not form.get("code") or not form.get("redirect_uri"):
                raise OAuthError("invalid_request", "code and redirect_uri are required.")
            access, refresh = store.exchange_code(form["code"], form["redirect_uri"])
            body = {
                "access_token": access,
                "token_type": "Bearer",
                "refresh_token": refresh,
                **(code_extra or {}),
            }
        elif grant == "refresh_token":
            if not form.get("refresh_token"):
                raise OAuthError("invalid_request", "refresh_token is required.")
            access, new_refresh = store.refresh(form["refresh_token"])
            body = {"access_token": access, "token_type": "Bearer"}
            if new_refresh:
                body["refresh_token"] = new_refresh
        else:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant!r} is not supported.")
    except OAuthError as exc:
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oauth"'
        return json_response(exc.status, exc.body(), headers)
    return json_response(200, {**body, "expires_in": store.token_ttl, **extra}, headers)
