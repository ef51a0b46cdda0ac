from __future__ import annotations

import os
from datetime import date, datetime, timezone

import pytest

from perftel.dates import iso_z, last_days, to_utc, utc_range, windows
from perftel.errors import ConfigError, StorageError
from perftel.files import atomic_open, inside, remove_stale_partials, safe_name, write_json_atomic


@pytest.mark.parametrize(
    "hostile", ["../../x", "/etc/passwd", "..", ".", "a/b", "a\\b", "", "x" * 300, "ü-ñ"]
)
def test_safe_name_never_escapes(tmp_path, hostile):
    name = safe_name(hostile)
    assert "/" not in name and "\\" not in name and name not in {"", ".", ".."}
    assert len(name) <= 80
    assert inside(tmp_path, name).parent == tmp_path.resolve()


def test_safe_name_keeps_plain_ids_and_separates_different_ones():
    assert safe_name("bbd0b35c-32e1-4c5f-b1be-7f8fdbe015f2") == "bbd0b35c-32e1-4c5f-b1be-7f8fdbe015f2"
    assert safe_name("a/b") != safe_name("a_b")


def test_inside_refuses_escape(tmp_path):
    with pytest.raises(StorageError):
        inside(tmp_path, "../outside")


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "f.json"
    with pytest.raises(RuntimeError), atomic_open(target, "w", encoding="utf-8") as handle:
        handle.write("half")
        raise RuntimeError("crash")
    assert os.listdir(tmp_path) == []
    write_json_atomic(target, {"a": 1})
    assert target.read_text() == '{\n  "a": 1\n}\n'


def test_dates():
    start, end = utc_range("2026-11-01", date(2026, 11, 1))
    assert start == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert (end - start).days == 1  # a bare end date includes the whole day
    with pytest.raises(ConfigError, match="before the start"):
        utc_range("2026-11-02", "2026-11-01")
    with pytest.raises(ConfigError, match="not a date"):
        to_utc("yesterday")
    lo, hi = last_days(7, now=datetime(2026, 11, 26, 12, tzinfo=timezone.utc))
    assert lo == datetime(2026, 11, 20, tzinfo=timezone.utc) and hi.day == 26
    parts = list(
        windows(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 3, 15, tzinfo=timezone.utc), 31)
    )
    assert all((b - a).days <= 31 for a, b in parts) and parts[0][0].month == 1 and parts[-1][1].month == 3
    assert all(parts[i][1] == parts[i + 1][0] for i in range(len(parts) - 1))
    assert iso_z(datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)) == "2026-01-02T03:04:05.678Z"


def test_stale_partials_are_removed_fresh_ones_kept(tmp_path):
    stale, fresh, done = tmp_path / ".a.wav.x.part", tmp_path / ".b.wav.y.part", tmp_path / "c.wav"
    for path in (stale, fresh, done):
        path.write_bytes(b"x")
    os.utime(stale, (1, 1))
    assert remove_stale_partials(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".b.wav.y.part", "c.wav"]
