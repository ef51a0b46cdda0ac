"""The Aircall sandbox behaves like REFERENCE.md §3 says the real API does (raw HTTP, no perftel client)."""

from __future__ import annotations

import io
import json
import time
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import av
import httpx
import pytest

from perftel_sandbox import SANDBOX_PROVIDERS, serve, start_sandbox

LO = int(datetime(2025, 3, 3, tzinfo=timezone.utc).timestamp())
HI = LO + 7 * 86400  # one week


@pytest.fixture(scope="module")
def sb():
    with start_sandbox("aircall", seed=7, enforce_rate_limit=False) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb):
    with httpx.Client(base_url=sb.base_url, timeout=10, auth=(sb.api_id, sb.api_token)) as http:
        yield http


def walk(client, **params):
    """Every call of a listing, following next_page_link; returns (calls, pages)."""
    query = {"from": LO, "to": HI, **params}
    pages = [client.get("/v1/calls", params=query)]
    while True:
        assert pages[-1].status_code == 200, pages[-1].text
        link = pages[-1].json()["meta"]["next_page_link"]
        if not link:
            return [c for p in pages for c in p.json()["calls"]], pages
        pages.append(client.get(link))


def a_call(sb, kind="recording"):
    return next(c for c in sb.expected_calls(LO, HI) if c["id"] and sb.audio_kind(c["id"]) == kind)


def assert_aircall_error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "troubleshoot"} and body["error"] and body["troubleshoot"]
    return body


# --- registry ------------------------------------------------------------------------------------


def test_registered_and_describes_itself(sb):
    assert "aircall" in SANDBOX_PROVIDERS
    lines = dict(sb.describe())
    assert (
        lines["base URL"] == sb.base_url and lines["api_id"] == sb.api_id and lines["audio"] == "audio/mpeg"
    )
    assert sb.credentials == {"api_id": sb.api_id, "api_token": sb.api_token}
    assert sb.oauth_credentials == {"access_token": sb.access_token}


def test_serve_prints_sandbox_only_credentials_and_stops_on_ctrl_c(monkeypatch, capsys):
    def interrupt(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("perftel_sandbox.time.sleep", interrupt)
    serve("aircall", host="127.0.0.1", port=0, seed=3)
    out = capsys.readouterr().out
    assert "SANDBOX-ONLY" in out and "api_token" in out and "http://127.0.0.1:" in out


# --- auth ----------------------------------------------------------------------------------------


def test_basic_and_bearer_auth_and_aircall_error_bodies(sb):
    with httpx.Client(base_url=sb.base_url, timeout=10) as http:
        assert_aircall_error(http.get("/v1/ping"), 401)
        assert_aircall_error(http.get("/v1/ping", auth=(sb.api_id, "wrong")), 401)
        assert_aircall_error(http.get("/v1/ping", headers={"Authorization": "Bearer nope"}), 401)
        assert_aircall_error(http.get("/v1/ping", headers={"Authorization": "Basic !!notbase64"}), 401)
        assert http.get("/v1/ping", auth=(sb.api_id, sb.api_token)).json() == {"ping": "pong"}
        ok = http.get("/v1/ping", headers={"Authorization": f"Bearer {sb.access_token}"})
        assert ok.status_code == 200
        assert_aircall_error(http.get("/v1/nothing", auth=(sb.api_id, sb.api_token)), 404)


def test_revoke_refuses_every_credential():
    with start_sandbox("aircall", seed=7) as sandbox, httpx.Client(base_url=sandbox.base_url) as http:
        assert http.get("/v1/ping", auth=(sandbox.api_id, sandbox.api_token)).status_code == 200
        sandbox.faults.revoke()
        assert_aircall_error(http.get("/v1/ping", auth=(sandbox.api_id, sandbox.api_token)), 401)
        assert_aircall_error(
            http.get("/v1/ping", headers={"Authorization": f"Bearer {sandbox.access_token}"}), 401
        )


# --- listing -------------------------------------------------------------------------------------


def test_listing_envelope_paging_and_every_call_once(sb, client):
    calls, pages = walk(client, per_page=50, order="asc")
    expected = sb.expected_calls(LO, HI)
    assert len(expected) > 20 and [c["id"] for c in calls] == [c["id"] for c in expected]
    meta = pages[0].json()["meta"]
    assert set(meta) == {"count", "total", "current_page", "per_page", "next_page_link", "previous_page_link"}
    assert meta["total"] == len(expected) and meta["per_page"] == 50 and meta["previous_page_link"] is None
    assert pages[-1].json()["meta"]["previous_page_link"]
    starts = [c["started_at"] for c in calls]
    assert starts == sorted(starts) and all(LO <= s <= HI for s in starts)
    desc, _ = walk(client, per_page=50, order="desc")
    assert [c["id"] for c in desc] == [c["id"] for c in reversed(calls)]


def test_page_size_defaults_to_20_and_is_clamped_to_the_maximum(client):
    assert len(client.get("/v1/calls", params={"from": LO, "to": HI}).json()["calls"]) == 20
    big = client.get("/v1/calls", params={"from": LO, "to": HI, "per_page": 500}).json()
    assert big["meta"]["per_page"] == 50 and len(big["calls"]) == 50
    with (
        start_sandbox("aircall", seed=7, max_per_page=10, default_per_page=5) as small,
        httpx.Client(base_url=small.base_url, auth=(small.api_id, small.api_token)) as http,
    ):
        assert len(http.get("/v1/calls", params={"from": LO, "to": HI}).json()["calls"]) == 5
        assert (
            http.get("/v1/calls", params={"from": LO, "to": HI, "per_page": 50}).json()["meta"]["per_page"]
            == 10
        )


def test_bad_queries_get_400(client):
    for params in (
        {"from": "yesterday"},
        {"order": "sideways"},
        {"page": 0},
        {"per_page": -1},
        {"to": "1.5e9x"},
    ):
        assert_aircall_error(client.get("/v1/calls", params={"from": LO, "to": HI, **params}), 400)


def test_calls_have_the_reference_shape(sb, client):
    calls, _ = walk(client, per_page=50, fetch_contact="true")
    keys = {
        "id",
        "sid",
        "direct_link",
        "direction",
        "status",
        "missed_call_reason",
        "started_at",
        "answered_at",
        "ended_at",
        "duration",
        "raw_digits",
        "archived",
        "cost",
        "recording",
        "recording_short_url",
        "voicemail",
        "voicemail_short_url",
        "asset",
        "user",
        "number",
        "contact",
        "assigned_to",
        "transferred_by",
        "transferred_to",
        "teams",
        "tags",
        "comments",
        "participants",
        "ivr_options_selected",
        "country_code_a2",
    }
    assert all(set(c) == keys for c in calls)
    for c in calls:
        assert (
            isinstance(c["id"], int)
            and isinstance(c["started_at"], int)
            and c["direction"] in ("inbound", "outbound")
        )
        assert c["duration"] == c["ended_at"] - c["started_at"] and c["status"] == "done"
        assert (c["missed_call_reason"] is not None) == (
            c["direction"] == "inbound" and c["answered_at"] is None
        )
        if c["recording"]:
            assert c["answered_at"] is not None and "X-Amz-Signature=" in c["recording"]
        if c["direction"] == "outbound":
            assert c["teams"] == [] and c["missed_call_reason"] is None
    wider = sb.expected_calls(LO - 60 * 86400, HI)
    assert any(c["raw_digits"] == "anonymous" for c in wider) and any(
        sb.audio_kind(c["id"]) == "voicemail" for c in wider
    )
    assert any(c["contact"] for c in calls)
    assert any(c["recording"] for c in calls) and any(c["answered_at"] is None for c in calls)
    no_contacts, _ = walk(client, per_page=50)
    assert all(c["contact"] is None for c in no_contacts)


def test_data_is_deterministic_per_seed_whatever_the_window():
    with (
        start_sandbox("aircall", seed=7) as a,
        start_sandbox("aircall", seed=7) as b,
        start_sandbox("aircall", seed=8) as c,
    ):

        def portable(sandbox, lo=LO, hi=HI):  # links name the sandbox's own port
            return json.loads(json.dumps(sandbox.expected_calls(lo, hi)).replace(sandbox.base_url, "BASE"))

        first = a.expected_calls(LO, HI)
        assert portable(a) == portable(b) and portable(a) != portable(c)
        middle = a.expected_calls(LO + 86400, LO + 2 * 86400)
        assert middle == [x for x in first if LO + 86400 <= x["started_at"] < LO + 2 * 86400]
        assert a.call(first[3]["id"]) == first[3] and a.call(999) is None and a.call("x") is None


def test_only_ended_calls_are_listed(sb, client):
    now = int(time.time())
    calls = client.get(
        "/v1/calls", params={"from": now - 3 * 86400, "to": now + 86400, "per_page": 50}
    ).json()
    assert all(c["ended_at"] <= now + 1 for c in calls["calls"])


def test_listing_cap_stops_paging_but_total_tells_the_truth():
    with (
        start_sandbox("aircall", seed=7, listing_cap=30, enforce_rate_limit=False) as small,
        httpx.Client(base_url=small.base_url, auth=(small.api_id, small.api_token)) as http,
    ):
        calls, pages = walk(http, per_page=7)
        total = len(small.expected_calls(LO, HI))
        assert total > 30 and len(calls) == 30 and pages[-1].json()["meta"]["total"] == total
        assert_aircall_error(
            http.get("/v1/calls", params={"from": LO, "to": HI, "per_page": 7, "page": 6}), 400
        )


@pytest.mark.parametrize("inclusive", [True, False])
def test_to_is_inclusive_or_not_as_configured(inclusive):
    pins = [LO, LO + 3600, LO + 3600]
    with (
        start_sandbox("aircall", seed=7, to_inclusive=inclusive, pinned_calls=pins) as s,
        httpx.Client(base_url=s.base_url, auth=(s.api_id, s.api_token)) as http,
    ):
        at = http.get("/v1/calls", params={"from": LO, "to": LO + 3600, "per_page": 50}).json()["calls"]
        starts = [c["started_at"] for c in at]
        assert starts.count(LO) >= 1 and starts.count(LO + 3600) == (2 if inclusive else 0)


# --- one call and its media ----------------------------------------------------------------------


def test_one_call_carries_a_fresh_signed_url_to_mp3_on_another_host(sb, client):
    call = a_call(sb)
    answer = client.get(f"/v1/calls/{call['id']}")
    assert answer.status_code == 200 and set(answer.json()) == {"call"}
    url = answer.json()["call"]["recording"]
    parts = urlsplit(url)
    assert parts.hostname == sb.media_host != urlsplit(sb.base_url).hostname
    query = parse_qs(parts.query)
    assert query["X-Amz-Expires"] == ["3600"] and len(query["X-Amz-Signature"][0]) == 64
    with httpx.Client(timeout=10) as plain:
        media = plain.get(url)
    assert media.status_code == 200 and media.headers["content-type"] == "audio/mpeg"
    with av.open(io.BytesIO(media.content)) as container:
        stream = container.streams.audio[0]
        assert (
            stream.codec_context.name.startswith("mp3") and stream.rate == 8000 and container.duration > 5e6
        )
    assert_aircall_error(client.get("/v1/calls/999999999999"), 404)
    assert_aircall_error(client.get("/v1/calls/abc"), 404)


def test_voicemails_are_served_too(client):
    with (
        start_sandbox("aircall", seed=7) as s,
        httpx.Client(base_url=s.base_url, auth=(s.api_id, s.api_token)) as http,
    ):
        call = next(c for c in s.expected_calls(LO - 60 * 86400, HI) if s.audio_kind(c["id"]) == "voicemail")
        body = http.get(f"/v1/calls/{call['id']}").json()["call"]
        assert body["recording"] is None and body["answered_at"] is None and body["missed_call_reason"]
        assert httpx.get(body["voicemail"]).headers["content-type"] == "audio/mpeg"


def test_media_urls_refuse_tampering_credentials_and_expiry(sb, client):
    url = client.get(f"/v1/calls/{a_call(sb)['id']}").json()["call"]["recording"]
    with httpx.Client(timeout=10) as plain:
        assert plain.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code == 403
        assert plain.get(url.replace("X-Amz-Expires=3600", "X-Amz-Expires=99999")).status_code == 403
        assert (
            plain.get(url, auth=(sb.api_id, sb.api_token)).status_code == 400
        )  # S3: one auth mechanism only
        assert plain.get(url.replace("/recordings/", "/voicemails/")).status_code == 403
        assert plain.get(url).status_code == 200
        sb.faults.expire_recording_links()
        gone = plain.get(url)
        assert gone.status_code == 403 and "Request has expired" in gone.text
        fresh = client.get(f"/v1/calls/{a_call(sb)['id']}").json()["call"]["recording"]
        assert plain.get(fresh).status_code == 200


def test_recording_urls_expire_after_the_ttl():
    with (
        start_sandbox("aircall", seed=7, recording_ttl=1) as s,
        httpx.Client(base_url=s.base_url, auth=(s.api_id, s.api_token)) as http,
    ):
        url = http.get(f"/v1/calls/{a_call(s)['id']}").json()["call"]["recording"]
        time.sleep(2.05)
        assert httpx.get(url).status_code == 403


# --- rate limits and faults ----------------------------------------------------------------------


def test_rate_limit_headers_and_429_until_the_window_resets():
    # a 5 s window: four requests fit in it even on a loaded machine (a 1 s window could reset between them)
    with (
        start_sandbox("aircall", seed=7, rate_limit=3, rate_window=5.0) as s,
        httpx.Client(base_url=s.base_url, auth=(s.api_id, s.api_token)) as http,
    ):
        before = time.time()
        answers = [http.get("/v1/ping") for _ in range(4)]
        after = time.time()
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["X-AircallApi-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert all(a.headers["X-AircallApi-Limit"] == "3" for a in answers)
        reset = int(answers[0].headers["X-AircallApi-Reset"])
        assert before < reset <= after + 6  # a whole UNIX second after the window's end
        assert_aircall_error(answers[3], 429)
        time.sleep(max(0.0, reset - time.time()) + 0.05)
        assert http.get("/v1/ping").status_code == 200
        assert (
            httpx.get(f"{s.base_url}/v1/ping").status_code == 401
        )  # auth first: no budget spent, no headers


def test_fault_switches(sb, client):
    sb.faults.rate_limit_burst = 1
    sb.faults.server_errors = 2
    try:
        before = time.time()
        answers = [client.get("/v1/ping") for _ in range(4)]
        after = time.time()
        assert [a.status_code for a in answers] == [503, 500, 429, 200]
        assert answers[2].headers["X-AircallApi-Remaining"] == "0"
        assert before < int(answers[2].headers["X-AircallApi-Reset"]) <= after + 2
        sb.faults.slow_seconds = 0.3
        started = time.monotonic()
        client.get("/v1/ping")
        assert time.monotonic() - started >= 0.3
        sb.faults.slow_seconds = 0
        url = client.get(f"/v1/calls/{a_call(sb)['id']}").json()["call"]["recording"]
        sb.faults.truncate_media = 1
        with pytest.raises(httpx.HTTPError):
            httpx.get(url)
        assert httpx.get(url).status_code == 200
    finally:
        sb.faults.reset()


def test_wav_when_asked(sb):
    with (
        start_sandbox("aircall", seed=7, media_format="wav") as s,
        httpx.Client(base_url=s.base_url, auth=(s.api_id, s.api_token)) as http,
    ):
        url = http.get(f"/v1/calls/{a_call(s)['id']}").json()["call"]["recording"]
        media = httpx.get(url)
        assert media.headers["content-type"] == "audio/wav" and media.content[:4] == b"RIFF"
