"""Personal data in spoken calls: transcription (errors included) + redaction, Portuguese and English.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_privacy.py                   # 6 calls per language
    PYTHONPATH=. .venv/bin/python benchmarks/bench_privacy.py --per-language 2  # quick look

The calls come from ``benchmarks/privacy_calls.py`` (espeak-ng, with their truth) in a temporary folder.
Each is transcribed by the bundled ``base`` model (int8, language pinned, word times on), then written
through ``perftel.storage`` into a company folder whose policy is the default plus ``audio = true``, so
the figures are those of what perftel writes. Reported:

* **leaks** — for each personal value, whether any run of ≥ 6 consecutive digits of it survives in any
  written file: the digits of each speaker's segments in order (number words turned into digits first,
  separators dropped), in the JSON and TXT; for an e-mail, any name of its local part anywhere;
* **non-personal numbers readable** — order numbers, prices and times whose digits appear in the redacted
  transcript, as a share of those readable in the unredacted one (what transcription already lost is not
  redaction's doing), and as a share of all;
* **time** — text redaction as a share of transcription time (per call and in total); the audio copy
  (decode, silence, write, verify) is reported on its own.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.privacy_calls import build  # noqa: E402
from perftel.models import TranscriptionResult  # noqa: E402
from perftel.privacy import PrivacyPolicy, redact_transcript  # noqa: E402
from perftel.privacy.numbers import mark_numbers, tokenize  # noqa: E402
from perftel.storage import CompanyStorage  # noqa: E402
from perftel.transcribe import TranscribeOptions, Transcriber, WhisperSettings  # noqa: E402


def digit_streams(result: TranscriptionResult) -> dict[str, str]:
    """Each speaker's digits in order (number words as digits), everything else dropped."""
    streams: dict[str, str] = {}
    for segment in sorted(result.segments, key=lambda s: s.start):
        tokens = mark_numbers(tokenize(segment.text), result.language)
        digits = "".join(t.digits or "" for t in tokens if t.kind == "num")
        digits += "".join(re.findall(r"\d", " ".join(t.text for t in tokens if t.kind == "word")))  # "14h30"
        key = segment.speaker or "?"
        streams[key] = streams.get(key, "") + digits
    return streams


def leaked(value: dict, result: TranscriptionResult) -> bool:
    if value["kind"] == "email":  # the names of the local part are said nowhere else in these calls
        return any(p in segment.text.lower() for segment in result.segments for p in value["local"])
    digits = value["digits"]
    everything = " ".join(digit_streams(result).values())
    return any(digits[i : i + 6] in everything for i in range(len(digits) - 5))


def readable(number: str, result: TranscriptionResult) -> bool:
    return any(number in stream for stream in digit_streams(result).values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-language", type=int, default=6)
    parser.add_argument("--model", default="base")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument(
        "--cache", type=Path, help="keep the raw transcripts of these synthetic calls here, reuse them"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        truth = build(tmp / "calls", args.per_language, args.seed)
        data_dir = tmp / "data"
        (data_dir / "bench").mkdir(parents=True)
        (data_dir / "bench" / "settings.toml").write_text(
            'country = "BR"\n[privacy]\naudio = true\n', "utf-8"
        )
        storage = CompanyStorage("bench", data_dir).ensure()
        policy = PrivacyPolicy(region="BR")
        transcribers = {
            lang: Transcriber(
                WhisperSettings(args.model, options=TranscribeOptions(language=lang, word_timestamps=True))
            )
            for lang in ("pt", "en")
        }
        for name, entry in truth.items():
            lang = entry["language"]
            audio = storage.recordings_dir / name
            audio.write_bytes((tmp / "calls" / name).read_bytes())
            transcriber = transcribers[lang]
            cached = args.cache / f"{args.model}_{args.seed}_{audio.stem}.json" if args.cache else None
            if cached is not None and cached.is_file():  # synthetic calls only: their raw transcripts, reused
                saved = json.loads(cached.read_text("utf-8"))
                raw = TranscriptionResult.from_dict(saved["result"])
                raw.audio_path = str(audio)
                t1 = time.perf_counter()
                t0 = t1 - saved["transcribe_s"]
            else:
                t0 = time.perf_counter()
                raw = transcriber.transcribe(
                    audio, recording_id=audio.stem, channel_roles={0: "agent", 1: "customer"}
                )
                t1 = time.perf_counter()
                if cached is not None:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    cached.write_text(
                        json.dumps({"result": raw.to_dict(), "transcribe_s": t1 - t0}, default=str), "utf-8"
                    )
            before = copy.deepcopy(raw)  # saving redacts ``raw`` in place
            done = redact_transcript(raw, policy)
            t2 = time.perf_counter()
            json_path, _ = storage.save_transcription(raw, prefix="bench")  # redacts again, + audio copy
            t3 = time.perf_counter()
            written = TranscriptionResult.from_dict(json.loads(json_path.read_text("utf-8")))
            txt = json_path.with_suffix(".txt").read_text("utf-8")
            assert written.text == done.result.text
            rows.append(
                {
                    "call": name,
                    "language": lang,
                    "seconds": raw.duration,
                    "transcribe_s": t1 - t0,
                    "redact_s": t2 - t1,
                    "write_with_audio_s": t3 - t2 - (t2 - t1),
                    "personal": [
                        {"kind": v["kind"], "leaked": leaked(v, written) or _in_txt(v, txt)}
                        for v in entry["personal"]
                    ],
                    "other": [
                        {
                            "what": o["what"],
                            "before": readable(o["digits"], before),
                            "after": readable(o["digits"], written),
                        }
                        for o in entry["other"]
                    ],
                    "counts": done.pii_counts,
                }
            )
            print(
                f"{name}: transcribe {t1 - t0:.1f} s, redact {1000 * (t2 - t1):.1f} ms, {done.pii_counts}",
                flush=True,
            )
    report(rows, time.perf_counter() - started, args)


def _in_txt(value: dict, txt: str) -> bool:
    if value["kind"] == "email":
        return False  # checked per segment in the JSON (the TXT has the same lines)
    digits = "".join(re.findall(r"\d", txt))
    return any(value["digits"][i : i + 6] in digits for i in range(len(value["digits"]) - 5))


def report(rows: list[dict], wall: float, args: argparse.Namespace) -> None:
    import faster_whisper

    print()
    print(f"# Personal data: {len(rows)} spoken calls, model {args.model}, {wall / 60:.1f} min")
    print(
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"faster-whisper {faster_whisper.__version__}; shared with other jobs"
    )
    print()
    print(
        "| language | personal values | leaked (≥ 6 digits or address) | by kind (leaked/total) | non-personal readable after / before | after / all | redaction / transcription time |"
    )
    print("|---|---|---|---|---|---|---|")
    for lang in ("pt", "en", "all"):
        mine = [r for r in rows if lang in ("all", r["language"])]
        values = [v for r in mine for v in r["personal"]]
        by_kind: dict[str, list[int]] = {}
        for v in values:
            cell = by_kind.setdefault(v["kind"], [0, 0])
            cell[0] += v["leaked"]
            cell[1] += 1
        others = [o for r in mine for o in r["other"]]
        before = [o for o in others if o["before"]]
        after_of_before = sum(o["after"] for o in before)
        share = sum(r["redact_s"] for r in mine) / max(1e-9, sum(r["transcribe_s"] for r in mine))
        worst = max(r["redact_s"] / max(1e-9, r["transcribe_s"]) for r in mine)
        kinds = ", ".join(f"{k} {a}/{b}" for k, (a, b) in sorted(by_kind.items()))
        print(
            f"| {lang} | {len(values)} | {sum(v['leaked'] for v in values)} | {kinds} | "
            f"{after_of_before}/{len(before)} = {after_of_before / max(1, len(before)):.0%} | "
            f"{sum(o['after'] for o in others)}/{len(others)} | {share:.2%} (worst call {worst:.2%}) |"
        )
    audio = sum(r["write_with_audio_s"] for r in rows) / max(1e-9, sum(r["transcribe_s"] for r in rows))
    print()
    print(
        f"Writing with the audio copy (decode, silence, write WAV, verify), as a share of transcription: {audio:.1%}."
    )
    print()
    print(
        "Per call: " + json.dumps([{k: r[k] for k in ("call", "counts")} for r in rows], ensure_ascii=False)
    )


if __name__ == "__main__":
    main()
