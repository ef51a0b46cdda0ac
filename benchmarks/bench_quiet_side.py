"""What the quiet customer side loses, step by step: the same sentences through each part of the telephone
channel, every version levelled to -3 dBFS peak before decoding (so level alone is never the difference).

    .venv/bin/python benchmarks/bench_quiet_side.py          # prints a table (issue 20, item 3)

Conditions, one change at a time: ``clean`` (the 16 kHz clip), ``band`` (300-3400 Hz, 8 kHz, 16-bit PCM),
``mu-law agent`` (band + 8-bit mu-law at the agent's -6 dBFS), ``mu-law customer`` (the same at the
customer's -33 dBFS: mu-law's steps are coarse relative to a quiet signal), ``+ line noise`` (-75 dBFS noise
added before the channel, as in ``benchmarks/calls.py``), ``noise reduced`` (that version levelled, then
through perftel's noise reduction with its default setting, :mod:`perftel.noise_reduction`). Decoded by perftel's Transcriber (bundled base,
int8, language pinned); WER pooled over words with Whisper's normalisers.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calls import CLIPS, RATE, load_clip, peak_to, references, write_wav  # noqa: E402

from perftel.evaluate import error_counts  # noqa: E402
from perftel.noise_reduction import reduce_noise  # noqa: E402
from perftel.transcribe import Transcriber, WhisperSettings  # noqa: E402


def channel(audio: np.ndarray, out: Path, *, mu_law: bool) -> np.ndarray:
    """``audio`` through sox: band-pass 300-3400 Hz, 8 kHz, mu-law or 16-bit PCM; read back at 16 kHz."""
    from faster_whisper import decode_audio

    source = write_wav(out.with_suffix(".in.wav"), [audio])
    encoding = ["-e", "mu-law", "-b", "8"] if mu_law else ["-e", "signed-integer", "-b", "16"]
    subprocess.run(
        ["sox", "-q", "-D", str(source), "-r", "8000", *encoding, str(out), "sinc", "300-3400"], check=True
    )
    return decode_audio(str(out), sampling_rate=RATE).astype(np.float32)


def main() -> None:
    transcriber = Transcriber(WhisperSettings("base"))
    refs = references()
    rng = np.random.default_rng(1)
    conditions = ["clean", "band", "mu-law agent", "mu-law customer", "+ line noise", "noise reduced"]
    totals = {(lang, c): [0, 0] for lang in CLIPS for c in conditions}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for language, names in CLIPS.items():
            for name in names:
                clip = load_clip(name)
                noise = rng.normal(0, 10 ** (-75 / 20), len(clip)).astype(np.float32)
                versions = {
                    "clean": clip,
                    "band": channel(peak_to(clip, -33.0), folder / "band.wav", mu_law=False),
                    "mu-law agent": channel(peak_to(clip, -6.0), folder / "agent.wav", mu_law=True),
                    "mu-law customer": channel(peak_to(clip, -33.0), folder / "customer.wav", mu_law=True),
                    "+ line noise": channel(peak_to(clip, -33.0) + noise, folder / "noisy.wav", mu_law=True),
                }
                versions["noise reduced"] = reduce_noise(peak_to(versions["+ line noise"], -3.0))
                for condition, audio in versions.items():
                    path = write_wav(folder / "levelled.wav", [peak_to(audio, -3.0)])
                    text = transcriber.transcribe(path, language=language).text
                    words, errors, _, _ = error_counts(refs[name], text, language)
                    totals[(language, condition)][0] += errors
                    totals[(language, condition)][1] += words
                    print(f"{name:22s} {condition:16s} WER {errors / words:.3f}", flush=True)
    print("\n| language | " + " | ".join(conditions) + " |")
    print("|---|" + "---|" * len(conditions))
    for language in CLIPS:
        cells = [f"{totals[(language, c)][0] / totals[(language, c)][1]:.3f}" for c in conditions]
        print(f"| {language} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
