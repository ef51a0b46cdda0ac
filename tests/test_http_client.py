"""The one HTTP layer: retries, Retry-After, error translation, redaction, checked downloads."""

from __future__ import annotations

import contextlib
from pathlib import Path

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
from perftel.http import ApiClient, CursorPaginator, RateLimiter, RetryPolicy, paginate, redact_url
from perftel.http.retry import parse_retry_after

FAST = RetryPolicy(max_attempts=4, backoff=0.001, max_backoff=0.002)


def client_for(handler, **kwargs) -> ApiClient:
    return ApiClient(
        provider="Test",
        base_url="http://api.test",
        transport=httpx.MockTransport(handler),
        retry=kwargs.pop("retry", FAST),
        **kwargs,
    )


def test_retries_429_and_5xx_then_succeeds():
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(503),
            httpx.Response(200, json={"ok": 1}),
        ]
    )
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
    assert (
        info.value.status_code == 500
        and info.value.error_code == "UNKNOWN_ERROR"
        and "boom" in str(info.value)
    )


@pytest.mark.parametrize(
    ("status", "cls"), [(401, AuthError), (403, AuthError), (404, NotFoundError), (400, ApiError)]
)
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
    url = redact_url(
        "https://user:pw@h/recording/v1/recordings/x/content/aVeryLongOpaqueTokenValue1234567890?code=c&a=1"
    )
    assert "pw" not in url and "aVeryLongOpaque" not in url and "code=REDACTED" in url and "a=1" in url


def test_parse_retry_after():
    assert parse_retry_after("7") == 7
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0


def test_cursor_pagination_and_loop_guard():
    pages = {
        None: {"items": [1, 2], "next": "b"},
        "b": {"items": [3], "next": "c"},
        "c": {"items": [4], "next": None},
    }

    def handler(request):
        return httpx.Response(200, json=pages[request.url.params.get("m")])

    client = client_for(handler)
    items = list(
        paginate(
            client,
            "/l",
            paginator=CursorPaginator(param="m", response_key="next"),
            items=lambda p: p["items"],
        )
    )
    assert items == [1, 2, 3, 4]

    served = []

    def repeating(request):  # page b is served again in answer to the request for c, once
        marker = request.url.params.get("m")
        served.append(marker)
        return httpx.Response(200, json=pages["b" if marker == "c" and served.count("c") == 1 else marker])

    items = list(
        paginate(
            client_for(repeating),
            "/l",
            paginator=CursorPaginator(param="m", response_key="next"),
            items=lambda p: p["items"],
        )
    )
    assert items == [1, 2, 3, 3, 4]  # followed again; the drivers drop the repeated rows

    def looping(request):
        return httpx.Response(200, json={"items": [1], "next": "same"})

    with pytest.raises(ApiError, match="already given"):
        list(
            paginate(
                client_for(looping),
                "/l",
                paginator=CursorPaginator(param="m", response_key="next"),
                items=lambda p: p["items"],
            )
        )


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
    answers = iter(
        [httpx.Response(503), httpx.Response(200, content=b"x" * 10, headers={"Content-Type": "audio/mpeg"})]
    )

    def fresh():
        urls.append(f"/media/{len(urls)}")
        return urls[-1]

    result = client_for(lambda r: next(answers)).download(fresh, tmp_path / "r")
    assert urls == ["/media/0", "/media/1"] and result.path.suffix == ".mp3"


# -- pacing: one attempt loop, one rate-limiter token per request ---------------------------------
class FakeClock:
    """Simulated time: ``sleep`` moves the clock instead of waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


class CountingLimiter(RateLimiter):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.taken = 0

    def acquire(self, key: str = "") -> float:
        self.taken += 1
        return super().acquire(key)


def paced_client(handler, rate: float, burst: int, **kwargs):
    clock = FakeClock()
    limiter = CountingLimiter(rate, burst=burst, clock=clock, sleep=clock.sleep)
    return client_for(handler, rate_limiter=limiter, sleep=clock.sleep, **kwargs), limiter, clock


def test_ten_gets_at_ten_per_second_take_ten_tokens_and_nine_tenths_of_a_second():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"n": len(seen)})

    client, limiter, clock = paced_client(handler, rate=10, burst=1)
    assert [client.get_json("/x")["n"] for _ in range(10)] == list(range(1, 11))
    assert len(seen) == 10 and limiter.taken == 10
    assert clock.now == pytest.approx(0.9)  # the first at once, then one every 0.1 s (simulated time)


def test_goto_pacing_a_full_bucket_then_ten_per_second():
    client, limiter, clock = paced_client(lambda r: httpx.Response(200, json={}), rate=10, burst=10)
    for _ in range(20):
        client.get_json("/call-events-report/v1/x")
    assert limiter.taken == 20
    assert clock.now == pytest.approx(1.0)  # 10 from the burst, 10 more at 0.1 s each


@pytest.mark.parametrize(
    "answers",
    [
        [httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200, json={"ok": 1})],
        [httpx.Response(503), httpx.Response(200, text="{not json"), httpx.Response(200, json={"ok": 1})],
        [httpx.Response(200, json={"ok": 1})],
    ],
)
def test_each_attempt_takes_exactly_one_token(answers):
    replies = iter(answers)
    seen = []

    def handler(request):
        seen.append(request)
        return next(replies)

    client, limiter, _ = paced_client(handler, rate=10, burst=1)
    assert client.get_json("/x") == {"ok": 1}
    assert len(seen) == len(answers) == limiter.taken


def test_request_without_retry_and_failures_take_one_token_per_attempt():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(500)

    client, limiter, _ = paced_client(handler, rate=10, burst=1)
    with pytest.raises(ServerError):
        client.request("POST", "/token", retry=False)
    assert len(seen) == limiter.taken == 1
    with pytest.raises(ServerError):
        client.get_json("/x")
    assert len(seen) == limiter.taken == 1 + FAST.max_attempts


def test_download_with_a_fresh_url_is_one_loop(tmp_path):
    """The fresh-URL GET inside a download attempt is paced like any request and not retried on its own."""
    seen = []
    token_answers = iter([httpx.Response(503), httpx.Response(200, json={"token": "t1"})])

    def handler(request):
        seen.append(request.url.path)
        if request.url.path == "/content":
            return next(token_answers)
        return httpx.Response(200, content=b"x" * 10, headers={"Content-Type": "audio/mpeg"})

    client, limiter, _ = paced_client(handler, rate=10, burst=1)
    result = client.download(lambda: f"/media/{client.get_json('/content')['token']}", tmp_path / "r")
    assert result.path.read_bytes() == b"x" * 10
    assert seen == ["/content", "/content", "/media/t1"] and limiter.taken == 3

    seen.clear()
    failing = client_for(lambda r: seen.append(r.url.path) or httpx.Response(503))
    with pytest.raises(ServerError):
        failing.download(lambda: failing.get_json("/content")["token"], tmp_path / "s")
    assert seen == ["/content"] * FAST.max_attempts  # not max_attempts² (a loop inside a loop)

    seen.clear()  # the URL from another client (Aircall: the API client for the media client)
    media = client_for(
        lambda r: (
            seen.append("media") or httpx.Response(200, content=b"x", headers={"Content-Type": "audio/mpeg"})
        )
    )
    with pytest.raises(ServerError):
        media.download(lambda: failing.get_json("/content")["token"], tmp_path / "t")
    assert seen == ["/content"] * FAST.max_attempts
    seen.clear()
    with pytest.raises(ServerError):  # outside a download the same GET retries on its own
        failing.get_json("/content")
    assert seen == ["/content"] * FAST.max_attempts


def test_api_client_subclasses_keep_the_one_loop():
    """Provider clients customise errors, never the attempt loop or the pacing."""
    import importlib
    import pkgutil

    import perftel.providers

    connections = []
    for module in pkgutil.walk_packages(perftel.providers.__path__, "perftel.providers."):  # drivers, clients
        imported = importlib.import_module(module.name)
        if module.name.endswith(".connection"):
            connections.append(imported)
    assert len(connections) == 4  # every provider builds its clients from ApiClient, customising only errors
    for connection in connections:
        assert "ApiClient(" in Path(connection.__file__).read_text(), connection.__name__

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    loop = {"request", "get_json", "download", "_with_retries", "_send_once", "_download_once", "_paced"}
    for cls in [c for c in subclasses(ApiClient) if c.__module__.startswith("perftel.")]:
        assert not loop & set(vars(cls)), f"{cls.__qualname__} overrides {loop & set(vars(cls))}"


@pytest.mark.parametrize("name", ["goto_connect", "twilio", "aircall", "ringcentral"])
def test_every_provider_takes_one_token_per_request(name, monkeypatch, tmp_path, fast_retries):
    """Against each sandbox over real HTTP: the tokens taken equal the requests its paced clients sent."""
    from perftel import create_provider
    from perftel.errors import PerftelError
    from perftel_sandbox import start_sandbox

    clients: list[ApiClient] = []
    sends: dict[int, int] = {}
    tokens = []
    original_init, original_send, original_acquire = (
        ApiClient.__init__,
        httpx.Client.send,
        RateLimiter.acquire,
    )

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        clients.append(self)

    def send(self, *args, **kwargs):
        sends[id(self)] = sends.get(id(self), 0) + 1
        return original_send(self, *args, **kwargs)

    def acquire(self, key=""):
        tokens.append(key)
        return original_acquire(self, key)

    monkeypatch.setattr(ApiClient, "__init__", init)
    monkeypatch.setattr(httpx.Client, "send", send)
    monkeypatch.setattr(RateLimiter, "acquire", acquire)
    with start_sandbox(name, seed=11) as sb:
        provider = create_provider(name, "acme", base_url=sb.base_url, credentials=sb.credentials)
        with provider:
            calls = list(provider.fetch_calls("2026-11-16", "2026-11-17"))
            recordings = [r for c in calls for r in c.recordings][:2]
            for recording in recordings:
                with contextlib.suppress(PerftelError):  # some stay "processing" on purpose
                    provider.download_recording(recording.id, tmp_path, recording.id)
    paced = [c for c in clients if c.rate_limiter is not None]
    sent = sum(sends.get(id(c._http), 0) for c in paced)
    assert calls and recordings
    assert len(tokens) == sent
    assert (sent > 0) == (name != "twilio")  # Twilio limits concurrency, not a rate
