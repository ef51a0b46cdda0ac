"""Read chunks of source files into parts in worker processes, for a big update (both sides of it).

The parent side, :func:`run_chunks`, starts one fresh ``python -m perftel.dataset.worker`` per chunk (not
``multiprocessing``, which would fork a process that may run threads, or re-run the caller's script as
its main module) and writes a pickled ``(modules, tables, chunk)`` to its stdin — written by this module
in the same program, never from elsewhere. The worker side, :func:`main`, imports ``modules`` (where
per-transcript tables are registered), exits with status 3 when its tables differ from ``tables``, else
writes the pickled result of :func:`perftel.dataset.parts.index_chunk` to stdout.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import subprocess
import sys
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("perftel.dataset")

#: At most this many worker processes (and never more than the machine's cores or the chunks).
MAX_WORKERS = 4


def run_chunks(chunks: list[tuple]) -> Iterable[tuple[dict[str, Any] | None, list]]:
    """:func:`~perftel.dataset.parts.index_chunk` of each chunk (its argument tuple), in order: in this
    process, or — for several chunks on a machine with several cores — in worker processes. A chunk a
    worker cannot read (a table registered in a notebook cell, a crashed worker) is read in this process."""
    from perftel.dataset import schema
    from perftel.dataset.parts import index_chunk

    modules = schema.builder_modules()
    workers = min(len(chunks), os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2 or "__main__" in modules:
        yield from (index_chunk(*chunk) for chunk in chunks)
        return
    from concurrent.futures import ThreadPoolExecutor

    tables = sorted(schema.all_schemas())
    with ThreadPoolExecutor(workers) as pool:
        yield from pool.map(lambda chunk: _in_worker(modules, tables, chunk), chunks)


def _in_worker(modules: list[str], tables: list[str], chunk: tuple) -> tuple[dict[str, Any] | None, list]:
    from perftel.dataset.parts import index_chunk

    done = subprocess.run(
        [sys.executable, "-m", "perftel.dataset.worker"],
        input=pickle.dumps((modules, tables, chunk)),
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )
    if done.returncode != 0:
        log.info(
            "A dataset worker could not index a chunk (%s); indexing it in this process.",
            done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or "no message",
        )
        return index_chunk(*chunk)
    return pickle.loads(done.stdout)


def main() -> int:
    """The worker process: read the job from stdin, write the result to stdout; returns the exit status
    (0, or 3 when this process does not register the same tables as the parent)."""
    modules, tables, chunk = pickle.loads(sys.stdin.buffer.read())
    for name in modules:
        importlib.import_module(name)
    from perftel.dataset import schema
    from perftel.dataset.parts import index_chunk

    if sorted(schema.all_schemas()) != tables:
        print("this worker does not register the same dataset tables", file=sys.stderr)
        return 3
    sys.stdout.buffer.write(pickle.dumps(index_chunk(*chunk)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
