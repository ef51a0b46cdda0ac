"""Export a company's tables as files other tools load: Parquet (or CSV) partitioned by company and month.

Layout (Hive partitions, read by ``dask.dataframe.read_parquet``, pandas/pyarrow, Spark and warehouse loaders)::

    <dest>/<table>/company_id=<company>/month=<YYYY-MM>/data_0.parquet

``month`` is the local month (company time zone) of the call's start; rows with no known call time go
to ``month=unknown``. A second export of the same company replaces its partitions.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from perftel.dataset import index, schema
from perftel.dataset.sql import quote
from perftel.dataset.views import create_views
from perftel.errors import ConfigError, StorageError

_MONTH = {
    "calls": "start_utc",
    "recordings": "(SELECT c.start_utc FROM calls c WHERE c.call_id = t.call_id)",
    "participants": "(SELECT c.start_utc FROM calls c WHERE c.call_id = t.call_id)",
    "transcripts": "call_start_utc",
}


def export_tables(
    root: Path, company_id: str, tz_name: str, dest: str | Path, *, format: str = "parquet"
) -> list[Path]:
    """Write each table of the store in ``root`` under ``dest``; returns the table folders written.

    Raises ``ConfigError`` for an unknown format, ``StorageError`` when ``dest`` cannot be written."""
    if format not in ("parquet", "csv"):
        raise ConfigError(f"Unknown export format {format!r}: use parquet or csv.", field="format")
    dest = Path(dest)
    manifest = index.read_manifest(root)
    con = duckdb.connect()
    written = []
    try:
        con.execute("SET TimeZone='UTC'")
        create_views(con, root, manifest, company_id, tz_name)
        tz = quote(tz_name)
        for name in schema.all_schemas():
            if name in schema.INDEX_TABLES:  # a search index, not data
                continue
            moment = _MONTH.get(
                name, "(SELECT x.call_start_utc FROM transcripts x WHERE x.recording_id = t.recording_id)"
            )
            query = (
                f"SELECT t.*, coalesce(strftime(timezone('{tz}', {moment}), '%Y-%m'), 'unknown') AS month "
                f"FROM {name} t"
            )
            target = dest / name
            shutil.rmtree(target / f"company_id={company_id}", ignore_errors=True)
            target.mkdir(parents=True, exist_ok=True)
            options = "FORMAT parquet, COMPRESSION zstd" if format == "parquet" else "FORMAT csv, HEADER true"
            con.execute(
                f"COPY ({query}) TO '{quote(str(target))}' "
                f"(PARTITION_BY (company_id, month), {options}, OVERWRITE_OR_IGNORE true)"
            )
            written.append(target)
    except (OSError, duckdb.IOException) as exc:
        raise StorageError(f"Cannot export to {dest}: {exc}") from exc
    finally:
        con.close()
    return written
