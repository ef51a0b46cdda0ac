"""SQL views over a manifest's parts: what a reader (and an export) sees as the tables.

Each table is a view ``SELECT ... FROM read_parquet([the live parts]) WHERE company_id = <company> AND
_vid NOT IN (tombstones)``; ``calls`` adds ``start_local``/``end_local`` (the company's wall-clock time,
``TIMESTAMP`` without zone) and ``timezone`` (the zone's IANA name), converted by DuckDB's ICU.
``segments`` adds ``talk_seconds`` (end − start, never negative). ``_vid`` is hidden.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from perftel.dataset import schema
from perftel.dataset.sql import load_tombstones, quote, sql_list

_EXTRA = {
    "calls": (
        "timezone('{tz}', start_utc) AS start_local, timezone('{tz}', end_utc) AS end_local, "
        "'{tz}' AS timezone"
    ),
    "segments": "greatest(end_seconds - start_seconds, 0) AS talk_seconds",
}


def create_views(
    con: duckdb.DuckDBPyConnection, root: Path, manifest: dict[str, Any] | None, company_id: str, tz_name: str
) -> None:
    """(Re)create one view per table in ``con`` for ``manifest``'s live parts (``None``: empty tables),
    rows of ``company_id`` only, local columns in the zone ``tz_name`` (an IANA name). ``root`` is the
    store's folder."""
    parts = (manifest or {}).get("parts", [])
    gone = load_tombstones(con, (v for vids in (manifest or {}).get("dead", {}).values() for v in vids))
    for name, table_schema in schema.all_schemas().items():
        files = [str(root / "parts" / p["id"] / f"{name}.parquet") for p in parts if name in p["tables"]]
        columns = ", ".join(f'"{f.name}"' for f in table_schema if f.name != "_vid")
        extra = f", {_EXTRA[name].format(tz=quote(tz_name))}" if name in _EXTRA else ""
        if files:
            source = f"read_parquet({sql_list(files)})"
        else:
            empty = f"_empty_{name}"
            con.register("_arrow_empty", pa.Table.from_pylist([], schema=table_schema))
            con.execute(f"CREATE OR REPLACE TABLE {empty} AS SELECT * FROM _arrow_empty")
            con.unregister("_arrow_empty")
            source = empty
        where = f"company_id = '{quote(company_id)}'"
        if gone:
            where += " AND _vid NOT IN (SELECT vid FROM _dead)"
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {columns}{extra} FROM {source} WHERE {where}")
