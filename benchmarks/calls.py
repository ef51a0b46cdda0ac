"""Synthetic telephone calls built from the reference clips in ../shared/audio (for the benchmarks).

A call alternates turns between a loud agent and a quiet customer (``customer_db`` below the agent),
separated by 2.5-9 s pauses, over a faint line-noise floor; it is then put through a telephone channel
(band-pass 300-3400 Hz, 8 kHz, 8-bit mu-law) with sox. Two-channel calls carry the agent on the left and
the customer on the right; their mono mixdowns sum the two sides.
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 16_000
AUDIO_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "audio"
CLIPS = {
    "en": [f"en_fleurs_{i:03d}.ogg" for i in range(5)],
    "pt": [f"pt_fleurs_{i:03d}.ogg" for i in range(5)],
}


@dataclass(frozen=True)
class Call:
    name: str
    language: str
    layout: str  # "stereo" | "mono"
    path: Path
    reference: str
    clips: tuple[str, ...]
    seconds: float
    speech_seconds: float
    turns: tuple[tuple[int, float, float, str], ...] = ()  # (side 0 agent / 1 customer, start s, end s, clip)


def load_clip(name: str, audio_dir: Path = AUDIO_DIR) -> np.ndarray:
    from faster_whisper import decode_audio

    return decode_audio(str(audio_dir / name), sampling_rate=RATE).astype(np.float32)


def references(audio_dir: Path = AUDIO_DIR) -> dict[str, str]:
    rows = (audio_dir / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    out: dict[str, str] = {}
    for row in rows:
        file, _, reference = row.split("\t")[:3]
        out[file] = f"{out[file]} {reference}" if file in out else reference
    return out


def peak_to(audio: np.ndarray, dbfs: float) -> np.ndarray:
    peak = float(np.max(np.abs(audio))) or 1.0
    return (audio * (10 ** (dbfs / 20) / peak)).astype(np.float32)


def write_wav(path: Path, channels: list[np.ndarray], rate: int = RATE) -> Path:
    frames = np.stack([np.clip(c, -1, 1) for c in channels], axis=1)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(len(channels))
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((frames * 32767).astype("<i2").tobytes())
    return path


def telephone(channels: list[np.ndarray], out: Path) -> Path:
    """Band-pass 300-3400 Hz, resample to 8 kHz, encode 8-bit mu-law WAV (sox)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = write_wav(Path(tmp) / "in.wav", channels)
        subprocess.run(
            [
                "sox",
                "-q",
                "-D",
                str(source),
                "-r",
                "8000",
                "-e",
                "mu-law",
                "-b",
                "8",
                str(out),
                "sinc",
                "300-3400",
            ],
            check=True,
        )
    return out


def build_call(
    language: str,
    seed: int,
    out_dir: Path,
    *,
    agent_db: float = -6.0,
    customer_db: float = -33.0,
    noise_db: float = -75.0,
    audio_dir: Path = AUDIO_DIR,
) -> tuple[Call, Call]:
    """One call as (two-channel, mono mixdown), both telephone band."""
    rng = np.random.default_rng(seed)
    refs = references(audio_dir)
    names = list(CLIPS[language])
    rng.shuffle(names)
    lead = rng.uniform(0.5, 2.0)
    sides: list[list[np.ndarray]] = [[], []]
    cursor = int(lead * RATE)
    placed: list[tuple[int, int, np.ndarray]] = []
    speech = 0.0
    for turn, name in enumerate(names):
        role = turn % 2  # 0 agent, 1 customer
        clip = peak_to(load_clip(name, audio_dir), agent_db if role == 0 else customer_db)
        placed.append((role, cursor, clip))
        speech += len(clip) / RATE
        cursor += len(clip) + int(rng.uniform(2.5, 9.0) * RATE)
    total = cursor - int(1.5 * RATE)
    for role in (0, 1):
        track = (rng.normal(0, 10 ** (noise_db / 20), total)).astype(np.float32)
        for who, start, clip in placed:
            if who == role:
                track[start : start + len(clip)] += clip
        sides[role] = [track]
    left, right = sides[0][0], sides[1][0]
    reference = " ".join(refs[name] for name in names)
    stem = f"call_{language}_s{seed}"
    calls = []
    for layout, channels in (("stereo", [left, right]), ("mono", [left + right])):
        path = telephone(channels, out_dir / f"{stem}_{layout}.wav")
        turns = tuple(
            (who, start / RATE, (start + len(clip)) / RATE, name)
            for (who, start, clip), name in zip(placed, names, strict=True)
        )
        calls.append(
            Call(
                f"{stem}_{layout}",
                language,
                layout,
                path,
                reference,
                tuple(names),
                total / RATE,
                speech,
                turns,
            )
        )
    return calls[0], calls[1]


def sentence_clips(
    language: str, out_dir: Path, *, level_db: float = -6.0, audio_dir: Path = AUDIO_DIR
) -> list[tuple[Path, str]]:
    """Each clip alone through the same telephone channel (the one-sentence-at-a-time baseline)."""
    refs = references(audio_dir)
    out = []
    for name in CLIPS[language]:
        path = telephone(
            [peak_to(load_clip(name, audio_dir), level_db)], out_dir / f"sentence_{Path(name).stem}.wav"
        )
        out.append((path, refs[name]))
    return out
