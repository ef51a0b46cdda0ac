"""How to talk to Aircall (REFERENCE.md §3): HTTP Basic or a partner Bearer token, its error bodies and
what a 429 or 401 means, the ``X-AircallApi-*`` pacing headers, its paging links, and the signed
recording URLs (fetched by a credential-free client; a refused link is asked for again).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from perftel.errors import AuthError, DownloadError, PerftelError, RateLimitError
from perftel.http.api_errors import ErrorHook, ErrorInfo, error_body, reworded, scalar_text
from perftel.http.client import ApiClient
from perftel.http.pagination import query_dict
from perftel.http.ratelimit import RateLimiter
from perftel.providers.tolerant import to_int

MAX_RESET_WAIT = 65.0  # the budget is per minute: never pause longer on a skewed X-AircallApi-Reset
API_BUCKET = "api"  # one request budget for the whole API


def parse_aircall_error(response: httpx.Response) -> ErrorInfo:
    """Aircall's ``{"error", "troubleshoot", "message"}`` bodies (any may be missing)."""
    body = error_body(response)
    if body is None:
        return ErrorInfo(None, None)
    error = body.get("error")
    if isinstance(error, dict):
        body, error = {**body, **error}, error.get("code") or error.get("error")
    code = scalar_text(error) or scalar_text(body.get("code"))
    parts = [t for k in ("message", "troubleshoot") if (t := scalar_text(body.get(k)))]
    return ErrorInfo(code, " — ".join(parts) or None)


def reset_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until ``X-AircallApi-Reset`` (a UNIX time; small values are taken as seconds to wait)."""
    try:
        value = float(headers.get("X-AircallApi-Reset") or "")
    except ValueError:
        return None
    wait = value - (time.time() if now is None else now) if value > 1e9 else value
    return min(MAX_RESET_WAIT, max(0.0, wait))


def next_link(page: Any, base_url: str, params: dict[str, Any]) -> str | None:
    """``meta.next_page_link`` on our own host (never another), keeping our ``params`` where it lacks them."""
    meta = page.get("meta") if isinstance(page, dict) and isinstance(page.get("meta"), dict) else {}
    link = meta.get("next_page_link") or (page.get("next_page_link") if isinstance(page, dict) else None)
    if not isinstance(link, str) or not link.strip():
        return None
    parts = urlsplit(link.strip())
    path = parts.path or "/v1/calls"
    if "/v1/" in path and not path.startswith("/v1/"):
        path = path[path.index("/v1/") :]
    query = urlencode(  # a key the link repeats keeps every value
        {
            **{k: str(v) for k, v in params.items()},
            **query_dict(parse_qsl(parts.query, keep_blank_values=True)),
        },
        doseq=True,
    )
    base = urlsplit(base_url)
    if parts.netloc and (parts.scheme, parts.netloc) == (base.scheme, base.netloc):
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{query}"
    return f"{path if path.startswith('/') else '/' + path}?{query}"


def url_fresh_until(url: str, default: float) -> float:
    """When a signed URL stops being surely usable: ``X-Amz-Date`` + ``X-Amz-Expires`` - 2 min, at most ``default``."""
    query = {k.lower(): v for k, v in parse_qsl(urlsplit(url).query)}
    signed, expires = query.get("x-amz-date"), to_int(query.get("x-amz-expires"))
    if signed and expires is not None:
        try:
            at = datetime.strptime(signed, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            return default
        return min(default, at + expires - 120)
    return default


_RENEWABLE = (400, 401, 403, 410)  # what storage answers for an expired or refused signed URL


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer`` with a fixed token (Aircall's OAuth tokens do not expire)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request):
        """httpx's auth hook: add ``Authorization: Bearer <token>`` (no refresh: the token is permanent)."""
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


class AircallErrors(ErrorHook):
    """Aircall's API errors: a 429 waits until ``X-AircallApi-Reset``; a 401 says what to check."""

    def parse(self, response: httpx.Response) -> ErrorInfo:
        """:func:`parse_aircall_error`."""
        return parse_aircall_error(response)

    def refine(self, error: PerftelError, response: httpx.Response) -> PerftelError:
        """A 429 without ``Retry-After`` waits until ``X-AircallApi-Reset`` (at least 0.5 s) plus
        0.05–0.25 s of jitter; a 401 becomes an AuthError saying which credentials to check; else kept.
        """
        if isinstance(error, RateLimitError) and error.retry_after is None:
            wait = reset_wait(response.headers)
            if wait is not None:
                error.retry_after = max(wait, 0.5) + random.uniform(
                    0.05, 0.25
                )  # until the reset, plus jitter
        elif isinstance(error, AuthError) and response.status_code == 401:
            detail = error.message.removeprefix(f"{error.provider} API answered ")
            return reworded(
                error,
                f"Aircall refused the credentials ({detail}). Check the API ID and API token "
                "(Dashboard → Integrations & API → API keys) or the partner access token.",
            )
        return error


class MediaErrors(ErrorHook):
    """The signed storage URL: a refused link has probably expired, so it is a retryable ``DownloadError``
    (each attempt asks for a fresh link)."""

    def parse(self, response: httpx.Response) -> ErrorInfo:
        """:func:`parse_aircall_error`."""
        return parse_aircall_error(response)

    def refine(self, error: PerftelError, response: httpx.Response) -> PerftelError:
        """400/401/403/410 from storage → a retryable DownloadError (the link expired); else kept."""
        if response.status_code in _RENEWABLE:
            return DownloadError(
                f"Aircall's recording link was refused ({response.status_code}); it has probably "
                "expired — a fresh one is asked for.",
                retryable=True,
            )
        return error


def api_client(
    *,
    provider: str,
    base_url: str,
    auth: httpx.Auth,
    limiter: RateLimiter,
    on_response: Callable[[httpx.Response], None],
    transport: httpx.BaseTransport | None,
    verify: bool,
    secrets: Callable[[], list[str]],
) -> ApiClient:
    """The API client: ``auth`` on every request, one budget (``limiter``), ``on_response`` to pace."""
    return ApiClient(
        provider=provider,
        base_url=base_url,
        auth=auth,
        errors=AircallErrors(),
        rate_limiter=limiter,
        rate_key=lambda path: API_BUCKET,
        transport=transport,
        verify=verify,
        secrets=secrets,
        on_response=on_response,
    )


def media_client(
    *,
    provider: str,
    base_url: str,
    transport: httpx.BaseTransport | None,
    verify: bool,
    secrets: Callable[[], list[str]],
) -> ApiClient:
    """The storage client: no credentials at all (the signed URL is the permission)."""
    return ApiClient(
        provider=provider,
        base_url=base_url,
        errors=MediaErrors(),
        transport=transport,
        verify=verify,
        secrets=secrets,
    )


def pace(limiter: RateLimiter, response: httpx.Response) -> int | None:
    """Follow Aircall's own count: at ``Remaining <= 1`` (or a 429) wait until ``Reset``.

    Returns ``X-AircallApi-Limit`` (requests per minute) when the answer gives it.
    """
    headers = response.headers
    limit, remaining = (
        to_int(headers.get("X-AircallApi-Limit")),
        to_int(headers.get("X-AircallApi-Remaining")),
    )
    wait = reset_wait(headers)
    if wait is not None:
        if response.status_code == 429:
            limiter.pause(API_BUCKET, max(wait, 0.5))
        elif remaining is not None:
            limiter.set_budget(API_BUCKET, remaining if remaining > 1 else 0, wait)
    return limit
