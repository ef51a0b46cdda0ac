"""A listing spooled to a private temporary SQLite database, so that legs can be folded into calls
whatever order a provider lists them in, with memory bounded by a page, not by the number of calls.

Providers do not promise an order (Twilio documents none; RingCentral's may change), and a call's legs
can be pages apart. Holding the whole listing in memory to group them costs ~12 KB per call; here the
rows go to disk as compressed JSON (~0.5–1 KB each) and SQLite keeps at most ``CACHE_KIB`` of them in memory.

SQLite unlinks the file the moment it creates it (``connect("")``), so nothing is left behind, even
after a crash. The rows are call metadata (numbers, names) as the provider sent them, never secrets.

Each table holds rows with an ``id`` (the first row of an id wins: repeated pages change nothing), a
``grp`` (a parent id or session key) and a ``start`` (integer microseconds, for ordering), in listing
order.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

CACHE_KIB = 2048
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAME = re.compile(r"^[a-z_]+$")

Row = dict[str, Any]


def _pack(row: Row) -> bytes:
    return zlib.compress(json.dumps(row, separators=(",", ":")).encode(), 1)


def _unpack(body: bytes) -> Row:
    return json.loads(zlib.decompress(body))


def micros(moment: datetime | None) -> int | None:
    """Exact integer microseconds since the epoch (sortable in SQL), or None."""
    return None if moment is None else (moment - _EPOCH) // timedelta(microseconds=1)


class Spool:
    """Tables of listed rows on a private temporary database; use as a context manager.

    Table names are lower-case letters and ``_`` (ValueError otherwise). Not for concurrent use.
    """

    def __init__(self) -> None:
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA temp_store = FILE")
        self._tables: set[str] = set()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database; its (already unlinked) file is freed."""
        self._db.close()

    def _table(self, name: str) -> str:
        if name not in self._tables:
            if not _NAME.match(name):
                raise ValueError(f"bad spool table name {name!r}")
            self._db.execute(
                f"CREATE TABLE {name} (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, grp TEXT, start INTEGER,"
                " body BLOB NOT NULL)"
            )
            self._db.execute(f"CREATE INDEX {name}_grp ON {name} (grp)")
            self._tables.add(name)
        return name

    def add(self, table: str, rows: Iterable[tuple[str, str | None, int | None, Row]]) -> int:
        """Store ``(id, group, start, row)`` tuples as they stream in (an id seen before is ignored).

        ``start`` is :func:`micros` (or None); ``row`` any JSON-serialisable dict. Returns how many were new.
        """
        t = self._table(table)
        before = self._db.total_changes
        self._db.executemany(
            f"INSERT OR IGNORE INTO {t} (id, grp, start, body) VALUES (?, ?, ?, ?)",
            ((i, g, s, _pack(row)) for i, g, s, row in rows),
        )
        return self._db.total_changes - before

    def clear(self, table: str) -> None:
        """Delete every row of ``table``."""
        self._db.execute(f"DELETE FROM {self._table(table)}")

    def count(self, table: str) -> int:
        """How many rows ``table`` holds."""
        return self._db.execute(f"SELECT COUNT(*) FROM {self._table(table)}").fetchone()[0]

    def members(self, table: str, group: str) -> list[Row]:
        """The rows of one group, in listing order."""
        cursor = self._db.execute(
            f"SELECT body FROM {self._table(table)} WHERE grp = ? ORDER BY seq", (group,)
        )
        return [_unpack(body) for (body,) in cursor]

    def groups(self, table: str) -> Iterator[str]:
        """Every group, earliest first (by its earliest row; then by name; groups with no start first)."""
        t = self._table(table)
        cursor = self._db.execute(
            f"SELECT grp FROM {t} WHERE grp IS NOT NULL GROUP BY grp ORDER BY MIN(start), grp"
        )
        for (group,) in cursor:
            yield group

    def tops(self, table: str, depth: int) -> Iterator[tuple[Row, bool]]:
        """The rows that start a call, earliest first (then by id), each with ``True`` when it is a root
        (its parent, ``grp``, is none, itself or not listed) and ``False`` when no root reaches it within
        ``depth`` levels (a parent cycle, an absurdly deep chain): those are listed on their own, not lost."""
        t = self._table(table)
        cursor = self._db.execute(
            f"WITH RECURSIVE root(id) AS (SELECT id FROM {t} AS leg WHERE grp IS NULL OR grp = id"
            f" OR NOT EXISTS (SELECT 1 FROM {t} AS parent WHERE parent.id = leg.grp)),"
            f" tree(id, depth) AS (SELECT id, 0 FROM root UNION SELECT leg.id, tree.depth + 1 FROM {t} AS leg"
            f" JOIN tree ON leg.grp = tree.id WHERE tree.depth < ? AND leg.id != leg.grp)"
            f" SELECT body, id IN (SELECT id FROM root) FROM {t}"
            f" WHERE id IN (SELECT id FROM root) OR id NOT IN (SELECT id FROM tree) ORDER BY start, id",
            (depth,),
        )
        for body, is_root in cursor:
            yield _unpack(body), bool(is_root)

    def descendants(self, table: str, root: str, depth: int) -> list[Row]:
        """Rows below ``root`` by parent links, at most ``depth`` levels down, in listing order."""
        t = self._table(table)
        cursor = self._db.execute(
            f"WITH RECURSIVE tree(id, depth) AS (SELECT ?, 0 UNION SELECT leg.id, tree.depth + 1 FROM {t} AS leg"
            f" JOIN tree ON leg.grp = tree.id WHERE tree.depth < ? AND leg.id != leg.grp)"
            f" SELECT body FROM {t} WHERE id != ? AND id IN (SELECT id FROM tree) ORDER BY seq",
            (root, depth, root),
        )
        return [_unpack(body) for (body,) in cursor]
