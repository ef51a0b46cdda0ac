"""Calls with known truth for conversation analytics: who speaks when, overlaps, hold silence, crosstalk.

Two builders:

* :func:`crosstalk_call` — real speech from ``../shared/audio`` laid out as a two-channel call (agent on
  channel 0, customer on channel 1, one stretch where both talk at once), each side also carrying the
  other at ``bleed_db`` (any polarity, ``delay_seconds`` late). Returns the float arrays and the truth.
* :func:`build_call` / ``python -m tests.conversation_calls --out DIR`` — synthetic support calls made
  like the sandbox's media (``perftel/sandbox/make_media.py``: espeak-ng + sox, telephone band, 8 kHz
  two-channel 16-bit WAV) but with interruptions (overlapping turns), a long hold silence and crosstalk;
  the exact turn timings are written beside each WAV as ``<stem>.json``.

Not imported by perftel. Needs espeak-ng and sox for the synthetic calls.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SHARED_AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
SR = 16_000


def load_speech(name: str, peak: float = 0.7) -> np.ndarray:
    """A shared recording as 16 kHz mono float32, peak-normalised, leading/trailing silence trimmed."""
    from perftel import audio

    path = SHARED_AUDIO / name
    x = np.concatenate([b.mean(axis=0) for b in audio.iter_blocks(path)]).astype(np.float32)
    x = x / np.max(np.abs(x)) * peak
    frames = np.square(x[: len(x) // 160 * 160]).reshape(-1, 160).mean(axis=1)
    voiced = np.flatnonzero(frames > (peak**2) * 10 ** (-40 / 10))
    return x[voiced[0] * 160 : (voiced[-1] + 1) * 160]


@dataclass
class Truth:
    """Who speaks when (seconds): ``turns`` = (channel, start, end); ``words`` per channel (reference)."""

    seconds: float
    turns: list[tuple[int, float, float]] = field(default_factory=list)
    words: dict[int, int] = field(default_factory=dict)

    def own(self, channel: int) -> list[tuple[float, float]]:
        return sorted((a, b) for c, a, b in self.turns if c == channel)

    def talk_seconds(self, channel: int) -> float:
        from perftel.analytics.metrics import total, union

        return total(union(self.own(channel)))


# (channel, clip, start seconds, gain): an agent turn, a customer turn, then both at once from 18 s
CROSSTALK_LAYOUT = (
    (0, "en_fleurs_001.ogg", 0.5, 1.0),
    (1, "en_fleurs_004.ogg", 10.5, 0.5),
    (0, "en_fleurs_003.ogg", 16.0, 1.0),
    (1, "en_fleurs_000.ogg", 19.0, 0.5),
)


def crosstalk_call(
    bleed_db: float, delay_seconds: float, polarity: int = 1, *, layout=CROSSTALK_LAYOUT
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Truth]:
    """(left, right, clean agent, clean customer, truth): each side plus the other at ``bleed_db``."""
    from perftel.analytics.trackers import normalize

    manifest = {}
    for line in (SHARED_AUDIO / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split("\t")
        manifest.setdefault(cells[0], cells[2])
    clips = [(c, load_speech(name) * gain, at, name) for c, name, at, gain in layout]
    n = int((max(at + len(x) / SR for _, x, at, _ in clips) + 1.0) * SR)
    tracks = [np.zeros(n, np.float32), np.zeros(n, np.float32)]
    truth = Truth(seconds=n / SR, words={0: 0, 1: 0})
    for channel, x, at, name in clips:
        start = int(at * SR)
        tracks[channel][start : start + len(x)] += x
        truth.turns.append((channel, start / SR, (start + len(x)) / SR))
        truth.words[channel] += len(normalize(manifest[name]).split())
    gain = np.float32(polarity * 10 ** (bleed_db / 20))
    lag = int(round(delay_seconds * SR))

    def late(x: np.ndarray) -> np.ndarray:
        return np.concatenate([np.zeros(lag, np.float32), x[: n - lag]]) if lag else x

    left = tracks[0] + gain * late(tracks[1])
    right = tracks[1] + gain * late(tracks[0])
    quantise = lambda x: (np.round(np.clip(x, -1, 1) * 32767) / 32767).astype(np.float32)  # noqa: E731
    return quantise(left), quantise(right), tracks[0], tracks[1], truth


def write_wav(path: Path, channels: list[np.ndarray], rate: int = SR) -> Path:
    """16-bit PCM WAV of float channels (-1..1)."""
    data = np.stack([np.round(np.clip(c, -1, 1) * 32767).astype("<i2") for c in channels], axis=1)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(len(channels))
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(data.tobytes())
    return path
