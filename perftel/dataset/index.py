"""Keep a company's dataset in step with its JSON files: incremental update, compaction, rebuild.

The store, ``<data_dir>/<company>/dataset/``::

    manifest.json            the live state, replaced atomically (perftel.files): parts, tombstones
    files-<generation>.parquet  one row per indexed source file: path, size, mtime_ns, vid, part, digest
    parts/<part-id>/<table>.parquet   immutable; written to a temporary folder, then renamed

Why parts + manifest rather than one DuckDB file: DuckDB lets one process open a database file for
writing and a read-write open conflicts with every other process's open, so a notebook holding the
store would make the pipeline's update fail or wait. Here nothing is ever modified in place: an update
writes new part files, then swaps the manifest with one ``os.replace``; a reader (an in-memory DuckDB with
views over the parts its manifest names) sees the store before the swap or after it, never half, and never
takes a lock. Parts the manifest no longer names are kept for :data:`RETIRED_GRACE_SECONDS` so a reader
still on the old manifest keeps working, then deleted.

Cost of an update: one ``stat`` per source file (``os.scandir``) plus reading only the new and changed
files (a file saved again with the same bytes — a rerun re-saves every call it lists — is recognised by
its BLAKE2 digest and not re-indexed); a changed or deleted file's old rows are retired by a tombstone (its ``_vid``), not by rewriting.
Compaction keeps the part count small: whenever :data:`~perftel.dataset.compact.MERGE_FANOUT` parts below
:data:`PART_MAX_SOURCES` files fall in the same size tier (powers of :data:`~perftel.dataset.compact.MERGE_FANOUT`) they are merged
into one, and a part whose rows are more than a quarter dead is rewritten — so a row is rewritten a few
times (log₄ of the part size) over its life, parts number about history ÷ 10,000 files plus a handful, and
one update's cost follows the size of the run, not of the history (``benchmarks/bench_dataset.py``).
A big update (a rebuild) reads its files in worker processes, one part each.

Measured (``benchmarks/bench_dataset.py``, 2 cores shared with other work, see RESULTS.md): at 100,000
calls × 40 segments the store is 368 MB of Parquet in 20 parts; adding 1,000 calls costs 3.3 CPU-seconds
(9.0 s wall on the loaded machine; 2.7 s wall at 10,000 calls of history). What still grows with history
is the change scan — one ``stat`` and one files-index row per source file, 200,000 at 100,000 calls —
not the data rewritten. A full rebuild is 129 CPU-seconds over two worker processes.

Writers (the pipeline, ``perftel index``) take ``dataset/.lock`` in turn; readers never do.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock

from perftel.dataset import schema
from perftel.dataset.compact import collect_garbage, compact
from perftel.errors import StorageError
from perftel.files import write_json_atomic
from perftel.storage import CompanyStorage

log = logging.getLogger("perftel.dataset")

FORMAT = "perftel-dataset"
PART_MAX_SOURCES = 10_000  # an update writes parts of at most this many source files (bounded memory)
PARALLEL_MIN_FILES = 4_000  # above this many files to read, an update reads them in worker processes
MAX_WORKERS = 4


@dataclass
class UpdateReport:
    """What one update did. ``skipped`` names files that could not be read (and why); the rest was indexed."""

    company_id: str
    added: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    parts_written: int = 0
    parts_merged: int = 0
    rebuilt: bool = False
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            f"dataset {self.company_id}: {self.added} new, {self.changed} changed, {self.deleted} deleted, "
            f"{self.unchanged} unchanged files; {self.parts_written} parts written, {self.parts_merged} merged"
            f"{' (rebuilt)' if self.rebuilt else ''} in {self.seconds:.1f} s"
        ]
        lines += [f"  {m}" for m in self.messages]
        lines += [f"  skipped {path}: {reason}" for path, reason in self.skipped[:20]]
        if len(self.skipped) > 20:
            lines.append(f"  … and {len(self.skipped) - 20} more skipped")
        return "\n".join(lines)


def dataset_dir(storage: CompanyStorage) -> Path:
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


def _empty_manifest(company_id: str) -> dict[str, Any]:
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


# -- scanning ---------------------------------------------------------------------------------------
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


def _read_files_index(root: Path, manifest: dict[str, Any]) -> dict[str, tuple[int, int, int, str, str]]:
    name = manifest.get("files_index")
    if not name:
        return {}
    table = pq.read_table(root / name)
    cols = [table.column(c).to_pylist() for c in ("path", "size", "mtime_ns", "vid", "part", "digest")]
    return {p: (s, m, v, part, d) for p, s, m, v, part, d in zip(*cols, strict=True)}


def _write_files_index(root: Path, generation: int, files: dict[str, tuple[int, int, int, str, str]]) -> str:
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


# -- parsing ----------------------------------------------------------------------------------------
class _Batch:
    """Rows of many source files, table by table, each row tagged with its file's ``_vid``."""

    def __init__(self, company_id: str) -> None:
        self.company_id = company_id
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in schema.all_schemas()}
        self.sources = 0

    def add(self, rel: str, data: Any, vid: int) -> None:
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        built = (
            schema.call_rows(data)
            if "/metadata/" in f"/{rel}"
            else schema.transcript_rows(data, self.company_id)
        )
        for table, rows in built.items():
            for row in rows:
                row["company_id"] = self.company_id
                row["_vid"] = vid
            self.rows[table].extend(rows)
        self.sources += 1

    def write(self, parts_dir: Path, part_id: str) -> dict[str, Any]:
        tmp = parts_dir / f".tmp-{part_id}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        tables, counts = [], {}
        built: dict[str, pa.Table] = {}
        for name, table_schema in schema.all_schemas().items():
            if name in schema.DERIVED_TABLES:
                continue
            rows = self.rows[name]
            if not rows:
                continue
            table = pa.Table.from_pylist(rows, schema=table_schema)
            if "text_search" in table_schema.names and "text" in table_schema.names:
                position = table_schema.get_field_index("text_search")
                table = table.set_column(
                    position, "text_search", schema.search_text_array(table.column("text"))
                )
            built[name] = table
        if "segments" in built:
            built["segment_tokens"] = schema.segment_token_table(built["segments"])
        for name, table in built.items():
            if not len(table):
                continue
            pq.write_table(
                table,
                tmp / f"{name}.parquet",
                compression="zstd",
                row_group_size=schema.ROW_GROUPS.get(name, schema.ROW_GROUP),
            )
            tables.append(name)
            counts[name] = len(table)
        shutil.rmtree(
            parts_dir / part_id, ignore_errors=True
        )  # a failed worker's leftover: never in a manifest
        os.replace(tmp, parts_dir / part_id)
        return {"id": part_id, "tables": tables, "rows": counts, "sources": self.sources}


# -- the update -------------------------------------------------------------------------------------
def update(storage: CompanyStorage, *, rebuild: bool = False) -> UpdateReport:
    """Bring ``storage``'s dataset up to date with its JSON files; ``rebuild=True`` starts from scratch.

    A missing, corrupt or other-version store is rebuilt, with a message in the report. Waits for another
    writer of the same company's dataset (never for readers). Raises ``StorageError`` when the dataset
    folder cannot be written.
    """
    started = time.perf_counter()
    report = UpdateReport(storage.company_id)
    root = dataset_dir(storage)
    try:
        (root / "parts").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Cannot create {root}: {exc.strerror or exc}.") from exc
    with FileLock(str(root / ".lock")):
        manifest = None if rebuild else _load_or_none(root, report)
        if manifest is None:
            report.rebuilt = True
            old = _previous_parts(root)
            manifest = _empty_manifest(storage.company_id)
            manifest["retired"] = [{"id": p, "at": time.time()} for p in old]
            manifest["next_part"] = _next_part_number(root)
        files = _read_files_index(root, manifest) if not report.rebuilt else {}
        _apply(storage, root, manifest, files, report)
    report.seconds = time.perf_counter() - started
    log.info(report.summary())
    return report


def _load_or_none(root: Path, report: UpdateReport) -> dict[str, Any] | None:
    try:
        manifest = read_manifest(root)
        if manifest is not None and manifest.get("files_index"):
            pq.read_metadata(root / manifest["files_index"])
    except (StorageError, OSError, pa.ArrowException) as exc:
        report.messages.append(f"{exc} Rebuilding it from the JSON files.")
        log.warning("%s Rebuilding it from the JSON files.", exc)
        return None
    if manifest is None:
        report.messages.append("No dataset yet: building it from the JSON files.")
    return manifest


def _previous_parts(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "parts").iterdir() if p.is_dir() and not p.name.startswith("."))


def _next_part_number(root: Path) -> int:
    numbers = [int(name[1:]) for name in _previous_parts(root) if name[1:].isdigit()]
    return max(numbers, default=0) + 1


def _apply(
    storage: CompanyStorage,
    root: Path,
    manifest: dict[str, Any],
    files: dict[str, tuple[int, int, int, str, str]],
    report: UpdateReport,
) -> None:
    on_disk = scan_sources(storage)
    todo = [rel for rel, fp in on_disk.items() if rel not in files or files[rel][:2] != fp]
    gone = [rel for rel in files if rel not in on_disk]
    report.unchanged = len(on_disk) - len(todo)
    if not todo and not gone and manifest["generation"]:
        collect_garbage(root, manifest)  # nothing changed: the manifest stays as it is
        return
    dead: dict[str, list[int]] = {k: list(v) for k, v in manifest["dead"].items()}
    parts_dir = root / "parts"
    new_parts: list[dict[str, Any]] = []

    def retire(rel: str) -> None:
        vid, part = files.pop(rel)[2:4]
        dead.setdefault(part, []).append(vid)

    for rel in gone:
        retire(rel)
        report.deleted += 1
    chunks = []
    ordered = sorted(todo)
    size = (
        PART_MAX_SOURCES
        if len(ordered) < PARALLEL_MIN_FILES
        else min(PART_MAX_SOURCES, len(ordered) // 2 + 1)
    )
    for start in range(0, len(ordered), size):
        items = [
            (rel, *on_disk[rel], files[rel][4] if rel in files else None)
            for rel in ordered[start : start + size]
        ]
        chunks.append(
            (
                storage.company_id,
                str(storage.root),
                str(parts_dir),
                f"p{manifest['next_part']:08d}",
                manifest["next_vid"] + start,
                items,
            )
        )
        manifest["next_part"] += 1
    manifest["next_vid"] += len(ordered)
    for part, results in _run_chunks(chunks):
        if part is not None:
            new_parts.append(part)
        for rel, size_, mtime, vid, digest, problem in results:
            if problem == "same":  # saved again with the same bytes
                files[rel] = (size_, mtime, *files[rel][2:])
                report.unchanged += 1
            elif problem == "gone":
                continue
            elif problem:
                report.skipped.append((rel, problem))
            else:
                if rel in files:
                    retire(rel)
                    report.changed += 1
                else:
                    report.added += 1
                files[rel] = (size_, mtime, vid, part["id"], digest)
    report.parts_written = len(new_parts)
    parts = [p for p in manifest["parts"]] + new_parts
    parts, dead, merged, retired = compact(root, PART_MAX_SOURCES, parts, dead, files, manifest)
    report.parts_merged = merged
    now = time.time()
    manifest["retired"] = manifest.get("retired", []) + [{"id": p, "at": now} for p in retired]
    manifest.update(
        parts=parts,
        dead={k: v for k, v in dead.items() if v},
        updated_at=now,
        generation=manifest["generation"] + 1,
        tables=sorted(schema.all_schemas()),
    )
    old_index = manifest.get("files_index")
    manifest["files_index"] = _write_files_index(root, manifest["generation"], files)
    write_json_atomic(root / "manifest.json", manifest)
    if old_index and old_index != manifest["files_index"]:
        with contextlib.suppress(FileNotFoundError):
            (root / old_index).unlink()
    collect_garbage(root, manifest)


def _index_chunk(
    company_id: str,
    company_root: str,
    parts_dir: str,
    part_id: str,
    first_vid: int,
    items: list[tuple[str, int, int, str | None]],
) -> tuple[dict[str, Any] | None, list[tuple[str, int, int, int, str, str]]]:
    """Read ``items`` (path, size, mtime_ns, digest last indexed) into one new part.

    Returns the part (``None`` when nothing new) and, per file, (path, size, mtime_ns, vid, digest,
    problem): problem is "" when indexed, "same" when the bytes did not change, "gone" when the file
    vanished meanwhile, else why it was skipped. Runs in a worker process for big updates."""
    batch = _Batch(company_id)
    results = []
    for offset, (rel, size, mtime, old_digest) in enumerate(items):
        vid = first_vid + offset
        try:
            raw = (Path(company_root) / rel).read_bytes()
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


def _run_chunks(chunks: list[tuple]) -> Iterable[tuple[dict[str, Any] | None, list]]:
    """Each chunk in turn, or — for a big update on a machine with several cores — in worker processes.

    A worker is a fresh ``python -m perftel.dataset.worker`` (not ``multiprocessing``, which would fork a
    process that may run threads, or re-run the caller's script as its main module): it imports the
    modules that registered per-transcript tables, checks it knows the same tables, and reads one chunk.
    If a worker cannot (a table registered in a notebook cell), its chunk is read in this process."""
    modules = schema.builder_modules()
    workers = min(len(chunks), os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2 or "__main__" in modules:
        yield from (_index_chunk(*chunk) for chunk in chunks)
        return
    from concurrent.futures import ThreadPoolExecutor

    tables = sorted(schema.all_schemas())
    with ThreadPoolExecutor(workers) as pool:
        yield from pool.map(lambda chunk: _in_worker(modules, tables, chunk), chunks)


def _in_worker(modules: list[str], tables: list[str], chunk: tuple) -> tuple[dict[str, Any] | None, list]:
    import pickle
    import subprocess
    import sys

    job = pickle.dumps((modules, tables, chunk))
    done = subprocess.run(
        [sys.executable, "-m", "perftel.dataset.worker"],
        input=job,
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )
    if done.returncode != 0:
        log.info(
            "A dataset worker could not index a chunk (%s); indexing it in this process.",
            done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or "no message",
        )
        return _index_chunk(*chunk)
    return pickle.loads(done.stdout)
