"""Twilio against its sandbox over real HTTP: the contract, plus Twilio's own rules; and the client
against hand-made Twilio-shaped pages (odd but legal) through a mock transport."""

from __future__ import annotations

import array
import base64
import json
import wave
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from io import BytesIO

import httpx
import pytest

import perftel.providers.twilio.connection as twilio_connection
import perftel.providers.twilio.driver as twilio
from perftel import create_provider, run_pipeline
from perftel.errors import ApiError, AuthError, CredentialsError, PerftelError, RecordingNotReadyError
from perftel.models import Direction
from perftel.providers.twilio.mapping import build_call, direction_of, parse_seconds, parse_twilio_time
from perftel_sandbox import start_sandbox
from tests.providers.contract import END, START, ProviderContract, contract_fixtures

sandbox, make_provider, expected_ids, bad_credentials = contract_fixtures(
    "twilio",
    call_id=lambda c: c["sid"],
    wrong={"auth_token": "0" * 32},
)


class TestTwilioContract(ProviderContract):
    pass


def _recordings(provider, status=None, channels=None):
    calls = provider.fetch_calls(START, END)
    return [r for c in calls for r in c.recordings if channels is None or r.channels == channels]


# --- listing ----------------------------------------------------------------------------------------


def test_calls_follow_next_page_uri_with_server_page_tokens(sandbox, make_provider, monkeypatch):
    monkeypatch.setattr(twilio, "PAGE_SIZE", 4)
    before = len(sandbox.requests)
    calls = make_provider().fetch_calls(START, END)
    lo, hi = datetime(2026, 11, 16, tzinfo=timezone.utc), datetime(2026, 11, 19, tzinfo=timezone.utc)
    assert sorted(c.external_id for c in calls) == sorted(c["sid"] for c in sandbox.expected_calls(lo, hi))
    listed = [r for r in list(sandbox.requests)[before:] if r.path.endswith("/Calls.json")]
    assert len(listed) > 3 and all(r.status == 200 for r in listed)
    assert listed[0].query == {"StartTime>": "2026-11-16", "StartTime<": "2026-11-19", "PageSize": "4"}
    assert all(r.query.get("PageToken", "").startswith("PA") for r in listed[1:])  # never a bare Page=N


def test_empty_pages_in_the_middle_do_not_stop_the_walk(sandbox, make_provider, monkeypatch):
    monkeypatch.setattr(twilio, "PAGE_SIZE", 5)
    full = {c.external_id for c in make_provider().fetch_calls(START, END)}
    sandbox.faults.empty_pages = 2
    try:
        assert {c.external_id for c in make_provider().fetch_calls(START, END)} == full
    finally:
        sandbox.faults.reset()


def test_a_bare_page_number_is_refused_with_20001(sandbox, make_provider):
    provider = make_provider()
    with pytest.raises(ApiError) as info:
        provider.api.get_json(f"{provider.account_path}/Calls.json", params={"Page": 2, "PageSize": 10})
    assert info.value.error_code == "20001" and info.value.status_code == 400
    assert "Twilio" in str(info.value) and "PageToken" in str(info.value)


def test_recordings_come_from_one_account_wide_walk(sandbox, make_provider):
    before = len(sandbox.requests)
    calls = make_provider().fetch_calls(START, END)
    paths = [r.path for r in list(sandbox.requests)[before:]]
    assert sum(p.endswith("/Recordings.json") for p in paths) == 1
    assert not any("/Calls/" in p for p in paths)  # nothing per call
    recorded = [r for c in calls for r in c.recordings]
    assert recorded and all(r.call_external_id == c.external_id for c in calls for r in c.recordings)


def test_child_legs_are_folded_into_their_parent_call(sandbox, make_provider):
    calls = make_provider().fetch_calls(START, END)
    with_children = [c for c in calls if c.extra.get("child_call_sids")]
    assert with_children
    listed = {c.external_id for c in calls}
    assert not listed & {s for c in with_children for s in c.extra["child_call_sids"]}
    for call in with_children:
        assert any(p.kind == "dialed" for p in call.participants)
        assert call.answered == any(leg["status"] == "completed" for leg in call.extra["child_legs"])


def test_processing_recordings_are_skipped_and_not_ready_when_asked(make_provider, tmp_path):
    provider = make_provider()
    pending = [
        s
        for c in provider.fetch_calls("2026-11-01", "2026-11-20")
        for s in c.extra.get("recordings_not_ready", [])
    ]
    assert pending
    with pytest.raises(RecordingNotReadyError):
        provider.download_recording(pending[0], tmp_path, "t")
    assert list(tmp_path.iterdir()) == []


# --- media ----------------------------------------------------------------------------------------


def _media_asked(sandbox, before):
    return [
        r
        for r in list(sandbox.requests)[before:]
        if r.path.startswith("/2010-04-01/") and r.path.endswith(".wav")
    ]


def _rms(path, channel):
    with wave.open(str(path)) as w:
        samples = array.array("h", w.readframes(w.getnframes()))
    side = samples[channel::2]
    return (sum(s * s for s in side) / max(len(side), 1)) ** 0.5


def test_dual_channel_download_and_channel_roles(sandbox, make_provider, tmp_path):
    provider = make_provider()
    dual = [r for r in _recordings(provider, channels=2)]
    roles_seen = set()
    for rec in dual[:4]:
        assert rec.channel_roles == sandbox.channel_roles(rec.id) and set(rec.channel_roles) == {0, 1}
        before = len(sandbox.requests)
        path = provider.download_recording(rec.id, tmp_path, "t")
        media_request = _media_asked(sandbox, before)[0]
        assert media_request.query == {"RequestedChannels": "2"}
        with wave.open(str(path)) as w:
            assert w.getnchannels() == 2 and w.getframerate() == 8000
        agent = next(ch for ch, role in rec.channel_roles.items() if role == "agent")
        assert _rms(path, agent) > _rms(path, 1 - agent)  # the agent side of the media is the louder one
        roles_seen.add(tuple(sorted(rec.channel_roles.items())))
    assert len(roles_seen) == 2  # inbound (customer first) and click-to-call (agent first)


def test_mono_recordings_and_the_16113_fallback(sandbox, make_provider, tmp_path):
    provider = make_provider()
    mono = _recordings(provider, channels=1)[0]
    (tmp_path / "a").mkdir()
    before = len(sandbox.requests)
    path = provider.download_recording(mono.id, tmp_path / "a", "t")
    media = _media_asked(sandbox, before)
    assert [r.query for r in media] == [{}]
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 1
    # A listing that wrongly says two channels: Twilio answers 16113 and the client asks for mono.
    provider._recordings_seen[mono.id] = {"status": "completed", "channels": 2}
    before = len(sandbox.requests)
    (tmp_path / "b").mkdir()
    path = provider.download_recording(mono.id, tmp_path / "b", "t")
    media = _media_asked(sandbox, before)
    assert [(r.query, r.status) for r in media] == [
        ({"RequestedChannels": "2"}, 400),
        ({"RequestedChannels": "1"}, 302),
    ]
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 1


def test_media_redirect_to_another_host_gets_no_authorization(sandbox, make_provider, tmp_path):
    provider = make_provider()
    rec = _recordings(provider)[0]
    before = len(sandbox.requests)
    provider.download_recording(rec.id, tmp_path, "t")
    seen = list(sandbox.requests)[before:]
    api = [r for r in seen if r.path.startswith("/2010-04-01/")]
    media = [r for r in seen if r.path.startswith("/media/")]
    assert api and all(r.has_authorization for r in api)
    assert media and all(not r.has_authorization and r.host.startswith("localhost") for r in media)


def test_direct_media_and_unknown_or_hostile_ids(tmp_path):
    with start_sandbox("twilio", seed=11, redirect_media=False) as sb:
        provider = create_provider("twilio", "acme", base_url=sb.base_url, credentials=sb.credentials)
        rec = _recordings(provider)[0]
        assert provider.download_recording(rec.id, tmp_path, "t").suffix == ".wav"
        with pytest.raises(PerftelError):
            provider.download_recording("RE" + "0" * 32, tmp_path, "t")
        with pytest.raises(PerftelError):
            provider.download_recording("RE../x", tmp_path, "t")


# --- auth and faults ----------------------------------------------------------------------------------


def test_api_key_auth(sandbox, make_provider):
    provider = make_provider(credentials=sandbox.api_key_credentials)
    before = len(sandbox.requests)
    assert provider.test_connection().success
    assert provider.fetch_calls(START, START)
    header = list(sandbox.requests)[before].headers["authorization"]
    assert (
        base64.b64decode(header.split()[1])
        .decode()
        .startswith(sandbox.api_key_credentials["api_key_sid"] + ":")
    )
    assert sandbox.account_sid in list(sandbox.requests)[before].path


@pytest.mark.parametrize("field", ["account_sid", "auth_token"])
def test_wrong_sid_or_token_is_an_auth_error_naming_twilio_and_writes_nothing(
    sandbox, make_provider, field, tmp_path
):
    wrong = {**sandbox.credentials, field: ("AC" if field == "account_sid" else "") + "1" * 32}
    provider = make_provider(credentials=wrong)
    with pytest.raises(AuthError, match="Twilio") as info:
        provider.login()
    assert info.value.error_code == "20003" and wrong["auth_token"] not in str(info.value)
    result = run_pipeline(make_provider(credentials=wrong), start_date=START, end_date=END, data_dir=tmp_path)
    assert result.failed[0].step == "login" and list(tmp_path.iterdir()) == []


def test_revoked_credentials_are_an_auth_error():
    with start_sandbox("twilio", seed=11) as sb:
        provider = create_provider("twilio", "acme", base_url=sb.base_url, credentials=sb.credentials)
        assert provider.test_connection().success
        sb.faults.revoke()
        with pytest.raises(AuthError, match="Twilio"):
            provider.fetch_calls(START, START)


def test_credentials_need_a_token_or_an_api_key_pair():
    cls = type(create_provider("twilio", "acme", credentials={}))
    assert [f.name for f in cls.credential_fields] == [
        "account_sid",
        "auth_token",
        "api_key_sid",
        "api_key_secret",
    ]
    assert cls.check_credentials({"account_sid": " AC1 ", "auth_token": "t", "junk": 1}) == {
        "account_sid": "AC1",
        "auth_token": "t",
    }
    assert cls.check_credentials({"account_sid": "AC1", "api_key_sid": "SK1", "api_key_secret": "s"})
    for bad, missing in [
        ({"auth_token": "t"}, "account_sid"),
        ({"account_sid": "AC1"}, "auth_token"),
        ({"account_sid": "AC1", "api_key_sid": "SK1"}, "api_key_secret"),
        ({"account_sid": "SK1", "auth_token": "t"}, "AC"),
    ]:
        with pytest.raises(CredentialsError, match=missing):
            cls.check_credentials(bad)


def test_concurrency_429s_are_survived(fast_retries, tmp_path):
    with start_sandbox("twilio", seed=11, concurrency_limit=2) as sb:
        provider = create_provider("twilio", "acme", base_url=sb.base_url, credentials=sb.credentials)
        recs = _recordings(provider)
        sb.faults.slow_seconds = 0.05
        with ThreadPoolExecutor(6) as pool:
            paths = list(pool.map(lambda r: provider.download_recording(r.id, tmp_path, "t"), recs[:8]))
        assert len(paths) == len(recs[:8]) and all(p.stat().st_size > 0 for p in paths)
        assert any(r.status == 429 for r in sb.requests)
        assert sb.max_in_flight <= twilio_connection.MAX_CONCURRENCY


def test_rate_limit_server_errors_and_truncated_media_are_retried(fast_retries, tmp_path):
    with start_sandbox("twilio", seed=11) as sb:
        provider = create_provider("twilio", "acme", base_url=sb.base_url, credentials=sb.credentials)
        sb.faults.rate_limit_burst, sb.faults.server_errors = 2, 2
        assert provider.fetch_calls(START, END)
        rec = _recordings(provider)[0]
        sb.faults.truncate_media = 1
        path = provider.download_recording(rec.id, tmp_path, "t")
        with wave.open(str(path)) as w:
            assert w.getnframes() > 0
        assert [p.name for p in tmp_path.iterdir()] == [path.name]
        statuses = [r.status for r in sb.requests]
        assert 429 in statuses and 503 in statuses and 500 in statuses


def test_pipeline_lands_metadata_and_recordings(make_provider, tmp_path):
    result = run_pipeline(
        make_provider(), start_date="2026-11-17", end_date="2026-11-17", transcribe=False, data_dir=tmp_path
    )
    assert result.calls and result.downloaded and result.only_retryable_failures
    assert result.metadata_file is not None and result.metadata_file.is_file()
    assert all(p.is_file() and p.parent.name == "recordings" and "acme" in p.parts for p in result.downloaded)
    listing = json.loads(result.metadata_file.read_text(encoding="utf-8"))
    assert "twilio" in json.dumps(listing)


# --- the client against Twilio-shaped pages it has not seen ---------------------------------------------

AC = "AC" + "a" * 32
BASE = "https://api.example.test"


def _leg(sid, **fields):
    return {
        "sid": sid,
        "start_time": "Tue, 17 Nov 2026 10:00:00 +0000",
        "status": "completed",
        "direction": "inbound",
        "from": "+15555550123",
        "to": "+15555550100",
        **fields,
    }


def _mock(pages: dict[str, dict], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = pages.get(request.url.path + ("?" + request.url.query.decode() if request.url.query else ""))
        body = body if body is not None else pages.get(request.url.path)
        if body is None:
            return httpx.Response(
                404, json={"code": 20404, "message": "Not found", "more_info": "x", "status": 404}
            )
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler)


def test_odd_but_legal_pages_never_crash_and_never_leak_credentials():
    calls_path = f"/2010-04-01/Accounts/{AC}/Calls.json"
    parent, early = "CA" + "1" * 32, "CA" + "9" * 32
    page1 = {
        "calls": [
            _leg(parent, duration=None, caller_name="Zoë Ångström-Núñez", brand_new_field={"x": [1]}),
            _leg(
                "CA" + "2" * 32,
                parent_call_sid=parent,
                direction="outbound-dial",
                to="client:anna",
                duration="12",
            ),
            _leg("CA" + "3" * 32, direction="sideways-beta", duration="", status="no-answer"),
            _leg(
                "CA" + "4" * 32,
                start_time=None,
                date_created="2026-11-17T11:00:00Z",
                duration="abc",
                status="weird",
            ),
            _leg("CA" + "5" * 32, start_time="garbage", date_created=None),
            _leg(
                "CA" + "6" * 32, parent_call_sid=early, direction="outbound-dial"
            ),  # parent started the day before
            _leg(
                "CA" + "7" * 32, parent_call_sid="CA" + "8" * 32, direction="outbound-dial"
            ),  # parent unknown (404)
            "not a dict",
            None,
            {"no_sid": True},
        ],
        "next_page_uri": f"https://elsewhere.example.test{calls_path}?PageToken=PAx&Page=1&PageSize=1000",
    }
    page2 = {"calls": [], "next_page_uri": None}
    recordings = {
        "recordings": [
            {
                "sid": "RE" + "1" * 32,
                "call_sid": parent,
                "status": "completed",
                "channels": 2,
                "start_time": None,
            },
            {"sid": "RE" + "2" * 32, "call_sid": parent, "status": "processing", "channels": None},
            {"sid": "RE" + "3" * 32, "call_sid": parent, "status": "deleted"},
            {"sid": None, "call_sid": parent},
            {"sid": "RE" + "4" * 32, "call_sid": None, "status": "completed"},
        ],
        "next_page_uri": None,
    }
    pages = {
        calls_path + "?PageToken=PAx&Page=1&PageSize=1000": page2,
        calls_path: page1,
        f"/2010-04-01/Accounts/{AC}/Recordings.json": recordings,
        f"/2010-04-01/Accounts/{AC}/Calls/{early}.json": _leg(
            early, start_time="Mon, 16 Nov 2026 23:59:00 +0000"
        ),
    }
    seen: list[httpx.Request] = []
    provider = create_provider(
        "twilio",
        "acme",
        base_url=BASE,
        credentials={"account_sid": AC, "auth_token": "secret"},
        transport=_mock(pages, seen),
    )
    calls = {c.external_id: c for c in provider.fetch_calls("2026-11-17", "2026-11-17")}
    assert all(r.url.host == "api.example.test" for r in seen)  # the absolute next_page_uri was re-based
    assert set(calls) == {parent, "CA" + "3" * 32, "CA" + "4" * 32, "CA" + "7" * 32}
    main = calls[parent]
    assert main.answered and main.duration_seconds == 0 and main.extra["child_call_sids"] == ["CA" + "2" * 32]
    assert main.participants[0].name == "Zoë Ångström-Núñez" and main.callee_number == "client:anna"
    assert [r.id for r in main.recordings] == ["RE" + "1" * 32]
    assert main.recordings[0].channel_roles == {0: "customer", 1: "agent"}
    assert main.extra["recordings_not_ready"] == ["RE" + "2" * 32]
    odd = calls["CA" + "3" * 32]
    assert (
        odd.direction is Direction.INBOUND and odd.extra["direction"] == "sideways-beta" and not odd.answered
    )
    assert calls["CA" + "4" * 32].duration_seconds == 0 and not calls["CA" + "4" * 32].answered
    assert calls["CA" + "7" * 32].extra["parent_call_sid"] == "CA" + "8" * 32


def test_twilio_error_bodies_become_perftel_errors():
    body = {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(401, json=body))
    provider = create_provider(
        "twilio",
        "acme",
        base_url=BASE,
        credentials={"account_sid": AC, "auth_token": "tok3n"},
        transport=transport,
    )
    status = provider.test_connection()
    assert not status.success and "Twilio" in status.message and "20003" in status.message
    assert "tok3n" not in status.message
    with pytest.raises(AuthError) as info:
        provider.fetch_calls(START, START)
    assert info.value.provider == "Twilio" and info.value.error_code == "20003"


def test_mapping_helpers():
    assert parse_twilio_time("Fri, 18 Oct 2019 17:00:00 +0000") == datetime(
        2019, 10, 18, 17, tzinfo=timezone.utc
    )
    assert parse_twilio_time("2019-10-18T17:00:00Z") == datetime(2019, 10, 18, 17, tzinfo=timezone.utc)
    assert parse_twilio_time("nope") is None and parse_twilio_time(None) is None
    assert parse_seconds("307") == 307 and parse_seconds("") is None and parse_seconds("-1") is None
    for raw, expected in [
        ("inbound", "INBOUND"),
        ("outbound-api", "OUTBOUND"),
        ("outbound-dial", "OUTBOUND"),
        ("trunking-originating", "INBOUND"),
        ("trunking-terminating", "OUTBOUND"),
        (None, "INBOUND"),
        ("", "INBOUND"),
        (42, "INBOUND"),
    ]:
        assert direction_of(raw).value == expected
    assert build_call("twilio", {"sid": "CA1"}) is None  # no start time at all: skipped, not a crash
    outbound = build_call(
        "twilio",
        _leg("CA1", direction="outbound-api", to="client:bo"),
        recordings=[{"sid": "RE1", "call_sid": "CA1", "status": "completed", "channels": 2}],
    )
    assert outbound.recordings[0].channel_roles == {0: "agent", 1: "customer"}


def test_recordings_fall_back_to_per_call_lists_and_media_without_metadata(tmp_path):
    sid, rec = "CA" + "1" * 32, "RE" + "1" * 32
    wav = BytesIO()
    with wave.open(wav, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(b"\x01\x00" * 800)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path.endswith("/Calls.json"):
            return httpx.Response(
                200, json={"calls": [_leg(sid, subresource_uris={"recordings": f"/x/{sid}/Recordings.json"})]}
            )
        if path == f"/x/{sid}/Recordings.json":
            return httpx.Response(
                200, json={"recordings": [{"sid": rec, "status": "completed", "channels": 1}]}
            )
        if path.endswith(f"/Recordings/{rec}.wav"):
            return httpx.Response(200, content=wav.getvalue(), headers={"Content-Type": "audio/wav"})
        return httpx.Response(404, json={"code": 20404, "message": "nope", "more_info": "", "status": 404})

    def make():
        return create_provider(
            "twilio",
            "acme",
            base_url=BASE,
            credentials={"account_sid": AC, "auth_token": "t"},
            transport=httpx.MockTransport(handler),
        )

    calls = make().fetch_calls("2026-11-17", "2026-11-17")
    assert [r.id for r in calls[0].recordings] == [rec] and calls[0].recordings[0].call_external_id == sid
    fresh = make()  # never listed: no metadata endpoint either, the media itself answers
    path = fresh.download_recording(rec, tmp_path, "t")
    assert path.suffix == ".wav" and path.stat().st_size > 0
    assert "RequestedChannels=2" in str(seen[-1].url)  # unknown channel count: ask for both
