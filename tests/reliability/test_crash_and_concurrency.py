"""SIGKILL the pipeline at random points and rerun; run two syncs of one company at once.

Both must end with exactly the data of one uninterrupted run: same files, same bytes, no duplicates,
no orphaned temporary files. ``PERFTEL_LONG_TESTS=1`` kills many more times (figures in
docs/RELIABILITY.md).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.snapshots import snapshot

REPO = Path(__file__).resolve().parents[2]
KILLS = 25 if os.environ.get("PERFTEL_LONG_TESTS") else 4


def start_child(sandbox, data_dir: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reliability.child",
            sandbox.provider_name,
            sandbox.base_url,
            str(data_dir),
        ],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CHILD_CREDENTIALS": json.dumps(sandbox.credentials)},
    )
    return proc


def finish(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def uninterrupted(sandbox, make_provider, tmp_path):
    result = finish(start_child(sandbox, tmp_path / "clean"))
    return snapshot(tmp_path / "clean" / "acme"), result["failed"]


def test_killed_at_random_points_then_rerun_gives_the_same_data(
    sandbox, make_provider, uninterrupted, tmp_path
):
    expected_files, expected_failures = uninterrupted
    folder = tmp_path / "killed"
    rng = random.Random(sandbox.provider_name)
    sandbox.faults.slow_seconds = 0.4  # stretch the run so kills land in every step
    kills = 0
    try:
        for _ in range(KILLS):
            proc = start_child(sandbox, folder)
            time.sleep(rng.uniform(0.6, 2.2))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(30)
    finally:
        sandbox.faults.slow_seconds = 0
    result = finish(start_child(sandbox, folder))
    print(f"{sandbox.provider_name}: killed {kills} of {KILLS} runs; {len(expected_files)} files identical")
    assert kills >= 1
    assert result["failed"] == expected_failures
    assert snapshot(folder / "acme") == expected_files
    assert not [p for p in folder.rglob("*") if p.name.endswith(".part")]  # no orphans


def test_two_processes_syncing_one_company_at_once(sandbox, make_provider, uninterrupted, tmp_path):
    expected_files, expected_failures = uninterrupted
    folder = tmp_path / "shared"
    first, second = start_child(sandbox, folder), start_child(sandbox, folder)
    results = [finish(first), finish(second)]
    assert all(r["failed"] == expected_failures for r in results)
    assert snapshot(folder / "acme") == expected_files
    assert not [p for p in folder.rglob("*") if p.name.endswith(".part")]
