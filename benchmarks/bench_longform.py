"""Long telephone calls: perftel's transcriber against plain faster-whisper and an oracle, same files and model.

    .venv/bin/python benchmarks/bench_longform.py            # full run, writes RESULTS.md
    .venv/bin/python benchmarks/bench_longform.py --quick    # one seed, 20-minute long file, prints only
    ... --long-minutes 0 --per-channel --variant greedy:beam_size=1 --detect --batched

Calls are built from ../shared/audio (see benchmarks/calls.py) in a temporary folder. For each call the
same model (default: bundled base, int8) transcribes it, one system after the other in one process:
``defaults`` (faster-whisper's ``WhisperModel.transcribe`` with its defaults, each side of a two-channel
call separately, language pinned), ``perftel`` (``Transcriber`` with its defaults, language pinned),
``oracle`` (every turn cut out of the call's own audio, levelled alone to -3 dBFS, decoded alone with the
language known: the best any segmentation and levelling can do with this model), and on request
``perftel-detect`` (language detected among en/pt), ``perftel-per-channel`` (each side in its own windows,
as before issue 20), ``perftel-<name>`` variants of ``TranscribeOptions`` and ``batched``
(``BatchedInferencePipeline``). perftel's encoder windows and decoded seconds per call are counted
(``TranscriptionResult.decoding``), which does not depend on machine load. The baseline is each clip alone
through the same telephone channel at the agent's level (``sentence``) and at the customer's level
(``sentence@customer``), decoded with the defaults. A long synthetic call (default 2 hours) is then
transcribed by perftel in a child process to measure peak RSS, next to the RSS of decoding it whole the way
faster-whisper does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import wave
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calls import CLIPS, RATE, build_call, load_clip, peak_to, references, telephone  # noqa: E402

from perftel.evaluate import error_counts, peak_rss_mb  # noqa: E402
from perftel.transcribe import TranscribeOptions, Transcriber, WhisperSettings  # noqa: E402

HERE = Path(__file__).resolve().parent


def machine() -> str:
    import ctranslate2
    import faster_whisper

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {cores} cores available, {mem:.0f} GB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, faster-whisper {faster_whisper.__version__}, "
        f"CTranslate2 {ctranslate2.__version__}; machine shared with other jobs (timings noisy, ratios are "
        "measured side by side)"
    )


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, all threads (robust to other jobs on the machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def split_channels(path: Path) -> list[np.ndarray]:
    import av
    from faster_whisper import decode_audio

    with av.open(str(path)) as container:
        channels = container.streams.audio[0].codec_context.channels
    audio = decode_audio(str(path), split_stereo=channels == 2)
    return list(audio) if channels == 2 else [audio]


def run_defaults(whisper, path: Path, language: str | None) -> str:  # noqa: ANN001
    found = []
    for audio in split_channels(path):
        segments, _ = whisper.transcribe(audio, language=language)
        found += [(s.start, s.text) for s in segments]
    return " ".join(text for _, text in sorted(found))


def run_batched(pipeline, path: Path, language: str | None) -> str:  # noqa: ANN001
    found = []
    for audio in split_channels(path):
        segments, _ = pipeline.transcribe(audio, language=language, batch_size=8)
        found += [(s.start, s.text) for s in segments]
    return " ".join(text for _, text in sorted(found))


def run_oracle(whisper, call, language: str) -> str:  # noqa: ANN001
    """Every turn cut out of the call's own audio (its side for two-channel files, the mixdown for mono),
    levelled alone to -3 dBFS peak and decoded alone with the language known (faster-whisper defaults)."""
    channels = split_channels(call.path)
    texts = []
    for side, start, end, _ in call.turns:
        track = channels[side if len(channels) > 1 else 0]
        piece = track[max(0, int((start - 0.2) * RATE)) : int((end + 0.2) * RATE)]
        segments, _ = whisper.transcribe(peak_to(piece, -3.0), language=language)
        texts.append(" ".join(s.text for s in segments))
    return " ".join(texts)


def long_call(path: Path, minutes: float, seed: int = 7) -> tuple[Path, str, float]:
    """A two-channel English call of ``minutes``: a turn every ~3 minutes over line noise, written a minute at a time."""
    rng = np.random.default_rng(seed)
    refs = references()
    names = CLIPS["en"]  # one language: perftel detects the language once per call
    total = int(minutes * 60 * RATE)
    turns: list[tuple[int, int, np.ndarray, str]] = []
    at, turn = 5 * RATE, 0
    while at < total - 20 * RATE:
        name = names[turn % len(names)]
        clip = peak_to(load_clip(name), -6.0 if turn % 2 == 0 else -33.0)
        turns.append((at, turn % 2, clip, refs[name]))
        at += len(clip) + int(rng.uniform(150, 210) * RATE)
        turn += 1
    raw = path.with_suffix(".raw.wav")
    with wave.open(str(raw), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        for start in range(0, total, 60 * RATE):
            n = min(60 * RATE, total - start)
            piece = rng.normal(0, 10 ** (-75 / 20), (n, 2)).astype(np.float32)
            for where, side, clip, _ in turns:
                lo, hi = max(where, start), min(where + len(clip), start + n)
                if lo < hi:
                    piece[lo - start : hi - start, side] += clip[lo - where : hi - where]
            out.writeframes((np.clip(piece, -1, 1) * 32767).astype("<i2").tobytes())
    subprocess.run(
        ["sox", "-q", "-D", str(raw), "-r", "8000", "-e", "mu-law", "-b", "8", str(path), "sinc", "300-3400"],
        check=True,
    )
    raw.unlink()
    return path, " ".join(t[3] for t in turns), sum(len(t[2]) for t in turns) / RATE


def rss_child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints a JSON dict; add its peak RSS in MB."""
    wrapped = (
        code
        + "\nimport json\nfrom perftel.evaluate import peak_rss_mb\nresult['peak_rss_mb'] = peak_rss_mb()\nprint(json.dumps(result))\n"
    )
    out = subprocess.run([sys.executable, "-c", wrapped], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 20-minute long file")
    parser.add_argument("--seeds", type=int, nargs="*", default=None)
    parser.add_argument("--model", default="base")
    parser.add_argument("--long-minutes", type=float, default=None)
    parser.add_argument(
        "--batched", action="store_true", help="also faster-whisper's BatchedInferencePipeline"
    )
    parser.add_argument(
        "--detect", action="store_true", help="also perftel with the language detected among en/pt"
    )
    parser.add_argument(
        "--no-oracle", action="store_true", help="skip the oracle (each turn alone at -3 dBFS)"
    )
    parser.add_argument(
        "--per-channel",
        action="store_true",
        help="also perftel with per-channel windows (share_windows=False, as before issue 20)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:FIELD=VALUE[,FIELD=VALUE]",
        help="also perftel with these TranscribeOptions, e.g. greedy:beam_size=1",
    )
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    seeds = args.seeds or ([1] if args.quick else [1, 2, 3])
    long_minutes = args.long_minutes if args.long_minutes is not None else (20.0 if args.quick else 120.0)
    started = time.perf_counter()

    from faster_whisper import BatchedInferencePipeline

    transcriber = Transcriber(WhisperSettings(args.model, "cpu", "int8"))
    transcriber.initialize()
    whisper = transcriber._whisper  # the very same loaded model for every system
    batched = BatchedInferencePipeline(whisper)
    variants = {
        "perftel": TranscribeOptions(),
        "perftel-detect": TranscribeOptions(),
        "perftel-per-channel": TranscribeOptions(share_windows=False),
    }
    for spec in args.variant:
        name, _, fields = spec.partition(":")
        values = {}
        for item in filter(None, fields.split(",")):
            key, _, value = item.partition("=")
            values[key] = (
                type(getattr(TranscribeOptions(), key))(value)
                if value not in ("True", "False")
                else value == "True"
            )
        variants[f"perftel-{name}"] = replace(TranscribeOptions(), **values)
    # per system: errors, words, seconds, audio seconds, encoder windows, decoded seconds, calls, CPU seconds
    totals: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0, 0, 0.0, 0, 0.0])
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        refs = references()
        for language in ("en", "pt"):
            for label, level in (("sentence", -6.0), ("sentence@customer", -33.0)):
                for name in CLIPS[language]:
                    clip = peak_to(load_clip(name), level)
                    path = telephone([clip], folder / f"{label}_{name}.wav")
                    t0 = time.perf_counter()
                    hyp = run_defaults(whisper, path, language)
                    elapsed = time.perf_counter() - t0
                    words, errors, _, _ = error_counts(refs[name], hyp, language)
                    for layout in ("stereo", "mono"):
                        row = totals[(label, language, layout)]
                        row[0] += errors
                        row[1] += words
                        row[2] += elapsed
                        row[3] += len(clip) / RATE
        systems = (
            ["defaults", "perftel"]
            + (["perftel-detect"] if args.detect else [])
            + (["perftel-per-channel"] if args.per_channel else [])
            + [f"perftel-{v.partition(':')[0]}" for v in args.variant]
            + ([] if args.no_oracle else ["oracle"])
            + (["batched"] if args.batched else [])
        )
        for language in ("en", "pt"):
            for seed in seeds:
                for call in build_call(language, seed, folder):
                    for system in systems:
                        if system == "perftel-per-channel" and call.layout == "mono":
                            continue
                        t0, c0 = time.perf_counter(), cpu_seconds()
                        work = None
                        if system == "defaults":
                            hyp = run_defaults(whisper, call.path, language)
                        elif system == "batched":
                            hyp = run_batched(batched, call.path, language)
                        elif system == "oracle":
                            hyp = run_oracle(whisper, call, language)
                        else:
                            result = transcriber.transcribe(
                                call.path,
                                language="en,pt" if system == "perftel-detect" else language,
                                options=variants[system],
                            )
                            hyp, work = result.text, result.decoding
                            if system == "perftel-detect" and result.language != language:
                                lines.append(f"- {call.name}: language detected as {result.language}")
                        elapsed = time.perf_counter() - t0
                        cpu = cpu_seconds() - c0
                        words, errors, _, _ = error_counts(call.reference, hyp, language)
                        row = totals[(system, language, call.layout)]
                        row[7] += cpu
                        row[0] += errors
                        row[1] += words
                        row[2] += elapsed
                        row[3] += call.seconds
                        row[6] += 1
                        if work:
                            row[4] += work["encoder_passes"]
                            row[5] += work["decoded_seconds"]
                        print(
                            f"{call.name:22s} {system:20s} WER {errors / words:.3f}  RTF {elapsed / call.seconds:.3f}"
                            f"  CPU {cpu:.1f}s"
                            + (
                                f"  encoder passes {work['encoder_passes']} (windows {work['encoder_windows']}"
                                f"+{work['detection_windows']} detection) "
                                f"decoded {work['decoded_seconds']:.1f}s "
                                f"fallbacks {work.get('fallback_windows', 0)} re-decoded {work.get('redecoded_windows', 0)}"
                                if work
                                else ""
                            ),
                            flush=True,
                        )
        calls_rss = peak_rss_mb()

        if not long_minutes:
            ours = whole = idle = None
            long_errors, long_words, long_speech = 0, 1, 0.0
            long_path = None
        else:
            long_path, long_ref, long_speech = long_call(folder / "long.wav", long_minutes)
        if long_path is not None:
            ours = rss_child(
                "import time\nfrom perftel.transcribe import Transcriber, WhisperSettings\n"
                f"t = Transcriber(WhisperSettings({args.model!r})); t.initialize(); t0 = time.perf_counter()\n"
                f"r = t.transcribe({str(long_path)!r})\n"
                "result = {'seconds': time.perf_counter() - t0, 'text': r.text, 'duration': r.duration}"
            )
            whole = rss_child(
                "from faster_whisper import decode_audio\n"
                f"a = decode_audio({str(long_path)!r}, split_stereo=True)\n"
                "result = {'samples': len(a[0])}"
            )
            idle = rss_child(
                f"from perftel.transcribe import Transcriber, WhisperSettings\nt = Transcriber(WhisperSettings({args.model!r})); t.initialize()\nresult = {{}}"
            )
            long_words, long_errors, _, _ = error_counts(long_ref, ours["text"], "en")

    total_minutes = (time.perf_counter() - started) / 60
    report = render(
        totals,
        systems,
        seeds,
        args.model,
        calls_rss,
        long_minutes,
        long_speech,
        ours,
        whole,
        idle,
        long_errors / max(long_words, 1),
        lines,
        total_minutes,
        args.quick,
    )
    print(report)
    if quick_only := args.quick and args.results == HERE / "RESULTS.md":
        print("(--quick: RESULTS.md not written; give --results PATH to write)")
    if quick_only:
        return
    kept = ""  # the hand-written reading of the figures survives a re-run
    if args.results.exists() and "\n## Reading" in (previous := args.results.read_text(encoding="utf-8")):
        kept = previous[previous.index("\n## Reading") :]
    args.results.write_text(report + kept, encoding="utf-8")


def render(
    totals,
    systems,
    seeds,
    model,
    calls_rss,
    long_minutes,
    long_speech,
    ours,
    whole,
    idle,
    long_wer,
    lines,
    total_minutes,
    quick,
) -> str:  # noqa: ANN001
    def wer(key):  # noqa: ANN001, ANN202
        e, n = totals[key][:2]
        return e / n if n else float("nan")

    def rtf(key):  # noqa: ANN001, ANN202
        t, a = totals[key][2:4]
        return t / a if a else float("nan")

    def per_call(key, index):  # noqa: ANN001, ANN202
        calls = totals[key][6]
        return totals[key][index] / calls if calls else float("nan")

    out = [
        "# Long-form telephone calls: perftel vs faster-whisper defaults vs the oracle",
        "",
        f"Generated by `benchmarks/bench_longform.py{' --quick' if quick else ''}` in {total_minutes:.1f} min.",
        f"Machine: {machine()}.",
        f"Model: bundled `{model}`, int8, CPU. Calls: 5 FLEURS sentences per language as alternating turns "
        f"(agent -6 dBFS peak, customer 27 dB quieter), 2.5-9 s pauses, line noise -75 dBFS, sox "
        f"band-pass 300-3400 Hz, 8 kHz 8-bit mu-law; seeds {seeds}; each as a two-channel file and its mono "
        "mixdown (64-93 s, about 1/3 silence). WER pooled over words with Whisper's normalisers. "
        "`oracle`: every turn cut out of the same call audio (its own side, or the mixdown), levelled alone to "
        "-3 dBFS and decoded alone with the language known. Windows = encoder passes per call (decode + "
        "language detection; a window detected on and then decoded is encoded once); decoded s = seconds of audio given to Whisper per call (both do not depend on "
        "machine load).",
        "",
        "| language | layout | system | WER | × oracle | × sentence | RTF | wall time × defaults "
        "| CPU time × defaults | windows / call | decoded s / call |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for language in ("en", "pt"):
        for layout in ("stereo", "mono"):
            base = wer(("sentence", language, layout))
            oracle = wer(("oracle", language, layout)) if "oracle" in systems else float("nan")
            for system in systems:
                key = (system, language, layout)
                if not totals[key][6]:
                    continue
                ratio = totals[key][2] / totals[("defaults", language, layout)][2]
                cpu_ratio = totals[key][7] / totals[("defaults", language, layout)][7]
                windows = f"{per_call(key, 4):.1f}" if system.startswith("perftel") else ""
                decoded = f"{per_call(key, 5):.1f}" if system.startswith("perftel") else ""
                out.append(
                    f"| {language} | {layout} | {system} | {wer(key):.3f} | {wer(key) / oracle:.2f} | "
                    f"{wer(key) / base:.2f} | {rtf(key):.3f} | {ratio:.2f} | {cpu_ratio:.2f} | {windows} | {decoded} |"
                )
    out += [
        "",
        "Two-channel call against its mono mixdown (same speech; perftel):",
        "",
        "| language | system | time stereo / mono | CPU stereo / mono | windows stereo / mono "
        "| decoded s stereo / mono |",
        "|---|---|---|---|---|---|",
    ]
    for language in ("en", "pt"):
        for system in [s for s in systems if s.startswith("perftel") and s != "perftel-per-channel"] + (
            ["perftel-per-channel"] if "perftel-per-channel" in systems else []
        ):
            stereo, mono = (
                totals[(system, language, "stereo")],
                totals[(system if system != "perftel-per-channel" else "perftel", language, "mono")],
            )
            if not stereo[6] or not mono[6]:
                continue
            out.append(
                f"| {language} | {system} | {stereo[2] / mono[2]:.2f} | {stereo[7] / mono[7]:.2f} | "
                f"{stereo[4] / mono[4]:.2f} | "
                f"{stereo[5] / mono[5]:.2f} |"
            )
    out += [
        "",
        "One sentence at a time (each clip alone, same telephone channel, faster-whisper defaults):",
        "",
    ]
    out += ["| language | level | WER | RTF |", "|---|---|---|---|"]
    for language in ("en", "pt"):
        for label in ("sentence", "sentence@customer"):
            key = (label, language, "mono")
            out.append(
                f"| {language} | {'agent (-6 dBFS)' if label == 'sentence' else 'customer (-33 dBFS)'} | {wer(key):.3f} | {rtf(key):.3f} |"
            )
    out += [
        "",
        "## Memory",
        "",
        f"- Peak RSS of the benchmark process (model + all calls above, all systems): {calls_rss:.0f} MB.",
    ]
    if ours is not None:
        out += [
            f"- Model loaded, nothing transcribed (child process): {idle['peak_rss_mb']:.0f} MB.",
            f"- perftel on a {long_minutes:.0f}-minute two-channel call ({long_speech:.0f} s of speech; child process): "
            f"peak RSS {ours['peak_rss_mb']:.0f} MB, {ours['seconds']:.0f} s (RTF {ours['seconds'] / ours['duration']:.4f}), "
            f"WER {long_wer:.3f}.",
            f"- Decoding the same file whole, as faster-whisper does before transcribing (`decode_audio`, "
            f"split stereo; no model): peak RSS {whole['peak_rss_mb']:.0f} MB.",
        ]
    if lines:
        out += ["", "Notes:", *lines]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
