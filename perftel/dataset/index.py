"""Keep a company's dataset in step with its JSON files: incremental update, compaction, rebuild.

The store, ``<data_dir>/<company>/dataset/``, is laid out as :mod:`perftel.dataset.manifest` describes:
a manifest, a files index and immutable parts (:mod:`perftel.dataset.parts`).

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
A big update (a rebuild) reads its files in worker processes, one part per chunk of files
(:mod:`perftel.dataset.worker`).

Measured (``benchmarks/bench_dataset.py``, 2 cores shared with other work, see RESULTS.md): at 100,000
calls × 40 segments the store is 368 MB of Parquet in 20 parts; adding 1,000 calls costs 3.3 CPU-seconds
(9.0 s wall on the loaded machine; 2.7 s wall at 10,000 calls of history). What still grows with history
is the change scan — one ``stat`` and one files-index row per source file, 200,000 at 100,000 calls —
not the data rewritten. A full rebuild (200,000 files, 40 million index rows) is 184 CPU-seconds over two
worker processes kept for the whole rebuild (282 before ``segment_tokens`` was sorted on integer keys and
the workers were reused; measured side by side on the same loaded machine).

Writers (the pipeline, ``perftel index``) take ``dataset/.lock`` in turn; readers never do.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock

from perftel.dataset import schema
from perftel.dataset.compact import collect_garbage, compact
from perftel.dataset.manifest import (
    dataset_dir,
    empty_manifest,
    next_part_number,
    previous_parts,
    read_files_index,
    read_manifest,
    scan_sources,
    write_files_index,
)
from perftel.dataset.worker import run_chunks
from perftel.errors import StorageError
from perftel.files import write_json_atomic
from perftel.storage import CompanyStorage

log = logging.getLogger("perftel.dataset")

PART_MAX_SOURCES = 10_000  # an update writes parts of at most this many source files (bounded memory)
PARALLEL_MIN_FILES = 4_000  # above this many files to read, an update reads them in worker processes

__all__ = ["UpdateReport", "dataset_dir", "read_manifest", "update"]


@dataclass
class UpdateReport:
    """What one update did: source files ``added``, ``changed``, ``deleted``, ``unchanged``; ``skipped``
    ``[(path below the company folder, why)]`` for files that could not be read (the rest was indexed);
    ``parts_written``, ``parts_merged``; ``rebuilt`` (the store was built from scratch); ``messages``;
    ``seconds`` (wall time of the update)."""

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
        """Some lines for a log or a terminal: the counts, the messages and the first 20 skipped files."""
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
            old = previous_parts(root)
            manifest = empty_manifest(storage.company_id)
            manifest["retired"] = [{"id": p, "at": time.time()} for p in old]
            manifest["next_part"] = next_part_number(root)
        files = read_files_index(root, manifest) if not report.rebuilt else {}
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
    for part, results in run_chunks(chunks):
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
    manifest["files_index"] = write_files_index(root, manifest["generation"], files)
    write_json_atomic(root / "manifest.json", manifest)
    if old_index and old_index != manifest["files_index"]:
        with contextlib.suppress(FileNotFoundError):
            (root / old_index).unlink()
    collect_garbage(root, manifest)
