"""Throughput of transcription on a Dask LocalCluster with 1 and 2 worker processes, vs in-process.

    .venv/bin/python benchmarks/bench_dask.py [--model base] [--copies 2]

Transcribes the sandbox's six two-channel calls (``sandbox/perftel_sandbox/media``) ``--copies`` times each,
in one run: in-process (LocalExecutor), then Dask with 1 and 2 workers (1 thread per worker, model
loaded once per worker before timing). Prints audio seconds per wall second for each.
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--copies", type=int, default=2)
    args = parser.parse_args()

    import distributed

    from perftel.executors import DaskExecutor, LocalExecutor, TranscriptionJob
    from perftel.progress import CancelToken
    from perftel.transcribe import Transcriber

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

    rows = []
    audio, wall = run(LocalExecutor(Transcriber(args.model, cpu_threads=os.cpu_count() or 1)))
    rows.append(("in-process, all cores", audio, wall))
    for workers in (1, 2):
        threads = max(1, (os.cpu_count() or 1) // workers)
        with (
            distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster,
            distributed.Client(cluster) as client,
        ):
            audio, wall = run(DaskExecutor(client, model=args.model, device="cpu", compute_type="int8",
                                           cpu_threads=threads))
        rows.append((f"dask, {workers} worker(s)", audio, wall))

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"model {args.model} int8, {len(jobs)} calls")
    print(f"{'executor':24} {'audio s':>8} {'wall s':>8} {'audio s / wall s':>17}")
    for name, audio, wall in rows:
        print(f"{name:24} {audio:8.1f} {wall:8.1f} {audio / wall:17.2f}")


if __name__ == "__main__":
    main()
