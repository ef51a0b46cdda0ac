"""The one error hook (``perftel.http.api_errors.ErrorHook``): how a provider parses its error bodies and
refines perftel's errors, used by ``ApiClient`` for every failed answer."""

from __future__ import annotations

import httpx
import pytest

from perftel.errors import ApiError, AuthError, DownloadError, NotFoundError, PerftelError, RateLimitError
from perftel.http.api_errors import ErrorHook, ErrorInfo, error_body, parse_generic_error, reworded
from perftel.http.client import ApiClient
from perftel.http.retry import RetryPolicy

ONCE = RetryPolicy(max_attempts=1)


def client(handler, errors: ErrorHook | None = None) -> ApiClient:
    return ApiClient(
        provider="Test",
        base_url="http://api.test",
        transport=httpx.MockTransport(handler),
        retry=ONCE,
        errors=errors,
    )


def test_the_default_hook_reads_the_common_shapes():
    def answer(request):
        return httpx.Response(404, json={"errorCode": "NOT_FOUND", "message": "no such call"})

    with client(answer) as api, pytest.raises(NotFoundError) as info:
        api.get_json("/calls/1")
    assert info.value.error_code == "NOT_FOUND" and "no such call" in info.value.message


def test_a_hook_parses_its_own_body_and_refines_the_error():
    seen: list[tuple[str, str | None]] = []

    class Hook(ErrorHook):
        def parse(self, response):
            body = error_body(response) or {}
            return ErrorInfo(str(body.get("problem", {}).get("id")), body.get("problem", {}).get("text"))

        def refine(self, error, response):
            seen.append((type(error).__name__, getattr(error, "error_code", None)))
            if isinstance(error, AuthError):
                return reworded(error, "Check the API key of account 42.")
            return error

    def answer(request):
        status = 401 if request.url.path == "/auth" else 400
        return httpx.Response(status, json={"problem": {"id": 7, "text": "bad"}})

    with client(answer, Hook()) as api:
        with pytest.raises(AuthError) as auth:
            api.request("GET", "/auth")
        with pytest.raises(ApiError) as other:
            api.request("GET", "/other")
    assert auth.value.message == "Check the API key of account 42." and str(auth.value) == auth.value.message
    assert auth.value.status_code == 401 and auth.value.error_code == "7"  # the rest of the error is kept
    assert "bad" in other.value.message and other.value.error_code == "7"
    assert seen == [("AuthError", "7"), ("ApiError", "7")]


def test_a_hook_may_change_the_class_and_the_client_raises_what_it_returns():
    class Media(ErrorHook):
        def refine(self, error, response):
            return DownloadError("link expired", retryable=True) if response.status_code == 403 else error

    def answer(request):
        return httpx.Response(403, text="<Error>AccessDenied</Error>")

    with client(answer, Media()) as api, pytest.raises(DownloadError, match="link expired"):
        api.request("GET", "/media")


def test_a_refined_wait_is_what_the_retry_honours():
    class Wait(ErrorHook):
        def refine(self, error: PerftelError, response):
            if isinstance(error, RateLimitError):
                error.retry_after = 999.0  # above max_retry_after: not waited for, raised at once
            return error

    calls = []

    def answer(request):
        calls.append(request)
        return httpx.Response(429)

    api = ApiClient(
        provider="Test",
        base_url="http://api.test",
        transport=httpx.MockTransport(answer),
        retry=RetryPolicy(max_attempts=3, backoff=0.001, max_backoff=0.002),
        errors=Wait(),
    )
    with api, pytest.raises(RateLimitError) as info:
        api.request("GET", "/x")
    assert info.value.retry_after == 999.0 and len(calls) == 1


def test_generic_parser_copes_with_non_json_and_non_objects():
    request = httpx.Request("GET", "http://api.test/x")
    assert parse_generic_error(httpx.Response(500, text="<html>", request=request)) == ErrorInfo(None, None)
    assert parse_generic_error(httpx.Response(500, json=[1, 2], request=request)) == ErrorInfo(None, None)
    found = parse_generic_error(
        httpx.Response(400, json={"error": "invalid_grant", "error_description": "x"}, request=request)
    )
    assert found == ErrorInfo("invalid_grant", "x")
