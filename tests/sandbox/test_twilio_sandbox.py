"""The Twilio sandbox behaves like REFERENCE.md §2 says the real API does, and its payloads validate
against the official OpenAPI spec (``../shared/providers/specs/twilio/twilio_api_v2010.json``)."""

from __future__ import annotations

import copy
import json
import re
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from perftel import create_provider
from perftel_sandbox import serve, start_sandbox
from perftel_sandbox.twilio_data import EXTRA_CALL_FIELDS, UNKNOWN_DIRECTION

SPEC_FILE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "providers"
    / "specs"
    / "twilio"
    / "twilio_api_v2010.json"
)
P = "/2010-04-01/Accounts/{AccountSid}"
RANGE = {"StartTime>": "2026-11-01", "StartTime<": "2026-11-22"}
_RFC2822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")


@pytest.fixture(scope="module")
def spec():
    if not SPEC_FILE.is_file():
        pytest.fail(f"The Twilio spec is missing: expected {SPEC_FILE}")
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sb():
    with start_sandbox("twilio", seed=7) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb):
    with httpx.Client(
        base_url=f"{sb.base_url}/2010-04-01/Accounts/{sb.account_sid}",
        timeout=10,
        auth=(sb.credentials["account_sid"], sb.credentials["auth_token"]),
    ) as http:
        yield http


def _format_checker() -> FormatChecker:
    checker = copy.deepcopy(oas30_format_checker)

    @checker.checks("date-time-rfc-2822")
    def rfc2822(value: object) -> bool:
        return not isinstance(value, str) or bool(_RFC2822.match(value) and parsedate_to_datetime(value))

    # The spec marks ``uri``/``first_page_uri``/… ``format: uri`` but Twilio sends paths relative to
    # https://api.twilio.com (REFERENCE §2.2): accept an absolute URL or an absolute path.
    @checker.checks("uri")
    def uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc) or (value.startswith("/") and not parts.netloc)

    return checker


def _schema(spec, path: str, status: str = "200", method: str = "get") -> dict:
    op = spec["paths"][path][method]
    return op["responses"][status]["content"]["application/json"]["schema"]


def _validate(spec, schema: dict, instance) -> None:
    """Validate with ``$ref``s resolved against the spec's own components."""
    rooted = {**schema, "components": spec["components"]}
    OAS30Validator(rooted, format_checker=_format_checker()).validate(instance)


def _error_schema(spec) -> dict:
    # The one error body the spec writes down (a 408 on call recordings): {code, message, more_info, status}.
    return _schema(spec, f"{P}/Calls/{{CallSid}}/Recordings/{{Sid}}.json", "408", "post")


def _walk(client, path, params):
    pages, response = [], client.get(path, params=params)
    while True:
        assert response.status_code == 200, response.text
        pages.append(response.json())
        if not pages[-1]["next_page_uri"]:
            return pages
        response = client.get(
            f"{client.base_url.scheme}://{client.base_url.netloc.decode()}{pages[-1]['next_page_uri']}"
        )


# --- the spec -----------------------------------------------------------------------------------------


def test_every_endpoint_validates_against_the_official_spec(spec, sb, client):
    sb.faults.empty_pages = 1
    call_pages = _walk(client, "/Calls.json", {**RANGE, "PageSize": 7})
    assert any(not p["calls"] for p in call_pages) and len(call_pages) > 3
    rec_pages = _walk(
        client,
        "/Recordings.json",
        {"DateCreated>": "2026-11-01", "DateCreated<": "2026-11-22", "PageSize": 9},
    )
    for page in call_pages:
        _validate(spec, _schema(spec, f"{P}/Calls.json"), page)
    for page in rec_pages:
        _validate(spec, _schema(spec, f"{P}/Recordings.json"), page)
    calls = [c for p in call_pages for c in p["calls"]]
    recordings = [r for p in rec_pages for r in p["recordings"]]
    for call in calls[:40]:
        one = client.get(f"/Calls/{call['sid']}.json")
        _validate(spec, _schema(spec, f"{P}/Calls/{{Sid}}.json"), one.json())
        assert one.json() == call
    for rec in recordings:
        _validate(
            spec,
            _schema(spec, f"{P}/Recordings/{{Sid}}.json"),
            client.get(f"/Recordings/{rec['sid']}.json").json(),
        )
        scoped = client.get(f"/Calls/{rec['call_sid']}/Recordings.json").json()
        _validate(spec, _schema(spec, f"{P}/Calls/{{CallSid}}/Recordings.json"), scoped)
        one = client.get(f"/Calls/{rec['call_sid']}/Recordings/{rec['sid']}.json").json()
        _validate(spec, _schema(spec, f"{P}/Calls/{{CallSid}}/Recordings/{{Sid}}.json"), one)
    # Field names are the spec's (validation alone would let a misspelt extra field through).
    call_fields = set(spec["components"]["schemas"]["api.v2010.account.call"]["properties"])
    rec_fields = set(spec["components"]["schemas"]["api.v2010.account.recording"]["properties"])
    assert all(set(c) <= call_fields | set(EXTRA_CALL_FIELDS) for c in calls)
    assert any(set(c) & set(EXTRA_CALL_FIELDS) for c in calls)  # odd rows do carry unknown fields
    assert all(set(r) <= rec_fields for r in recordings) and all(set(c) >= call_fields for c in calls)


def test_error_bodies_validate_against_the_spec(spec, sb, client, fast_retries):
    rec = next(
        r
        for p in _walk(
            client, "/Recordings.json", {"DateCreated>": "2026-11-01", "DateCreated<": "2026-11-22"}
        )
        for r in p["recordings"]
        if r["channels"] == 1 and r["status"] == "completed"
    )
    errors = [
        client.get("/Calls.json", params={"Page": 3}),  # 20001
        client.get("/Calls.json", params={"PageToken": "PAforged"}),
        client.get("/Calls.json", params={"PageSize": 1001}),
        client.get("/Calls/CA" + "0" * 32 + ".json"),  # 20404
        client.get(f"/Recordings/{rec['sid']}.wav", params={"RequestedChannels": 2}),  # 16113
        httpx.get(f"{client.base_url}/Calls.json", auth=(sb.account_sid, "wrong")),  # 20003
    ]
    sb.faults.rate_limit_burst, sb.faults.server_errors = 1, 2
    errors += [client.get("/Calls.json") for _ in range(3)]
    assert [e.status_code for e in errors] == [400, 400, 400, 404, 400, 401, 429, 503, 500]
    assert [e.json()["code"] for e in errors] == [
        20001,
        20001,
        20001,
        20404,
        16113,
        20003,
        20429,
        20503,
        20500,
    ]
    for error in errors:
        _validate(spec, _error_schema(spec), error.json())
        body = error.json()
        assert set(body) == {"code", "message", "more_info", "status"} and body["status"] == error.status_code
        assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    assert errors[0].json()["message"] == "PageToken is required for paging."


def test_the_perftel_client_sends_only_parameters_the_spec_declares(spec, sb):
    provider = create_provider("twilio", "acme", base_url=sb.base_url, credentials=sb.credentials)
    before = len(sb.requests)
    provider.fetch_calls("2026-11-16", "2026-11-18")
    sent = [r for r in list(sb.requests)[before:] if r.path.endswith(".json")]
    assert sent
    for request in sent:
        template = re.sub(
            r"/(AC|CA|RE)[0-9a-f]{32}",
            lambda m: {"AC": "/{AccountSid}", "CA": "/{Sid}", "RE": "/{Sid}"}[m[1]],
            request.path,
        )
        declared = {p["name"] for p in spec["paths"][template]["get"]["parameters"] if p["in"] == "query"}
        assert set(request.query) <= declared, (template, request.query)


# --- paging and filters ---------------------------------------------------------------------------------


def test_keyset_paging_lists_every_leg_once_newest_first(sb, client):
    pages = _walk(client, "/Calls.json", {**RANGE, "PageSize": 5})
    sids = [c["sid"] for p in pages for c in p["calls"]]
    assert len(sids) == len(set(sids)) > 20
    starts = [parsedate_to_datetime(c["start_time"]) for p in pages for c in p["calls"]]
    assert starts == sorted(starts, reverse=True)
    single = _walk(client, "/Calls.json", {**RANGE, "PageSize": 1000})
    assert len(single) == 1 and [c["sid"] for c in single[0]["calls"]] == sids
    for page in pages[1:]:
        assert dict(parse_qsl(urlsplit(page["uri"]).query))["PageToken"].startswith("PA")


def test_page_tokens_are_bound_to_their_query(client):
    first = client.get("/Calls.json", params={**RANGE, "PageSize": 3}).json()
    token = dict(parse_qsl(urlsplit(first["next_page_uri"]).query))["PageToken"]
    other = client.get(
        "/Calls.json", params={"StartTime>": "2026-10-01", "PageSize": 3, "Page": 1, "PageToken": token}
    )
    assert other.status_code == 400 and other.json()["code"] == 20001


def test_start_time_filters(sb, client):
    day = client.get("/Calls.json", params={"StartTime": "2026-11-17", "PageSize": 1000}).json()["calls"]
    assert day and all(c["start_time"][5:16] == "17 Nov 2026" for c in day)
    span = client.get(
        "/Calls.json", params={"StartTime>": "2026-11-17", "StartTime<": "2026-11-18", "PageSize": 1000}
    )
    assert [c["sid"] for c in span.json()["calls"]] == [c["sid"] for c in day]
    iso = client.get(
        "/Calls.json", params={"StartTime>": "2026-11-17T12:00:00Z", "StartTime<": "2026-11-18"}
    ).json()
    assert {c["sid"] for c in iso["calls"]} < {c["sid"] for c in day}
    bad = client.get("/Calls.json", params={"StartTime>": "yesterday"})
    assert bad.status_code == 400 and bad.json()["code"] == 20001
    assert sorted(c["sid"] for c in sb.expected_calls("2026-11-17", "2026-11-18")) == sorted(
        c["sid"] for c in day if c["parent_call_sid"] is None
    )


def test_generated_data_is_deterministic_varied_and_odd(sb, client):
    with start_sandbox("twilio", seed=7) as again, start_sandbox("twilio", seed=8) as other:
        assert again.credentials == sb.credentials and other.credentials != sb.credentials
        assert again.expected_calls("2026-11-01", "2026-11-22") == sb.expected_calls(
            "2026-11-01", "2026-11-22"
        )
        assert other.expected_calls("2026-11-01", "2026-11-22") != sb.expected_calls(
            "2026-11-01", "2026-11-22"
        )
    legs = [c for p in _walk(client, "/Calls.json", {**RANGE, "PageSize": 1000}) for c in p["calls"]]
    recs = [
        r
        for p in _walk(
            client, "/Recordings.json", {"DateCreated>": "2026-11-01", "DateCreated<": "2026-11-22"}
        )
        for r in p["recordings"]
    ]
    assert {c["direction"] for c in legs} >= {"inbound", "outbound-api", "outbound-dial", UNKNOWN_DIRECTION}
    assert {c["status"] for c in legs} >= {"completed", "no-answer", "busy"}
    assert any(c["duration"] is None for c in legs) and any(c["duration"] == "" for c in legs)
    assert any(c["parent_call_sid"] for c in legs) and any(c["to"].startswith("client:") for c in legs)
    assert any(c["caller_name"] and not c["caller_name"].isascii() for c in legs)
    assert {r["status"] for r in recs} >= {"completed", "processing", "in-progress"}
    assert {r["channels"] for r in recs} == {1, 2}
    assert all(r["call_sid"] in {c["sid"] for c in legs if c["parent_call_sid"] is None} for r in recs)


# --- auth ---------------------------------------------------------------------------------------------


def test_basic_auth_with_token_or_api_key_and_the_account_in_the_path(sb):
    url = f"{sb.base_url}/2010-04-01/Accounts/{sb.account_sid}/Calls.json"
    key = sb.api_key_credentials
    assert httpx.get(url, auth=(key["api_key_sid"], key["api_key_secret"])).status_code == 200
    no_auth = httpx.get(url)
    assert no_auth.status_code == 401 and no_auth.headers["www-authenticate"].startswith("Basic")
    other = url.replace(sb.account_sid, "AC" + "0" * 32)
    assert httpx.get(other, auth=(sb.account_sid, sb.credentials["auth_token"])).status_code == 401


def test_revoke_and_reset():
    with start_sandbox("twilio", seed=7) as sandbox:
        url = f"{sandbox.base_url}/2010-04-01/Accounts/{sandbox.account_sid}/Calls.json"
        auth = (sandbox.account_sid, sandbox.credentials["auth_token"])
        sandbox.faults.revoke()
        assert httpx.get(url, auth=auth).json()["code"] == 20003
        sandbox.faults.reset()
        assert httpx.get(url, auth=auth).status_code == 200


# --- media -------------------------------------------------------------------------------------------


def _completed(client, channels):
    pages = _walk(client, "/Recordings.json", {"DateCreated>": "2026-11-01", "DateCreated<": "2026-11-22"})
    return next(
        r for p in pages for r in p["recordings"] if r["channels"] == channels and r["status"] == "completed"
    )


def _wav(response) -> tuple[int, int]:
    with wave.open(BytesIO(response.content)) as w:
        return w.getnchannels(), w.getframerate()


def test_media_channels_redirect_and_16113(sb, client):
    dual, mono = _completed(client, 2), _completed(client, 1)
    first = client.get(f"/Recordings/{dual['sid']}.wav", params={"RequestedChannels": 2})
    assert first.status_code == 302
    location = first.headers["location"]
    assert urlsplit(location).hostname == "localhost" != urlsplit(sb.base_url).hostname
    media = httpx.get(location)
    assert media.headers["content-type"] == "audio/x-wav" and _wav(media) == (2, 8000)
    assert _wav(
        client.get(f"/Recordings/{dual['sid']}.wav", params={"RequestedChannels": 1}, follow_redirects=True)
    ) == (1, 8000)
    assert _wav(client.get(f"/Recordings/{mono['sid']}", follow_redirects=True)) == (1, 8000)
    refused = client.get(f"/Recordings/{mono['sid']}.wav", params={"RequestedChannels": 2})
    assert refused.status_code == 400 and refused.json()["code"] == 16113
    assert client.get(f"/Recordings/{dual['sid']}.mp3").status_code == 404
    assert (
        client.get(f"/Recordings/{dual['sid']}.wav", params={"RequestedChannels": 3}).json()["code"] == 20001
    )


def test_processing_recordings_have_no_media(client):
    pages = _walk(client, "/Recordings.json", {"DateCreated>": "2026-11-01", "DateCreated<": "2026-11-22"})
    pending = next(r for p in pages for r in p["recordings"] if r["status"] == "processing")
    assert pending["duration"] is None
    assert client.get(f"/Recordings/{pending['sid']}.wav").json()["code"] == 20404


def test_direct_media_and_truncation():
    with (
        start_sandbox("twilio", seed=7, redirect_media=False) as sandbox,
        httpx.Client(
            base_url=f"{sandbox.base_url}/2010-04-01/Accounts/{sandbox.account_sid}",
            auth=(sandbox.account_sid, sandbox.credentials["auth_token"]),
        ) as http,
    ):
        dual = _completed(http, 2)
        assert _wav(http.get(f"/Recordings/{dual['sid']}.wav")) == (2, 8000)
        sandbox.faults.truncate_media = 1
        with pytest.raises(httpx.HTTPError):
            http.get(f"/Recordings/{dual['sid']}.wav")


# --- faults -------------------------------------------------------------------------------------------


def test_more_than_the_concurrency_limit_gets_429_20429():
    with start_sandbox("twilio", seed=7, concurrency_limit=2) as sandbox:
        url = f"{sandbox.base_url}/2010-04-01/Accounts/{sandbox.account_sid}/Calls.json"
        auth = (sandbox.account_sid, sandbox.credentials["auth_token"])
        sandbox.faults.slow_seconds = 0.3
        with ThreadPoolExecutor(5) as pool:
            answers = list(
                pool.map(lambda _: httpx.get(url, auth=auth, params={"PageSize": 1}, timeout=10), range(5))
            )
        codes = sorted(a.status_code for a in answers)
        assert codes.count(200) >= 2 and 429 in codes
        assert all(a.json()["code"] == 20429 for a in answers if a.status_code == 429)


def test_slow_seconds(sb, client):
    sb.faults.slow_seconds = 0.2
    try:
        started = time.perf_counter()
        client.get("/Calls.json", params={"PageSize": 1})
        assert time.perf_counter() - started >= 0.2
    finally:
        sb.faults.reset()


def test_serve_prints_sandbox_only_credentials(monkeypatch, capsys):
    def interrupt(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("perftel_sandbox.time.sleep", interrupt)
    serve("twilio", host="127.0.0.1", port=0, seed=3)
    out = capsys.readouterr().out
    assert (
        "SANDBOX-ONLY" in out
        and "auth_token" in out
        and "api_key_secret" in out
        and "http://127.0.0.1:" in out
    )
