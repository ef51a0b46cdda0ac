from __future__ import annotations

import pytest

import perftel
from perftel.errors import ApiError, AuthError, PerftelError, UnknownProviderError
from perftel.models import (
    CallMetadata,
    Direction,
    Participant,
    Recording,
    TranscriptionResult,
    TranscriptionSegment,
)


def test_all_names_resolve():
    for name in perftel.__all__:
        assert getattr(perftel, name) is not None, name


def test_unknown_provider_lists_valid_names():
    with pytest.raises(UnknownProviderError) as info:
        perftel.create_provider("nope", "acme")
    assert "goto_connect" in str(info.value)


@pytest.mark.parametrize("name", ["goto_connect", "GOTO_CONNECT", "GoTo_Connect", "goto-connect"])
def test_provider_names_case_insensitive(name):
    assert perftel.create_provider(name, "acme").name == "goto_connect"


def test_base_url_from_keyword_and_environment(monkeypatch):
    monkeypatch.setenv("PERFTEL_GOTO_CONNECT_BASE_URL", "http://127.0.0.1:9/")
    assert perftel.create_provider("goto_connect", "acme").base_url == "http://127.0.0.1:9"
    assert perftel.create_provider("goto_connect", "acme", base_url="http://x:1").base_url == "http://x:1"


@pytest.mark.parametrize("company", ["../other", "", "a/b", ".hidden", "x" * 65])
def test_hostile_company_ids_refused(company):
    with pytest.raises(perftel.ConfigError):
        perftel.create_provider("goto_connect", company)


def test_error_tree():
    assert issubclass(AuthError, ApiError) and issubclass(ApiError, PerftelError)
    assert perftel.RateLimitError("x", provider="p").retryable
    assert not AuthError("x", provider="p").retryable


def test_models_round_trip():
    from datetime import datetime, timezone

    call = CallMetadata(
        id="i",
        provider="goto_connect",
        external_id="e",
        direction=Direction.INBOUND,
        started_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        ended_at=None,
        duration_seconds=3.5,
        answered=True,
        participants=[Participant(name="Zoë", number="+1", role="customer")],
        recordings=[Recording(id="r", channel_roles={0: "agent", 1: "customer"})],
    )
    assert CallMetadata.from_dict(call.to_dict()) == call
    result = TranscriptionResult(
        "r", "hi", [TranscriptionSegment(0, 1, "hi", channel=0, speaker="agent")], "en", 1.0, "base"
    )
    assert TranscriptionResult.from_dict(result.to_dict()) == result
