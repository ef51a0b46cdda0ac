"""Malformed headers, object-valued error bodies and repeated query keys, on local MockTransports."""

from __future__ import annotations

import json

import httpx
import pytest

from perftel.errors import DownloadError, NotFoundError
from perftel.http import ApiClient, RetryPolicy
from perftel.http.api_errors import parse_generic_error
from perftel.http.client import declared_length
from perftel.http.pagination import query_dict
from perftel.http.retry import parse_retry_after
from perftel.providers.aircall.connection import next_link, parse_aircall_error
from perftel.providers.goto_connect import driver as goto_driver
from perftel.providers.goto_connect.connection import parse_goto_error
from perftel.providers.goto_connect.driver import GoToConnectProvider
from perftel.providers.ringcentral.connection import NextPage, ThrottlingGroups, parse_ringcentral_error
from perftel.providers.twilio.connection import TwilioPages

FAST = RetryPolicy(max_attempts=3, backoff=0.001, max_backoff=0.002)
BODY = b"RIFF" + b"\0" * 1000


def client_for(handler, **kwargs) -> ApiClient:
    return ApiClient(
        provider="Test",
        base_url="http://api.test",
        transport=httpx.MockTransport(handler),
        retry=FAST,
        **kwargs,
    )


def audio(content_length: list[str], body: bytes = BODY):
    """An answer carrying exactly these Content-Length values (a stream: httpx adds none of its own)."""

    def handler(request):
        headers = [("Content-Type", "audio/wav"), *(("Content-Length", v) for v in content_length)]
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

    return handler


# --- 7. Content-Length ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "values", [["abc"], ["-5"], ["1e3"], [" "], ["12.0"], ["1004, 12"], ["1004", "12"], ["+1004"], ["0x3ec"]]
)
def test_a_malformed_content_length_is_an_unknown_length_not_a_crash(values, tmp_path):
    result = client_for(audio(values)).download("/media", tmp_path / "call_1")
    assert result.path.read_bytes() == BODY and result.size == len(BODY)


@pytest.mark.parametrize("values", [["1004"], ["1004, 1004"], ["1004", "1004"], [" 1004 "]])
def test_a_well_formed_content_length_is_still_checked(values, tmp_path):
    assert client_for(audio(values)).download("/media", tmp_path / "ok").size == 1004
    with pytest.raises(DownloadError, match="above the 100-byte limit"):
        client_for(audio(values)).download("/media", tmp_path / "big", max_bytes=100)


def test_a_body_shorter_than_its_declared_length_is_retried_then_fails_cleanly(tmp_path):
    with pytest.raises(DownloadError, match="arrived short") as info:
        client_for(audio(["5000"])).download("/media", tmp_path / "short")
    assert info.value.retryable and not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], None), (["0"], 0), (["7"], 7), (["7", "7"], 7), (["7", "8"], None), (["x"], None), (["-1"], None)],
)
def test_declared_length(values, expected):
    assert declared_length(values) == expected


@pytest.mark.parametrize("value", ["inf", "Infinity", "-inf", "nan", "NaN"])
def test_a_non_finite_retry_after_is_unreadable(value):
    assert parse_retry_after(value) is None
    assert parse_retry_after("2.5") == 2.5 and parse_retry_after("-3") == 0.0


# --- 8. error bodies: an object-valued "error" gives its message, never the text of a dict -------------------
def answer(body) -> httpx.Response:
    return httpx.Response(
        400, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"error": {"code": 403, "message": "No access", "status": "PERMISSION_DENIED"}}, "403", "No access"),
        (
            {"error": {"type": "invalid_request", "description": "Bad window"}},
            "invalid_request",
            "Bad window",
        ),
        ({"error": {"message": "Only a message"}}, None, "Only a message"),
        ({"error": {}, "message": "Top"}, None, "Top"),
        ({"error": "invalid_grant", "error_description": "Expired"}, "invalid_grant", "Expired"),
        ({"errors": [{"code": "E1", "title": "First"}, {"code": "E2"}]}, "E1", "First"),
        ({"errorCode": "X", "message": {"nested": 1}, "detail": "Plain"}, "X", "Plain"),
        ({"error": ["a", "b"]}, None, None),
    ],
)
def test_generic_error_bodies(body, code, message):
    info = parse_generic_error(answer(body))
    assert (info.code, info.message) == (code, message)
    assert "{" not in (info.message or "") and "[" not in (info.code or "")


@pytest.mark.parametrize("parse", [parse_goto_error, parse_ringcentral_error, parse_aircall_error])
def test_provider_error_parsers_read_object_valued_errors_too(parse):
    info = parse(answer({"error": {"code": "denied", "message": "Token revoked"}}))
    assert info.code == "denied" and "Token revoked" in info.message and "{" not in info.message


def test_provider_error_parsers_keep_their_own_shapes():
    assert parse_goto_error(answer({"errorCode": "NOT_FOUND", "message": "No report"})).code == "NOT_FOUND"
    rc = parse_ringcentral_error(answer({"errors": [{"errorCode": "CMN-102", "message": "Not found"}]}))
    assert (rc.code, rc.message) == ("CMN-102", "Not found")
    rc = parse_ringcentral_error(answer({"error": "invalid_grant", "error_description": "JWT expired"}))
    assert (rc.code, rc.message) == ("invalid_grant", "JWT expired")
    ac = parse_aircall_error(answer({"error": "Unauthorized", "troubleshoot": "Check your API key"}))
    assert (ac.code, ac.message) == ("Unauthorized", "Check your API key")
    assert parse_aircall_error(answer({"message": {"x": 1}})).message is None


def test_a_client_error_message_reads_the_inner_message():
    def handler(request):
        return httpx.Response(
            404,
            content=json.dumps({"error": {"code": "NF", "message": "No such call"}}).encode(),
            headers={"Content-Type": "application/json"},
        )

    with pytest.raises(NotFoundError) as info:
        client_for(handler).get_json("/calls/1")
    assert "No such call" in str(info.value) and "{" not in str(info.value)


# --- 8. repeated query keys survive paging -------------------------------------------------------------------
def test_query_dict_keeps_repeats_in_order():
    pairs = [("Status", "busy"), ("PageSize", "50"), ("Status", "failed"), ("Status", "no-answer")]
    assert query_dict(pairs) == {"Status": ["busy", "failed", "no-answer"], "PageSize": "50"}
    assert query_dict([]) == {}


@pytest.mark.parametrize(
    "uri",
    [
        "/2010-04-01/Accounts/AC1/Calls.json?Status=busy&Status=failed&Page=1&PageToken=PA1",
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json?Status=busy&Page=1&Status=failed&PageToken=PA1",
    ],
)
def test_twilio_pages_keep_repeated_query_keys(uri):
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"calls": [], "next_page_uri": None})

    pages = TwilioPages(lambda page: page.get("next_page_uri"), provider="Twilio")
    pages.next_url = uri
    path, params = pages.update_request("/first", {})
    client_for(handler).get_json(path, params=params)
    assert seen[0].url.params.get_list("Status") == ["busy", "failed"] and seen[0].url.params["Page"] == "1"


def test_aircall_next_link_keeps_repeated_query_keys():
    link = next_link(
        {"meta": {"next_page_link": "https://api.aircall.io/v1/calls?page=2&tags=a&tags=b"}},
        "https://api.aircall.io",
        {"from": 1, "to": 2},
    )
    url = httpx.URL(link)
    assert (
        url.params.get_list("tags") == ["a", "b"] and url.params["from"] == "1" and url.params["page"] == "2"
    )


def test_ringcentral_next_page_keeps_repeated_query_keys():
    pages = NextPage("https://platform.ringcentral.com", {"view": "Detailed"}, "RingCentral")
    pages.update_request("/restapi/v1.0/account/~/call-log", {"view": "Detailed"})
    pages.update_state(
        {"navigation": {"nextPage": {"uri": "/restapi/v1.0/account/~/call-log?page=2&type=Voice&type=Fax"}}}
    )
    path, query = pages.update_request("/ignored", {})
    assert query["type"] == ["Voice", "Fax"] and query["page"] == "2" and query["view"] == "Detailed"


# --- 8. GoTo waits for a report through the client's injectable sleep ----------------------------------------
def test_goto_report_waits_use_the_clients_sleep_never_time_sleep(monkeypatch):
    def handler(request):
        return httpx.Response(404, json={"errorCode": "NOT_FOUND", "message": "not ready"})

    provider = GoToConnectProvider(
        "acme",
        credentials={"client_id": "c", "client_secret": "s", "refresh_token": "r", "access_token": "a"},
        transport=httpx.MockTransport(handler),
    )
    provider.tokens.access_token = lambda: "a"  # no token endpoint here
    waits: list[float] = []
    provider.api._sleep = waits.append  # the injectable sleep ApiClient(sleep=...) takes

    def no_real_sleep(seconds):
        raise AssertionError("time.sleep called")

    monkeypatch.setattr("time.sleep", no_real_sleep)
    assert provider._report("cs-1") is None
    assert waits == [goto_driver.REPORT_WAIT_SECONDS] * (goto_driver.REPORT_ATTEMPTS - 1)


def test_wait_never_goes_negative():
    waits: list[float] = []
    client_for(lambda r: httpx.Response(200), sleep=waits.append).wait(-1)
    assert waits == [0.0]


@pytest.mark.parametrize(
    ("retry_after", "longest"),
    [("Fri, 31 Dec 9999 23:59:59 GMT", 300.0), ("1e300", 300.0), ("inf", 60.0), ("NaN", 60.0), ("5", 5.0)],
)
def test_ringcentral_429_pauses_its_group_for_a_bounded_time(retry_after, longest):
    groups = ThrottlingGroups()
    request = httpx.Request("GET", "https://platform.ringcentral.com/restapi/v1.0/account/~/call-log")
    groups.on_response(httpx.Response(429, headers={"Retry-After": retry_after}, request=request))
    paused = max(groups.limiter._paused_until.values()) - groups.limiter._clock()
    assert 0 < paused <= longest
