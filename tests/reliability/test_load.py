"""Load: listing memory bounded by page size, many downloads with bounded concurrency and no leaks.

Default sizes keep `make test` quick; ``PERFTEL_LONG_TESTS=1`` runs the sizes quoted in
docs/RELIABILITY.md (100,000 calls listed, 1,000 recordings downloaded).
"""

from __future__ import annotations

import multiprocessing
import os
import time
import tracemalloc
from datetime import datetime, timedelta, timezone

import pytest

from perftel import create_provider
from perftel.download import download_recordings

LONG = bool(os.environ.get("PERFTEL_LONG_TESTS"))


def _serve(queue, name, options):
    from perftel_sandbox import start_sandbox

    sandbox = start_sandbox(name, seed=1, **options)
    queue.put((sandbox.base_url, sandbox.credentials))
    time.sleep(3600)


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":")) / 1024


def _list(queue, name, base_url, credentials, days):
    """In a fresh process: list ``days`` of calls; report (calls, peak traced MB, peak RSS growth MB)."""
    provider = create_provider(name, "acme", base_url=base_url, credentials=credentials)
    provider.requests_per_second = 500.0  # GoTo paces itself at its documented limit; the sandbox needs none
    end = datetime(2026, 11, 20, tzinfo=timezone.utc)
    sum(1 for _ in provider.iter_calls(end - timedelta(hours=6), end))  # warm up: lazy imports, connections
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # restart the RSS high-water mark (C memory such as SQLite's is not traced)
    before = _rss_mb("VmRSS")
    tracemalloc.start()
    count = sum(1 for _ in provider.iter_calls(end - timedelta(days=days), end))
    traced = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    queue.put((count, traced, _rss_mb("VmHWM") - before))


def listing_peak(name: str, calls_per_day: float, days: int, **options) -> tuple[int, float, float]:
    """(calls listed, peak traced MB, peak RSS growth MB): sandbox and client each in their own process."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    server = ctx.Process(
        target=_serve, args=(queue, name, {"calls_per_day": calls_per_day, **options}), daemon=True
    )
    server.start()
    try:
        base_url, credentials = queue.get(timeout=60)
        client = ctx.Process(target=_list, args=(queue, name, base_url, credentials, days), daemon=True)
        client.start()
        try:
            return queue.get(timeout=1800)
        finally:
            client.join(10)
    finally:
        server.terminate()


LISTING_OPTIONS = {
    "aircall": {"enforce_rate_limit": False},
    "twilio": {"concurrency_limit": 0},
    "ringcentral": {"heavy_limit": 100_000, "rate_limits": {"Auth": 1000, "Light": 1000, "Medium": 1000}},
    "goto_connect": {"enforce_rate_limit": False},
}


@pytest.mark.parametrize("name", sorted(LISTING_OPTIONS))
def test_listing_memory_does_not_grow_with_call_count(name):
    small_per_day, large_per_day = (1_000, 10_000) if LONG else (150, 600)
    if name == "goto_connect":  # one report request per call
        small_per_day, large_per_day = (200, 1_000) if LONG else (30, 120)
    small, small_traced, small_rss = listing_peak(name, small_per_day, 10, **LISTING_OPTIONS[name])
    large, large_traced, large_rss = listing_peak(name, large_per_day, 10, **LISTING_OPTIONS[name])
    print(
        f"{name}: {small} calls → {small_traced:.1f} MB traced, +{small_rss:.1f} MB RSS; "
        f"{large} calls → {large_traced:.1f} MB traced, +{large_rss:.1f} MB RSS"
    )
    assert large > 3.5 * small
    assert large_traced < 1.5 * small_traced + 1.0  # bounded by the page, not by the number of calls
    assert large_rss < 1.5 * small_rss + 8.0  # the same for memory Python does not trace (SQLite's)


def _fds() -> tuple[int, int]:
    names = [
        os.readlink(f"/proc/self/fd/{fd}")
        for fd in os.listdir("/proc/self/fd")
        if os.path.exists(f"/proc/self/fd/{fd}")
    ]
    return len(names), sum(n.startswith("socket:") for n in names)


def test_many_downloads_bounded_concurrency_no_leaked_handles(tmp_path, fast_retries):
    from perftel_sandbox import start_sandbox

    target = 1_000 if LONG else 150
    with start_sandbox("twilio", seed=5, calls_per_day=target / 3) as sandbox:
        provider = create_provider(
            "twilio", "acme", base_url=sandbox.base_url, credentials=sandbox.credentials
        )
        calls = provider.fetch_calls("2026-11-10", "2026-11-16")
        recordings = sum(len(c.recordings) for c in calls)
        assert recordings >= target
        before = _fds()
        report = download_recordings(provider, calls, tmp_path, prefix="t", max_workers=4)
        provider.close()
        time.sleep(0.2)
        after = _fds()
        assert not report.failures and len(report.recordings) == recordings
        assert len(list(tmp_path.iterdir())) == recordings
        assert sandbox.max_in_flight <= 4  # the client never has more than 4 requests open
        assert after[0] <= before[0] and after[1] <= before[1], (before, after)
