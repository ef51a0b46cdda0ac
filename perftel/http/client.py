"""The one HTTP client every provider uses (a thin layer over ``httpx.Client``).

It owns: the retry policy, pacing (rate limiter), a bound on concurrent requests, translating
HTTP failures into perftel's error tree (with secrets redacted from URLs and bodies), and
streaming downloads that are written atomically and checked (status here; type, length and size
bound in :mod:`perftel.http.download`).
Redirects to another host never carry our ``Authorization`` header (httpx strips it).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from perftel.errors import (
    ApiError,
    AuthError,
    DownloadError,
    NetworkError,
    NotFoundError,
    PerftelError,
    RateLimitError,
    ServerError,
)
from perftel.http.api_errors import ErrorHook
from perftel.http.download import (  # noqa: F401 (re-exported: perftel.http.client is where they were)
    AUDIO_EXTENSIONS,
    MAX_DOWNLOAD_BYTES,
    Download,
    declared_length,
    save_body,
)
from perftel.http.ratelimit import RateLimiter
from perftel.http.redact import install_log_redaction, redact_text, redact_url
from perftel.http.retry import RetryPolicy, parse_retry_after

log = logging.getLogger("perftel.http")
_T = TypeVar("_T")
install_log_redaction()

DEFAULT_TIMEOUT = 30.0  # seconds per request (connect: at most 10)


def _release_stream(response: httpx.Response) -> None:
    """Drop the finished body stream of a read response. httpx links response and stream both ways, so
    without this every page body lives until the cyclic garbage collector happens by; with pages of
    megabytes, listing memory would grow with the number of pages."""
    if response.is_closed and response.is_stream_consumed:
        response.stream = httpx.ByteStream(b"")


class ApiClient:
    """HTTP for one provider account. Thread-safe; use as a context manager or call ``close()``."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        auth: httpx.Auth | None = None,
        errors: ErrorHook | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        rate_key: Callable[[str], str] | None = None,
        max_concurrency: int = 4,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
        verify: bool = True,
        secrets: Callable[[], list[str]] | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """``errors`` parses the provider's error bodies and refines the errors (the one error hook);
        ``on_response`` sees every response before it is judged (e.g. to pace by rate-limit headers);
        ``rate_key`` maps a request path to its rate-limit bucket (an API, a RingCentral group);
        ``sleep(seconds)`` waits between attempts (default ``time.sleep``; tests pass a fake clock's)."""
        self.provider = provider
        self.on_response = on_response or (lambda response: None)
        self.retry = retry or RetryPolicy()
        self.rate_limiter = rate_limiter
        self.rate_key = rate_key or (lambda path: "")
        self.errors = errors or ErrorHook()
        self._secrets = secrets or (lambda: [])
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._sleep = sleep or time.sleep
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=auth,
            timeout=httpx.Timeout(timeout or DEFAULT_TIMEOUT, connect=min(10.0, timeout or DEFAULT_TIMEOUT)),
            transport=transport,
            verify=verify,
            headers={"Accept": "application/json", "User-Agent": "perftel/0.1"},
            follow_redirects=False,
        )

    # -- plumbing -----------------------------------------------------------------------------
    def wait(self, seconds: float) -> None:
        """Wait ``seconds`` with this client's ``sleep`` (the one given at construction, else ``time.sleep``):
        drivers that poll (a report not ready yet) wait through it, so tests never really sleep."""
        self._sleep(max(0.0, seconds))

    def close(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        """The base URL requests are relative to, without a trailing ``/``."""
        return str(self._http.base_url).rstrip("/")

    def _key_for(self, url: str) -> str:
        return self.rate_key(httpx.URL(url).path if "://" in url else url)

    def error_for(self, response: httpx.Response, method: str | None = None) -> PerftelError:
        """The perftel error for a failed ``response``: by status, then refined by the error hook.

        401/403 → AuthError, 404 → NotFoundError, 429 → RateLimitError (``retry_after`` in seconds from
        the ``Retry-After`` header), 5xx → ServerError, else ApiError (retryable when the retry policy lists
        the status). URL and body excerpt are redacted. Returned, not raised.
        """
        info = self.errors.parse(response)
        status = response.status_code
        url = redact_url(response.request.url) if response.request else None
        body = ""
        with contextlib.suppress(Exception):
            body = redact_text(response.text, self._secrets())
        what = redact_text(info.message or response.reason_phrase or "error", self._secrets(), limit=200)
        code = f" {info.code}" if info.code else ""
        message = (
            f"{self.provider} API answered {status}{code}: {what} ({method or response.request.method} {url})"
        )
        kwargs: dict[str, Any] = {
            "provider": self.provider,
            "status_code": status,
            "url": url,
            "body_excerpt": body,
            "error_code": info.code,
        }
        error: ApiError
        if status in (401, 403):
            error = AuthError(message, **kwargs)
        elif status == 404:
            error = NotFoundError(message, **kwargs)
        elif status == 429:
            error = RateLimitError(
                message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs
            )
        elif status >= 500:
            error = ServerError(message, **kwargs)
        else:
            error = ApiError(message, retryable=status in self.retry.statuses, **kwargs)
        return self.errors.refine(error, response)

    def _network_error(self, exc: Exception, method: str, url: str) -> NetworkError:
        return NetworkError(
            f"Could not reach {self.provider} ({type(exc).__name__}: {redact_text(str(exc), self._secrets())}) "
            f"for {method} {redact_url(self._http.build_request(method, url).url)}. "
            "Check the network and the base URL.",
            provider=self.provider,
            url=redact_url(url),
        )

    def _with_retries(self, url: str, attempt_once: Callable[[], _T], *, retry: bool = True) -> _T:
        """The one attempt loop: run ``attempt_once`` until it returns, retrying what the policy allows.

        Pacing is not here: every HTTP request takes its one rate-limiter token as it is sent
        (:meth:`_paced`), so a retried request takes one token per attempt and a GET that decodes JSON
        takes one, not two. The request that gives a download attempt its fresh URL (any client's, e.g.
        Aircall's API client for its media client) makes a single attempt and leaves the retrying to the
        download's loop, so a failure is never retried ``max_attempts``² times.
        """
        single = getattr(_resolving_url, "active", False)
        _resolving_url.active = (
            False  # only the first loop inside a URL resolution (not a token refresh in it)
        )
        attempts = 1 if single or not retry else self.retry.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                return attempt_once()
            except PerftelError as error:
                if attempt < attempts and self._should_retry(error, attempt, url):
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _paced(self, url: str) -> None:
        """Take one rate-limiter token for a request to ``url`` (blocks until it may go)."""
        if self.rate_limiter is not None:
            self.rate_limiter.acquire(self._key_for(url))

    def _should_retry(self, error: PerftelError, attempt: int, url: str) -> bool:
        if not error.retryable or attempt >= self.retry.max_attempts:
            return False
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None and retry_after > self.retry.max_retry_after:
            return False
        if retry_after is not None and self.rate_limiter is not None:  # the bucket of the request that failed
            self.rate_limiter.pause(self._key_for(getattr(error, "url", None) or url), retry_after)
        delay = self.retry.delay(attempt, retry_after)
        log.info("%s: %s; retry %d in %.1fs", self.provider, error.message, attempt, delay)
        self._sleep(delay)
        return True

    # -- requests -----------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """Send a request, retrying what the policy allows; raise an ``ApiError`` on failure.

        ``url`` is relative to :attr:`base_url` or absolute; redirects are not followed. Raises the error
        :meth:`error_for` makes for a failed status, or NetworkError when the server cannot be reached.
        ``retry=False`` makes a single attempt.
        """
        return self._with_retries(
            url,
            lambda: self._send_once(
                method, url, params=params, data=data, json=json, headers=headers, auth=auth
            ),
            retry=retry,
        )

    def _send_once(
        self, method: str, url: str, *, auth: httpx.Auth | None = None, **options: Any
    ) -> httpx.Response:
        """One paced attempt: the response when it succeeded, else the perftel error raised."""
        extra = {"auth": auth} if auth is not None else {}
        self._paced(url)
        try:
            with self._slots:
                response = self._http.request(method, url, **options, **extra)
            _release_stream(response)
        except httpx.TransportError as exc:
            raise self._network_error(exc, method, url) from exc
        self.on_response(response)
        if not response.is_success:
            raise self.error_for(response, method)
        return response

    def get_json(self, url: str, *, params: dict[str, Any] | None = None) -> Any:
        """GET ``url`` and decode its JSON body (a malformed body is a retryable ``ApiError``).

        Returns the decoded JSON (dict, list, …); raises like :meth:`request`.
        """

        def attempt_once() -> Any:
            response = self._send_once("GET", url, params=params)
            try:
                return response.json()
            except ValueError as exc:
                raise ApiError(
                    f"{self.provider} answered with malformed JSON for GET {redact_url(response.request.url)}.",
                    provider=self.provider,
                    status_code=response.status_code,
                    url=redact_url(response.request.url),
                    body_excerpt=redact_text(response.text, self._secrets(), limit=120),
                    retryable=True,
                ) from exc

        return self._with_retries(url, attempt_once)

    # -- downloads ----------------------------------------------------------------------------
    def download(
        self,
        url: str | Callable[[], str],
        dest_stem: Path,
        *,
        allowed_types: tuple[str, ...] = ("audio/",),
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        recording_id: str | None = None,
    ) -> Download:
        """Stream ``url`` to ``dest_stem`` + an extension from its content type, atomically.

        ``url`` may be a callable that gives a fresh URL for each attempt (signed or token URLs); the
        requests it makes are attempted once per download attempt (see :meth:`_with_retries`).
        The file appears under its final name only when complete and checked.

        Redirects are followed. The suffix comes from the content type, else the URL's audio suffix, else
        ``.audio``. Raises the :meth:`error_for` error for a failed status, and DownloadError when the
        content type is not in ``allowed_types``, the body is empty, shorter than its ``Content-Length``
        or above ``max_bytes`` bytes, the connection breaks or the file cannot be written.
        """

        def attempt_once() -> Download:
            target = url if isinstance(url, str) else _resolve(url)
            return self._download_once(target, Path(dest_stem), allowed_types, max_bytes, recording_id)

        return self._with_retries(url if isinstance(url, str) else "/", attempt_once)

    def _download_once(
        self,
        url: str,
        dest_stem: Path,
        allowed_types: tuple[str, ...],
        max_bytes: int,
        recording_id: str | None,
    ) -> Download:
        self._paced(url)
        try:
            with self._slots, self._http.stream("GET", url, follow_redirects=True) as response:
                self.on_response(response)
                if not response.is_success:
                    response.read()
                    raise self.error_for(response, "GET")
                return save_body(
                    response,
                    dest_stem,
                    provider=self.provider,
                    allowed_types=allowed_types,
                    max_bytes=max_bytes,
                    recording_id=recording_id,
                )
        except httpx.TransportError as exc:
            raise DownloadError(
                f"Download of recording {recording_id} broke off ({type(exc).__name__}); nothing was saved.",
                recording_id=recording_id,
                retryable=True,
            ) from exc
        except OSError as exc:
            raise DownloadError(
                f"Could not write recording {recording_id} to {dest_stem.parent}: {exc.strerror or exc}.",
                recording_id=recording_id,
            ) from exc


_resolving_url = threading.local()  # set while a download attempt asks its URL callable (see _with_retries)


def _resolve(url: Callable[[], str]) -> str:
    """Call a download's URL callable; the first request it makes is attempted once (the download retries)."""
    _resolving_url.active = True
    try:
        return url()
    finally:
        _resolving_url.active = False
