"""Calls with known truth for conversation analytics: who speaks when, overlaps, hold silence, crosstalk.

Two builders:

* :func:`crosstalk_call` — real speech from ``../shared/audio`` laid out as a two-channel call (agent on
  channel 0, customer on channel 1, one stretch where both talk at once), each side also carrying the
  other at ``bleed_db`` (any polarity, ``delay_seconds`` late). Returns the float arrays and the truth.
* :func:`build_call` / ``python -m tests.conversation_calls --out DIR`` — synthetic support calls made
  like the sandbox's media (``sandbox/perftel_sandbox/make_media.py``: espeak-ng + sox, telephone band, 8 kHz
  two-channel 16-bit WAV) but with interruptions (overlapping turns), a long hold silence and crosstalk;
  the exact turn timings are written beside each WAV as ``<stem>.json``.

Not imported by perftel. Needs espeak-ng and sox for the synthetic calls.
"""

from __future__ import annotations

import argparse
import json
import tempfile
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


# --- synthetic calls (espeak-ng + sox, like sandbox/perftel_sandbox/make_media.py) ------------------------

RATE = 8000
LEAD_S = 0.3
TAIL_S = 0.5
AGENT_NORM_DB = -3
CUSTOMER_NORM_DB = -9

# stem -> (language, espeak voice, agent variant, customer variant, bleed (dB, delay s) or None,
#          [(role, text, start offset s from the previous turn's end: negative = overlap)])
CALLS: dict[str, tuple[str, str, str, str, tuple[float, float] | None, list[tuple[str, str, float]]]] = {
    "en_interruptions": (
        "en",
        "en-us",
        "f3",
        "m3",
        None,
        [
            ("agent", "Good morning, Northwind support. This call is being recorded. How can I help?", 0.0),
            ("customer", "Hi, my internet has been down since yesterday and nobody called me back.", 1.0),
            ("agent", "I am sorry to hear that. Let me check the line in your area right now.", -1.5),
            ("customer", "I have been waiting for two days already, this is not acceptable at all.", -0.9),
            ("agent", "I understand. I can see an outage, a technician will fix it today.", -1.0),
            ("customer", "Alright, thank you. Otherwise I want to cancel my account.", 1.2),
        ],
    ),
    "pt_espera": (
        "pt",
        "pt-br",
        "f3",
        "m3",
        None,
        [
            ("agent", "Northwind, bom dia. Esta ligação está sendo gravada. Em que posso ajudar?", 0.0),
            ("customer", "Bom dia, a minha fatura veio com um valor muito alto.", 1.1),
            ("agent", "Vou verificar a sua fatura. Um momento, por favor.", 1.0),
            ("agent", "Obrigado por aguardar. Encontrei uma cobrança duplicada.", 22.0),
            ("customer", "Se não resolver, eu quero cancelar e ir para outra operadora.", 1.3),
            ("agent", "Vou estornar a cobrança hoje mesmo.", 1.0),
        ],
    ),
    "en_crosstalk": (
        "en",
        "en-us",
        "f4",
        "m7",
        (-26.0, 0.04),
        [
            ("agent", "Good morning, this call is being recorded. How can I help you today?", 0.0),
            ("customer", "Hello, I would like to change the address on my account.", 1.0),
            ("agent", "Of course. What is the new street name and number?", 1.2),
            ("customer", "It is twelve Oak Street, apartment four.", 1.0),
            ("agent", "Thank you. The address is updated.", 1.4),
        ],
    ),
}


def _turn(text: str, voice: str, norm_db: int, tmp: Path, index: int) -> np.ndarray:
    """One turn at 8 kHz as float32: espeak-ng, trimmed, telephone band 300-3400 Hz, normalised
    (:func:`perftel_sandbox.make_media.synthesise_turn`, the sandbox's own synthesiser)."""
    from perftel_sandbox.make_media import synthesise_turn

    speed = 160 if voice.startswith("pt") else 175
    samples = synthesise_turn(text, voice, norm_db, tmp, index, rate=RATE, speed=speed)
    return np.array(samples, dtype=np.float32) / 32768


def build_call(stem: str, out_dir: Path) -> dict:
    """Write ``<stem>.wav`` (two channels, agent left) and ``<stem>.json`` (exact timings); return the JSON.

    JSON: ``duration_s``; ``turns`` (channel, role, start_s, end_s, text); ``overlaps`` (start_s, end_s,
    interrupter: the role whose turn started while the other was speaking); ``longest_silence_s``;
    ``talk_s`` per role; ``bleed`` ({db, delay_s} or null); ``language``.
    """
    language, voice, agent_variant, customer_variant, bleed, script = CALLS[stem]
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pieces = [
            _turn(
                text,
                f"{voice}+{agent_variant if role == 'agent' else customer_variant}",
                AGENT_NORM_DB if role == "agent" else CUSTOMER_NORM_DB,
                Path(tmp),
                i,
            )
            for i, (role, text, _) in enumerate(script)
        ]
    turns = []
    cursor = int(LEAD_S * RATE)
    for (role, text, offset), samples in zip(script, pieces, strict=True):
        start = cursor + int(round(offset * RATE)) if turns else cursor
        turns.append(
            {
                "channel": 0 if role == "agent" else 1,
                "role": role,
                "start": start,
                "end": start + len(samples),
                "text": text,
            }
        )
        cursor = max(cursor, start + len(samples)) if offset < 0 else start + len(samples)
    total_samples = max(t["end"] for t in turns) + int(TAIL_S * RATE)
    tracks = [np.zeros(total_samples, np.float32), np.zeros(total_samples, np.float32)]
    for turn, samples in zip(turns, pieces, strict=True):
        tracks[turn["channel"]][turn["start"] : turn["end"]] += samples
    if bleed:
        gain, lag = np.float32(10 ** (bleed[0] / 20)), int(round(bleed[1] * RATE))
        late = [np.concatenate([np.zeros(lag, np.float32), t[: total_samples - lag]]) for t in tracks]
        tracks = [tracks[0] + gain * late[1], tracks[1] + gain * late[0]]
    write_wav(out_dir / f"{stem}.wav", tracks, RATE)

    from perftel.analytics.metrics import gaps, intersect, total, union

    seconds = [(t["start"] / RATE, t["end"] / RATE) for t in turns]
    by_role = {
        role: union(s for s, t in zip(seconds, turns, strict=True) if t["role"] == role)
        for role in ("agent", "customer")
    }
    overlaps = []
    for a, b in intersect(by_role["agent"], by_role["customer"]):
        starts = {t["role"]: t["start"] / RATE for t in turns if t["start"] / RATE <= a < t["end"] / RATE}
        overlaps.append(
            {"start_s": round(a, 3), "end_s": round(b, 3), "interrupter": max(starts, key=starts.get)}
        )
    silences = gaps(union(seconds), 0.0, total_samples / RATE)
    truth = {
        "stem": stem,
        "language": language,
        "sample_rate": RATE,
        "channels": 2,
        "duration_s": round(total_samples / RATE, 3),
        "bleed": {"db": bleed[0], "delay_s": bleed[1]} if bleed else None,
        "turns": [
            {
                "channel": t["channel"],
                "role": t["role"],
                "start_s": round(t["start"] / RATE, 3),
                "end_s": round(t["end"] / RATE, 3),
                "text": t["text"],
            }
            for t in turns
        ],
        "overlaps": overlaps,
        "talk_s": {role: round(total(iv), 3) for role, iv in by_role.items()},
        "longest_silence_s": round(max(b - a for a, b in silences), 3),
    }
    (out_dir / f"{stem}.json").write_text(
        json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the conversation ground-truth calls (WAV + JSON).")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("stems", nargs="*", default=list(CALLS))
    args = parser.parse_args(argv)
    for stem in args.stems:
        truth = build_call(stem, args.out)
        print(
            f"{stem}: {truth['duration_s']} s, {len(truth['overlaps'])} overlaps, "
            f"longest silence {truth['longest_silence_s']} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
