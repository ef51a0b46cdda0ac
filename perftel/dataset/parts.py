"""Write a part: read a chunk of source JSON files into rows, and the rows into one immutable part folder.

A part is ``parts/<part-id>/<table>.parquet`` (zstd; row groups of :data:`perftel.dataset.schema.ROW_GROUPS`
rows); it is written under ``parts/.tmp-<part-id>`` and renamed into place (:func:`staging_dir`,
:func:`publish`), so a part folder is always whole. A part is described by ``{"id", "tables" (names
written), "rows" ({table: row count}), "sources" (source files in it)}``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from perftel.dataset import schema, tokens
from perftel.dataset.rows import call_rows


def staging_dir(parts_dir: Path, part_id: str) -> Path:
    """An empty ``parts_dir/.tmp-<part_id>`` folder to write a part into (a crashed writer's leftover
    is cleared). Raises ``OSError`` when it cannot be created."""
    tmp = parts_dir / f".tmp-{part_id}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def publish(tmp: Path, parts_dir: Path, part_id: str) -> None:
    """Rename the written ``tmp`` folder to ``parts_dir/<part_id>`` in one step (a failed worker's
    leftover of the same id, never named by a manifest, is removed first)."""
    shutil.rmtree(parts_dir / part_id, ignore_errors=True)
    os.replace(tmp, parts_dir / part_id)


class PartBuilder:
    """Rows of many source files, table by table, each row tagged with ``company_id`` and its file's
    ``_vid``; :meth:`write` turns them into one part."""

    def __init__(self, company_id: str) -> None:
        self.company_id = company_id
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in schema.all_schemas()}
        self.sources = 0

    def add(self, rel: str, data: Any, vid: int) -> None:
        """Add the rows of one source file: ``rel`` is its path below the company folder (a path with a
        ``metadata`` folder is a call's detail JSON, any other a transcription), ``data`` its parsed JSON.
        Raises ``ValueError``/``KeyError``/``TypeError`` for a JSON that is not what its path says."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        built = (
            call_rows(data) if "/metadata/" in f"/{rel}" else schema.transcript_rows(data, self.company_id)
        )
        for table, rows in built.items():
            for row in rows:
                row["company_id"] = self.company_id
                row["_vid"] = vid
            self.rows[table].extend(rows)
        self.sources += 1

    def write(self, parts_dir: Path, part_id: str) -> dict[str, Any]:
        """Write the part ``parts_dir/<part_id>`` (``text_search`` and ``segment_tokens`` computed from
        ``segments`` here, a column at a time); returns its description (see the module)."""
        tmp = staging_dir(parts_dir, part_id)
        built: dict[str, pa.Table] = {}
        for name, table_schema in schema.all_schemas().items():
            if name in schema.DERIVED_TABLES or not self.rows[name]:
                continue
            table = pa.Table.from_pylist(self.rows[name], schema=table_schema)
            if "text_search" in table_schema.names and "text" in table_schema.names:
                position = table_schema.get_field_index("text_search")
                table = table.set_column(
                    position, "text_search", tokens.search_text_array(table.column("text"))
                )
            built[name] = table
        if "segments" in built:
            built["segment_tokens"] = tokens.segment_token_table(built["segments"])
        counts = {}
        for name, table in built.items():
            if not len(table):
                continue
            pq.write_table(
                table,
                tmp / f"{name}.parquet",
                compression="zstd",
                row_group_size=schema.ROW_GROUPS.get(name, schema.ROW_GROUP),
            )
            counts[name] = len(table)
        publish(tmp, parts_dir, part_id)
        return {"id": part_id, "tables": list(counts), "rows": counts, "sources": self.sources}


def index_chunk(
    company_id: str,
    company_root: str,
    parts_dir: str,
    part_id: str,
    first_vid: int,
    items: list[tuple[str, int, int, str | None]],
) -> tuple[dict[str, Any] | None, list[tuple[str, int, int, int, str, str]]]:
    """Read ``items`` (path below ``company_root``, size, mtime_ns, digest last indexed or ``None``) into
    one new part ``part_id``; the files get the ``_vid`` s ``first_vid``, ``first_vid + 1``, … in order.

    Returns the part (``None`` when nothing new) and, per file, (path, size, mtime_ns, vid, digest,
    problem): problem is "" when indexed, "same" when the bytes did not change (BLAKE2b-128 digest),
    "gone" when the file vanished meanwhile, else why it was skipped (an unreadable or malformed file
    never raises). Runs in a worker process for big updates (:mod:`perftel.dataset.worker`)."""
    batch = PartBuilder(company_id)
    results = []
    for offset, (rel, size, mtime, old_digest) in enumerate(items):
        vid = first_vid + offset
        try:
            with open(os.path.join(company_root, rel), "rb") as file:
                raw = file.read()
            digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
            if digest == old_digest:
                results.append((rel, size, mtime, vid, digest, "same"))
                continue
            batch.add(rel, json.loads(raw), vid)
        except FileNotFoundError:
            results.append((rel, size, mtime, vid, "", "gone"))
            continue
        except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
            results.append((rel, size, mtime, vid, "", f"{type(exc).__name__}: {exc}"[:200]))
            continue
        results.append((rel, size, mtime, vid, digest, ""))
    part = batch.write(Path(parts_dir), part_id) if batch.sources else None
    return part, results
