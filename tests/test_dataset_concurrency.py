"""Readers never block writers: two processes, one reading the dataset while the other updates it.

Every update here adds calls *with* their transcripts (2 segments each), so a consistent store always
has segments == 2 × calls; one query reads both tables, so a reader that saw half an update would see
them disagree.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from perftel.dataset import open_dataset, update_dataset
from perftel.storage import CompanyStorage
from tests.dataset_helpers import add_call

LINES = [("agent", "Bom dia"), ("customer", "Minha conta")]
ROOT = Path(__file__).resolve().parents[1]

LOOPING_READER = textwrap.dedent("""
    import os, sys, threading
    from perftel.dataset import open_dataset
    ds = open_dataset("acme", sys.argv[1], update=False)
    query = "SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM segments)"
    print("open", *ds.sql(query).fetchall()[0], flush=True)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), done.set()), daemon=True).start()
    seen = []
    while not done.is_set():
        seen.append(ds.sql(query).fetchall()[0])
    seen.append(ds.sql(query).fetchall()[0])
    print("queries", len(seen), flush=True)
    for state in sorted(set(seen)):
        print("state", *state, flush=True)
""")


def _python(code: str, *args: str) -> subprocess.Popen:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


@pytest.mark.timeout(300)
def test_a_reading_process_never_blocks_updates_and_sees_whole_states(tmp_path):
    storage = CompanyStorage("acme", tmp_path).ensure()
    for n in range(5):
        add_call(storage, n, LINES)
    update_dataset("acme", tmp_path)
    reader = _python(LOOPING_READER, str(tmp_path))
    try:
        assert reader.stdout.readline().split() == ["open", "5", "10"]
        # The reader is now querying in a loop while this process updates the store eight times
        # (the compaction rewrites parts under it too).
        for batch in range(8):
            for n in range(100 + 10 * batch, 103 + 10 * batch):
                add_call(storage, n, LINES)
            report = update_dataset("acme", tmp_path)
            assert report.added == 6 and not report.skipped
        reader.stdin.write("stop\n")
        reader.stdin.flush()
        out, err = reader.communicate(timeout=120)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0, err
    lines = out.splitlines()
    assert int(lines[0].split()[1]) > 0
    states = [tuple(int(x) for x in line.split()[1:]) for line in lines[1:]]
    assert all(segments == 2 * calls for calls, segments in states), states  # never half an update
    assert {calls for calls, _ in states} <= {5 + 3 * k for k in range(9)}
    assert states[-1] == (29, 58)  # and at the end, the last update


@pytest.mark.timeout(300)
def test_an_updating_process_is_not_blocked_by_an_open_dataset(tmp_path):
    storage = CompanyStorage("acme", tmp_path).ensure()
    for n in range(3):
        add_call(storage, n, LINES)
    with open_dataset("acme", tmp_path) as ds:
        relation = ds.sql("SELECT count(*) FROM calls")  # a query held open across the update
        assert relation.fetchall() == [(3,)]
        for n in range(3, 6):
            add_call(storage, n, LINES)
        index = subprocess.run(
            [sys.executable, "-m", "perftel.cli", "index", "--company", "acme", "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=120,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            cwd=ROOT,
        )
        assert index.returncode == 0, index.stderr
        assert "6 new" in index.stdout
        assert ds.sql("SELECT count(*) FROM calls").fetchall() == [(6,)]
        assert len(ds.segments()) == 12
