"""The one HTTP layer: retries, Retry-After, error translation, redaction, checked downloads."""

from __future__ import annotations

import httpx
import pytest

from perftel.errors import (
    ApiError,
    AuthError,
    DownloadError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from perftel.http import ApiClient, CursorPaginator, RetryPolicy, paginate, redact_url
from perftel.http.retry import parse_retry_after

FAST = RetryPolicy(max_attempts=4, backoff=0.001, max_backoff=0.002)


def client_for(handler, **kwargs) -> ApiClient:
    return ApiClient(provider="Test", base_url="http://api.test", transport=httpx.MockTransport(handler),
                     retry=kwargs.pop("retry", FAST), **kwargs)


def test_retries_429_and_5xx_then_succeeds():
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(503), httpx.Response(200, json={"ok": 1})])
    seen = []

    def handler(request):
        seen.append(request)
        return next(answers)

    assert client_for(handler).get_json("/x") == {"ok": 1}
    assert len(seen) == 3


def test_gives_up_after_max_attempts_with_typed_error():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(500, json={"errorCode": "UNKNOWN_ERROR", "message": "boom"})

    with pytest.raises(ServerError) as info:
        client_for(handler).get_json("/x")
    assert len(calls) == FAST.max_attempts
    assert info.value.status_code == 500 and info.value.error_code == "UNKNOWN_ERROR" and "boom" in str(info.value)


@pytest.mark.parametrize(("status", "cls"), [(401, AuthError), (403, AuthError), (404, NotFoundError), (400, ApiError)])
def test_client_errors_are_not_retried(status, cls):
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(status)

    with pytest.raises(cls):
        client_for(handler).get_json("/x")
    assert len(calls) == 1


def test_retry_after_too_long_is_not_waited_for():
    def handler(request):
        return httpx.Response(429, headers={"Retry-After": "3600"})

    with pytest.raises(RateLimitError) as info:
        client_for(handler).get_json("/x")
    assert info.value.retry_after == 3600


def test_transport_errors_become_network_errors():
    def handler(request):
        raise httpx.ConnectError("refused")

    with pytest.raises(NetworkError, match="Could not reach Test"):
        client_for(handler).get_json("/x")


def test_malformed_json_is_retried_then_reported():
    answers = iter([httpx.Response(200, text="{not json"), httpx.Response(200, json=[1])])
    assert client_for(lambda r: next(answers)).get_json("/x") == [1]


def test_secrets_are_redacted_from_errors():
    def handler(request):
        return httpx.Response(400, json={"message": "bad token sk-SECRET-123456"})

    client = client_for(handler, secrets=lambda: ["sk-SECRET-123456"])
    with pytest.raises(ApiError) as info:
        client.get_json("/x?access_token=abc&signature=zzz&page=2")
    text = f"{info.value} {info.value.url} {info.value.body_excerpt}"
    assert "abc" not in text and "zzz" not in text and "sk-SECRET-123456" not in text
    assert "page=2" in info.value.url


def test_redact_url():
    url = redact_url("https://user:pw@h/recording/v1/recordings/x/content/aVeryLongOpaqueTokenValue1234567890?code=c&a=1")
    assert "pw" not in url and "aVeryLongOpaque" not in url and "code=REDACTED" in url and "a=1" in url


def test_parse_retry_after():
    assert parse_retry_after("7") == 7
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0


def test_cursor_pagination_and_loop_guard():
    pages = {None: {"items": [1, 2], "next": "b"}, "b": {"items": [3], "next": "c"}, "c": {"items": [4], "next": None}}

    def handler(request):
        return httpx.Response(200, json=pages[request.url.params.get("m")])

    client = client_for(handler)
    items = list(paginate(client, "/l", paginator=CursorPaginator(param="m", response_key="next"), items=lambda p: p["items"]))
    assert items == [1, 2, 3, 4]

    served = []

    def repeating(request):  # page b is served again in answer to the request for c, once
        marker = request.url.params.get("m")
        served.append(marker)
        return httpx.Response(200, json=pages["b" if marker == "c" and served.count("c") == 1 else marker])

    items = list(paginate(client_for(repeating), "/l", paginator=CursorPaginator(param="m", response_key="next"),
                          items=lambda p: p["items"]))
    assert items == [1, 2, 3, 3, 4]  # followed again; the drivers drop the repeated rows

    def looping(request):
        return httpx.Response(200, json={"items": [1], "next": "same"})

    with pytest.raises(ApiError, match="already given"):
        list(paginate(client_for(looping), "/l", paginator=CursorPaginator(param="m", response_key="next"),
                      items=lambda p: p["items"]))


def test_download_checks_type_length_and_writes_atomically(tmp_path):
    body = b"RIFF" + b"\0" * 1000

    def good(request):
        return httpx.Response(200, content=body, headers={"Content-Type": "audio/wav"})

    result = client_for(good).download("/media", tmp_path / "call_1")
    assert result.path == tmp_path / "call_1.wav" and result.path.read_bytes() == body

    def html(request):
        return httpx.Response(200, content=b"<html>login</html>", headers={"Content-Type": "text/html"})

    with pytest.raises(DownloadError, match="instead of audio"):
        client_for(html).download("/media", tmp_path / "call_2")

    def too_big(request):
        return httpx.Response(200, content=body, headers={"Content-Type": "audio/wav"})

    with pytest.raises(DownloadError, match="limit"):
        client_for(too_big).download("/media", tmp_path / "call_3", max_bytes=100)

    def empty(request):
        return httpx.Response(200, content=b"", headers={"Content-Type": "audio/mpeg"})

    with pytest.raises(DownloadError, match="empty"):
        client_for(empty).download("/media", tmp_path / "call_4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["call_1.wav"]


def test_download_asks_a_fresh_url_each_attempt(tmp_path):
    urls = []
    answers = iter([httpx.Response(503), httpx.Response(200, content=b"x" * 10, headers={"Content-Type": "audio/mpeg"})])

    def fresh():
        urls.append(f"/media/{len(urls)}")
        return urls[-1]

    result = client_for(lambda r: next(answers)).download(fresh, tmp_path / "r")
    assert urls == ["/media/0", "/media/1"] and result.path.suffix == ".mp3"
