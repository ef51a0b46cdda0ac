"""Which Whisper model size to use: word/character error rates, speed, load time and memory per model.

    samples = load_manifest("../shared/audio/MANIFEST.tsv", languages=["en"])
    results = evaluate_models(samples, ["tiny.en", "base"])   # one row per (model, file)
    summarize(results)                                        # one row per model

Each model runs in its own child process (``python -m perftel.evaluate``), so its peak memory (RSS high-water mark,
including CTranslate2's native allocations, which ``tracemalloc`` cannot see) is measured on its own,
and no model stays in the caller's memory; this works from a notebook too. WER and CER use jiwer on
text normalised the way Whisper's papers do it: the English normaliser for English, the basic one for
other languages (from the ``whisper-normalizer`` package, which carries OpenAI's normalisers without
torch; when it is missing a built-in equivalent of the basic normaliser is used, see
:func:`normalize_text`). An English-only model (``*.en``) is not scored on non-English samples: its row
has ``wer`` NaN and a ``note``.
"""

from __future__ import annotations

import csv
import functools
import math
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from perftel.whisper_settings import WhisperSettings

COLUMNS = [
    "model",
    "file",
    "language",
    "audio_seconds",
    "processing_seconds",
    "rtf",
    "wer",
    "cer",
    "load_seconds",
    "peak_memory_mb",
    "reference",
    "hypothesis",
    "note",
    "words",
    "word_errors",
    "chars",
    "char_errors",
]
SUMMARY_COLUMNS = ["model", "files", "wer", "cer", "rtf", "load_seconds", "peak_memory_mb"]


@dataclass(frozen=True)
class Sample:
    """One recording with its reference transcript; ``language`` is ISO 639-1 ("en", "pt") or None."""

    path: Path
    reference: str
    language: str | None = None


def no_progress(model: str, done: int, total: int) -> None:
    """The default progress callback: does nothing."""


def load_manifest(
    path: str | Path, *, limit: int | None = None, languages: Sequence[str] | None = None
) -> list[Sample]:
    """Samples from a MANIFEST.tsv (columns ``file``, ``language``, ``reference``; other columns ignored).

    ``language`` "en-US" becomes "en". Rows naming the same file (e.g. one per side of a stereo file)
    are one sample whose reference joins theirs in order. ``languages`` keeps only those languages;
    ``limit`` keeps the first ``limit`` samples after that.
    """
    path = Path(path)
    wanted = {code.lower().split("-")[0] for code in languages} if languages else None
    samples: dict[str, Sample] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            name, reference = (row.get("file") or "").strip(), (row.get("reference") or "").strip()
            if not name:
                continue
            language = (row.get("language") or "").strip().lower().split("-")[0].split("_")[0] or None
            if name in samples:
                previous = samples[name]
                samples[name] = Sample(
                    previous.path, f"{previous.reference} {reference}".strip(), previous.language
                )
            else:
                samples[name] = Sample(path.parent / name, reference, language)
    selected = [s for s in samples.values() if wanted is None or (s.language or "") in wanted]
    return selected[:limit] if limit is not None else selected


@functools.cache
def _whisper_normalizers() -> tuple[Callable[[str], str], Callable[[str], str]] | None:
    try:
        from whisper_normalizer.basic import BasicTextNormalizer
        from whisper_normalizer.english import EnglishTextNormalizer
    except ImportError:
        return None
    return EnglishTextNormalizer(), BasicTextNormalizer()


def _basic_normalize(text: str) -> str:
    """Whisper's BasicTextNormalizer: drop [..] and (..), symbols/punctuation/marks to spaces, lowercase."""
    text = re.sub(r"[<\[][^>\]]*[>\]]", "", text.lower())
    text = re.sub(r"\(([^)]+?)\)", "", text)
    text = "".join(
        " " if unicodedata.category(c)[0] in "MSP" else c for c in unicodedata.normalize("NFKC", text)
    )
    return re.sub(r"\s+", " ", text).strip()


def normalize_text(text: str, language: str | None) -> str:
    """Text as Whisper's evaluation normalises it: English normaliser for "en", basic one otherwise.

    Uses OpenAI's normalisers from the ``whisper-normalizer`` package; without it, the basic
    normaliser is applied to every language (English then loses only the spelling/number
    simplifications, which makes English WER slightly higher).
    """
    normalizers = _whisper_normalizers()
    if normalizers is None:
        return _basic_normalize(text)
    english, basic = normalizers
    return " ".join((english if (language or "").lower().startswith("en") else basic)(text).split())


def error_counts(reference: str, hypothesis: str, language: str | None) -> tuple[int, int, int, int]:
    """(words in reference, word errors, characters in reference, character errors) after normalising."""
    import jiwer

    ref, hyp = normalize_text(reference, language), normalize_text(hypothesis, language)
    if not ref:
        return 0, len(hyp.split()), 0, len(hyp)
    words = jiwer.process_words(ref, hyp)
    chars = jiwer.process_characters(ref, hyp)
    word_errors = words.substitutions + words.deletions + words.insertions
    char_errors = chars.substitutions + chars.deletions + chars.insertions
    return len(ref.split()), word_errors, len(ref), char_errors


def _skip_reason(model: str, language: str | None) -> str | None:
    if model.endswith(".en") and language not in (None, "en"):
        return f"skipped: {model} is English-only and this sample is {language!r}"
    return None


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (VmHWM: unlike ``ru_maxrss`` it does not inherit the
    parent's high-water mark across fork/exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker() -> None:
    """Child process (``python -m perftel.evaluate``): read one job as JSON on stdin, load the model once,
    transcribe every sample it can, and write JSON lines: loaded, row…, progress…, then peak RSS."""
    import json
    import os
    import sys

    from perftel.transcribe import Transcriber

    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # anything else printed must not mix with the messages

    def send(*message: Any) -> None:
        channel.write(json.dumps(message) + "\n")

    try:
        job = json.load(sys.stdin)
        settings = WhisperSettings.from_dict(job["whisper"])
        model = settings.model
        started = time.perf_counter()
        transcriber = Transcriber(settings)
        transcriber.initialize()
        send("loaded", time.perf_counter() - started)
        for index, (path, language) in enumerate(job["samples"]):
            if _skip_reason(model, language) is None:
                result = transcriber.transcribe(path, language=language)
                send("row", index, result.text, result.duration, result.processing_seconds)
            send("progress", index + 1)
        send("done", peak_rss_mb())
    except BaseException as exc:  # reported to the parent, which raises
        send("error", f"{type(exc).__name__}: {exc}")


def evaluate_models(
    samples: Sequence[Sample],
    models: Sequence[str] = ("tiny.en", "base"),
    *,
    whisper: WhisperSettings | None = None,
    on_progress: Callable[[str, int, int], None] = no_progress,
) -> pd.DataFrame:
    """Transcribe ``samples`` with each model and score them: one row per (model, file).

    Columns: model, file, language, audio_seconds, processing_seconds, rtf, wer, cer, load_seconds,
    peak_memory_mb (the model's own process, high-water RSS), reference, hypothesis, note (why a pair
    was skipped), and the raw counts words, word_errors, chars, char_errors that :func:`summarize`
    pools. ``whisper`` gives the device, compute type, threads and decoding options (default
    :meth:`~perftel.whisper_settings.WhisperSettings.from_env`); its model is replaced by each of ``models``.
    A sample's language, when known, is pinned. ``on_progress(model, done, total)`` is called
    after each file. Raises ConfigError for a bad model name (before any work), RuntimeError when a model's
    process fails (e.g. the model cannot be loaded).
    """
    import dataclasses
    import json
    import subprocess
    import sys

    samples = list(samples)
    job_samples = [(str(Path(s.path).resolve()), s.language) for s in samples]
    rows: list[dict[str, Any]] = []
    whisper = whisper if whisper is not None else WhisperSettings.from_env()
    per_model = {model: dataclasses.replace(whisper, model=model) for model in models}  # all checked first
    for model in models:
        job = {
            "whisper": per_model[model].to_dict(),
            "samples": job_samples,
        }
        found: dict[int, list[Any]] = {}
        load_seconds, peak, error = math.nan, math.nan, None
        with subprocess.Popen(
            [sys.executable, "-m", "perftel.evaluate"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        ) as process:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(job))
            process.stdin.close()
            for line in process.stdout:
                message = json.loads(line)
                kind = message[0]
                if kind == "loaded":
                    load_seconds = message[1]
                elif kind == "row":
                    found[message[1]] = message[2:]
                elif kind == "progress":
                    on_progress(model, message[1], len(samples))
                elif kind == "error":
                    error = message[1]
                else:
                    peak = message[1]
        if error is not None or process.returncode:
            raise RuntimeError(
                f"evaluating {model}: {error or f'its process exited with {process.returncode}'}"
            )
        for index, sample in enumerate(samples):
            rows.append(_row(model, sample, found.get(index), load_seconds, peak))
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(
    model: str, sample: Sample, found: list[Any] | None, load_seconds: float, peak: float
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "model": model,
        "file": sample.path.name,
        "language": sample.language,
        "reference": sample.reference,
        "load_seconds": round(load_seconds, 3),
        "peak_memory_mb": round(peak, 1),
        "note": _skip_reason(model, sample.language) or "",
    }
    if found is None:
        nan = math.nan
        return row | {
            "audio_seconds": nan,
            "processing_seconds": nan,
            "rtf": nan,
            "wer": nan,
            "cer": nan,
            "hypothesis": "",
            "words": 0,
            "word_errors": 0,
            "chars": 0,
            "char_errors": 0,
        }
    text, seconds, processing = found
    words, word_errors, chars, char_errors = error_counts(sample.reference, text, sample.language)
    return row | {
        "audio_seconds": seconds,
        "processing_seconds": processing,
        "rtf": round(processing / seconds, 4) if seconds else math.nan,
        "wer": word_errors / words if words else math.nan,
        "cer": char_errors / chars if chars else math.nan,
        "hypothesis": text,
        "words": words,
        "word_errors": word_errors,
        "chars": chars,
        "char_errors": char_errors,
    }


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """One row per model: files scored, pooled WER and CER (errors over reference words/characters of
    the scored files), RTF (total processing / total audio), load seconds, peak memory in MB."""
    out = []
    for model, group in results.groupby("model", sort=False):
        scored = group[group["wer"].notna()]
        words, chars = scored["words"].sum(), scored["chars"].sum()
        audio = scored["audio_seconds"].sum()
        out.append(
            {
                "model": model,
                "files": len(scored),
                "wer": scored["word_errors"].sum() / words if words else math.nan,
                "cer": scored["char_errors"].sum() / chars if chars else math.nan,
                "rtf": scored["processing_seconds"].sum() / audio if audio else math.nan,
                "load_seconds": group["load_seconds"].max(),
                "peak_memory_mb": group["peak_memory_mb"].max(),
            }
        )
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


if __name__ == "__main__":
    _worker()
