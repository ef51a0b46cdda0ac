"""How to talk to RingCentral (REFERENCE.md §4): the OAuth token endpoint and what its refusals mean,
its error bodies, the throttling groups (Heavy/Medium/Light/Auth) paced from the ``X-Rate-Limit-*``
headers, which hosts may receive our Bearer token, ``206`` partial answers, and call-log paging.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from perftel.errors import ApiError, AuthError, PerftelError
from perftel.http.api_errors import ErrorHook, ErrorInfo, error_body, read_error
from perftel.http.client import ApiClient
from perftel.http.pagination import Paginator, query_dict
from perftel.http.ratelimit import RateLimiter
from perftel.http.retry import RetryPolicy, parse_retry_after
from perftel.providers.tolerant import to_float

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_PATH = "/restapi/oauth/token"
PENALTY_SECONDS = 60.0  # a 429 without Retry-After: RingCentral's penalty interval
MAX_PAUSE_SECONDS = RetryPolicy.max_retry_after  # a longer Retry-After is not waited for (the 429 is raised)
GROUP_LIMITS = {"Heavy": (10, 60.0), "Medium": (40, 60.0), "Light": (50, 60.0), "Auth": (5, 60.0)}  # defaults
_KIND_GROUP = {"auth": "Auth", "call-log": "Heavy", "recording": "Heavy", "other": "Light"}
OAUTH_AUTH_ERRORS = frozenset(
    {"invalid_grant", "invalid_client", "unauthorized_client", "access_denied", "invalid_scope"}
)
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def parse_ringcentral_error(response: httpx.Response) -> ErrorInfo:
    """``{"errors": [{"errorCode", "message"}]}``, top-level ``errorCode``/``message``, OAuth ``error``."""
    body = error_body(response)
    if body is None:
        return ErrorInfo(None, None)
    found = read_error(body, ("error",), ("error_description",))  # OAuth's, else errors[0]'s
    top = read_error(body, ("errorCode",), ("message",))  # the top-level shape
    return ErrorInfo(found.code or top.code, found.message or top.message)


class RingCentralErrors(ErrorHook):
    """RingCentral's API and media errors: its own error-body shapes."""

    def parse(self, response: httpx.Response) -> ErrorInfo:
        """:func:`parse_ringcentral_error`."""
        return parse_ringcentral_error(response)


def refused(error: ApiError) -> bool:
    """Did the token endpoint refuse the grant itself (not fail for a passing reason)?"""
    code = (error.error_code or "").lower()
    return code in OAUTH_AUTH_ERRORS or code.startswith("oau-") or error.status_code in (400, 401, 403)


class RingCentralTokenErrors(RingCentralErrors):
    """The token endpoint: a refused grant is an ``AuthError`` saying what to check and how to save new ones."""

    def __init__(self, company_id: str) -> None:
        self.company_id = company_id

    def refine(self, error: PerftelError, response: httpx.Response) -> PerftelError:
        """A refused grant (:func:`refused`) → AuthError saying what to check and how to save new ones."""
        if not isinstance(error, ApiError) or not refused(error):
            return error
        return AuthError(
            f"RingCentral refused the credentials ({error.error_code or error.status_code}): the client id/secret "
            "are wrong, the JWT was revoked or expired, or the app may not use the JWT grant. Save new ones "
            f"(perftel credentials set --company {self.company_id} --provider ringcentral --replace).",
            provider=error.provider,
            status_code=error.status_code,
            url=error.url,
            error_code=error.error_code,
        )


def origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, the port filled in for http and https."""
    u = httpx.URL(str(url))
    return u.scheme, u.host.lower(), u.port or {"http": 80, "https": 443}.get(u.scheme)


def may_carry_token(url: str, *, base_url: str, media_base_url: str) -> bool:
    """May our Bearer token go to ``url``? RingCentral's own hosts only (the platform, its media host,
    ``https://*.ringcentral.com``; for a local sandbox, the same server under another loopback name)."""
    where, base = origin(url), origin(base_url)
    if where in (base, origin(media_base_url)):
        return True
    if (base[1] == "ringcentral.com" or base[1].endswith(".ringcentral.com")) and where[0] == "https":
        return where[1] == "ringcentral.com" or where[1].endswith(".ringcentral.com")
    return base[1] in _LOOPBACK and where[1] in _LOOPBACK and where[2] == base[2]  # a local sandbox


def request_kind(path: str) -> str:
    """``auth``, ``call-log``, ``recording`` or ``other``: what a request path is, for its throttling group."""
    path = path.lower()
    if "/oauth/" in path:
        return "auth"
    if "/call-log" in path:
        return "call-log"
    return "recording" if "/recording" in path else "other"


class ThrottlingGroups:
    """RingCentral's throttling groups: one request budget per group, learnt from the answers.

    ``X-Rate-Limit-Group`` names a request kind's group; ``-Limit``/``-Window`` set its rate and
    ``-Remaining`` its budget; a 429 stops the whole group until ``Retry-After`` (else 60 s), because
    any request in the penalty window restarts it.
    """

    def __init__(self) -> None:
        self.limiter = RateLimiter(
            50 / 60, burst=50, key_rates={g: (n / w, n) for g, (n, w) in GROUP_LIMITS.items()}
        )
        self._groups: dict[str, str] = {}  # request kind → throttling group, as the headers name it

    def group_for(self, path: str) -> str:
        """The throttling group of a request path: as headers last named it for its kind, else the default.

        Defaults (REFERENCE.md §4.4): ``Auth`` for ``/oauth/``, ``Heavy`` for the call log and recordings,
        ``Light`` for anything else.
        """
        kind = request_kind(path)
        return self._groups.get(kind) or _KIND_GROUP[kind]

    def on_response(self, response: httpx.Response) -> None:
        """Learn from one answer's ``X-Rate-Limit-Group/-Limit/-Window/-Remaining`` headers (window in
        seconds); a 429 pauses the whole group for ``Retry-After`` seconds, else 60, at most
        :data:`MAX_PAUSE_SECONDS` (a Retry-After in the year 9999 must not hold the group forever).
        """
        headers, path = response.headers, response.request.url.path
        group = headers.get("X-Rate-Limit-Group")
        if group:
            self._groups[request_kind(path)] = group
        group = group or self.group_for(path)
        limit, window = (
            to_float(headers.get("X-Rate-Limit-Limit")),
            to_float(headers.get("X-Rate-Limit-Window")),
        )
        if limit and window:
            self.limiter.key_rates[group] = (limit / window, max(1, int(limit)))
        remaining = to_float(headers.get("X-Rate-Limit-Remaining"))
        if response.status_code == 429:
            wait = parse_retry_after(headers.get("Retry-After"))
            self.limiter.pause(group, min(PENALTY_SECONDS if wait is None else wait, MAX_PAUSE_SECONDS))
        elif remaining is not None:
            self.limiter.set_budget(group, int(remaining), window or GROUP_LIMITS.get(group, (0, 60.0))[1])


def api_client(
    *,
    provider: str,
    base_url: str,
    auth: httpx.Auth | None,
    errors: ErrorHook,
    throttling: ThrottlingGroups,
    on_response: Callable[[httpx.Response], None],
    transport: httpx.BaseTransport | None,
    verify: bool,
    secrets: Callable[[], list[str]],
) -> ApiClient:
    """A client for one RingCentral origin (the platform, its media host, the token endpoint), paced by
    ``throttling``; ``on_response`` must pass every answer to ``throttling.on_response``."""
    return ApiClient(
        provider=provider,
        base_url=base_url,
        auth=auth,
        errors=errors,
        rate_limiter=throttling.limiter,
        rate_key=throttling.group_for,
        transport=transport,
        verify=verify,
        secrets=secrets,
        on_response=on_response,
    )


def content_range(headers: httpx.Headers) -> tuple[int, int, int | None] | None:
    """A ``206`` answer's ``Content-Range``: ``(first byte, last byte, total or None)``; None when absent."""
    found = _CONTENT_RANGE.match(headers.get("Content-Range", ""))
    if not found:
        return None
    return int(found[1]), int(found[2]), None if found[3] == "*" else int(found[3])


class NextPage(Paginator):
    """``navigation.nextPage.uri``, with our filters kept (RingCentral's page links may drop them);
    without any navigation, a full page leads to ``page + 1``. Links to another host are followed on ours."""

    def __init__(self, base_url: str, params: dict[str, Any], provider: str) -> None:
        super().__init__()
        self.base_url, self.params, self.provider = base_url, params, provider
        self.next: tuple[str, dict[str, Any]] | None = None
        self.last: tuple[str, dict[str, Any]] = ("", params)

    def update_request(self, path: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The next page's (path, query), or the first page's ``path``/``params``; remembered for paging."""
        self.last = self.next or (path, params)
        return self.last

    def update_state(self, page: Any) -> None:
        """Follow ``navigation.nextPage.uri`` (our filters kept), else ``page + 1`` after a full page without
        ``navigation``; the walk ends otherwise. Raises a retryable ApiError for a page that keeps coming
        back.
        """
        page = page if isinstance(page, dict) else {}
        nav = page.get("navigation") if isinstance(page.get("navigation"), dict) else {}
        uri = (nav.get("nextPage") or {}).get("uri") if isinstance(nav.get("nextPage"), dict) else None
        path, query = self.last
        if uri:
            u = httpx.URL(str(uri))
            query = {**self.params, **query_dict(u.params.multi_items())}  # repeated keys kept
            path = str(u.copy_with(query=None, fragment=None)) if u.is_absolute_url else u.path
            if u.is_absolute_url and origin(u) != origin(self.base_url):
                path = u.path[u.path.find("/restapi") :] if "/restapi" in u.path else u.path
        else:
            paging = page.get("paging") if isinstance(page.get("paging"), dict) else {}
            per_page, current = to_float(paging.get("perPage")), to_float(paging.get("page"))
            if nav or not per_page or not current or len(page.get("records") or []) < per_page:
                self.has_next_page = False
                return
            query = {**query, "page": int(current) + 1}
        self._remember(f"{path}?{sorted((k, str(v)) for k, v in query.items())}", self.provider)
        self.next = (path, query)
