"""The store's layout on disk: the manifest, the files index and the source files it is built from.

``<data_dir>/<company>/dataset/``::

    manifest.json                   the live state, replaced atomically (perftel.files): parts, tombstones
    files-<generation>.parquet      one row per indexed source file: path, size, mtime_ns, vid, part, digest
    parts/<part-id>/<table>.parquet immutable; written to a temporary folder, then renamed

Times in the manifest (``updated_at``, a retired part's ``at``) are Unix seconds; ``mtime_ns`` is the
source file's modification time in nanoseconds, as ``os.stat`` gives it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from perftel.dataset import schema
from perftel.errors import StorageError
from perftel.storage import CompanyStorage

FORMAT = "perftel-dataset"


def dataset_dir(storage: CompanyStorage) -> Path:
    """The store's folder, ``<data_dir>/<company>/dataset/``."""
    return storage.root / "dataset"


def read_manifest(root: Path) -> dict[str, Any] | None:
    """The manifest, or ``None`` when there is no store yet. Raises ``StorageError`` when it is unreadable,
    from another version, or names a part that is missing."""
    path = root / "manifest.json"
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"Cannot read {path}: {exc}") from exc
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise StorageError(f"The dataset manifest {path} is corrupt ({exc}).") from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("version") != schema.VERSION
    ):
        raise StorageError(f"The dataset in {root} is from another perftel version.")
    if sorted(manifest.get("tables") or []) != sorted(schema.all_schemas()):
        raise StorageError(
            f"The dataset in {root} was built with other tables ({', '.join(manifest.get('tables') or [])})."
        )
    for part in manifest["parts"]:
        for table in part["tables"]:
            if not (root / "parts" / part["id"] / f"{table}.parquet").is_file():
                raise StorageError(f"The dataset in {root} misses part {part['id']}/{table}.parquet.")
    return manifest


def empty_manifest(company_id: str) -> dict[str, Any]:
    """A manifest with no parts yet: format, version, company_id, generation 0, tables (sorted names),
    parts ``[]``, dead ``{}`` (tombstones: part id → _vids), files_index ``None``, next_vid, next_part,
    retired ``[]`` (``{"id", "at"}``, ``at`` in Unix seconds) and updated_at (Unix seconds)."""
    return {
        "format": FORMAT,
        "version": schema.VERSION,
        "company_id": company_id,
        "generation": 0,
        "tables": sorted(schema.all_schemas()),
        "parts": [],
        "dead": {},
        "files_index": None,
        "next_vid": 1,
        "next_part": 1,
        "retired": [],
        "updated_at": time.time(),
    }


def scan_sources(storage: CompanyStorage) -> dict[str, tuple[int, int]]:
    """Every source JSON file: ``{path relative to the company folder: (size, mtime_ns)}``."""
    found: dict[str, tuple[int, int]] = {}
    for folder, pattern in ((storage.metadata_dir, "detail_"), (storage.transcriptions_dir, "")):
        rel = folder.relative_to(storage.root).as_posix()
        try:
            entries = os.scandir(folder)
        except FileNotFoundError:
            continue
        with entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or not name.endswith(".json") or not name.startswith(pattern):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    st = entry.stat()
                    found[f"{rel}/{name}"] = (st.st_size, st.st_mtime_ns)
    return found


def read_files_index(root: Path, manifest: dict[str, Any]) -> dict[str, tuple[int, int, int, str, str]]:
    """The manifest's files index: ``{path: (size, mtime_ns, vid, part id, digest)}`` (``{}`` when none).
    Raises ``OSError``/``pyarrow.ArrowException`` when its file is unreadable."""
    name = manifest.get("files_index")
    if not name:
        return {}
    table = pq.read_table(root / name)
    cols = [table.column(c).to_pylist() for c in ("path", "size", "mtime_ns", "vid", "part", "digest")]
    return {p: (s, m, v, part, d) for p, s, m, v, part, d in zip(*cols, strict=True)}


def write_files_index(root: Path, generation: int, files: dict[str, tuple[int, int, int, str, str]]) -> str:
    """Write ``files`` (as :func:`read_files_index` returns it) to ``files-<generation>.parquet`` in
    ``root`` atomically; returns the file's name."""
    name = f"files-{generation:08d}.parquet"
    paths = list(files)
    values = list(files.values())
    table = pa.table(
        {
            "path": pa.array(paths, pa.string()),
            "size": pa.array([v[0] for v in values], pa.int64()),
            "mtime_ns": pa.array([v[1] for v in values], pa.int64()),
            "vid": pa.array([v[2] for v in values], pa.int64()),
            "part": pa.array([v[3] for v in values], pa.string()),
            "digest": pa.array([v[4] for v in values], pa.string()),
        }
    )
    tmp = root / f".{name}.part"
    pq.write_table(table, tmp)
    os.replace(tmp, root / name)
    return name


def previous_parts(root: Path) -> list[str]:
    """The part folders under ``root/parts`` (any manifest's, or none's), sorted; temporary ones left out."""
    return sorted(p.name for p in (root / "parts").iterdir() if p.is_dir() and not p.name.startswith("."))


def next_part_number(root: Path) -> int:
    """One more than the highest ``p<number>`` part folder under ``root/parts`` (1 when there is none)."""
    numbers = [int(name[1:]) for name in previous_parts(root) if name[1:].isdigit()]
    return max(numbers, default=0) + 1
