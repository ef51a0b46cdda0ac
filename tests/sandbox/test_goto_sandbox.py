"""The GoTo Connect sandbox behaves like REFERENCE.md §1 says the real API does."""

from __future__ import annotations

import array
import io
import json
import re
import sys
import time
import uuid
import wave
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from perftel.errors import UnknownProviderError
from perftel_sandbox import SANDBOX_PROVIDERS, serve, start_sandbox
from perftel_sandbox.speech import MEDIA_DIR

MEDIA = MEDIA_DIR
WEEK = ("2025-03-03T00:00:00Z", "2025-03-10T00:00:00Z")
SUMMARIES = "/call-events-report/v1/report-summaries"


@pytest.fixture
def sb():
    with start_sandbox("goto_connect", seed=7) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb):
    with httpx.Client(base_url=sb.base_url, timeout=10) as http:
        yield http


def refresh(client, sb, refresh_token=None):
    creds = sb.credentials
    return client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token or creds["refresh_token"]},
        auth=(creds["client_id"], creds["client_secret"]),
    )


def bearer(client, sb):
    return {"Authorization": f"Bearer {refresh(client, sb).json()['access_token']}"}


def summaries(client, sb, headers, **params):
    query = {"accountKey": sb.account_key, "startTime": WEEK[0], "endTime": WEEK[1], **params}
    return client.get(SUMMARIES, params=query, headers=headers)


def recordings_of(report):
    return [r for p in report["participants"] for r in p.get("recordings", [])]


def a_recording(sb, *, processing=False):
    for report in sb.expected_calls("2025-03-01T00:00:00Z", "2025-03-31T00:00:00Z"):
        for rec in recordings_of(report):
            if sb.is_processing(rec["id"]) == processing:
                return rec["id"]
    raise AssertionError("no such recording in March 2025")


def assert_goto_error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"reference", "errorCode", "message"}
    assert body["errorCode"] == code
    return body


# --- registry ------------------------------------------------------------------------------------


def test_provider_names_are_case_insensitive_and_unknown_names_are_refused():
    assert "goto_connect" in SANDBOX_PROVIDERS
    with start_sandbox("GOTO_CONNECT", seed=1) as sandbox:
        assert sandbox.base_url.startswith("http://127.0.0.1:")
    with pytest.raises(UnknownProviderError, match="goto_connect"):
        start_sandbox("nope")


def test_serve_prints_sandbox_only_credentials_and_stops_on_ctrl_c(monkeypatch, capsys):
    def interrupt(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("perftel_sandbox.time.sleep", interrupt)
    serve("goto_connect", host="127.0.0.1", port=0, seed=3)
    out = capsys.readouterr().out
    assert "SANDBOX-ONLY" in out and "client_secret" in out and "http://127.0.0.1:" in out


# --- OAuth ---------------------------------------------------------------------------------------


def test_authorization_code_flow_end_to_end(sb, client):
    creds = sb.credentials
    params = {"client_id": creds["client_id"], "response_type": "code", "redirect_uri": sb.redirect_uri}
    answer = client.get("/oauth/authorize", params={**params, "state": "xyz", "scope": "cr.v1.read"})
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(sb.redirect_uri + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["xyz"]
    code = query["code"][0]

    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": sb.redirect_uri}
    wrong_secret = client.post("/oauth/token", data=form, auth=(creds["client_id"], "wrong"))
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    no_basic = client.post("/oauth/token", data={**form, "client_id": creds["client_id"]})
    assert no_basic.status_code == 401

    auth = (creds["client_id"], creds["client_secret"])
    wrong_redirect = client.post(
        "/oauth/token", data={**form, "redirect_uri": "http://127.0.0.1/x"}, auth=auth
    )
    assert wrong_redirect.status_code == 400 and wrong_redirect.json()["error"] == "invalid_grant"
    tokens = client.post("/oauth/token", data=form, auth=auth)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["refresh_token"] and body["account_key"] == sb.account_key
    assert "recording.v1.read" in body["scope"] and body["principal"] == "agent@sandbox.example"
    assert tokens.headers["cache-control"] == "no-store"

    reused = client.post("/oauth/token", data=form, auth=auth)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert reused.json()["error_description"]

    me = client.get("/admin/rest/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["accountKey"] == sb.account_key
    again = refresh(client, sb, body["refresh_token"])
    assert again.status_code == 200


def test_authorize_refuses_unknown_client_or_redirect_uri(sb, client):
    good = {
        "client_id": sb.credentials["client_id"],
        "response_type": "code",
        "redirect_uri": sb.redirect_uri,
    }
    for bad in ({"client_id": "someone-else"}, {"redirect_uri": "https://evil.example/cb"}):
        answer = client.get("/oauth/authorize", params={**good, **bad})
        assert answer.status_code == 400 and "location" not in answer.headers
        assert answer.headers["content-type"].startswith("text/html")
    odd = client.get("/oauth/authorize", params={**good, "response_type": "token"})
    assert odd.status_code == 302 and "error=unsupported_response_type" in odd.headers["location"]


def test_refresh_without_rotation_keeps_the_same_refresh_token(sb, client):
    first, second = refresh(client, sb), refresh(client, sb)
    assert first.status_code == second.status_code == 200
    assert "refresh_token" not in first.json() and "refresh_token" not in second.json()
    assert first.json()["access_token"] != second.json()["access_token"]
    bad_grant = client.post(
        "/oauth/token",
        data={"grant_type": "password"},
        auth=(sb.credentials["client_id"], sb.credentials["client_secret"]),
    )
    assert bad_grant.json()["error"] == "unsupported_grant_type"


def test_refresh_with_rotation_makes_the_old_token_single_use():
    with (
        start_sandbox("goto_connect", seed=7, rotate_refresh_tokens=True) as sandbox,
        httpx.Client(base_url=sandbox.base_url) as http,
    ):
        first = refresh(http, sandbox)
        assert first.status_code == 200
        new_token = first.json()["refresh_token"]
        assert new_token != sandbox.credentials["refresh_token"]
        reused = refresh(http, sandbox)
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
        assert refresh(http, sandbox, new_token).status_code == 200


def test_api_requires_a_valid_bearer_token(sb, client):
    me = "/admin/rest/v1/me"
    assert_goto_error(client.get(me), 401, "AUTHN_INVALID_TOKEN")
    assert_goto_error(
        client.get(me, headers={"Authorization": "Bearer not-a-jwt"}), 401, "AUTHN_MALFORMED_TOKEN"
    )
    assert_goto_error(client.get(me, headers={"Authorization": "Bearer a.b.c"}), 401, "AUTHN_INVALID_TOKEN")
    assert_goto_error(
        client.get(me, headers={"Authorization": "Basic eDp5"}), 401, "AUTHN_UNSUPPORTED_SCHEME"
    )
    assert client.get(me, headers=bearer(client, sb)).status_code == 200


def test_access_tokens_expire_after_token_ttl():
    with (
        start_sandbox("goto_connect", seed=7, token_ttl=1) as sandbox,
        httpx.Client(base_url=sandbox.base_url) as http,
    ):
        headers = bearer(http, sandbox)
        assert refresh(http, sandbox).json()["expires_in"] == 1
        assert http.get("/admin/rest/v1/me", headers=headers).status_code == 200
        time.sleep(1.1)
        assert_goto_error(http.get("/admin/rest/v1/me", headers=headers), 401, "AUTHN_EXPIRED_TOKEN")


# --- call events report --------------------------------------------------------------------------


def test_summaries_paging_returns_every_expected_call_once(sb, client):
    headers = bearer(client, sb)
    expected = sb.expected_calls(*WEEK)
    assert 15 <= len(expected) <= 80
    seen, marker, pages = [], None, 0
    while True:
        params = {"pageSize": 7, **({"pageMarker": marker} if marker else {})}
        answer = summaries(client, sb, headers, **params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["items"]) <= 7
        seen.extend(body["items"])
        pages += 1
        marker = body["nextPageMarker"]
        if marker is None:
            break
        assert not marker.isdigit()
        time.sleep(0.1)  # stay under 10 requests/s
    assert pages == -(-len(expected) // 7)
    ids = [item["conversationSpaceId"] for item in seen]
    assert len(ids) == len(set(ids))
    assert ids == [report["conversationSpaceId"] for report in expected]
    assert [item["callCreated"] for item in seen] == sorted(item["callCreated"] for item in seen)
    for item, report in zip(seen, expected, strict=True):
        assert item == {k: report[k] for k in item}
        assert set(item) == {"conversationSpaceId", "accountKey", "callCreated", "callEnded", "direction"}
    default = summaries(client, sb, headers).json()
    assert len(default["items"]) == min(100, len(expected))


def test_summaries_validate_their_query(sb, client):
    headers = bearer(client, sb)
    too_long = summaries(client, sb, headers, endTime="2025-04-04T00:00:01Z")
    body = assert_goto_error(too_long, 400, "BAD_REQUEST")
    assert body["constraintViolations"]
    assert (
        summaries(client, sb, headers, endTime="2025-04-03T00:00:00Z").status_code == 200
    )  # exactly 31 days
    assert_goto_error(summaries(client, sb, headers, endTime=WEEK[0]), 400, "BAD_REQUEST")
    assert_goto_error(summaries(client, sb, headers, startTime="yesterday"), 400, "BAD_REQUEST")
    time.sleep(0.5)
    assert_goto_error(summaries(client, sb, headers, pageSize=0), 400, "BAD_REQUEST")
    assert_goto_error(summaries(client, sb, headers, pageSize=1001), 400, "BAD_REQUEST")
    assert_goto_error(summaries(client, sb, headers, pageMarker="2"), 400, "BAD_REQUEST")
    missing = client.get(
        SUMMARIES, params={"accountKey": sb.account_key, "endTime": WEEK[1]}, headers=headers
    )
    assert_goto_error(missing, 400, "BAD_REQUEST")
    time.sleep(0.5)
    assert_goto_error(summaries(client, sb, headers, accountKey="123"), 403, "AUTHZ_INSUFFICIENT_SCOPE")
    marker = summaries(client, sb, headers, pageSize=1).json()["nextPageMarker"]
    other_query = summaries(
        client, sb, headers, pageSize=1, pageMarker=marker, endTime="2025-03-09T00:00:00Z"
    )
    assert_goto_error(other_query, 400, "BAD_REQUEST")


def test_only_calls_that_have_ended_are_listed(sb, client):
    now = datetime.now(timezone.utc)
    start = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = summaries(client, sb, bearer(client, sb), startTime=start, endTime=end, pageSize=1000).json()[
        "items"
    ]
    assert all(datetime.fromisoformat(i["callEnded"].replace("Z", "+00:00")) <= now for i in items)
    assert len(items) == len(sb.expected_calls(start, end))


def test_generated_calls_are_deterministic_and_varied():
    with start_sandbox("goto_connect", seed=7) as a, start_sandbox("goto_connect", seed=7) as b:
        week = a.expected_calls(*WEEK)
        assert week == b.expected_calls(*WEEK)
        assert a.credentials == b.credentials and a.account_key == b.account_key
        # a sub-window holds exactly the same calls as the bigger window restricted to it
        day = a.expected_calls("2025-03-04T00:00:00Z", "2025-03-05T00:00:00Z")
        assert day == [r for r in week if r["callCreated"].startswith("2025-03-04")]
        reports = a.expected_calls("2025-01-01T00:00:00Z", "2025-03-01T00:00:00Z")
    with start_sandbox("goto_connect", seed=8) as c:
        assert c.expected_calls(*WEEK) != week
    assert 250 <= len(reports) <= 450  # ~6/day over 59 days
    directions = {r["direction"] for r in reports}
    assert directions == {"INBOUND", "OUTBOUND"}
    answered = [r for r in reports if any(s["type"] == "ANSWERED" for s in r["callStates"])]
    missed = [r for r in reports if r not in answered]
    assert answered and missed and all(not recordings_of(r) for r in missed)
    recorded = [r for r in answered if recordings_of(r)]
    assert 0.6 < len(recorded) / len(answered) < 0.9

    def seconds(r):
        parse = lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))  # noqa: E731
        return (parse(r["callEnded"]) - parse(r["callCreated"])).total_seconds()

    assert all(20 <= seconds(r) <= 900 for r in answered)
    assert all(5 <= seconds(r) <= 40 for r in missed)
    externals = [p["type"] for r in reports for p in r["participants"] if p["type"]["value"] == "EXTERNAL"]
    assert any("number" not in t for t in externals)  # anonymous callers
    assert all(re.fullmatch(r"\+[1-9]\d{7,14}", t["number"]) for t in externals if "number" in t)
    names = {p["type"]["name"] for r in reports for p in r["participants"] if p["type"]["value"] == "LINE"}
    assert any(not n.isascii() for n in names)
    hours = [int(r["callCreated"][11:13]) for r in reports]
    assert sum(8 <= h < 18 for h in hours) / len(hours) > 0.8 and any(h < 7 or h >= 20 for h in hours)
    assert all(uuid.UUID(r["conversationSpaceId"]).version == 4 for r in reports)


def test_report_is_404_until_ready_then_matches_expected():
    with (
        start_sandbox("goto_connect", seed=7, report_delay=2) as sandbox,
        httpx.Client(base_url=sandbox.base_url) as http,
    ):
        headers = bearer(http, sandbox)
        report = sandbox.expected_calls(*WEEK)[0]
        url = f"/call-events-report/v1/reports/{report['conversationSpaceId']}"
        assert_goto_error(http.get(url, headers=headers), 404, "NOT_FOUND")
        assert_goto_error(http.get(url, headers=headers), 404, "NOT_FOUND")
        answer = http.get(url, headers=headers)
        assert answer.status_code == 200 and answer.json() == report
        line = next(p for p in report["participants"] if p["type"]["value"] == "LINE")
        assert {"name", "extensionNumber"} <= set(line["type"])
        assert_goto_error(
            http.get(f"/call-events-report/v1/reports/{uuid.uuid4()}", headers=headers), 404, "NOT_FOUND"
        )
        assert_goto_error(http.get("/call-events-report/v1/reports/xyz", headers=headers), 404, "NOT_FOUND")


# --- recordings ----------------------------------------------------------------------------------


def download(client, sb, headers, rec_id):
    token = client.get(f"/recording/v1/recordings/{rec_id}/content", headers=headers)
    assert token.status_code == 200, token.text
    assert set(token.json()) == {"token", "expires"}
    hop = client.get(f"/recording/v1/recordings/{rec_id}/content/{token.json()['token']}", headers=headers)
    assert hop.status_code == 302
    return token.json()["token"], hop.headers["location"]


def test_recording_download_redirects_to_another_host_and_serves_stereo_8k_wav(sb, client):
    headers = bearer(client, sb)
    rec_id = a_recording(sb)
    token, location = download(client, sb, headers, rec_id)
    assert urlsplit(location).hostname == "localhost" != urlsplit(sb.base_url).hostname
    assert urlsplit(location).port == urlsplit(sb.base_url).port
    media = httpx.get(location)  # no Authorization: the URL authorises it
    assert media.status_code == 200
    assert media.headers["content-type"] == "audio/wav"
    assert int(media.headers["content-length"]) == len(media.content)
    assert media.content == (MEDIA / sb.recording_media(rec_id)).read_bytes()
    with wave.open(io.BytesIO(media.content)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)
        assert 12 <= wav.getnframes() / 8000 <= 25
    logged = sb.requests.matching("/media/")[-1]
    assert logged.status == 200 and not logged.has_authorization and logged.host.startswith("localhost")

    httpx.get(location, headers={"Authorization": "Bearer leaked"})
    assert sb.requests.matching("/media/")[-1].has_authorization

    assert_goto_error(
        client.get(f"/recording/v1/recordings/{rec_id}/content/bogus", headers=headers), 403, "UNAUTHORIZED"
    )
    assert httpx.get(f"{sb.base_url}/media/unknown.wav").status_code == 404
    assert_goto_error(
        client.get(f"/recording/v1/recordings/{uuid.uuid4()}/content", headers=headers), 404, "NOT_FOUND"
    )


def test_processing_recordings_answer_400_until_uploaded(sb, client):
    answer = client.get(
        f"/recording/v1/recordings/{a_recording(sb, processing=True)}/content", headers=bearer(client, sb)
    )
    body = assert_goto_error(answer, 400, "BAD_REQUEST")
    assert "UPLOADED" in body["message"]


def test_request_log_records_what_the_client_sent(sb, client):
    client.get("/admin/rest/v1/me", params={"x": "1"}, headers={"X-Test": "yes"})
    entry = sb.requests[-1]
    assert (entry.method, entry.path, entry.query, entry.status) == (
        "GET",
        "/admin/rest/v1/me",
        {"x": "1"},
        401,
    )
    assert entry.headers["x-test"] == "yes"


# --- faults and rate limits ----------------------------------------------------------------------


def test_rate_limit_burst_and_server_error_faults(sb, client):
    headers = bearer(client, sb)
    me = "/admin/rest/v1/me"
    sb.faults.rate_limit_burst = 2
    for _ in range(2):
        answer = client.get(me, headers=headers)
        assert answer.status_code == 429 and "retry-after" not in answer.headers
        assert {"reference", "errorCode", "message"} <= set(answer.json())
    sb.faults.server_errors = 2
    assert_goto_error(client.get(me, headers=headers), 503, "UNAVAILABLE")
    assert_goto_error(client.get(me, headers=headers), 500, "UNKNOWN_ERROR")
    assert client.get(me, headers=headers).status_code == 200
    assert (sb.faults.rate_limit_burst, sb.faults.server_errors) == (0, 0)


def test_rate_limit_is_ten_per_second_per_api(sb, client):
    headers = bearer(client, sb)
    codes = [client.get("/admin/rest/v1/me", headers=headers).status_code for _ in range(12)]
    assert codes[:10] == [200] * 10 and 429 in codes[10:]
    assert summaries(client, sb, headers).status_code == 200  # another API, another bucket
    time.sleep(1.05)
    assert client.get("/admin/rest/v1/me", headers=headers).status_code == 200
    with (
        start_sandbox("goto_connect", seed=7, enforce_rate_limit=False) as free,
        httpx.Client(base_url=free.base_url) as http,
    ):
        headers = bearer(http, free)
        assert {http.get("/admin/rest/v1/me", headers=headers).status_code for _ in range(15)} == {200}


def test_slow_seconds_delays_api_answers(sb, client):
    headers = bearer(client, sb)
    sb.faults.slow_seconds = 0.3
    started = time.monotonic()
    assert client.get("/admin/rest/v1/me", headers=headers).status_code == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(httpx.ReadTimeout):
        client.get("/admin/rest/v1/me", headers=headers, timeout=0.1)
    sb.faults.reset()
    assert sb.faults.slow_seconds == 0


def test_truncate_media_sends_less_than_content_length(sb, client):
    headers = bearer(client, sb)
    _, location = download(client, sb, headers, a_recording(sb))
    sb.faults.truncate_media = 1
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(location)
    assert httpx.get(location).status_code == 200  # the next one is whole again


def test_expire_access_tokens_then_refresh_recovers(sb, client):
    headers = bearer(client, sb)
    sb.faults.expire_access_tokens()
    assert_goto_error(client.get("/admin/rest/v1/me", headers=headers), 401, "AUTHN_EXPIRED_TOKEN")
    assert client.get("/admin/rest/v1/me", headers=bearer(client, sb)).status_code == 200


def test_revoke_kills_refresh_and_access_tokens(sb, client):
    headers = bearer(client, sb)
    sb.faults.revoke()
    assert_goto_error(client.get("/admin/rest/v1/me", headers=headers), 401, "AUTHN_INVALID_TOKEN")
    answer = refresh(client, sb)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_expire_media_links_forces_a_new_content_token(sb, client):
    headers = bearer(client, sb)
    rec_id = a_recording(sb)
    token, location = download(client, sb, headers, rec_id)
    sb.faults.expire_media_links()
    assert httpx.get(location).status_code == 403
    stale = client.get(f"/recording/v1/recordings/{rec_id}/content/{token}", headers=headers)
    assert_goto_error(stale, 401, "AUTHN_EXPIRED_TOKEN")
    _, fresh = download(client, sb, headers, rec_id)
    assert httpx.get(fresh).status_code == 200


# --- committed media -----------------------------------------------------------------------------


def test_committed_media_match_their_transcripts():
    transcripts = json.loads((MEDIA / "transcripts.json").read_text(encoding="utf-8"))
    assert len(transcripts) == 6 and {t["language"] for t in transcripts.values()} == {"en", "pt"}
    assert sum((MEDIA / name).stat().st_size for name in transcripts) < 3.2e6
    for name, info in transcripts.items():
        with wave.open(str(MEDIA / name)) as wav:
            assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)
            frames = array.array("h", wav.readframes(wav.getnframes()))
        if sys.byteorder == "big":
            frames.byteswap()
        assert 12 <= len(frames) / 2 / 8000 <= 25
        assert 4 <= len(info["segments"]) <= 6
        for seg in info["segments"]:
            assert seg["channel"] == (0 if seg["role"] == "agent" else 1) and seg["text"]
            lo, hi = int(seg["start_s"] * 8000), int(seg["end_s"] * 8000)
            spoken = frames[2 * lo + seg["channel"] : 2 * hi : 2]
            other = frames[2 * lo + 1 - seg["channel"] : 2 * hi : 2]
            assert max(map(abs, spoken)) > 1000 and max(map(abs, other)) == 0
