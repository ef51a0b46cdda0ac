"""Small SQL helpers for the dataset's in-memory DuckDB connections: literals and the tombstone table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


def quote(text: str) -> str:
    """``text`` for the inside of a single-quoted SQL string literal (each ``'`` doubled)."""
    return text.replace("'", "''")


def sql_list(items: Iterable[str]) -> str:
    """A DuckDB list literal of strings, ``['a', 'b']`` (each quoted with :func:`quote`)."""
    return "[" + ", ".join(f"'{quote(i)}'" for i in items) + "]"


def load_tombstones(con: duckdb.DuckDBPyConnection, vids: Iterable[int]) -> bool:
    """(Re)create the table ``_dead(vid BIGINT)`` in ``con`` holding ``vids`` (the ``_vid`` s of retired
    source file versions, whose rows every query leaves out); returns whether it holds any."""
    gone = sorted(set(vids))
    con.execute("CREATE OR REPLACE TABLE _dead(vid BIGINT)")
    if gone:
        con.executemany("INSERT INTO _dead VALUES (?)", [(v,) for v in gone])
    return bool(gone)
