"""Read chunks of source files into parts in worker processes, for a big update (both sides of it).

The parent side, :func:`run_chunks`, starts at most one fresh ``python -m perftel.dataset.worker`` per
core (not ``multiprocessing``, which would fork a process that may run threads, or re-run the caller's
script as its main module) and keeps each one for chunk after chunk, so the imports (perftel, pyarrow,
pandas: about 2 CPU-seconds) are paid once per process, not once per chunk. It writes pickles to the
worker's stdin — written by this module in the same program, never from elsewhere: first ``(modules,
tables)``, then one ``chunk`` (:func:`perftel.dataset.parts.index_chunk`'s arguments) at a time. The
worker side, :func:`main`, imports ``modules`` (where per-transcript tables are registered), exits with
status 3 when its tables differ from ``tables``, else answers each chunk with the pickled result of
``index_chunk`` on its stdout (anything else written to its stdout goes to its stderr).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("perftel.dataset")

#: At most this many worker processes (and never more than the machine's cores or the chunks).
MAX_WORKERS = 4


class _Worker:
    """One worker process, used by one thread of :func:`run_chunks` for chunk after chunk."""

    def __init__(self, modules: list[str], tables: list[str]) -> None:
        # the worker's stderr, read when it fails; closed in close()
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "perftel.dataset.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
        self.pending: list[Any] = [(modules, tables)]  # the header, sent with the first chunk
        self.broken = False

    def run(self, chunk: tuple) -> tuple[dict[str, Any] | None, list]:
        """``index_chunk(*chunk)`` in the worker process, or — when the worker cannot (it lacks a table,
        it died) — in this process, and this worker is not used again."""
        from perftel.dataset.parts import index_chunk

        if not self.broken:
            try:
                for job in [*self.pending, chunk]:
                    pickle.dump(job, self.proc.stdin)
                self.pending = []
                self.proc.stdin.flush()
                return pickle.load(self.proc.stdout)
            except (OSError, EOFError, pickle.UnpicklingError):
                self.broken = True
                log.info(
                    "A dataset worker could not index a chunk (%s); indexing it in this process.",
                    self.close() or "no message",
                )
        return index_chunk(*chunk)

    def close(self) -> str:
        """End the worker process (it exits when its stdin closes), wait for it; returns the last line it
        wrote to stderr."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        self.proc.wait()
        self.stderr.seek(0)
        last = self.stderr.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        self.stderr.close()
        return last[0] if last else ""


def run_chunks(chunks: list[tuple]) -> Iterable[tuple[dict[str, Any] | None, list]]:
    """:func:`~perftel.dataset.parts.index_chunk` of each chunk (its argument tuple), in order: in this
    process, or — for several chunks on a machine with several cores — in worker processes kept for the
    whole update. A chunk a worker cannot read (a table registered in a notebook cell, a crashed worker)
    is read in this process."""
    from perftel.dataset import schema
    from perftel.dataset.parts import index_chunk

    modules = schema.builder_modules()
    workers = min(len(chunks), os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2 or "__main__" in modules:
        yield from (index_chunk(*chunk) for chunk in chunks)
        return
    from concurrent.futures import ThreadPoolExecutor

    tables = sorted(schema.all_schemas())
    mine = threading.local()
    started: list[_Worker] = []

    def run(chunk: tuple) -> tuple[dict[str, Any] | None, list]:
        if not hasattr(mine, "worker"):
            mine.worker = _Worker(modules, tables)
            started.append(mine.worker)
        return mine.worker.run(chunk)

    try:
        with ThreadPoolExecutor(workers) as pool:
            yield from pool.map(run, chunks)
    finally:
        for worker in started:
            if not worker.broken:
                worker.close()


def main() -> int:
    """The worker process: read the jobs from stdin, write the results to stdout; returns the exit status
    (0 when stdin ends, 3 when this process does not register the same tables as the parent)."""
    jobs = sys.stdin.buffer
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not corrupt the results
    modules, tables = pickle.load(jobs)
    for name in modules:
        importlib.import_module(name)
    from perftel.dataset import schema
    from perftel.dataset.parts import index_chunk

    if sorted(schema.all_schemas()) != tables:
        print("this worker does not register the same dataset tables", file=sys.stderr)
        return 3
    while True:
        try:
            chunk = pickle.load(jobs)
        except EOFError:
            return 0
        pickle.dump(index_chunk(*chunk), results)
        results.flush()


if __name__ == "__main__":
    raise SystemExit(main())
