"""The one connect flow (perftel.providers.connect) against the sandboxes: test, then save; nothing saved on
failure; saved credentials replaced only when asked; the one-time consent; secrets never in a message."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from perftel.credentials import CredentialStore
from perftel.errors import AuthError, NetworkError
from perftel.providers import create_provider
from perftel.providers.connect import AccountConnection, Outcome, connect_account
from perftel_sandbox import start_sandbox

#: the secret field each provider's sandbox refuses when it is wrong
WRONG = {"goto_connect": "client_secret", "twilio": "auth_token", "ringcentral": "client_secret"}
#: a required field of each provider
REQUIRED = {"goto_connect": "client_id", "twilio": "account_sid", "ringcentral": "jwt"}


@pytest.fixture(params=sorted(WRONG))
def sb(request):
    with start_sandbox(request.param) as sandbox:
        yield sandbox


@pytest.fixture
def store(tmp_path: Path) -> CredentialStore:
    return CredentialStore(tmp_path / "config", secret_key="test-passphrase")


def saved_files(store: CredentialStore) -> list[Path]:
    return sorted(store.root.rglob("*.enc"))


def secrets_of(sb) -> list[str]:
    return [v for k, v in sb.credentials.items() if k not in ("client_id", "account_sid", "api_id")]


def everything_said(result) -> str:
    return result.message + " ".join(result.errors.values()) + (result.authorization_url or "")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_working_connection_is_saved_and_works_from_the_store(sb, store):
    result = connect_account(sb.provider, "acme", sb.credentials, base_url=sb.base_url, store=store)
    assert result.outcome is Outcome.CONNECTED and result.saved and result.success, result.message
    assert f"Connected to {result.display_name}" in result.message and "saved" in result.message
    saved = store.load("acme", sb.provider)
    assert {k: saved[k] for k in saved} == {k: v for k, v in sb.credentials.items() if k != "refresh_token"}
    for secret in secrets_of(sb):
        assert secret not in everything_said(result) and secret not in repr(result)
    with create_provider(sb.provider, "acme", base_url=sb.base_url, store=store) as provider:
        assert provider.test_connection().success


def test_a_failed_test_saves_nothing_and_names_the_field(sb, store):
    field = WRONG[sb.provider]
    before = len(sb.requests)
    result = connect_account(
        sb.provider,
        "acme",
        {**sb.credentials, field: "wrong-secret-value"},
        base_url=sb.base_url,
        store=store,
    )
    assert result.outcome is Outcome.FAILED and not result.saved and not result.success
    assert len(sb.requests) > before  # the provider was asked, and said no
    assert saved_files(store) == []
    assert result.error_type is not None and issubclass(result.error_type, AuthError)
    assert field in result.errors and "Nothing was saved" in result.message
    assert "wrong-secret-value" not in everything_said(result)


def test_missing_fields_are_named_before_any_request(sb, store):
    field = REQUIRED[sb.provider]
    before = len(sb.requests)
    values = {k: v for k, v in sb.credentials.items() if k != field}
    result = connect_account(sb.provider, "acme", values, base_url=sb.base_url, store=store)
    assert result.outcome is Outcome.INVALID and result.errors == {field: "Required."}
    assert len(sb.requests) == before and saved_files(store) == []


def test_saved_credentials_are_replaced_only_when_asked(sb, store):
    field = WRONG[sb.provider]
    assert connect_account(sb.provider, "acme", sb.credentials, base_url=sb.base_url, store=store).saved
    kept = store.load("acme", sb.provider)
    before = len(sb.requests)
    other = {**sb.credentials, field: "another-secret-value"}
    result = connect_account(sb.provider, "acme", other, base_url=sb.base_url, store=store)
    assert (
        result.outcome is Outcome.EXISTS
        and "replace" in result.errors
        and "already has saved" in result.message
    )
    assert len(sb.requests) == before and store.load("acme", sb.provider) == kept
    # asked to replace, but the new ones fail: the working ones stay
    result = connect_account(sb.provider, "acme", other, base_url=sb.base_url, store=store, replace=True)
    assert result.outcome is Outcome.FAILED and store.load("acme", sb.provider) == kept
    result = connect_account(
        sb.provider, "acme", sb.credentials, base_url=sb.base_url, store=store, replace=True
    )
    assert result.outcome is Outcome.CONNECTED


def test_without_a_test_the_fields_are_saved_as_given_and_nothing_is_contacted(sb, store):
    before = len(sb.requests)
    result = connect_account(
        sb.provider, "acme", sb.credentials, base_url=sb.base_url, store=store, test=False
    )
    assert result.outcome is Outcome.SAVED_UNTESTED and result.saved and not result.success
    assert len(sb.requests) == before and "untested" in result.message
    assert "perftel test-connection" in result.message
    assert store.exists("acme", sb.provider)


def test_an_unreachable_base_url_is_said_at_once(store):
    with start_sandbox("twilio") as sb:
        credentials = sb.credentials
    url = f"http://127.0.0.1:{closed_port()}"
    result = connect_account("twilio", "acme", credentials, base_url=url, store=store)
    assert result.outcome is Outcome.FAILED and result.error_type is NetworkError
    assert "Nothing answers at 127.0.0.1" in result.errors["base_url"]
    assert saved_files(store) == [] and credentials["auth_token"] not in everything_said(result)


def test_bad_input_is_named_per_field(store):
    result = connect_account("goto_connect", "../etc", {}, base_url="ftp://x", store=store)
    assert result.outcome is Outcome.INVALID
    assert set(result.errors) == {"company_id", "base_url", "client_id", "client_secret"}
    result = connect_account("skype", "acme", {}, store=store)
    assert result.outcome is Outcome.INVALID and "Valid providers" in result.errors["provider"]
    # alternatives checked by the provider itself: Twilio needs an Auth Token or an API key pair
    result = connect_account("twilio", "acme", {"account_sid": "AC123"}, store=store)
    assert result.outcome is Outcome.INVALID and "auth_token" in result.message
    assert saved_files(store) == []


# -- the one-time consent (GoTo Connect without a refresh token) -------------------------------------
@pytest.fixture
def goto():
    with start_sandbox("goto_connect", rotate_refresh_tokens=True) as sandbox:
        yield sandbox


def approve(url: str) -> str:
    """What the user's browser ends on after approving (the sandbox approves at once)."""
    return httpx.get(url, follow_redirects=False, timeout=10).headers["location"]


def test_the_consent_in_two_steps_saves_only_once_it_works(goto, store):
    client = {**goto.credentials, "refresh_token": "", "redirect_uri": goto.redirect_uri}
    with AccountConnection("goto_connect", "acme", client, base_url=goto.base_url, store=store) as attempt:
        assert goto.credentials["client_secret"] not in repr(attempt)
        started = attempt.start()
        assert started.outcome is Outcome.NEEDS_CONSENT and attempt.pending
        assert "/oauth/authorize?" in started.authorization_url and saved_files(store) == []
        no_code = attempt.complete_consent("http://127.0.0.1/callback?state=x")
        assert no_code.outcome is Outcome.INVALID and "code" in no_code.errors and attempt.pending
        redirected = approve(started.authorization_url)
        code = httpx.URL(redirected).params["code"]
        done = attempt.complete_consent(redirected)
        assert done.outcome is Outcome.CONNECTED, done.message
        assert not attempt.pending and code not in everything_said(done)
    assert store.list("acme")[0].has_tokens
    # the refresh token the consent gave (rotated by the test) is the one saved: it works from the store
    with create_provider("goto_connect", "acme", base_url=goto.base_url, store=store) as provider:
        assert provider.test_connection().success


def test_connect_account_asks_for_the_consent_inline(goto, store):
    client = {**goto.credentials, "refresh_token": "", "redirect_uri": goto.redirect_uri}
    asked: list[str] = []

    def consent(url: str) -> str:
        asked.append(url)
        return approve(url)

    result = connect_account(
        "goto_connect", "acme", client, base_url=goto.base_url, store=store, consent=consent
    )
    assert result.outcome is Outcome.CONNECTED and len(asked) == 1
    refused = connect_account(
        "goto_connect",
        "beta",
        client,
        base_url=goto.base_url,
        store=store,
        consent=lambda url: "http://127.0.0.1/callback?error=access_denied",
    )
    assert refused.outcome is Outcome.FAILED and "refused" in refused.message
    assert not store.exists("beta", "goto_connect")
    unanswered = connect_account(
        "goto_connect", "gamma", client, base_url=goto.base_url, store=store, consent=lambda url: None
    )
    assert unanswered.outcome is Outcome.NEEDS_CONSENT and not store.exists("gamma", "goto_connect")
