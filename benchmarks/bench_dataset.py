"""The dataset against today's JSON loading, on synthetic companies written through perftel's storage API.

    .venv/bin/python benchmarks/bench_dataset.py --calls 1000 10000 100000
    .venv/bin/python benchmarks/bench_dataset.py --calls 10000 --legacy-max 20000
    .venv/bin/python benchmarks/bench_dataset.py --calls 10000 100000 --search-only
    .venv/bin/python benchmarks/bench_dataset.py --calls 10000 --rebuild-only

Each company: N two-channel 4-minute calls over 12 months of 2025, each with a transcription of 40
segments (agent/customer turns of Portuguese-like text, ~1 in 50 segments mentions "boleto"). The files
are written with ``CompanyStorage.save_call`` / ``save_transcription`` (atomic writes, as the pipeline does)
by a process pool, once, under ``--work`` (default /tmp/perftel-bench-dataset/<N>/) and reused by later runs.

Measured for each N, side by side in one run (issue 16's targets in brackets):
- full rebuild from the JSON files [≤ 3 min];
- a fresh process: import + open + one month's calls [≤ 1 s], and today's path, ``notebook.load_tables``
  (skipped above ``--legacy-max`` calls: it holds every segment in pandas);
- word search and phrase search, median of 7 [≤ 300 ms / ≤ 500 ms];
- peak RSS of a notebook-like process: open, a month's calls, per-day/per-hour/per-agent aggregates,
  a word and a phrase search [≤ 500 MB];
- incremental update after a run that adds 1,000 calls (and then after deleting them again) [≤ 5 s].
Prints a Markdown table (copied into benchmarks/RESULTS.md) and the raw figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perftel.models import (  # noqa: E402
    CallMetadata,
    Direction,
    Participant,
    Recording,
    TranscriptionResult,
    TranscriptionSegment,
)
from perftel.storage import CompanyStorage  # noqa: E402

COMPANY = "bench"
SEGMENTS = 40
AGENTS = [
    "Ana Souza",
    "Bruno Lima",
    "Carla Dias",
    "Diego Rocha",
    "Elisa Melo",
    "Fábio Reis",
    "Gabi Nunes",
    "Hugo Alves",
]
WORDS = [
    "bom",
    "dia",
    "obrigado",
    "por",
    "ligar",
    "como",
    "posso",
    "ajudar",
    "minha",
    "conta",
    "está",
    "com",
    "problema",
    "preciso",
    "de",
    "informações",
    "sobre",
    "a",
    "fatura",
    "do",
    "mês",
    "passado",
    "o",
    "pagamento",
    "não",
    "foi",
    "confirmado",
    "vou",
    "verificar",
    "no",
    "sistema",
    "um",
    "momento",
    "por",
    "favor",
    "o",
    "senhor",
    "pode",
    "confirmar",
    "o",
    "número",
    "do",
    "contrato",
    "claro",
    "é",
    "só",
    "aguardar",
    "na",
    "linha",
    "já",
    "encontrei",
    "o",
    "seu",
    "cadastro",
    "a",
    "cobrança",
    "foi",
    "gerada",
    "em",
    "duplicidade",
    "vamos",
    "estornar",
    "o",
    "valor",
    "em",
    "até",
    "cinco",
    "dias",
    "úteis",
    "mais",
    "alguma",
    "dúvida",
    "não",
    "era",
    "só",
    "isso",
    "tenha",
    "um",
    "ótimo",
    "dia",
    "até",
    "logo",
    "plano",
    "internet",
    "telefone",
    "endereço",
    "atualização",
    "cancelamento",
]
TARGET_WORD = "boleto"
TARGET_PHRASE = '"segunda via do boleto"'
START = datetime(2025, 1, 1, 11, 0, tzinfo=timezone.utc)


def _call(n: int, rng: random.Random) -> tuple[CallMetadata, TranscriptionResult]:
    started = START + timedelta(seconds=int(n * (365 * 86400 / max(1, _TOTAL))) + rng.randint(0, 3600))
    agent = AGENTS[n % len(AGENTS)]
    call = CallMetadata(
        id=f"call-{n:07d}",
        provider="goto_connect",
        external_id=f"ext-{n}",
        direction=Direction.INBOUND if n % 3 else Direction.OUTBOUND,
        started_at=started,
        ended_at=started + timedelta(seconds=240),
        duration_seconds=float(120 + n % 240),
        answered=n % 7 != 0,
        caller_number=f"+55119{n:08d}",
        callee_number="+551133330000",
        participants=[
            Participant(name=agent, role="agent", extension=str(100 + n % 8)),
            Participant(number=f"+55119{n:08d}", role="customer"),
        ],
        recordings=[
            Recording(
                id=f"rec-{n:07d}",
                call_external_id=f"ext-{n}",
                started_at=started,
                channels=2,
                channel_roles={0: "agent", 1: "customer"},
            )
        ],
    )
    segments = []
    for i in range(SEGMENTS):
        words = rng.choices(WORDS, k=rng.randint(6, 14))
        if rng.random() < 0.02:
            words[rng.randrange(len(words)) : 0] = (
                ["segunda", "via", "do", TARGET_WORD] if rng.random() < 0.3 else [TARGET_WORD]
            )
        speaker = "agent" if i % 2 == 0 else "customer"
        segments.append(
            TranscriptionSegment(
                i * 6.0,
                i * 6.0 + 5.0,
                " ".join(words).capitalize() + ".",
                channel=i % 2,
                speaker=speaker,
                avg_logprob=-0.3,
                no_speech_prob=0.01,
            )
        )
    result = TranscriptionResult(
        recording_id=call.recordings[0].id,
        text=" ".join(s.text for s in segments),
        segments=segments,
        language="pt",
        duration=240.0,
        model="base",
        channels=2,
        language_probability=0.98,
        processing_seconds=20.0,
    )
    return call, result


_TOTAL = 1


def _write_range(args: tuple[str, int, int, int]) -> int:
    global _TOTAL
    data_dir, lo, hi, total = args
    _TOTAL = total
    storage = CompanyStorage(COMPANY, data_dir).ensure()
    for n in range(lo, hi):
        call, result = _call(n, random.Random(n))
        storage.save_call(call)
        storage.save_transcription(result, prefix="goto_connect", call=call)
    return hi - lo


def generate(data_dir: Path, lo: int, hi: int, total: int, workers: int) -> float:
    started = time.perf_counter()
    step = 500
    jobs = [(str(data_dir), a, min(hi, a + step), total) for a in range(lo, hi, step)]
    with ProcessPoolExecutor(workers) as pool:
        for _ in pool.map(_write_range, jobs):
            pass
    return time.perf_counter() - started


def company(work: Path, n: int, workers: int) -> Path:
    data_dir = work / str(n)
    marker = data_dir / "complete.json"
    if marker.is_file() and json.loads(marker.read_text())["calls"] == n:
        return data_dir
    shutil.rmtree(data_dir, ignore_errors=True)
    seconds = generate(data_dir, 0, n, n, workers)
    marker.write_text(json.dumps({"calls": n, "seconds": seconds}))
    print(f"  generated {n} calls in {seconds:.0f} s", flush=True)
    return data_dir


def child(code: str) -> dict:
    """Run ``code`` in a fresh Python; it prints one JSON line last."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


OPEN_MONTH = """
import json, time
t0 = time.perf_counter(); c0 = time.process_time()
import perftel, perftel.dataset
ti = time.perf_counter()
ds = perftel.open_dataset({company!r}, {data_dir!r}, update=False)
calls = ds.calls("2025-06-01", "2025-06-30")
t1 = time.perf_counter(); c1 = time.process_time()
calls2 = ds.calls("2025-07-01", "2025-07-31")
t2 = time.perf_counter()
print(json.dumps({{"open_month_s": t1 - t0, "open_month_cpu_s": c1 - c0, "import_s": ti - t0, "month_again_s": t2 - t1, "rows": len(calls)}}))
"""

LEGACY = """
import json, time
t0 = time.perf_counter()
from perftel.notebook import load_tables
from perftel.evaluate import peak_rss_mb
tables = load_tables({company!r}, {data_dir!r})
month = tables.calls[(tables.calls.started_at >= "2025-06-01") & (tables.calls.started_at < "2025-07-01")]
t1 = time.perf_counter()
hits = tables.segments[tables.segments.text.str.contains("boleto", case=False)]
t2 = time.perf_counter()
print(json.dumps({{"legacy_open_month_s": t1 - t0, "legacy_search_s": t2 - t1, "legacy_rss_mb": peak_rss_mb(),
                  "rows": len(month), "hits": len(hits)}}))
"""

NOTEBOOK = """
import json, time, statistics
import perftel
from perftel.evaluate import peak_rss_mb
ds = perftel.open_dataset({company!r}, {data_dir!r}, update=False)
month = ds.calls("2025-06-01", "2025-06-30")
per_day = ds.calls_per_day("2025-06-01", "2025-06-30")
per_hour = ds.calls_per_hour("2025-06-01", "2025-06-30")
agents = ds.talk_seconds_per_agent("2025-06-01", "2025-06-30")
durations = ds.duration_stats("2025-06-01", "2025-06-30")
def timed(f, n=7):
    times, cpu = [], []
    for _ in range(n):
        t = time.perf_counter(); c = time.process_time(); r = f()
        times.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
    return statistics.median(times), len(r), statistics.median(cpu)
word, word_hits, word_cpu = timed(lambda: ds.search({word!r}))
phrase, phrase_hits, phrase_cpu = timed(lambda: ds.search({phrase!r}))
word_month, _, _ = timed(lambda: ds.search({word!r}, start="2025-06-01", end="2025-06-30"))
scan = {{}}
if {scan!r}:  # the same searches by scanning every segment's text (what search did before the token index)
    scan_word, scan_word_hits, scan_word_cpu = timed(lambda: ds._search_scan({word!r}), 3)
    scan_phrase, scan_phrase_hits, scan_phrase_cpu = timed(lambda: ds._search_scan({phrase!r}), 3)
    assert (scan_word_hits, scan_phrase_hits) == (word_hits, phrase_hits)
    scan = {{"scan_word_ms": scan_word * 1000, "scan_word_cpu_ms": scan_word_cpu * 1000,
             "scan_phrase_ms": scan_phrase * 1000, "scan_phrase_cpu_ms": scan_phrase_cpu * 1000}}
print(json.dumps({{**scan, "word_cpu_ms": word_cpu * 1000, "phrase_cpu_ms": phrase_cpu * 1000, "word_ms": word * 1000, "phrase_ms": phrase * 1000, "word_month_ms": word_month * 1000,
                  "word_hits": word_hits, "phrase_hits": phrase_hits, "rss_mb": peak_rss_mb(),
                  "month_rows": len(month), "agents": len(agents)}}))
"""


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the machine is shared: wall time is noisy)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure_search(work: Path, n: int, workers: int) -> dict:
    """Only the search figures (``--search-only``): bring the store up to date (a rebuild when its version
    changed), then the notebook-like process, with the token index and with a scan of every segment."""
    from perftel.dataset import update_dataset

    print(f"== {n} calls (search only)", flush=True)
    data_dir = company(work, n, workers)
    row: dict = {"calls": n}
    t, c = time.perf_counter(), _cpu()
    report = update_dataset(COMPANY, data_dir)
    row["update_s"], row["update_cpu_s"], row["rebuilt"] = time.perf_counter() - t, _cpu() - c, report.rebuilt
    print(
        f"  update {row['update_s']:.1f} s ({row['update_cpu_s']:.0f} s CPU, rebuilt: {report.rebuilt})",
        flush=True,
    )
    args = {
        "company": COMPANY,
        "data_dir": str(data_dir),
        "word": TARGET_WORD,
        "phrase": TARGET_PHRASE,
        "scan": True,
    }
    row.update(child(NOTEBOOK.format(**args)))
    print(
        f"  word {row['word_ms']:.0f} ms ({row['word_cpu_ms']:.0f} ms CPU), phrase {row['phrase_ms']:.0f} ms"
        f" ({row['phrase_cpu_ms']:.0f} ms CPU), word in one month {row['word_month_ms']:.0f} ms;"
        f" scan: word {row['scan_word_ms']:.0f} ms ({row['scan_word_cpu_ms']:.0f} ms CPU), phrase"
        f" {row['scan_phrase_ms']:.0f} ms ({row['scan_phrase_cpu_ms']:.0f} ms CPU); rss {row['rss_mb']:.0f} MB",
        flush=True,
    )
    return row


def measure_rebuild(work: Path, n: int, workers: int) -> dict:
    """Only the full rebuild (``--rebuild-only``): wall and CPU seconds (this process and its worker
    processes), files indexed, parts written, files skipped."""
    from perftel.dataset import update_dataset

    print(f"== {n} calls (rebuild only)", flush=True)
    data_dir = company(work, n, workers)
    t, c = time.perf_counter(), _cpu()
    report = update_dataset(COMPANY, data_dir, rebuild=True)
    row = {"calls": n, "rebuild_s": time.perf_counter() - t, "rebuild_cpu_s": _cpu() - c}
    row.update(files=report.added, parts=report.parts_written, skipped=len(report.skipped))
    print(
        f"  rebuild {row['rebuild_s']:.1f} s ({row['rebuild_cpu_s']:.1f} s CPU), {report.added} files",
        flush=True,
    )
    return row


def measure(work: Path, n: int, workers: int, legacy_max: int) -> dict:
    from perftel.dataset import update_dataset

    print(f"== {n} calls", flush=True)
    data_dir = company(work, n, workers)
    row: dict = {"calls": n}
    t, c = time.perf_counter(), _cpu()
    report = update_dataset(COMPANY, data_dir, rebuild=True)
    row["rebuild_s"] = time.perf_counter() - t
    row["rebuild_cpu_s"] = _cpu() - c
    row["files"] = report.added
    store = data_dir / COMPANY / "dataset"
    live = json.loads((store / "manifest.json").read_text())[
        "parts"
    ]  # not the retired parts kept for readers
    row["store_mb"] = sum(f.stat().st_size for p in live for f in (store / "parts" / p["id"]).iterdir()) / 1e6
    print(f"  rebuild {row['rebuild_s']:.1f} s ({report.added} files)", flush=True)
    t = time.perf_counter()
    noop = update_dataset(COMPANY, data_dir)
    row["noop_update_s"] = time.perf_counter() - t
    assert noop.added == 0 and noop.changed == 0

    args = {
        "company": COMPANY,
        "data_dir": str(data_dir),
        "word": TARGET_WORD,
        "phrase": TARGET_PHRASE,
        "scan": False,
    }
    runs = [child(OPEN_MONTH.format(**args)) for _ in range(3)]
    row["open_month_s"] = statistics.median(r["open_month_s"] for r in runs)
    row["month_again_s"] = statistics.median(r["month_again_s"] for r in runs)
    row["import_s"] = statistics.median(r["import_s"] for r in runs)
    row["month_rows"] = runs[0]["rows"]
    row.update({k: v for k, v in child(NOTEBOOK.format(**args)).items() if k != "month_rows"})
    print(
        f"  open+month {row['open_month_s']:.2f} s, word {row['word_ms']:.0f} ms, phrase {row['phrase_ms']:.0f} ms,"
        f" rss {row['rss_mb']:.0f} MB",
        flush=True,
    )
    if n <= legacy_max:
        row.update(child(LEGACY.format(**args)))
        print(
            f"  legacy open+month {row['legacy_open_month_s']:.1f} s, rss {row['legacy_rss_mb']:.0f} MB",
            flush=True,
        )

    # a run that adds 1,000 calls (2,000 files), then one where they are deleted again
    generate(data_dir, n, n + 1000, n, workers)
    t, c = time.perf_counter(), _cpu()
    inc = update_dataset(COMPANY, data_dir)
    row["update_add_1000_s"] = time.perf_counter() - t
    row["update_add_1000_cpu_s"] = _cpu() - c
    assert inc.added == 2000, inc.summary()
    storage = CompanyStorage(COMPANY, data_dir)
    for k in range(n, n + 1000):
        (storage.metadata_dir / f"detail_call-{k:07d}.json").unlink()
        for path in storage.transcription_paths("goto_connect", f"rec-{k:07d}"):
            path.unlink()
    t = time.perf_counter()
    dec = update_dataset(COMPANY, data_dir)
    row["update_delete_1000_s"] = time.perf_counter() - t
    assert dec.deleted == 2000, dec.summary()
    print(
        f"  +1000 calls {row['update_add_1000_s']:.2f} s, -1000 calls {row['update_delete_1000_s']:.2f} s",
        flush=True,
    )
    return row


def table(rows: list[dict]) -> str:
    def f(row, key, fmt):
        return format(row[key], fmt) if key in row else "–"

    lines = [
        "| calls (segments) | rebuild [≤180 s] wall (CPU) | store MB | open + month [≤1 s] wall (CPU) | "
        "of which import | JSON today: open + month | month again | word search [≤300 ms] wall (CPU) | "
        "phrase [≤500 ms] wall (CPU) | word, one month | peak RSS [≤500 MB] (JSON today) | "
        "+1,000 calls [≤5 s] wall (CPU) | −1,000 calls | no-op update |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['calls']:,} ({r['calls'] * SEGMENTS:,}) | {f(r, 'rebuild_s', '.1f')} s ({f(r, 'rebuild_cpu_s', '.0f')} s) | "
            f"{f(r, 'store_mb', '.0f')} | {f(r, 'open_month_s', '.2f')} s ({f(r, 'open_month_cpu_s', '.2f')} s) | "
            f"{f(r, 'import_s', '.2f')} s | {f(r, 'legacy_open_month_s', '.1f')} s | {f(r, 'month_again_s', '.3f')} s | "
            f"{f(r, 'word_ms', '.0f')} ms ({f(r, 'word_cpu_ms', '.0f')} ms; {r.get('word_hits', 0):,} hits) | "
            f"{f(r, 'phrase_ms', '.0f')} ms ({f(r, 'phrase_cpu_ms', '.0f')} ms) | {f(r, 'word_month_ms', '.0f')} ms | "
            f"{f(r, 'rss_mb', '.0f')} MB ({f(r, 'legacy_rss_mb', '.0f')} MB) | "
            f"{f(r, 'update_add_1000_s', '.2f')} s ({f(r, 'update_add_1000_cpu_s', '.1f')} s) | "
            f"{f(r, 'update_delete_1000_s', '.2f')} s | {f(r, 'noop_update_s', '.2f')} s |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/perftel-bench-dataset"))
    parser.add_argument("--workers", type=int, default=2, help="processes writing the synthetic JSON")
    parser.add_argument("--legacy-max", type=int, default=20000, help="largest N for today's load_tables")
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="only update the store and time the searches (token index vs scan)",
    )
    parser.add_argument(
        "--rebuild-only", action="store_true", help="only the full rebuild, wall and CPU seconds"
    )
    args = parser.parse_args()
    if args.rebuild_only:
        print(json.dumps([measure_rebuild(args.work, n, args.workers) for n in args.calls]))
        return
    if args.search_only:
        rows = [measure_search(args.work, n, args.workers) for n in args.calls]
        print(json.dumps(rows))
        return
    import duckdb
    import pyarrow

    started = time.perf_counter()
    rows = [measure(args.work, n, args.workers, args.legacy_max) for n in args.calls]
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Linux {platform.release()}, Python "
        f"{platform.python_version()}, duckdb {duckdb.__version__}, pyarrow {pyarrow.__version__}"
    )
    text = f"{table(rows)}\n\nMachine: {machine}; run took {(time.perf_counter() - started) / 60:.1f} min.\n"
    print(text)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
