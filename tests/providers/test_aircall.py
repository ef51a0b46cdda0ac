"""Aircall against its sandbox over real HTTP (the contract, plus Aircall's own rules), and against
hand-made Aircall-shaped answers (``httpx.MockTransport``) for the shapes the sandbox does not make."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from urllib.parse import parse_qs

import httpx
import pytest

from perftel import create_provider, run_pipeline
from perftel.credentials import CredentialStore
from perftel.errors import (
    AuthError,
    CredentialsError,
    NotFoundError,
    PerftelError,
    RateLimitError,
    RecordingNotReadyError,
)
from perftel.http.ratelimit import RateLimiter
from perftel.models import CallMetadata, Direction
from perftel.providers.aircall.connection import parse_aircall_error, reset_wait
from perftel.providers.aircall.driver import AircallProvider
from perftel_sandbox import start_sandbox
from perftel_sandbox.aircall import AircallSandbox
from perftel_sandbox.aircall_media import s3_error
from tests.providers.contract import END, START, ProviderContract, contract_fixtures

DAY = 86400
LO = int(datetime(2026, 11, 16, tzinfo=timezone.utc).timestamp())  # START
HI = LO + 3 * DAY  # END is inclusive: the listing ends at 2026-11-19 00:00


sandbox, make_provider, expected_ids, bad_credentials = contract_fixtures(
    "aircall",
    call_id=lambda c: str(c["id"]),
    wrong={"api_token": "wrong-token"},
    enforce_rate_limit=False,
)


class TestAircallContract(ProviderContract):
    pass


def unpaced(provider):
    """No client-side sanity bound (10 requests/s): these tests are about outcomes, not waiting."""
    provider._limiter = RateLimiter(1000.0, burst=1000)
    return provider


def _listing_requests(sb):
    return [r for r in sb.requests if r.path == "/v1/calls"]


def _all_text(folder) -> str:
    return "\n".join(
        p.read_text("utf-8", "replace") for p in folder.rglob("*") if p.is_file() and p.suffix != ".mp3"
    )


# --- credentials ---------------------------------------------------------------------------------


def test_credentials_are_an_api_key_pair_or_an_access_token(tmp_path):
    assert AircallProvider.check_credentials({"api_id": " a ", "api_token": "t", "other": "x"}) == {
        "api_id": "a",
        "api_token": "t",
    }
    assert AircallProvider.check_credentials({"access_token": "tok"}) == {"access_token": "tok"}
    with pytest.raises(CredentialsError, match="api_token") as info:
        AircallProvider.check_credentials({"api_id": "a", "api_token": ""})
    assert "Aircall" in str(info.value) and "access_token" in str(info.value)
    with pytest.raises(CredentialsError, match="api_id, api_token"):
        AircallProvider.check_credentials({})
    store = CredentialStore(tmp_path)
    store.save("acme", "aircall", {"api_id": "a", "api_token": "t"})
    assert create_provider("aircall", "acme", store=store).secrets == {"api_id": "a", "api_token": "t"}


def test_bearer_token_of_a_partner_install(sandbox):
    provider = create_provider(
        "aircall", "acme", base_url=sandbox.base_url, credentials=sandbox.oauth_credentials
    )
    assert provider.test_connection().success
    before = len(sandbox.requests)
    assert provider.fetch_calls(START, START)
    sent = [r.headers.get("authorization", "") for r in list(sandbox.requests)[before:]]
    assert sent and all(h.startswith("Bearer ") for h in sent)


def test_revoked_key_is_an_auth_error_naming_aircall():
    with start_sandbox("aircall", seed=11) as sb:
        provider = create_provider("aircall", "acme", base_url=sb.base_url, credentials=sb.credentials)
        assert provider.test_connection().success
        sb.faults.revoke()
        with pytest.raises(AuthError, match="Aircall") as info:
            provider.fetch_calls(START, START)
        assert info.value.provider == "Aircall" and sb.api_token not in str(info.value)


# --- listing: the 10,000 cap -----------------------------------------------------------------------

# Calls pinned exactly on the window edges and on the first split points (two per second).
PINS = [
    LO,
    LO,
    HI,
    HI,
    LO + DAY,
    LO + DAY,
    LO + DAY // 2,
    LO + DAY // 2,
    LO + 3 * DAY // 2,
    LO + 3 * DAY // 4,
    LO + DAY // 4,
    LO + DAY // 4 * 3,
    LO + 2 * DAY,
    LO + 2 * DAY,
    HI - 1,
]


def test_a_repeated_page_does_not_hide_a_listing_cut_short_by_the_cap(monkeypatch):
    """Repeated rows must not count as more rows listed: the window the cap cut short is still split."""
    monkeypatch.setattr("perftel.providers.aircall.driver.PER_PAGE", 5)
    with start_sandbox("aircall", seed=21, calls_per_day=45, listing_cap=40, enforce_rate_limit=False) as sb:
        sb.faults.repeat_pages = 3
        ids = [
            c.external_id
            for c in unpaced(
                AircallProvider("acme", base_url=sb.base_url, credentials=sb.credentials)
            ).iter_calls(
                datetime(2026, 11, 17, tzinfo=timezone.utc), datetime(2026, 11, 18, tzinfo=timezone.utc)
            )
        ]
        expected = [str(c["id"]) for c in sb.expected_calls(LO + DAY, LO + 2 * DAY)]
        assert len(expected) > 40 and sb.faults.repeat_pages == 0
        assert len(ids) == len(set(ids)) and sorted(ids) == sorted(expected)


@pytest.mark.parametrize("to_inclusive", [True, False])
@pytest.mark.parametrize("told_the_cap", [True, False])
def test_windows_are_split_under_the_cap_and_no_call_is_lost_or_doubled(to_inclusive, told_the_cap):
    with start_sandbox(
        "aircall",
        seed=5,
        calls_per_day=40,
        listing_cap=30,
        enforce_rate_limit=False,
        to_inclusive=to_inclusive,
        pinned_calls=PINS,
    ) as sb:
        provider = unpaced(
            AircallProvider(
                "acme",
                base_url=sb.base_url,
                credentials=sb.credentials,
                listing_cap=30 if told_the_cap else None,
            )
        )
        calls = provider.fetch_calls(START, END)
        ids = [c.external_id for c in calls]
        expected = [str(c["id"]) for c in sb.expected_calls(LO, HI)]
        assert len(expected) > 120  # far more than one capped listing holds
        assert len(ids) == len(set(ids)) and sorted(ids) == sorted(expected)
        pinned = {str(c["id"]) for c in sb.expected_calls(LO, HI) if c["started_at"] in PINS}
        assert len(pinned) == len(PINS) - 2 and pinned <= set(ids)  # the two at HI belong to the next day
        assert all(LO <= c.started_at.timestamp() < HI for c in calls)
        listing = _listing_requests(sb)
        windows = {(int(r.query["from"]), int(r.query["to"])) for r in listing}
        assert len(windows) > 8 and all(lo < hi and lo >= LO and hi <= HI for lo, hi in windows)
        assert all(r.query["order"] == "asc" and r.query["per_page"] == "50" for r in listing)
        assert all(r.status == 200 for r in listing)
        if told_the_cap:  # split on meta.total before walking: no walk was cut short by the cap
            assert all(int(r.query.get("page", 1)) == 1 for r in listing)


def test_a_large_past_window_is_listed_once(sandbox, make_provider):
    calls = make_provider().fetch_calls("2026-09-01", "2026-10-31")
    expected = [str(c["id"]) for c in sandbox.expected_calls("2026-09-01", "2026-11-01")]
    assert len(expected) > 200 and sorted(c.external_id for c in calls) == sorted(expected)


# --- recordings ----------------------------------------------------------------------------------


def test_expired_recording_url_is_renewed_not_lost(fast_retries, tmp_path):
    with start_sandbox("aircall", seed=11, enforce_rate_limit=False) as sb:
        provider = create_provider("aircall", "acme", base_url=sb.base_url, credentials=sb.credentials)
        call = next(c for c in provider.fetch_calls(START, END) if c.recordings)
        sb.faults.expire_recording_links()  # the URL seen while listing no longer works
        before = len(sb.requests)
        path = provider.download_recording(call.recordings[0].id, tmp_path, "t")
        assert path.name == f"t_{call.external_id}.mp3" and path.read_bytes()[:3] == b"ID3"
        seen = [(r.path, r.status) for r in list(sb.requests)[before:]]
        media = f"/{'recordings' if call.recordings[0].extra['kind'] == 'recording' else 'voicemails'}/{call.external_id}.mp3"
        assert seen == [(media, 403), (f"/v1/calls/{call.external_id}", 200), (media, 200)]


def test_short_lived_urls_are_fetched_again_right_before_downloading(tmp_path):
    with start_sandbox("aircall", seed=11, enforce_rate_limit=False, recording_ttl=5) as sb:
        provider = create_provider("aircall", "acme", base_url=sb.base_url, credentials=sb.credentials)
        call = next(c for c in provider.fetch_calls(START, END) if c.recordings)
        before = len(sb.requests)
        provider.download_recording(call.external_id, tmp_path, "t")
        seen = [(r.path.split("/")[1], r.status) for r in list(sb.requests)[before:]]
        assert seen == [("v1", 200), (seen[1][0], 200)]  # the call again, then its audio: no 403
        media = list(sb.requests)[-1]
        assert media.note == "no authorization header"  # our credentials never go to the storage host


def test_signed_urls_never_reach_files_or_errors(fast_retries, tmp_path):
    class EchoingStorage(AircallSandbox):
        def _media(self, request):  # S3-like 500 that echoes the signed query back
            return s3_error(
                500, "InternalError", "We encountered an internal error: " + json.dumps(request.query)
            )

    with EchoingStorage(seed=11, enforce_rate_limit=False) as sb:
        provider = unpaced(
            create_provider("aircall", "acme", base_url=sb.base_url, credentials=sb.credentials)
        )
        result = run_pipeline(provider, start_date=START, end_date=START, transcribe=False, data_dir=tmp_path)
        signatures = {r.query["X-Amz-Signature"] for r in sb.requests if "X-Amz-Signature" in r.query}
        assert (
            signatures and result.failed and all(f.step == "download" and f.retryable for f in result.failed)
        )
        with pytest.raises(PerftelError) as info:
            provider.download_recording(result.failed[0].item, tmp_path, "t")
        signatures |= {r.query["X-Amz-Signature"] for r in sb.requests if "X-Amz-Signature" in r.query}
        texts = [_all_text(tmp_path), str(info.value), str(vars(info.value))] + [
            f.reason for f in result.failed
        ]
        for text in texts:
            assert "X-Amz-Signature=" not in text or "X-Amz-Signature=REDACTED" in text
            assert not any(sig in text for sig in signatures)


def test_pipeline_against_the_sandbox_writes_metadata_and_audio_without_urls(
    sandbox, make_provider, tmp_path
):
    result = run_pipeline(
        make_provider(), start_date=START, end_date=END, transcribe=False, data_dir=tmp_path
    )
    assert result.ok, result.summary()
    assert result.downloaded and all(
        p.is_file() and p.suffix == ".mp3" and p.stat().st_size > 0 for p in result.downloaded
    )
    assert result.metadata_file is not None and result.metadata_file.is_file()
    text = _all_text(tmp_path)
    assert str(result.calls[0].external_id) in text
    for needle in ("X-Amz", "/recordings/", "/voicemails/", sandbox.media_host + ":"):
        assert needle not in text
    again = run_pipeline(make_provider(), start_date=START, end_date=END, transcribe=False, data_dir=tmp_path)
    assert again.ok and not again.downloaded and again.skipped_downloads == len(result.downloaded)


def test_truncated_audio_and_server_errors_are_retried(fast_retries, sandbox, make_provider, tmp_path):
    provider = make_provider()
    call = next(c for c in provider.fetch_calls(START, START) if c.recordings)
    sandbox.faults.server_errors = 2
    sandbox.faults.truncate_media = 1
    try:
        path = provider.download_recording(call.external_id, tmp_path, "t")
    finally:
        sandbox.faults.reset()
    assert path.stat().st_size > 1000 and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# --- pacing --------------------------------------------------------------------------------------


def test_rate_limit_headers_are_followed_without_429s():
    with start_sandbox("aircall", seed=11, rate_limit=4, rate_window=1.0, max_per_page=5) as sb:
        provider = create_provider("aircall", "acme", base_url=sb.base_url, credentials=sb.credentials)
        started = time.monotonic()
        calls = provider.fetch_calls(START, END)
        elapsed = time.monotonic() - started
        assert sorted(c.external_id for c in calls) == sorted(str(c["id"]) for c in sb.expected_calls(LO, HI))
        assert len(_listing_requests(sb)) >= 3 and elapsed >= 0.9
        assert all(r.status == 200 for r in sb.requests)
        assert provider.rate_limit == 4


def test_429_is_waited_out_until_the_reset():
    with start_sandbox("aircall", seed=11, enforce_rate_limit=False) as sb:
        provider = create_provider("aircall", "acme", base_url=sb.base_url, credentials=sb.credentials)
        sb.faults.rate_limit_burst = 1
        started = time.monotonic()
        assert provider.fetch_calls(START, START)
        assert time.monotonic() - started >= 1.0  # Reset is a whole UNIX second at least 1 s ahead
        assert [r.status for r in sb.requests][:2] == [429, 200]


# --- Aircall-shaped answers the sandbox does not make (MockTransport) ----------------------------

EXAMPLE_CALL = {
    "id": 123456789,
    "sid": "CAeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
    "direct_link": "https://api.aircall.io/v1/calls/123456789",
    "direction": "inbound",
    "status": "done",
    "missed_call_reason": None,
    "started_at": 1767708001,
    "answered_at": 1767708005,
    "ended_at": 1767708308,
    "duration": 307,
    "raw_digits": "+1 555-555-0123",
    "archived": False,
    "cost": "0.0",
    "recording": "https://aircall-recordings.example/123456789.mp3?X-Amz-Expires=3600&X-Amz-Signature=abcdef0123456789abcdef",
    "recording_short_url": None,
    "voicemail": None,
    "voicemail_short_url": None,
    "asset": "https://assets.aircall.io/calls/123456789/recording",
    "user": {
        "id": 1001,
        "direct_link": "https://api.aircall.io/v1/users/1001",
        "name": "Agent One",
        "email": "agent1@example.com",
    },
    "number": {
        "id": 2001,
        "direct_link": "https://api.aircall.io/v1/numbers/2001",
        "name": "Support",
        "digits": "+1 555-555-0100",
        "country": "US",
    },
    "contact": None,
    "assigned_to": None,
    "transferred_by": None,
    "transferred_to": None,
    "teams": [{"id": 3001, "name": "Support", "direct_link": "https://api.aircall.io/v1/teams/3001"}],
    "tags": [],
    "comments": [],
    "participants": [],
    "ivr_options_selected": [],
    "country_code_a2": "US",
}
DAY0 = "2026-01-06"  # the example call's day


def mocked(handler, **credentials):
    provider = create_provider(
        "aircall",
        "acme",
        base_url="https://api.aircall.io/v1",
        credentials=credentials or {"api_id": "id1", "api_token": "token-secret-1"},
        transport=httpx.MockTransport(handler),
    )
    return unpaced(provider)


def page(calls, *, total=None, next_link=None, **extra):
    meta = {
        "count": len(calls),
        "total": len(calls) if total is None else total,
        "current_page": 1,
        "per_page": 50,
        "next_page_link": next_link,
        "previous_page_link": None,
    }
    return httpx.Response(200, json={"calls": calls, "meta": meta, **extra})


def test_the_reference_example_page_maps_cleanly():
    seen = []

    def handler(request):
        seen.append(request)
        return page([EXAMPLE_CALL])

    [call] = mocked(handler).fetch_calls(DAY0, DAY0)
    assert seen[0].url.path == "/v1/calls" and seen[0].headers["authorization"].startswith("Basic ")
    q = parse_qs(seen[0].url.query.decode())
    assert q["order"] == ["asc"] and q["per_page"] == ["50"]
    assert (
        int(q["from"][0]) == int(datetime(2026, 1, 6, tzinfo=timezone.utc).timestamp())
        and int(q["to"][0]) == int(q["from"][0]) + DAY
    )
    assert call.external_id == "123456789" and call.provider == "aircall"
    assert call.started_at == datetime.fromtimestamp(1767708001, timezone.utc)
    assert call.ended_at == datetime.fromtimestamp(1767708308, timezone.utc)
    assert call.duration_seconds == 307 and call.answered and call.direction is Direction.INBOUND
    assert (call.caller_number, call.callee_number) == ("+1 555-555-0123", "+1 555-555-0100")
    agent = next(p for p in call.participants if p.role == "agent")
    customer = next(p for p in call.participants if p.role == "customer")
    assert (agent.name, agent.external_id) == ("Agent One", "1001") and customer.number == "+1 555-555-0123"
    assert any(p.kind == "team" and p.name == "Support" for p in call.participants)
    assert call.recording_ids == ["123456789"] and call.extra["missed_call_reason"] is None
    dumped = json.dumps(call.to_dict())
    assert "aircall-recordings" not in dumped and "X-Amz" not in dumped and "abcdef0123456789" not in dumped
    assert CallMetadata.from_dict(call.to_dict()) == call


def test_missing_keys_nulls_odd_types_and_extra_fields_are_accepted():
    t = 1767708001
    calls = [
        {"id": 1, "started_at": t},  # almost nothing
        {
            "id": "2",
            "started_at": str(t + 1),
            "answered_at": None,
            "ended_at": None,
            "duration": None,
            "user": None,
            "number": None,
            "teams": None,
            "raw_digits": None,
            "recording": None,
            "direction": None,
            "new_field": {"x": 1},
        },
        {
            "id": 3,
            "started_at": (t + 2) * 1000,
            "ended_at": (t + 9) * 1000,
            "direction": "OUTBOUND",
            "raw_digits": "anonymous",
            "missed_call_reason": None,
            "answered_at": (t + 3) * 1000,
            "tags": [{"name": "vip"}, "x"],
            "participants": [
                {"id": 9, "type": "external", "name": "Third", "phone_number": "+33 1 00"},
                "junk",
            ],
        },
        {
            "id": 4,
            "started_at": "2026-01-06T14:00:05Z",
            "duration": "12",
            "direction": "inbound",
            "missed_call_reason": "short_abandoned",
            "raw_digits": "Anonymous",
            "contact": {"id": 7, "first_name": "Zoë"},
        },
        {"id": 5, "started_at": t + 5, "ended_at": t + 1, "duration": -4},  # inconsistent times
        {
            "id": 6,
            "started_at": t + 6,
            "contact": {"id": 8, "company_name": "ACME", "phone_numbers": [{"value": "+44 20"}]},
        },
        "not a call",
        None,
        {"no_id": True, "started_at": t},
    ]
    [a, b, c, d, e, f] = mocked(lambda request: page(calls)).fetch_calls(DAY0, DAY0)
    assert (a.answered, a.duration_seconds, a.recordings, a.caller_number) == (False, 0, [], None)
    assert not a.extra["anonymous"]  # not given is not withheld
    assert (
        f.caller_number == "+44 20" and next(p for p in f.participants if p.role == "customer").name == "ACME"
    )
    assert b.external_id == "2" and b.started_at.timestamp() == t + 1 and b.direction is Direction.INBOUND
    assert c.started_at.timestamp() == t + 2 and c.duration_seconds == 7 and c.answered
    assert c.direction is Direction.OUTBOUND and c.callee_number is None and c.extra["anonymous"]
    assert c.extra["tags"] == ["vip", "x"] and any(p.name == "Third" for p in c.participants)
    assert d.caller_number is None and d.extra["missed_call_reason"] == "short_abandoned" and not d.answered
    assert next(p for p in d.participants if p.role == "customer").name == "Zoë" and d.duration_seconds == 12
    assert e.ended_at is None and e.duration_seconds == 0
    for call in (a, b, c, d, e, f):
        assert CallMetadata.from_dict(call.to_dict()) == call


def test_empty_pages_and_missing_envelopes_end_the_listing():
    answers = iter(
        [
            httpx.Response(200, json={"calls": None}),
            httpx.Response(200, json={}),
            httpx.Response(200, json=[]),
        ]
    )
    provider = mocked(lambda request: next(answers))
    for _ in range(3):
        assert provider.fetch_calls(DAY0, DAY0) == []


def test_next_page_links_stay_on_our_host_and_keep_the_window():
    seen = []
    second = dict(EXAMPLE_CALL, id=2, started_at=1767708100)
    third = dict(EXAMPLE_CALL, id=3, started_at=1767708200)

    def handler(request):
        seen.append(request)
        number = int(request.url.params.get("page", 1))
        if number == 1:  # a link on another host (a proxy, a mistake): we must not send our key there
            return page(
                [EXAMPLE_CALL], total=3, next_link="https://elsewhere.example/v1/calls?page=2&per_page=50"
            )
        if number == 2:
            return page([second], total=3, next_link="/v1/calls?page=3")  # relative, without from/to
        return page([third], total=3)

    calls = mocked(handler).fetch_calls(DAY0, DAY0)
    assert [c.external_id for c in calls] == ["123456789", "2", "3"]
    assert {r.url.host for r in seen} == {"api.aircall.io"}
    assert all(
        r.url.params["from"] == seen[0].url.params["from"] and r.url.params["to"] == seen[0].url.params["to"]
        for r in seen
    )


def test_totals_that_ignore_the_window_do_not_split_forever():
    count = [0]

    def handler(request):
        count[0] += 1
        return page([EXAMPLE_CALL], total=12_000)  # the same answer whatever from/to say

    calls = mocked(handler).fetch_calls(DAY0, DAY0)
    assert [c.external_id for c in calls] == ["123456789"] and count[0] < 60


def test_429_gives_a_retry_after_from_the_reset_header():
    answers = []

    def handler(request):
        answers.append(time.monotonic())
        if len(answers) == 1:
            reset = str(int(time.time()) + 2)
            return httpx.Response(
                429,
                json={"error": "Too Many Requests", "troubleshoot": "slow down"},
                headers={
                    "X-AircallApi-Limit": "60",
                    "X-AircallApi-Remaining": "0",
                    "X-AircallApi-Reset": reset,
                },
            )
        return page([EXAMPLE_CALL])

    provider = mocked(handler)
    assert provider.fetch_calls(DAY0, DAY0)
    assert len(answers) == 2 and answers[1] - answers[0] >= 1.0
    limited = httpx.Response(
        429,
        headers={"X-AircallApi-Reset": str(int(time.time()) + 20)},
        request=httpx.Request("GET", "https://api.aircall.io/v1/calls"),
    )
    error = provider.api.error_for(limited)
    assert isinstance(error, RateLimitError) and error.provider == "Aircall" and 18 <= error.retry_after <= 21
    assert reset_wait({"X-AircallApi-Reset": str(time.time() + 30)}) == pytest.approx(30, abs=1)
    assert reset_wait({"X-AircallApi-Reset": "5"}) == 5 and reset_wait({}) is None
    assert reset_wait({"X-AircallApi-Reset": str(time.time() + 9999)}) <= 65


def test_error_bodies_in_aircall_shape_and_others():
    request = httpx.Request("GET", "https://api.aircall.io/v1/calls/1")
    info = parse_aircall_error(
        httpx.Response(404, json={"error": "Not found", "troubleshoot": "Check the id"}, request=request)
    )
    assert (info.code, info.message) == ("Not found", "Check the id")
    assert parse_aircall_error(httpx.Response(500, text="<html>oops</html>", request=request)).code is None
    assert (
        parse_aircall_error(
            httpx.Response(400, json={"error": {"code": "x", "message": "m"}}, request=request)
        ).message
        == "m"
    )

    def handler(request):
        return httpx.Response(404, json={"error": "Not found", "troubleshoot": "Check the call id"})

    with pytest.raises(NotFoundError, match="Not found"):
        mocked(handler).download_recording("42", "/tmp", "t")


def test_download_asks_for_the_call_then_fetches_audio_without_credentials(tmp_path):
    seen = []
    signed = "https://storage.example/rec/42.mp3?X-Amz-Date=20260101T000000Z&X-Amz-Expires=1800&X-Amz-Signature=feedface00112233445566"

    def handler(request):
        seen.append(request)
        if request.url.host == "storage.example":
            return httpx.Response(200, content=b"ID3" + b"\0" * 500, headers={"Content-Type": "audio/mpeg"})
        return httpx.Response(200, json={"call": {**EXAMPLE_CALL, "id": 42, "recording": signed}})

    path = mocked(handler).download_recording("42", tmp_path, "t")
    assert path.name == "t_42.mp3" and path.stat().st_size == 503
    assert [r.url.host for r in seen] == ["api.aircall.io", "storage.example"]
    assert "authorization" not in seen[1].headers


def test_a_call_still_in_progress_is_not_ready_and_one_without_audio_fails_cleanly(tmp_path):
    def handler(request):
        ident = request.url.path.rsplit("/", 1)[1]
        status = "answered" if ident == "7" else "done"
        return httpx.Response(200, json={"call": {"id": int(ident), "status": status, "recording": None}})

    provider = mocked(handler)
    with pytest.raises(RecordingNotReadyError):
        provider.download_recording("7", tmp_path, "t")
    with pytest.raises(PerftelError, match="no recording"):
        provider.download_recording("8", tmp_path, "t")
    assert list(tmp_path.iterdir()) == []


def test_anonymous_callers_in_the_sandbox(sandbox, make_provider):
    calls = make_provider().fetch_calls("2026-10-01", "2026-10-31")
    anonymous = [c for c in calls if c.extra["anonymous"]]
    assert anonymous and all(c.caller_number is None and c.direction is Direction.INBOUND for c in anonymous)
    assert all(next(p for p in c.participants if p.role == "customer").kind == "anonymous" for c in anonymous)
    raw = {str(c["id"]): c["raw_digits"] for c in sandbox.expected_calls("2026-10-01", "2026-11-01")}
    assert all(raw[c.external_id] == "anonymous" for c in anonymous)
    assert any(c.extra["missed_call_reason"] for c in calls) and any(
        c.recordings and not c.answered for c in calls
    )
