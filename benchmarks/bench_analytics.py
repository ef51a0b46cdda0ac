"""Conversation metrics for many calls: ``call_metrics_frame`` over synthetic segments.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_analytics.py [--calls 100000] [--seed 7]

Builds ``--calls`` two-channel calls of 2–12 minutes (agent/customer turns of 1–20 s, pauses of
0.2–3 s, one turn in six starting 0.3–2 s before the previous one ends, one call in ten with a 30–120 s
hold; one call in twenty mono), as the ``segments`` and ``calls`` DataFrames the dataset stores, then
times :func:`perftel.analytics.call_metrics_frame` (and, separately, the agent scorecard over the
result). Target (issue 17): 100,000 calls in ≤ 30 s. Generation is not timed.

With ``--dataset DATA_DIR --company ID`` it works on a company's dataset instead (e.g. the one
``benchmarks/bench_dataset.py`` writes): brings it up to date (timed: with a store of an older table
set this is the full rebuild that adds ``call_metrics``/``pii_counts``), then times reading the stored
``call_metrics`` table, recomputing the metrics with ``call_metrics_frame`` from the dataset's
``segments`` (one SQL read + the vectorised metrics), and ``Dataset.scorecard(by="week")`` in SQL.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd


def synthetic(calls: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids, starts, ends, channels, speakers, words = [], [], [], [], [], []
    durations, call_channels, agents = [], [], []
    for n in range(calls):
        call_id = f"call-{n:06d}"
        length = rng.uniform(120, 720)
        mono = rng.random() < 0.05
        hold_at = rng.uniform(30, length / 2) if rng.random() < 0.1 else None
        t, side = rng.uniform(0.2, 2.0), 0
        while t < length:
            turn = rng.uniform(1, 20)
            end = min(t + turn, length)
            ids.append(call_id)
            starts.append(round(t, 3))
            ends.append(round(end, 3))
            channels.append(None if mono else side)
            speakers.append(None if mono else ("agent" if side == 0 else "customer"))
            words.append(int((end - t) * rng.uniform(2.0, 3.2)))
            t = end + (rng.uniform(-2.0, -0.3) if rng.random() < 1 / 6 else rng.uniform(0.2, 3.0))
            if hold_at is not None and t > hold_at:
                t += rng.uniform(30, 120)
                hold_at = None
            side = 1 - side
        durations.append(round(max(length, t), 3))
        call_channels.append(1 if mono else 2)
        agents.append(f"agent-{n % 40:02d}")
    segments = pd.DataFrame(
        {
            "call_id": ids,
            "start": starts,
            "end": ends,
            "channel": pd.array(channels, dtype="Int64"),
            "speaker": speakers,
            "words": words,
        }
    )
    start = pd.Timestamp("2026-03-01", tz="UTC")
    calls_frame = pd.DataFrame(
        {
            "call_id": [f"call-{n:06d}" for n in range(calls)],
            "duration_seconds": durations,
            "channels": call_channels,
            "agent": agents,
            "started_at": start + pd.to_timedelta(np.arange(calls) * 60, unit="s"),
        }
    )
    return segments, calls_frame


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dataset", help="a data dir: time the metrics from this company's dataset")
    parser.add_argument("--company", default="bench")
    args = parser.parse_args()
    if args.dataset:
        from_dataset(args.dataset, args.company)
        return

    from perftel.analytics import call_metrics_frame, scorecard

    segments, calls = synthetic(args.calls, args.seed)
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
        f"{len(calls):,} calls, {len(segments):,} segments"
    )
    began, cpu = time.perf_counter(), time.process_time()
    metrics = call_metrics_frame(segments, calls)
    took, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(
        f"call_metrics_frame: {took:.1f} s wall, {cpu:.1f} s CPU ({len(calls) / took:,.0f} calls/s wall); "
        f"target <= 30 s for 100,000; load average {os.getloadavg()[0]:.1f}"
    )
    began = time.perf_counter()
    card = scorecard(metrics, calls=calls, period="week", timezone="America/Sao_Paulo")
    print(f"scorecard per agent and week: {time.perf_counter() - began:.2f} s ({len(card)} rows)")
    print(
        f"mono calls: {int((metrics['channels'] == 1).sum()):,}; "
        f"median talk-to-listen {metrics['talk_to_listen_ratio'].median():.2f}, "
        f"overlaps per call {metrics['overlap_count'].mean():.2f}"
    )


def from_dataset(data_dir: str, company: str) -> None:
    from perftel import open_dataset
    from perftel.analytics import call_metrics_frame

    def timed(label: str, fn):  # noqa: ANN001, ANN202
        began, cpu = time.perf_counter(), time.process_time()
        out = fn()
        print(
            f"{label}: {time.perf_counter() - began:.2f} s wall, {time.process_time() - cpu:.2f} s CPU "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
        return out

    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; dataset {data_dir}/{company}"
    )
    ds = timed("open_dataset(update=True)", lambda: open_dataset(company, data_dir, update=True))
    with ds:
        stored = timed(
            "SELECT * FROM call_metrics -> pandas", lambda: ds.sql("SELECT * FROM call_metrics").df()
        )
        print(f"  {len(stored):,} rows")

        def recompute():  # noqa: ANN202
            segments = ds.sql(
                'SELECT coalesce(call_id, recording_id) AS call_id, start_seconds AS start, end_seconds AS "end", '
                "channel, speaker, text, 0 AS words FROM segments"
            ).df()
            segments["words"] = segments["text"].str.count(r"\S+")
            calls = ds.sql(
                "SELECT coalesce(call_id, recording_id) AS call_id, audio_seconds AS duration_seconds, "
                "coalesce(channels, 1) AS channels FROM transcripts"
            ).df()
            return call_metrics_frame(segments, calls)

        again = timed("call_metrics_frame from the dataset's segments (read + compute)", recompute)
        print(f"  {len(again):,} calls")
        card = timed('Dataset.scorecard(by="week") in SQL', lambda: ds.scorecard(by="week"))
        print(f"  {len(card):,} rows")


if __name__ == "__main__":
    main()
