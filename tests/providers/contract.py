"""The provider contract, written once and inherited by every provider's test module.

A subclass provides the fixtures ``sandbox`` (a running emulator), ``make_provider(**overrides)``
(a driver pointed at it), ``expected_ids(start, end)`` (the provider's own ids of the calls the
emulator holds) and ``bad_credentials``; :func:`contract_fixtures` makes all four.
"""

from __future__ import annotations

import wave
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from perftel import create_provider, run_pipeline
from perftel.credentials import CredentialStore
from perftel.errors import AuthError, PerftelError, RecordingNotReadyError
from perftel.models import CallMetadata, Direction
from perftel_sandbox import start_sandbox

START, END = "2026-11-16", "2026-11-18"  # a fixed past window: three whole days


def contract_fixtures(
    name: str, *, call_id: Callable[[dict], str], wrong: dict[str, str], **sandbox_options: Any
):
    """The four fixtures for provider ``name``: assign them to the same names in the test module."""

    @pytest.fixture(scope="module")
    def sandbox():
        with start_sandbox(name, seed=11, **sandbox_options) as sb:
            yield sb

    @pytest.fixture
    def make_provider(sandbox):
        def make(**overrides):
            options = {"base_url": sandbox.base_url, "credentials": sandbox.credentials, **overrides}
            return create_provider(name, "acme", **options)

        return make

    @pytest.fixture
    def expected_ids(sandbox):
        return lambda lo, hi: [call_id(c) for c in sandbox.expected_calls(lo, hi)]

    @pytest.fixture
    def bad_credentials(sandbox):
        return {**sandbox.credentials, **wrong}

    return sandbox, make_provider, expected_ids, bad_credentials


def refresh_in_process(name: str, base_url: str, config_dir: str, queue) -> None:
    """A child process's target: force one token refresh of company ``acme``; put "ok" or the error."""
    provider = create_provider(name, "acme", base_url=base_url, store=CredentialStore(config_dir))
    try:
        provider.tokens.expire()
        provider.tokens.access_token()
        queue.put("ok")
    except Exception as exc:  # reported to the parent
        queue.put(f"{type(exc).__name__}: {exc}")


class ProviderContract:
    def test_connection_succeeds(self, make_provider):
        status = make_provider().test_connection()
        assert status.success, status.message
        assert status.message

    def test_wrong_credentials_give_auth_error_naming_provider(
        self, make_provider, bad_credentials, tmp_path
    ):
        provider = make_provider(credentials=bad_credentials)
        status = provider.test_connection()
        assert not status.success and provider.display_name in status.message
        with pytest.raises(AuthError) as info:
            provider.fetch_calls(START, END)
        assert info.value.provider == provider.display_name
        result = run_pipeline(
            make_provider(credentials=bad_credentials), start_date=START, end_date=END, data_dir=tmp_path
        )
        assert result.failed and result.failed[0].step == "login" and not result.calls
        assert list(tmp_path.iterdir()) == []  # nothing written

    def test_fetch_calls_lists_every_call_once(self, make_provider, expected_ids):
        calls = make_provider().fetch_calls(START, END)
        ids = [c.external_id for c in calls]
        assert len(ids) == len(set(ids))
        lo, hi = datetime(2026, 11, 16, tzinfo=timezone.utc), datetime(2026, 11, 19, tzinfo=timezone.utc)
        assert sorted(ids) == sorted(expected_ids(lo, hi))
        assert len(ids) > 5

    def test_calls_are_normalised(self, make_provider):
        provider = make_provider()
        calls = provider.fetch_calls(START, END)
        for call in calls:
            assert isinstance(call, CallMetadata)
            assert call.provider == provider.name and call.external_id
            assert isinstance(call.direction, Direction)
            assert call.started_at.tzinfo is not None
            assert call.ended_at is None or call.ended_at >= call.started_at
            assert call.duration_seconds >= 0
            assert isinstance(call.answered, bool)
            assert all(r.id for r in call.recordings)
            assert CallMetadata.from_dict(call.to_dict()) == call
        assert {c.direction for c in calls} == {Direction.INBOUND, Direction.OUTBOUND}
        assert any(c.answered for c in calls) and any(not c.answered for c in calls)
        assert any(c.recordings for c in calls)
        again = {c.external_id: c.id for c in make_provider().fetch_calls(START, END)}
        assert again == {c.external_id: c.id for c in calls}  # stable ids across runs

    def test_answered_only(self, make_provider):
        calls = make_provider().fetch_calls(START, END, answered_only=True)
        assert calls and all(c.answered for c in calls)

    def test_download_recording_gives_complete_audio(self, make_provider, tmp_path):
        provider = make_provider()
        calls = [c for c in provider.fetch_calls(START, END) if c.recordings]
        done = 0
        for call in calls:
            try:
                path = provider.download_recording(call.recordings[0].id, tmp_path, "t")
            except RecordingNotReadyError:  # still processing at the provider: reported, not crashed
                continue
            assert path.parent == tmp_path and path.name.startswith("t_")
            if path.suffix == ".wav":
                with wave.open(str(path)) as w:
                    assert w.getnframes() > 0
            done += 1
        assert done >= 1
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial files left

    def test_hostile_recording_ids_never_escape(self, make_provider, tmp_path):
        provider = make_provider()
        out = tmp_path / "out"
        out.mkdir()
        for hostile in ("../../x", "/etc/passwd", "..", "a/../../b"):
            with pytest.raises(PerftelError):
                provider.download_recording(hostile, out, "t")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and list(out.iterdir()) == []
