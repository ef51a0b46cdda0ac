"""Speech regions and the Whisper windows they are packed into: perftel's VAD step.

1. :class:`SpeechFinder` runs Silero VAD (faster-whisper's ``get_speech_timestamps``) on one track as its
   30 s blocks stream by; a region still open at a block's end is carried into the next block, so speech
   crossing a block edge is found whole. Times are sample indexes at 16 kHz (:data:`SAMPLE_RATE`).
2. On two-channel calls each side's faint copy of the other (bleed, echo) is silenced first
   (:mod:`perftel.crosstalk`).
3. :func:`speech_windows` levels each region on its own (peak to ``target_peak``; on a two-channel call a
   region lifted a long way has the line noise that came up with it reduced, :mod:`perftel.noise_reduction`)
   and packs regions, with ``pack_gap_seconds`` of silence between them, into :class:`Window` s of at most
   ``window_seconds``: one Whisper pass (one encoder run) each. With ``share_windows`` both sides' speech share windows in call
   order; each :class:`Piece` remembers its channel and place, so every word maps back to the file.

The options are a :class:`perftel.whisper_settings.TranscribeOptions`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from perftel import audio as audio_io
from perftel import crosstalk

if TYPE_CHECKING:
    from perftel.whisper_settings import TranscribeOptions

SAMPLE_RATE = audio_io.SAMPLE_RATE


@dataclass
class Piece:
    """One speech region placed in a packed window: samples [at, at+len) of the window are
    samples [start, start+len) of ``channel`` in the file."""

    channel: int
    start: int
    at: int
    length: int


@dataclass
class Window:
    """One Whisper pass's audio: levelled speech regions packed with silent gaps, at 16 kHz.

    ``channel`` is the side the window was opened for (with shared windows, 0, and each :class:`Piece`
    names its own side); ``pieces`` place its regions in the file; ``chunks`` are the float32 arrays that
    :meth:`audio` joins; ``samples`` is their total length in samples.
    """

    channel: int
    pieces: list[Piece] = field(default_factory=list)
    chunks: list[np.ndarray] = field(default_factory=list)
    samples: int = 0

    def add(self, start: int, speech: np.ndarray, gap: int, channel: int | None = None) -> None:
        """Append ``speech`` (float32 samples; file sample ``start`` of ``channel``, default the window's),
        after ``gap`` samples of silence when the window already holds audio. Never raises."""
        if self.chunks and gap:
            self.chunks.append(np.zeros(gap, dtype=np.float32))
            self.samples += gap
        self.pieces.append(
            Piece(self.channel if channel is None else channel, start, self.samples, len(speech))
        )
        self.chunks.append(speech)
        self.samples += len(speech)

    def audio(self) -> np.ndarray:
        """The window's samples as one float32 array (16 kHz, gaps included); IndexError when empty."""
        return np.concatenate(self.chunks) if len(self.chunks) > 1 else self.chunks[0]

    def place(self, packed_seconds: float) -> tuple[Piece, float]:
        """The piece a time inside the window belongs to (nearest one in a gap) and its time in the file."""
        sample = packed_seconds * SAMPLE_RATE
        best = min(
            self.pieces,
            key=lambda p: (
                0.0
                if p.at <= sample < p.at + p.length
                else min(abs(sample - p.at), abs(sample - p.at - p.length))
            ),
        )
        inside = min(max(sample - best.at, 0.0), best.length)
        return best, (best.start + inside) / SAMPLE_RATE


class SpeechFinder:
    """Streaming VAD for one track: feed blocks, get (start sample, speech samples) of finished regions.

    A region still open at a block's end is carried into the next block (at most about one window of
    audio), so speech crossing a block edge is found whole.
    """

    def __init__(self, options: TranscribeOptions) -> None:
        self.options = options
        self.vad = options.vad_options()
        self.carry = np.zeros(0, dtype=np.float32)
        self.offset = 0  # file sample index of carry[0]
        self.floor = 10 ** (options.silence_floor_db / 20)
        self.margin = int((options.vad_min_silence_ms + 2 * options.vad_speech_pad_ms) / 1000 * SAMPLE_RATE)

    def feed(self, block: np.ndarray, *, last: bool) -> list[tuple[int, np.ndarray]]:
        """Take the track's next block (float32 samples at 16 kHz; ``last`` for the file's final block) and
        return the speech regions finished so far as ``(start sample in the file, samples)``, each at most
        ``window_seconds`` long, in order. A region that may continue past the block is held back until
        the next call (all are returned when ``last``). Imports faster-whisper (Silero VAD); raises what
        it raises for a malformed block.
        """
        from faster_whisper.vad import get_speech_timestamps

        buffer = np.concatenate([self.carry, block]) if len(self.carry) else block
        offset = self.offset
        peak = float(np.max(np.abs(buffer), initial=0.0))
        if peak < self.floor:  # silence: no VAD needed
            regions: list[dict[str, int]] = []
        elif not self.options.vad_filter:
            regions = [{"start": 0, "end": len(buffer)}]
        else:
            # Silero misses speech far below full scale (a -60 dBFS side): lift a very quiet buffer first.
            gain = min(
                10 ** (self.options.vad_min_peak_db / 20) / peak, 10 ** (self.options.max_gain_db / 20)
            )
            regions = get_speech_timestamps(buffer * np.float32(gain) if gain > 1 else buffer, self.vad)
        keep_from = len(buffer) if last else max(0, len(buffer) - self.margin)
        done = [r for r in regions if last or r["end"] < keep_from]
        if not last:
            open_regions = [r for r in regions if r not in done]
            if not self.options.vad_filter:  # fixed-length stretches, the rest carried
                limit = int(self.options.window_seconds * SAMPLE_RATE) - 1
                done = [{"start": at, "end": at + limit} for at in range(0, len(buffer) - limit + 1, limit)]
                keep_from = done[-1]["end"] if done else 0
            else:
                if open_regions:
                    keep_from = min(keep_from, open_regions[0]["start"])
                if done:
                    keep_from = max(keep_from, done[-1]["end"])
        self.carry = np.array(buffer[keep_from:], dtype=np.float32) if not last else np.zeros(0, np.float32)
        self.offset = offset + keep_from
        out = []
        limit = int(self.options.window_seconds * SAMPLE_RATE) - 1
        for region in done:
            for start in range(region["start"], region["end"], limit):
                speech = buffer[start : min(start + limit, region["end"])]
                if float(np.sqrt(np.mean(np.square(speech), dtype=np.float64))) < self.floor / 10:
                    continue  # VAD fired on near-digital silence
                out.append((offset + start, speech))
        return out


def speech_windows(path: Path, info: audio_io.AudioInfo, opts: TranscribeOptions) -> Iterator[Window]:
    """Packed windows of levelled speech from ``path``, streaming through the file block by block.

    Raises TranscriptionError (from :mod:`perftel.audio`) when the file cannot be decoded.
    """
    limit = int(opts.window_seconds * SAMPLE_RATE)
    gap = int(opts.pack_gap_seconds * SAMPLE_RATE)
    slots = 1 if opts.share_windows else info.channels  # shared: both sides' speech in the same windows
    open_windows = [Window(channel) for channel in range(slots)]
    finders = [SpeechFinder(opts) for _ in range(info.channels)]
    blocks = audio_io.iter_blocks(path, info, block_seconds=opts.block_seconds)
    for block in with_last(blocks):
        samples, last = block
        if info.channels == 2 and opts.crosstalk:  # each side's copy of the other is not its speech
            samples = crosstalk.suppress_bleed(samples, SAMPLE_RATE)
        found = []
        for channel, finder in enumerate(finders):
            for start, speech in finder.feed(samples[channel], last=last):
                found.append((start, channel, speech))
        for start, channel, speech in sorted(found, key=lambda item: item[:2]):  # call order across sides
            if opts.normalize_level:
                speech = levelled(speech, opts, reduce_noise=info.channels > 1)
            slot = 0 if opts.share_windows else channel
            current = open_windows[slot]
            if current.pieces and (not opts.pack_regions or current.samples + gap + len(speech) > limit):
                yield current
                current = open_windows[slot] = Window(channel)
            current.add(start, speech, gap, channel)
    for window in open_windows:
        if window.pieces:
            yield window


def levelled(speech: np.ndarray, opts: TranscribeOptions, *, reduce_noise: bool = True) -> np.ndarray:
    """One speech region scaled to ``opts.target_peak`` (:func:`perftel.audio.level`); with
    ``reduce_noise`` (one side of a two-channel call) and ``opts.noise_reduction``, a region lifted by
    ``opts.noise_reduction_min_gain_db`` or more has the noise that came up with it reduced
    (:func:`perftel.noise_reduction.reduce_noise`) and is levelled again. Float32 samples in and out.

    Two-channel only by measurement: on 8 seeds of the long-form benchmark the reduction lowered WER on
    every two-channel kind, but raised it on English mono mixdowns in both runs (``benchmarks/RESULTS.md``)."""
    gain = audio_io.level_gain(speech, target_peak=opts.target_peak, max_gain_db=opts.max_gain_db)
    out = audio_io.scaled(speech, gain)
    gain_db = 20 * np.log10(gain)
    if not (reduce_noise and opts.noise_reduction) or gain_db < opts.noise_reduction_min_gain_db:
        return out
    from perftel import noise_reduction

    cleaned = noise_reduction.reduce_noise(
        out, reduction_db=opts.noise_reduction_db, floor_db=opts.noise_floor_db
    )
    # levelled again, but never beyond max_gain_db in all: a region of noise alone stays quiet
    left_db = max(0.0, opts.max_gain_db - gain_db)
    return audio_io.level(cleaned, target_peak=opts.target_peak, max_gain_db=left_db)


def with_last(blocks: Iterator[np.ndarray]) -> Iterator[tuple[np.ndarray, bool]]:
    """Each block with a flag telling whether it is the last one (look-ahead of one block)."""
    previous = None
    for block in blocks:
        if previous is not None:
            yield previous, False
        previous = block
    if previous is not None:
        yield previous, True
