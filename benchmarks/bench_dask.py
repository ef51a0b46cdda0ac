"""Throughput of transcription: in-process one call at a time, in-process several calls at once, Dask.

    .venv/bin/python benchmarks/bench_dask.py [--model base] [--copies 2] [--no-dask] [--rounds 1]

Transcribes the sandbox's six two-channel calls (``sandbox/perftel_sandbox/media``) ``--copies`` times each,
in one run: in-process one call at a time on all cores (``LocalExecutor`` with 1 worker: the executor
before issue 20), in-process with the automatic concurrency (``PERFTEL_TRANSCRIBE_WORKERS=auto``: N calls
at once, one model loaded with ``num_workers=N``), then Dask with 1 and 2 worker processes (1 thread per
worker, model loaded once per worker before timing). ``--rounds`` repeats the in-process pair, alternating,
so a busy machine's noise shows. Prints audio seconds per wall second for each.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from perftel_sandbox.speech import MEDIA_DIR as MEDIA


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="base")
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument(
        "--dask-workers", type=int, nargs="*", default=[1, 2], help="Dask cluster sizes to run"
    )
    args = parser.parse_args()

    if not args.no_dask:
        import distributed

    from perftel.executors import DaskExecutor, LocalExecutor, TranscriptionJob
    from perftel.progress import CancelToken
    from perftel.transcribe import Transcriber, WhisperSettings

    folder = Path(tempfile.mkdtemp())
    jobs = []
    for copy in range(args.copies):
        for wav in sorted(MEDIA.glob("*.wav")):
            target = folder / f"{copy}_{wav.name}"
            shutil.copy(wav, target)
            jobs.append(TranscriptionJob(str(target), target.stem, {0: "agent", 1: "customer"}))

    def run(executor) -> tuple[float, float]:
        executor.check()  # loads the model(s) before timing
        start = time.perf_counter()
        audio = sum(r.duration for _, r in executor.run(jobs, cancel=CancelToken()) if hasattr(r, "duration"))
        return audio, time.perf_counter() - start

    from perftel.config import transcription_concurrency

    workers, threads = transcription_concurrency()
    cores = os.cpu_count() or 1
    rows = []
    for round_ in range(args.rounds):
        suffix = f" (round {round_ + 1})" if args.rounds > 1 else ""
        audio, wall = run(
            LocalExecutor(Transcriber(WhisperSettings(args.model, cpu_threads=cores)), workers=1)
        )
        rows.append((f"in-process, 1 call × {cores} threads{suffix}", audio, wall))
        audio, wall = run(LocalExecutor(Transcriber(WhisperSettings(args.model))))
        rows.append((f"in-process, {workers} calls × {threads} thread(s){suffix}", audio, wall))
    for workers in () if args.no_dask else args.dask_workers:
        threads = max(1, cores // workers)
        with (
            distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            audio, wall = run(
                DaskExecutor(client, settings=WhisperSettings(args.model, "cpu", "int8", cpu_threads=threads))
            )
        rows.append((f"dask, {workers} worker(s)", audio, wall))

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"model {args.model} int8, {len(jobs)} calls"
    )
    print(f"{'executor':40} {'audio s':>8} {'wall s':>8} {'audio s / wall s':>17}")
    for name, audio, wall in rows:
        print(f"{name:40} {audio:8.1f} {wall:8.1f} {audio / wall:17.2f}")
    print()
    print("| executor | audio s | wall s | audio s per wall s |\n|---|---|---|---|")
    for name, audio, wall in rows:
        print(f"| {name} | {audio:.1f} | {wall:.1f} | {audio / wall:.2f} |")


if __name__ == "__main__":
    main()
