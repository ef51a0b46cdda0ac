"""The on-disk listing spool: grouping and parent trees, whatever the order rows arrive in."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from perftel.providers.spool import Spool, micros


def leg(sid, parent=None, start=0):
    return sid, parent, start, {"sid": sid, "parent": parent}


def test_first_row_of_an_id_wins_and_groups_keep_listing_order():
    with Spool() as spool:
        assert (
            spool.add("t", [("a", "s1", 5, {"v": 1}), ("b", "s2", 1, {"v": 2}), ("c", "s1", 9, {"v": 3})])
            == 3
        )
        assert spool.add("t", [("a", "s1", 5, {"v": "again"})]) == 0
        assert spool.members("t", "s1") == [{"v": 1}, {"v": 3}]
        assert list(spool.groups("t")) == ["s2", "s1"]  # by earliest row
        assert spool.count("t") == 3


def test_parent_trees_cycles_and_deep_chains_lose_nothing():
    rows = [
        leg("child", "root", 3),
        leg("root", None, 1),
        leg("grandchild", "child", 4),
        leg("orphan", "gone", 2),
        leg("self", "self", 0),
        leg("x", "y", 7),
        leg("y", "x", 8),
    ]
    with Spool() as spool:
        spool.add("legs", reversed(rows))
        tops = [(r["sid"], is_root) for r, is_root in spool.tops("legs", 8)]
        assert tops == [
            ("self", True),
            ("root", True),
            ("orphan", True),
            ("x", False),
            ("y", False),
        ]  # a cycle: kept
        assert [r["sid"] for r in spool.descendants("legs", "root", 8)] == [
            "grandchild",
            "child",
        ]  # listing order
        assert spool.descendants("legs", "self", 8) == []
        assert [r["sid"] for r in spool.descendants("legs", "root", 1)] == ["child"]
        assert ("grandchild", False) in [
            (r["sid"], is_root) for r, is_root in spool.tops("legs", 1)
        ]  # too deep: kept


def test_micros_is_exact_and_the_file_never_shows(tmp_path, monkeypatch):
    moment = datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=timezone.utc)
    assert micros(moment) == 1_795_168_800_123_456 and micros(None) is None
    # a private temporary folder (SQLite reads these each time it makes a file), so other processes' files in
    # /tmp cannot make the check fail
    monkeypatch.setenv("SQLITE_TMPDIR", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with Spool() as spool:
        spool.add("t", ([str(i), None, i, {"i": i}] for i in range(20_000)))  # more than the page cache
        assert spool.count("t") == 20_000
        assert os.listdir(tmp_path) == []  # unlinked at once
