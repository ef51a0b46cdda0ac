"""GoTo Connect against its sandbox over real HTTP: the contract, plus GoTo's own rules."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timezone

import httpx
import pytest

from perftel import create_provider
from perftel.credentials import CredentialStore
from perftel.errors import AuthError
from perftel_sandbox import start_sandbox
from tests.providers.contract import END, START, ProviderContract, contract_fixtures, refresh_in_process

sandbox, make_provider, expected_ids, bad_credentials = contract_fixtures(
    "goto_connect",
    call_id=lambda r: r["conversationSpaceId"],
    wrong={"client_secret": "wrong-secret"},
)


class TestGoToContract(ProviderContract):
    pass


def test_windows_of_at_most_31_days_and_large_pages():
    with start_sandbox("goto_connect", seed=11, calls_per_day=0.3) as sb:
        provider = create_provider("goto_connect", "acme", base_url=sb.base_url, credentials=sb.credentials)
        calls = provider.fetch_calls("2026-08-01", "2026-10-15")
        summaries = [r for r in sb.requests if r.path.endswith("/report-summaries")]
        windows = {(r.query["startTime"], r.query["endTime"]) for r in summaries}
        assert len(windows) == 3
        for lo, hi in windows:
            span = datetime.fromisoformat(hi.replace("Z", "+00:00")) - datetime.fromisoformat(
                lo.replace("Z", "+00:00")
            )
            assert span.days <= 31
        assert all(r.query["pageSize"] == "1000" for r in summaries)
        lo, hi = datetime(2026, 8, 1, tzinfo=timezone.utc), datetime(2026, 10, 16, tzinfo=timezone.utc)
        expected = sorted(r["conversationSpaceId"] for r in sb.expected_calls(lo, hi))
        assert expected and sorted(c.external_id for c in calls) == expected


def test_media_redirect_does_not_receive_our_bearer_token(sandbox, make_provider, tmp_path):
    provider = make_provider()
    call = next(c for c in provider.fetch_calls(START, END) if c.recordings)
    before = len(sandbox.requests)
    try:
        provider.download_recording(call.recordings[0].id, tmp_path, "t")
    except Exception:
        call = None
    media = [r for r in list(sandbox.requests)[before:] if r.path.startswith("/media/")]
    if call is not None:
        assert media and all("authorization" not in r.headers for r in media)


def test_report_not_ready_is_waited_for(monkeypatch):
    import perftel.providers.goto_connect.driver as goto

    monkeypatch.setattr(goto, "REPORT_WAIT_SECONDS", 0.01)
    with start_sandbox("goto_connect", seed=11, report_delay=2) as sb:
        provider = create_provider("goto_connect", "acme", base_url=sb.base_url, credentials=sb.credentials)
        calls = provider.fetch_calls("2026-11-17", "2026-11-17")
        assert calls and all(c.extra["report_available"] for c in calls)
        assert any(c.participants for c in calls)


def test_refresh_with_rotation_keeps_the_chain(tmp_path):
    with start_sandbox("goto_connect", seed=11, rotate_refresh_tokens=True, token_ttl=3600) as sb:
        store = CredentialStore(tmp_path)
        store.save("acme", "goto_connect", sb.credentials)
        provider = create_provider("goto_connect", "acme", base_url=sb.base_url, store=store)
        assert provider.test_connection().success
        first = store.tokens("acme", "goto_connect").load().refresh_token
        assert first and first != sb.credentials["refresh_token"]  # rotated and stored
        sb.faults.expire_access_tokens()
        assert create_provider("goto_connect", "acme", base_url=sb.base_url, store=store).fetch_calls(
            START, START
        )
        assert store.tokens("acme", "goto_connect").load().refresh_token not in (None, first)


def test_revoked_refresh_token_is_an_auth_error(make_provider, sandbox):
    with start_sandbox("goto_connect", seed=11) as sb:
        provider = create_provider("goto_connect", "acme", base_url=sb.base_url, credentials=sb.credentials)
        assert provider.test_connection().success
        sb.faults.revoke()
        with pytest.raises(AuthError, match="GoTo Connect"):
            provider.fetch_calls(START, START)


def test_one_time_consent_from_redirected_url(tmp_path):
    with start_sandbox("goto_connect", seed=11) as sb:
        store = CredentialStore(tmp_path)
        client = {k: v for k, v in sb.credentials.items() if k != "refresh_token"}
        store.save("acme", "goto_connect", {**client, "redirect_uri": sb.redirect_uri})
        provider = create_provider("goto_connect", "acme", base_url=sb.base_url, store=store)
        assert not provider.test_connection().success  # no refresh token yet
        url = provider.authorization_url()
        assert "response_type=code" in url and "client_secret" not in url
        redirected = httpx.get(url, follow_redirects=False).headers["location"]
        provider.complete_authorization(redirected)
        assert provider.test_connection().success
        assert store.tokens("acme", "goto_connect").load().refresh_token


def test_two_processes_refreshing_a_single_use_token(tmp_path):
    with start_sandbox("goto_connect", seed=11, rotate_refresh_tokens=True) as sb:
        CredentialStore(tmp_path).save("acme", "goto_connect", sb.credentials)
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=refresh_in_process, args=("goto_connect", sb.base_url, str(tmp_path), queue))
            for _ in range(3)
        ]
        [p.start() for p in procs]
        [p.join(60) for p in procs]
        assert sorted(queue.get(timeout=5) for _ in procs) == ["ok", "ok", "ok"]
        # The chain survives: the stored refresh token still works.
        provider = create_provider(
            "goto_connect", "acme", base_url=sb.base_url, store=CredentialStore(tmp_path)
        )
        provider.tokens.expire()
        assert provider.test_connection().success
