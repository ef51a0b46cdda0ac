"""RingCentral against its sandbox over real HTTP: the contract, plus RingCentral's own rules
(and a few answers from an in-process mock, for shapes the sandbox never sends)."""

from __future__ import annotations

import json
import multiprocessing
import time
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from perftel import create_provider, run_pipeline
from perftel.credentials import CredentialStore
from perftel.errors import ApiError, AuthError, PerftelError
from perftel.models import Direction
from perftel.providers.ringcentral.driver import RingCentralProvider
from perftel_sandbox import start_sandbox
from perftel_sandbox.speech import MEDIA_DIR
from tests.providers.contract import END, START, ProviderContract, contract_fixtures, refresh_in_process

FAST = {
    "heavy_limit": 1000,
    "light_limit": 1000,
    "auth_limit": 1000,
}  # the real defaults are 10/50/5 per minute
LO, HI = datetime(2026, 11, 16, tzinfo=timezone.utc), datetime(2026, 11, 19, tzinfo=timezone.utc)


sandbox, make_provider, expected_ids, bad_credentials = contract_fixtures(
    "ringcentral",
    call_id=lambda s: s["telephonySessionId"],
    wrong={"client_secret": "wrong-secret"},
    **FAST,
)


class TestRingCentralContract(ProviderContract):
    pass


def _provider(sb, **options):
    return create_provider("ringcentral", "acme", base_url=sb.base_url, credentials=sb.credentials, **options)


# --- listing ------------------------------------------------------------------------------------
def test_sessions_group_legs_and_map_fields(make_provider, sandbox):
    calls = make_provider().fetch_calls(START, END)
    by_id = {c.external_id: c for c in calls}
    for session in sandbox.expected_calls(LO, HI):
        call = by_id[session["telephonySessionId"]]
        first = session["records"][0]
        assert call.extra["record_ids"] == [r["id"] for r in session["records"]]
        assert call.started_at == datetime.fromisoformat(first["startTime"].replace("Z", "+00:00"))
        assert call.direction is (
            Direction.INBOUND if first["direction"] == "Inbound" else Direction.OUTBOUND
        )
        assert call.answered == session["answered"]
        assert sorted(call.recording_ids) == sorted(session["recording_ids"])
        assert call.caller_number == (
            first["from"].get("phoneNumber") or first["from"].get("extensionNumber")
        )
        if len(session["records"]) == 1:
            assert call.duration_seconds == first["duration"]
        assert call.extra["legs"], "view=Detailed gives legs"
    assert any(len(c.extra["record_ids"]) > 1 for c in calls), "a transferred call: two records, one session"


def test_explicit_dates_and_next_page_links_that_drop_them(tmp_path):
    # The sandbox's page links carry only page/perPage (like RingCentral's); following them naively
    # would fall back to "the last 24 hours".
    with start_sandbox("ringcentral", seed=11, max_per_page=4, **FAST) as sb:
        calls = _provider(sb).fetch_calls(START, END)
        logs = [r for r in sb.requests if r.path.endswith("/call-log")]
        assert len(logs) > 2 and [r.query.get("page", "1") for r in logs] == [
            str(i + 1) for i in range(len(logs))
        ]
        for r in logs:
            assert (
                r.query["dateFrom"] == "2026-11-16T00:00:00.000Z"
                and r.query["dateTo"] == "2026-11-19T00:00:00.000Z"
            )
            assert r.query["view"] == "Detailed" and r.query["type"] == "Voice"
        assert logs[0].query["perPage"] == "1000"  # later links carry the server's own perPage (4 here)
        assert sorted(c.external_id for c in calls) == sorted(
            s["telephonySessionId"] for s in sb.expected_calls(LO, HI)
        )


def test_non_admin_falls_back_to_the_users_own_call_log():
    with start_sandbox("ringcentral", seed=11, admin=False, **FAST) as sb:
        calls = _provider(sb).fetch_calls(START, END)
        paths = [(r.path, r.status) for r in sb.requests if r.path.endswith("/call-log")]
        assert paths[0] == ("/restapi/v1.0/account/~/call-log", 403)
        assert all(p == ("/restapi/v1.0/account/~/extension/~/call-log", 200) for p in paths[1:])
        expected = sb.expected_calls(LO, HI, extension_only=True)
        assert expected and sorted(c.external_id for c in calls) == sorted(
            s["telephonySessionId"] for s in expected
        )


# --- auth -------------------------------------------------------------------------------------
def test_revoked_jwt_is_an_auth_error_naming_ringcentral():
    with start_sandbox("ringcentral", seed=11, **FAST) as sb:
        provider = _provider(sb)
        assert provider.test_connection().success
        sb.faults.revoke()
        with pytest.raises(AuthError, match="RingCentral") as info:
            provider.fetch_calls(START, START)
        assert info.value.provider == "RingCentral"
        status = _provider(sb).test_connection()
        assert not status.success and "RingCentral" in status.message and "JWT" in status.message


def test_expired_access_token_uses_the_refresh_token_once(fast_retries):
    with start_sandbox("ringcentral", seed=11, **FAST) as sb:
        provider = _provider(sb)
        assert provider.fetch_calls(START, START) is not None
        sb.faults.expire_access_tokens()
        provider.fetch_calls(START, START)
        assert (
            sb.stats["granted:refresh_token"] == 1
            and sb.stats["granted:urn:ietf:params:oauth:grant-type:jwt-bearer"] == 1
        )
        assert not [k for k in sb.stats if k.startswith("refused")]
        tokens = [r for r in sb.requests if r.path == "/restapi/oauth/token"]
        assert all(r.headers["authorization"].startswith("Basic ") for r in tokens)


def test_used_up_refresh_token_falls_back_to_the_jwt(tmp_path):
    with start_sandbox("ringcentral", seed=11, **FAST) as sb:
        store = CredentialStore(tmp_path)
        store.save("acme", "ringcentral", sb.credentials)
        provider = create_provider("ringcentral", "acme", base_url=sb.base_url, store=store)
        assert provider.test_connection().success
        stale = store.tokens("acme", "ringcentral").load().refresh_token
        sb.store.refresh(stale)  # someone else spent it
        provider.tokens.expire()
        assert provider.test_connection().success
        assert sb.stats["granted:urn:ietf:params:oauth:grant-type:jwt-bearer"] == 2
        assert store.tokens("acme", "ringcentral").load().refresh_token not in (None, stale)


def test_two_processes_refreshing_a_single_use_token(tmp_path):
    with start_sandbox("ringcentral", seed=11, **FAST) as sb:
        CredentialStore(tmp_path).save("acme", "ringcentral", sb.credentials)
        first = create_provider("ringcentral", "acme", base_url=sb.base_url, store=CredentialStore(tmp_path))
        assert first.test_connection().success  # JWT grant: a refresh token is stored
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=refresh_in_process, args=("ringcentral", sb.base_url, str(tmp_path), queue))
            for _ in range(3)
        ]
        [p.start() for p in procs]
        [p.join(60) for p in procs]
        assert sorted(queue.get(timeout=5) for _ in procs) == ["ok", "ok", "ok"]
        # No refresh token was spent twice, and the chain survives: the stored one still works.
        assert not [k for k in sb.stats if k.startswith("refused")]
        assert 1 <= sb.stats["granted:refresh_token"] <= 3
        provider = create_provider(
            "ringcentral", "acme", base_url=sb.base_url, store=CredentialStore(tmp_path)
        )
        provider.tokens.expire()
        assert provider.test_connection().success
        assert sb.stats["granted:urn:ietf:params:oauth:grant-type:jwt-bearer"] == 1
        assert not [k for k in sb.stats if k.startswith("refused")]


# --- rate limits --------------------------------------------------------------------------------
def test_heavy_group_is_paced_from_headers_and_429_penalty_is_respected(tmp_path):
    with start_sandbox(
        "ringcentral",
        seed=11,
        calls_per_day=4,
        max_per_page=2,
        heavy_limit=3,
        rate_window=1,
        penalty_seconds=1,
        light_limit=1000,
        auth_limit=1000,
    ) as sb:
        sb.faults.rate_limit_burst = 1  # the first Heavy request: 429 + a 1 s penalty window
        started = time.monotonic()
        provider = _provider(sb)
        calls = provider.fetch_calls(START, END)
        for rec in [r for c in calls for r in c.recordings][:3]:  # downloads are Heavy too
            provider.download_recording(rec.id, tmp_path, "t")
        assert sorted(c.external_id for c in calls) == sorted(
            s["telephonySessionId"] for s in sb.expected_calls(LO, HI)
        )
        heavy = [(t, status) for t, group, status in sb.rate_events if group == "Heavy"]
        refused = [t for t, status in heavy if status == 429]
        assert len(refused) == 1 and sb.penalty_violations == 0
        after = [t for t, _ in heavy if t > refused[0]]
        assert after and after[0] - refused[0] >= 0.95  # nothing inside the penalty window
        assert len(heavy) > 5 and time.monotonic() - started >= 1.0
        # Paced from X-Rate-Limit-*: never more than 3 accepted per second, and no other 429.
        accepted = [t for t, status in heavy if status == 200]
        assert all(sum(1 for u in accepted if t <= u < t + 0.999) <= 3 for t in accepted)


def test_429_without_retry_after_pauses_the_whole_group_for_60_seconds():
    provider = RingCentralProvider("acme", credentials={"client_id": "i", "client_secret": "s", "jwt": "j"})
    request = httpx.Request("GET", "https://platform.ringcentral.com/restapi/v1.0/account/~/call-log")
    provider._on_response(httpx.Response(429, headers={"X-Rate-Limit-Group": "Heavy"}, request=request))
    paused = provider.limiter._paused_until["Heavy"] - time.monotonic()
    assert 55 < paused <= 60
    media = "https://media.ringcentral.com/restapi/v1.0/account/1/recording/2/content"
    assert provider.group_for(httpx.URL(media).path) == "Heavy"  # downloads wait too


# --- recordings ---------------------------------------------------------------------------------
def test_media_download_sends_the_bearer_only_to_its_media_host(make_provider, sandbox, tmp_path):
    provider = make_provider()
    call = next(c for c in provider.fetch_calls(START, END) if c.recordings)
    rec = call.recordings[0]
    assert (
        urlsplit(rec.extra["contentUri"]).hostname
        == sandbox.media_host
        != urlsplit(sandbox.base_url).hostname
    )
    before = len(sandbox.requests)
    path = provider.download_recording(rec.id, tmp_path, "t")
    media = [r for r in list(sandbox.requests)[before:] if r.path.endswith("/content")]
    assert path.read_bytes() and media and all(r.host.startswith(sandbox.media_host) for r in media)
    assert all(r.headers["authorization"].startswith("Bearer ") for r in media)
    # A contentUri on any other host never gets our token.
    with start_sandbox("ringcentral", seed=11, **FAST) as foreign:
        provider._content_uris[rec.id] = (
            f"http://127.0.0.1:{foreign.port}/restapi/v1.0/account/~/recording/{rec.id}/content"
        )
        with pytest.raises(ApiError):
            provider.download_recording(rec.id, tmp_path / "x", "t")
        assert [r for r in foreign.requests if r.path.endswith("/content")]
        assert not [r for r in foreign.requests if r.has_authorization]


def test_trusted_hosts():
    rc = RingCentralProvider("acme", credentials={"client_id": "i", "client_secret": "s", "jwt": "j"})
    assert rc.media_base_url == "https://media.ringcentral.com"
    assert rc.trusts("https://media.ringcentral.com/restapi/v1.0/account/1/recording/2/content")
    assert not rc.trusts("http://media.ringcentral.com/x") and not rc.trusts("https://evilringcentral.com/x")
    assert not rc.trusts("https://media.ringcentral.com.evil.org/x")
    dev = RingCentralProvider(
        "acme",
        base_url="https://platform.devtest.ringcentral.com",
        credentials={"client_id": "i", "client_secret": "s", "jwt": "j"},
    )
    assert dev.media_base_url == "https://media.devtest.ringcentral.com"
    local = RingCentralProvider(
        "acme",
        base_url="http://127.0.0.1:8080",
        credentials={"client_id": "i", "client_secret": "s", "jwt": "j"},
    )
    assert local.trusts("http://localhost:8080/x") and not local.trusts("http://localhost:8081/x")


def test_download_without_listing_asks_the_recording_resource(make_provider, sandbox, tmp_path):
    rec = next(c for c in make_provider().fetch_calls(START, END) if c.recordings).recordings[0]
    path = make_provider().download_recording(rec.id, tmp_path, "t")  # a fresh driver: no contentUri cached
    assert path.read_bytes() == (sandbox_media := _media(sandbox, rec.id)) and sandbox_media


def _media(sb, rec_id):

    return (MEDIA_DIR / sb.recording_media(rec_id)).read_bytes()


def test_partial_206_truncated_and_server_errors_are_recovered(
    make_provider, sandbox, tmp_path, fast_retries
):
    provider = make_provider()
    recs = [r for c in provider.fetch_calls(START, END) for r in c.recordings][:3]
    sandbox.faults.partial_media = 1
    assert provider.download_recording(recs[0].id, tmp_path, "a").read_bytes() == _media(sandbox, recs[0].id)
    sandbox.faults.truncate_media = 1
    assert provider.download_recording(recs[1].id, tmp_path, "b").read_bytes() == _media(sandbox, recs[1].id)
    sandbox.faults.server_errors = 2
    assert provider.download_recording(recs[2].id, tmp_path, "c").read_bytes() == _media(sandbox, recs[2].id)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    sandbox.faults.reset()


def test_pipeline_against_the_sandbox(make_provider, tmp_path):
    result = run_pipeline(
        make_provider(), start_date=START, end_date=START, transcribe=False, data_dir=tmp_path
    )
    assert result.calls and not result.failed
    assert len(result.downloaded) == sum(len(c.recordings) for c in result.calls) > 0
    assert all(p.suffix == ".wav" and p.stat().st_size > 0 for p in result.downloaded)


# --- RingCentral-shaped answers the sandbox never gives -------------------------------------------
def _mock(handler):
    seen: list[httpx.Request] = []

    def record(request):
        seen.append(request)
        if request.url.path == "/restapi/oauth/token":
            return httpx.Response(
                200, json={"access_token": "a.b.c", "token_type": "bearer", "expires_in": 3600}
            )
        return handler(request)

    provider = RingCentralProvider(
        "acme",
        credentials={"client_id": "i", "client_secret": "s", "jwt": "j"},
        transport=httpx.MockTransport(record),
    )
    return provider, seen


def test_odd_but_valid_pages_are_accepted():
    records = [
        {
            "id": "1",
            "sessionId": "9",
            "telephonySessionId": "s-1",
            "startTime": "2026-01-06T14:00:01.000Z",
            "duration": 30,
            "direction": "inbound",
            "result": "Call connected",
            "from": {"phoneNumber": "+15550001"},
            "to": {"extensionNumber": "101"},
        },
        {
            "id": "2",
            "sessionId": "9",
            "telephonySessionId": "s-1",
            "startTime": "2026-01-06T14:00:20+0000",
            "durationMs": 40500,
            "direction": "Inbound",
            "result": "Accepted",
            "recording": {"id": "77", "contentUri": "https://media.ringcentral.com/r/77/content"},
        },
        {
            "id": "3",
            "sessionId": 10,
            "startTime": "2026-01-06T15:00:00Z",
            "direction": "Outbound",
            "result": "Missed",
        },
        {
            "id": "4",
            "type": "Fax",
            "sessionId": "11",
            "startTime": "2026-01-06T16:00:00Z",
            "direction": "Inbound",
        },
        {
            "id": "5",
            "deleted": True,
            "sessionId": "12",
            "startTime": "2026-01-06T16:00:00Z",
            "direction": "Inbound",
        },
        {"id": "6", "sessionId": "13", "direction": "Inbound"},  # no start time: skipped, not a crash
    ]
    pages = {
        "1": {
            "records": records[:3],
            "paging": {"perPage": 3, "page": 1, "totalPages": 1},  # totalPages lies
            "navigation": {
                "nextPage": {
                    "uri": "https://platform.ringcentral.com/restapi/v1.0/account/~/call-log?page=2&perPage=3"
                }
            },
        },
        "2": {
            "records": records[3:],
            "paging": {"perPage": 3},
            "navigation": {
                "nextPage": {
                    "uri": "https://elsewhere.example/restapi/v1.0/account/~/call-log?page=3&perPage=3"
                }
            },
        },
        "3": {
            "records": [],
            "paging": {"perPage": 3},
            "navigation": {"nextPage": {"uri": "/restapi/v1.0/account/~/call-log?page=4"}},
        },
    }

    def handler(request):
        return httpx.Response(200, json=pages[request.url.params.get("page", "1")])

    provider, seen = _mock(handler)
    calls = provider.fetch_calls("2026-01-06", "2026-01-06")
    logs = [r for r in seen if r.url.path.endswith("/call-log")]
    assert len(logs) == 3 and all(r.url.host == "platform.ringcentral.com" for r in logs)
    assert all(
        r.url.params["dateFrom"] == "2026-01-06T00:00:00.000Z" and r.url.params["dateTo"] for r in logs
    )
    assert [c.external_id for c in calls] == ["s-1", "10"]
    transfer, missed = calls
    assert transfer.answered and transfer.direction is Direction.INBOUND and transfer.recording_ids == ["77"]
    assert transfer.duration_seconds == 19 + 40.5 and transfer.extra["record_ids"] == ["1", "2"]
    assert not missed.answered and missed.direction is Direction.OUTBOUND and missed.duration_seconds == 0


def test_error_bodies_name_ringcentral_and_carry_the_code(fast_retries):
    def handler(request):
        body = {
            "errorCode": "InsufficientPermissions",
            "message": "nope",
            "errors": [
                {"errorCode": "CMN-401", "message": "Needs [ReadCallLog]", "permissionName": "ReadCallLog"}
            ],
        }
        return httpx.Response(403, json=body)

    provider, seen = _mock(handler)
    with pytest.raises(AuthError, match="RingCentral") as info:
        provider.fetch_calls("2026-01-06", "2026-01-06")
    assert info.value.error_code == "CMN-401" and "ReadCallLog" in info.value.message
    assert [r.url.path for r in seen if "call-log" in r.url.path] == [
        "/restapi/v1.0/account/~/call-log",
        "/restapi/v1.0/account/~/extension/~/call-log",
    ]

    def token_refused(request):
        return httpx.Response(
            400,
            json={
                "error": "invalid_grant",
                "error_description": "Invalid assertion",
                "errors": [{"errorCode": "OAU-140", "message": "Invalid assertion"}],
            },
        )

    provider = RingCentralProvider(
        "acme",
        credentials={"client_id": "i", "client_secret": "s", "jwt": "j"},
        transport=httpx.MockTransport(token_refused),
    )
    status = provider.test_connection()
    assert not status.success and "RingCentral" in status.message and "invalid_grant" in status.message


def test_token_request_is_a_jwt_bearer_grant_with_basic_client_auth():
    provider, seen = _mock(
        lambda request: httpx.Response(200, json={"records": [], "paging": {"perPage": 1000}})
    )
    provider.fetch_calls("2026-01-06", "2026-01-06")
    token = seen[0]
    form = parse_qs(token.content.decode())
    assert form == {"grant_type": ["urn:ietf:params:oauth:grant-type:jwt-bearer"], "assertion": ["j"]}
    assert token.headers["authorization"] == httpx.BasicAuth("i", "s")._auth_header
    assert json.loads(json.dumps(provider.secret_values()))  # redaction knows the secrets


def test_hostile_ids_are_refused_before_any_request(tmp_path):
    provider, seen = _mock(lambda request: httpx.Response(500))
    for hostile in ("../x", "a/b", "..", "", "a b"):
        with pytest.raises(PerftelError):
            provider.download_recording(hostile, tmp_path, "t")
    assert not seen


def test_reference_example_page_and_media_host_bearer(tmp_path):
    from pathlib import Path

    example = Path(__file__).resolve().parents[2].parent / "shared" / "providers" / "examples"
    page = json.loads((example / "ringcentral_call_log_page.json").read_text())
    wav = (MEDIA_DIR / "en_billing_question.wav").read_bytes()

    def handler(request):
        if request.url.path.endswith("/call-log"):
            return httpx.Response(200, json=page)
        if request.url.host == "media.ringcentral.com":  # the media host: needs the bearer, then redirects
            assert request.headers["authorization"] == "Bearer a.b.c"
            return httpx.Response(302, headers={"Location": "https://cdn.example.net/r.wav"})
        assert request.url.host == "cdn.example.net" and "authorization" not in request.headers
        return httpx.Response(200, content=wav, headers={"Content-Type": "audio/wav"})

    provider, seen = _mock(handler)
    (call,) = provider.fetch_calls("2026-01-06", "2026-01-06")
    assert call.external_id == "s-a0d178729c49dz1876d9b9d11z19269ec0000" and call.answered
    assert (
        call.duration_seconds == 307
        and call.caller_number == "+15555550123"
        and call.callee_number == "+15555550100"
    )
    assert call.direction is Direction.INBOUND and call.recording_ids == ["1662272004"]
    assert {p.role for p in call.participants} == {"agent", "customer"}
    path = provider.download_recording("1662272004", tmp_path, "t")
    assert path.read_bytes() == wav and path.suffix == ".wav"
    assert [r.url.host for r in seen][-2:] == ["media.ringcentral.com", "cdn.example.net"]
