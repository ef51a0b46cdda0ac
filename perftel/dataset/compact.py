"""Compaction and clean-up of a dataset's parts (see :mod:`perftel.dataset.index` for the layout).

Whenever :data:`MERGE_FANOUT` parts below the full size fall in the same size tier (powers of
:data:`MERGE_FANOUT` source files) they are merged into one; a part whose rows are more than
:data:`DEAD_SHARE_REWRITE` dead is rewritten without them. Merging runs in an in-memory DuckDB (no
database file, no lock). Parts no manifest names any more are deleted :data:`RETIRED_GRACE_SECONDS` after
they were retired, so a reader still on the previous manifest keeps working.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import time
from pathlib import Path
from typing import Any

from perftel.dataset import schema
from perftel.dataset.parts import publish, staging_dir
from perftel.dataset.sql import load_tombstones, quote, sql_list
from perftel.files import write_json_atomic

MERGE_FANOUT = 4
DEAD_SHARE_REWRITE = 0.25
RETIRED_GRACE_SECONDS = 3600.0


def _tier(part: dict[str, Any]) -> int:
    return int(math.log(max(1, part["sources"]), MERGE_FANOUT))


def compact(
    root: Path,
    full_size: int,
    parts: list[dict[str, Any]],
    dead: dict[str, list[int]],
    files: dict[str, tuple[int, int, int, str, str]],
    manifest: dict[str, Any],
) -> tuple[list, dict, int, list[str]]:
    """Merge same-tier parts and rewrite mostly-dead ones; returns (parts, dead, merged count, retired ids).

    ``parts`` are part descriptions (:mod:`perftel.dataset.parts`), ``dead`` the tombstones (part id →
    ``_vid`` s), ``files`` the files index (its part ids are re-pointed to the merged parts in place) and
    ``manifest`` gives ``next_part`` (advanced in place). Parts of ``full_size`` source files or more are
    only rewritten when more than :data:`DEAD_SHARE_REWRITE` of their files are dead."""
    retired: list[str] = []
    merged = 0
    while True:
        by_tier: dict[int, list[dict[str, Any]]] = {}
        for part in parts:
            if part["sources"] < full_size:  # full parts stay as they are (unless mostly dead)
                by_tier.setdefault(_tier(part), []).append(part)
        group = next((g for _, g in sorted(by_tier.items()) if len(g) >= MERGE_FANOUT), None)
        if group is None:
            group = [
                p
                for p in parts
                if p["sources"] and len(dead.get(p["id"], [])) > DEAD_SHARE_REWRITE * p["sources"]
            ][:1]
            group += [p for p in parts if p["sources"] == 0 or len(dead.get(p["id"], [])) >= p["sources"]]
            group = list({p["id"]: p for p in group}.values())
        if not group:
            return parts, dead, merged, retired
        part_id = f"p{manifest['next_part']:08d}"
        manifest["next_part"] += 1
        new = _merge(root, group, dead, part_id)
        ids = {p["id"] for p in group}
        parts = [p for p in parts if p["id"] not in ids] + ([new] if new["sources"] else [])
        for pid in ids:
            dead.pop(pid, None)
        for rel, (size, mtime, vid, where, digest) in list(files.items()):
            if where in ids:
                files[rel] = (size, mtime, vid, new["id"], digest)
        retired += sorted(ids)
        if not new["sources"]:
            shutil.rmtree(root / "parts" / new["id"], ignore_errors=True)
        merged += len(group)


def _merge(
    root: Path, group: list[dict[str, Any]], dead: dict[str, list[int]], part_id: str
) -> dict[str, Any]:
    """One new part holding the live rows of ``group`` (DuckDB in memory: no database file, no lock)."""
    import duckdb

    tmp = staging_dir(root / "parts", part_id)
    gone = {v for p in group for v in dead.get(p["id"], [])}
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone='UTC'")
        load_tombstones(con, gone)
        tables, counts = [], {}
        for name in schema.all_schemas():
            files = [str(root / "parts" / p["id"] / f"{name}.parquet") for p in group if name in p["tables"]]
            if not files:
                continue
            target = tmp / f"{name}.parquet"
            # the token index stays sorted by token (its row groups' min/max is what a lookup skips on)
            order = " ORDER BY token, recording_id, segment_index" if name == "segment_tokens" else ""
            rows_per_group = schema.ROW_GROUPS.get(name, schema.ROW_GROUP)
            rel = con.sql(
                f"SELECT * FROM read_parquet({sql_list(files)}) WHERE _vid NOT IN (SELECT vid FROM _dead)"
            )
            count = con.execute(f"SELECT count(*) FROM ({rel.sql_query()})").fetchone()[0]
            if not count:
                continue
            con.execute(
                f"COPY ({rel.sql_query()}{order}) TO '{quote(str(target))}' (FORMAT parquet, "
                f"COMPRESSION zstd, ROW_GROUP_SIZE {rows_per_group})"
            )
            tables.append(name)
            counts[name] = count
        sources = sum(p["sources"] for p in group) - len(gone)
    finally:
        con.close()
    publish(tmp, root / "parts", part_id)
    return {"id": part_id, "tables": tables, "rows": counts, "sources": max(0, sources)}


def collect_garbage(root: Path, manifest: dict[str, Any]) -> None:
    """Delete parts retired more than the grace period ago, and leftovers of a crashed writer."""
    now = time.time()
    keep = []
    for item in manifest.get("retired", []):
        if now - item["at"] >= RETIRED_GRACE_SECONDS:
            shutil.rmtree(root / "parts" / item["id"], ignore_errors=True)
        else:
            keep.append(item)
    live = {p["id"] for p in manifest["parts"]} | {r["id"] for r in keep}
    for entry in (root / "parts").iterdir():
        if entry.name not in live and now - entry.stat().st_mtime >= RETIRED_GRACE_SECONDS:
            shutil.rmtree(entry, ignore_errors=True)
    for entry in root.glob(".*.part"):
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
    if keep != manifest.get("retired"):
        manifest["retired"] = keep
        write_json_atomic(root / "manifest.json", manifest)
