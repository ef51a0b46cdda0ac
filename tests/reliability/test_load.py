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

from perftel import create_provider
from perftel.download import download_recordings

LONG = bool(os.environ.get("PERFTEL_LONG_TESTS"))


def _serve(queue, name, options):
    from perftel.sandbox import start_sandbox

    sandbox = start_sandbox(name, seed=1, **options)
    queue.put((sandbox.base_url, sandbox.credentials))
    time.sleep(3600)


def listing_peak(name: str, calls_per_day: float, days: int, **options) -> tuple[int, float]:
    """(calls listed, peak traced MB) with the sandbox in another process, so only the client is measured."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    server = ctx.Process(target=_serve, args=(queue, name, {"calls_per_day": calls_per_day, **options}), daemon=True)
    server.start()
    try:
        base_url, credentials = queue.get(timeout=60)
        provider = create_provider(name, "acme", base_url=base_url, credentials=credentials)
        end = datetime(2026, 11, 20, tzinfo=timezone.utc)
        sum(1 for _ in provider.iter_calls(end - timedelta(hours=6), end))  # warm up: lazy imports, connections
        tracemalloc.start()
        try:
            count = sum(1 for _ in provider.iter_calls(end - timedelta(days=days), end))
            peak = tracemalloc.get_traced_memory()[1] / 1e6
        finally:
            tracemalloc.stop()
        return count, peak
    finally:
        server.terminate()


def test_listing_memory_does_not_grow_with_call_count():
    small_per_day, large_per_day = (1_000, 10_000) if LONG else (150, 600)
    small, small_peak = listing_peak("aircall", small_per_day, 10, enforce_rate_limit=False)
    large, large_peak = listing_peak("aircall", large_per_day, 10, enforce_rate_limit=False)
    assert large > 3.5 * small
    print(f"aircall: {small} calls → {small_peak:.1f} MB peak; {large} calls → {large_peak:.1f} MB peak")
    assert large_peak < 1.5 * small_peak + 1.0  # bounded by the page, not by the number of calls


def _fds() -> tuple[int, int]:
    names = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd") if os.path.exists(f"/proc/self/fd/{fd}")]
    return len(names), sum(n.startswith("socket:") for n in names)


def test_many_downloads_bounded_concurrency_no_leaked_handles(tmp_path, fast_retries):
    from perftel.sandbox import start_sandbox

    target = 1_000 if LONG else 150
    with start_sandbox("twilio", seed=5, calls_per_day=target / 3) as sandbox:
        provider = create_provider("twilio", "acme", base_url=sandbox.base_url, credentials=sandbox.credentials)
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
