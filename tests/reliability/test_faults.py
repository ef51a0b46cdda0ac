"""Fault injection against every provider's sandbox: nothing lost, nothing doubled, nothing half-written.

Each fault is switched on for a few requests during a whole pipeline run; the data on disk must be
identical to a clean run's, and the only failures the ones a clean run has too (recordings the
provider is still processing). Faults that outlast the retries are reported, and a rerun completes.
"""

from __future__ import annotations

import pytest

import perftel.http.client as http_client
from perftel import run_pipeline
from tests.reliability.conftest import DAY, HeaderTranscriber
from tests.snapshots import snapshot

RECOVERABLE = {
    "rate_limit_burst": 3,  # 429 storm (with or without Retry-After, by provider)
    "server_errors": 3,  # 5xx burst
    "connection_resets": 2,  # the server hangs up
    "malformed_json": 2,  # a 200 whose JSON is cut in half
    "truncate_media": 2,  # media shorter than its Content-Length
    "wrong_content_type": 2,  # an HTML page instead of audio
    "stall_requests": 2,  # answers slower than the client's time-out
}
PAGE_SIZES = {  # module constant per driver: pages of two, so that one day's listing has many pages
    "goto_connect": ("perftel.providers.goto_connect.driver", "PAGE_SIZE"),
    "twilio": ("perftel.providers.twilio.driver", "PAGE_SIZE"),
    "aircall": ("perftel.providers.aircall.driver", "PER_PAGE"),
    "ringcentral": ("perftel.providers.ringcentral.driver", "PAGE_SIZE"),
}


def run(provider, folder):
    return run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=HeaderTranscriber(), data_dir=folder
    )


@pytest.fixture(scope="module")
def clean(sandbox, tmp_path_factory):
    from perftel import create_provider

    folder = tmp_path_factory.mktemp(f"clean-{sandbox.provider_name}")
    sandbox.faults.reset()
    provider = create_provider(
        sandbox.provider_name, "acme", base_url=sandbox.base_url, credentials=sandbox.credentials
    )
    result = run(provider, folder)
    assert result.calls and result.transcribed, "the sandbox has recorded calls that day"
    return snapshot(folder / "acme"), sorted(f.item for f in result.failed)


@pytest.mark.parametrize("fault", sorted(RECOVERABLE))
def test_recoverable_faults_change_nothing(
    fault, sandbox, make_provider, clean, tmp_path, fast_retries, monkeypatch
):
    monkeypatch.setattr(http_client, "DEFAULT_TIMEOUT", 0.5)
    sandbox.faults.stall_seconds = 1.0
    setattr(sandbox.faults, fault, RECOVERABLE[fault])
    result = run(make_provider(), tmp_path)
    expected_files, expected_failures = clean
    assert sorted(f.item for f in result.failed) == expected_failures, [f.reason for f in result.failed]
    assert snapshot(tmp_path / "acme") == expected_files
    assert getattr(sandbox.faults, fault) == 0, "the fault was exercised"
    assert not list(tmp_path.rglob("*.part"))


def test_small_and_repeated_pages_change_nothing(
    sandbox, make_provider, clean, tmp_path, fast_retries, monkeypatch
):
    """Pages of two rows, and twice the previous page served again instead of the next one."""
    module, name = PAGE_SIZES[sandbox.provider_name]
    monkeypatch.setattr(f"{module}.{name}", 2)
    sandbox.faults.repeat_pages = 2
    result = run(make_provider(), tmp_path)
    expected_files, expected_failures = clean
    assert sorted(f.item for f in result.failed) == expected_failures, [f.reason for f in result.failed]
    assert snapshot(tmp_path / "acme") == expected_files
    assert sandbox.faults.repeat_pages == 0, "the fault was exercised"
    sandbox.faults.repeat_pages = 2  # the driver itself lists no call twice (not only the pipeline)
    ids = [c.id for c in make_provider().fetch_calls(DAY, DAY)]
    assert sandbox.faults.repeat_pages == 0 and len(ids) == len(set(ids)) == len(result.calls)


def test_recordings_that_vanish_are_reported_then_a_rerun_completes(
    sandbox, make_provider, clean, tmp_path, fast_retries
):
    sandbox.faults.vanish_media = 2
    first = run(make_provider(), tmp_path)
    expected_files, expected_failures = clean
    vanished = [f for f in first.failed if f.item not in expected_failures]
    assert len(vanished) >= 1 and all(f.step == "download" for f in vanished)
    assert not list(tmp_path.rglob("*.part"))
    second = run(make_provider(), tmp_path)
    assert sorted(f.item for f in second.failed) == expected_failures
    assert snapshot(tmp_path / "acme") == expected_files


def test_long_outage_is_reported_then_a_rerun_completes(
    sandbox, make_provider, clean, tmp_path, fast_retries
):
    sandbox.faults.server_errors = 10_000
    outage = run(make_provider(), tmp_path)
    assert outage.failed and not outage.transcribed
    sandbox.faults.server_errors = 0
    again = run(make_provider(), tmp_path)
    expected_files, expected_failures = clean
    assert sorted(f.item for f in again.failed) == expected_failures
    assert snapshot(tmp_path / "acme") == expected_files


def test_expired_tokens_mid_run_are_renewed(sandbox, make_provider, clean, tmp_path, fast_retries):
    expire = getattr(sandbox.faults, "expire_access_tokens", None)
    provider = make_provider()
    assert provider.test_connection().success
    if expire is None:  # Twilio and Aircall use static keys: no token to expire
        assert sandbox.provider_name in ("twilio", "aircall")
        return
    expire()
    result = run(provider, tmp_path)
    assert snapshot(tmp_path / "acme") == clean[0]
    assert sorted(f.item for f in result.failed) == clean[1]


def test_revoked_credentials_mid_run_fail_cleanly(sandbox, make_provider, tmp_path, fast_retries):
    provider = make_provider()
    assert provider.test_connection().success
    sandbox.faults.revoke()
    try:
        result = run(provider, tmp_path)
        assert result.failed and not result.transcribed
        secret_fields = {f.name for f in provider.credential_fields if f.secret}
        secrets = [v for k, v in sandbox.credentials.items() if k in secret_fields]
        assert secrets and not [f for f in result.failed for s in secrets if s in f.reason]
        assert not list(tmp_path.rglob("*.part"))
    finally:
        sandbox.faults.reset()
