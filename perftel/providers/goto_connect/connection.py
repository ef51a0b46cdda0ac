"""How to talk to GoTo Connect (REFERENCE.md §1): its error bodies, the token endpoint's refusals, the
OAuth consent's URLs, and the two HTTP clients (the API, paced per API; the token endpoint).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from perftel.errors import ApiError, AuthError, ConfigError, PerftelError
from perftel.http.api_errors import ErrorHook, ErrorInfo, error_body, read_error
from perftel.http.client import ApiClient
from perftel.http.ratelimit import RateLimiter

AUTH_BASE_URL = "https://authentication.logmeininc.com"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8765/callback"
SCOPES = "cr.v1.read call-events.v1.notifications.manage recording.v1.read"
TOKEN_PATH = "/oauth/token"
OAUTH_AUTH_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client", "access_denied"})


def parse_goto_error(response: httpx.Response) -> ErrorInfo:
    """GoTo's ``{"errorCode", "message"}`` bodies, and OAuth's ``{"error", "error_description"}``."""
    body = error_body(response)
    if body is None:
        return ErrorInfo(None, None)
    return read_error(body, ("errorCode", "error"), ("message", "error_description"))


class GoToErrors(ErrorHook):
    """GoTo's API errors: its own error-body shapes."""

    def parse(self, response: httpx.Response) -> ErrorInfo:
        """:func:`parse_goto_error`."""
        return parse_goto_error(response)


class GoToTokenErrors(GoToErrors):
    """The token endpoint: a refused grant or client becomes an ``AuthError`` saying how to consent again."""

    def __init__(self, company_id: str) -> None:
        self.company_id = company_id

    def refine(self, error: PerftelError, response: httpx.Response) -> PerftelError:
        """An OAuth refusal (``invalid_grant``, ``invalid_client``, …; 401/403) → AuthError with the fix.

        Any other error is kept.
        """
        if isinstance(error, ApiError) and (
            error.error_code in OAUTH_AUTH_ERRORS or error.status_code in (401, 403)
        ):
            return AuthError(
                f"GoTo Connect refused the credentials ({error.error_code or error.status_code}): the client "
                "id/secret are wrong or the refresh token was revoked or expired. Run the consent again "
                f"(perftel credentials set --company {self.company_id} --provider goto_connect --replace).",
                provider=error.provider,
                status_code=error.status_code,
                url=error.url,
                error_code=error.error_code,
            )
        return error


def api_bucket(path: str) -> str:
    """The rate-limit bucket of a request path: its API (GoTo limits each API on its own)."""
    return path.strip("/").split("/", 1)[0]


def api_client(
    *,
    provider: str,
    base_url: str,
    auth: httpx.Auth,
    requests_per_second: float,
    transport: httpx.BaseTransport | None,
    verify: bool,
    secrets: Callable[[], list[str]],
) -> ApiClient:
    """The API client: ``auth`` on every request, paced per API at ``requests_per_second``."""
    return ApiClient(
        provider=provider,
        base_url=base_url,
        auth=auth,
        errors=GoToErrors(),
        rate_limiter=RateLimiter(requests_per_second, burst=1),  # evenly spaced: no second holds more than 10
        rate_key=api_bucket,
        transport=transport,
        verify=verify,
        secrets=secrets,
    )


def token_client(
    *,
    provider: str,
    base_url: str,
    company_id: str,
    transport: httpx.BaseTransport | None,
    verify: bool,
    secrets: Callable[[], list[str]],
) -> ApiClient:
    """The token endpoint's client (client authentication goes with each request)."""
    return ApiClient(
        provider=provider,
        base_url=base_url,
        errors=GoToTokenErrors(company_id),
        transport=transport,
        verify=verify,
        secrets=secrets,
    )


def authorization_url(auth_base_url: str, *, client_id: str, redirect_uri: str, state: str) -> str:
    """The page where a GoTo user approves access (step 1 of the one-time consent)."""
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri, "state": state}
    return f"{auth_base_url}/oauth/authorize?{urlencode(query)}"


def authorization_code(redirected: str) -> str:
    """The ``code`` in the URL the consent redirected to (or ``redirected`` itself, a bare code).

    Raises:
        AuthError: the user refused (``?error=…``).
        ConfigError: a URL without ``?code=…``.
    """
    code = redirected.strip()
    if "://" in code or code.startswith("/") or "code=" in code:
        query = parse_qs(urlsplit(code).query or code.split("?", 1)[-1])
        if "error" in query:
            raise AuthError(
                f"GoTo Connect consent was refused: {query['error'][0]}.", provider="GoTo Connect"
            )
        if not query.get("code"):
            raise ConfigError(
                "The redirected URL holds no ?code=… — paste the full URL you were sent to.", field="code"
            )
        code = query["code"][0]
    return code
