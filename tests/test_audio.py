"""Streaming decode: a long file is read in blocks, never whole."""

from __future__ import annotations

import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest

from perftel import audio
from perftel.errors import TranscriptionError


def write_long_wav(path: Path, minutes: float, rate: int = 8_000, channels: int = 1) -> Path:
    """A quiet noise floor written a minute at a time (the test itself never holds the whole file)."""
    rng = np.random.default_rng(3)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        for _ in range(int(minutes)):
            noise = rng.normal(0, 3, (60 * rate, channels))
            out.writeframes(noise.astype("<i2").tobytes())
    return path


def test_blocks_are_bounded_and_cover_the_file(tmp_path: Path) -> None:
    path = write_long_wav(tmp_path / "long.wav", 10)
    block = audio.BLOCK_SECONDS * audio.SAMPLE_RATE
    info = audio.scan(path)
    assert (info.seconds, info.channels, info.source_channels) == (600.0, 1, 1)
    tracemalloc.start()
    try:
        sizes = [b.shape for b in audio.iter_blocks(path, info)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(rows == 1 and n <= block for rows, n in sizes)
    assert sum(n for _, n in sizes) == 600 * audio.SAMPLE_RATE
    whole_file = 600 * audio.SAMPLE_RATE * 4  # 38 MB of float32: what a whole-file decode would hold
    assert peak < 4 * block * 4 < whole_file / 4, f"decoder held {peak / 1e6:.1f} MB"


def test_stereo_blocks_split_or_merge_sides(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    left = rng.normal(0, 0.1, 16_000 * 3)
    for name, right in (("distinct", rng.normal(0, 0.1, left.shape)), ("same", left)):
        path = tmp_path / f"{name}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(16_000)
            out.writeframes((np.stack([left, right], 1) * 32767).astype("<i2").tobytes())
        info = audio.scan(path, block_seconds=1.0)
        blocks = list(audio.iter_blocks(path, info, block_seconds=1.0))
        assert info.source_channels == 2 and info.channels == (2 if name == "distinct" else 1)
        assert [b.shape for b in blocks] == [(info.channels, 16_000)] * 3


def test_scan_names_file_and_cause(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(TranscriptionError, match="empty"):
        audio.scan(empty)
    with pytest.raises(TranscriptionError, match="not found"):
        audio.scan(tmp_path / "missing.wav")


def test_level_brings_quiet_speech_up_within_the_gain_cap() -> None:
    quiet = np.full(100, 0.001, dtype=np.float32)
    assert audio.level(quiet, target_peak=0.9, max_gain_db=40) == pytest.approx(np.full(100, 0.1), rel=1e-3)
    assert audio.level(quiet * 100, target_peak=0.9, max_gain_db=40).max() == pytest.approx(0.9)
    assert not audio.level(np.zeros(10, np.float32), target_peak=0.9, max_gain_db=40).any()
