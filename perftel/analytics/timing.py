"""Exact talk times: snap transcript segment edges to where the channel's audio actually has speech.

Whisper's word times are good to a few tenths of a second, and the last word of a stretch is often
stretched to the end of the audio it was given (up to ~1 s late). Talk time, silences and overlaps need
better, so before measuring a call :func:`snap_to_speech` moves each segment's start and end to the
nearest edge of speech energy on its own channel (after :mod:`perftel.crosstalk` has removed the other
side's bleed):

* speech frames: ``frame_seconds`` (10 ms) frames whose energy is within ``range_db`` (40 dB) of the
  channel's loudest frame and above ``floor_db`` (−70 dBFS); gaps shorter than ``close_seconds`` (0.15 s)
  are closed;
* a start inside speech moves back to the onset of that speech (at most ``reach_seconds``); a start in
  silence moves forward to the first speech frame (at most ``reach_seconds``, never past the end); the end
  likewise, mirrored. A segment with no speech within reach keeps its times.

Segments are returned as new dicts (``start``/``end`` replaced, everything else kept); the transcript
itself is not changed. Mono files use the one mixed channel.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from perftel import audio as audio_io
from perftel import crosstalk


def speech_frames(
    path: str | os.PathLike[str],
    *,
    frame_seconds: float = 0.01,
    range_db: float = 40.0,
    floor_db: float = -70.0,
    close_seconds: float = 0.15,
    remove_bleed: bool = True,
) -> list[np.ndarray]:
    """Per channel of the file (as transcription sees it), a boolean per ``frame_seconds`` frame: speech.

    Raises TranscriptionError for a file that cannot be decoded.
    """
    info = audio_io.scan(path)
    frame = int(round(frame_seconds * audio_io.SAMPLE_RATE))
    energies: list[list[np.ndarray]] = [[] for _ in range(info.channels)]
    for block in audio_io.iter_blocks(path, info):
        if block.shape[0] == 2 and remove_bleed:
            block = crosstalk.suppress_bleed(block, audio_io.SAMPLE_RATE)
        for channel in range(info.channels):
            x = block[channel].astype(np.float64)
            n = len(x) // frame * frame
            e = np.square(x[:n]).reshape(-1, frame).mean(axis=1)
            if n < len(x):
                e = np.append(e, np.mean(np.square(x[n:])))
            energies[channel].append(e)
    out = []
    close = int(round(close_seconds / frame_seconds))
    for parts in energies:
        e = np.concatenate(parts) if parts else np.zeros(0)
        peak = float(e.max(initial=0.0))
        threshold = max(peak * 10 ** (-range_db / 10), 10 ** (floor_db / 10))
        speech = e > threshold if peak > 0 else np.zeros(len(e), dtype=bool)
        if close and speech.any():  # close short gaps
            idx = np.flatnonzero(speech)
            holes = np.flatnonzero((np.diff(idx) > 1) & (np.diff(idx) <= close + 1))
            for h in holes:
                speech[idx[h] : idx[h + 1]] = True
        out.append(speech)
    return out


def _get(segment: Any, name: str) -> Any:
    return segment.get(name) if isinstance(segment, dict) else getattr(segment, name, None)


def snap_segments(
    segments: Sequence[Any],
    speech: list[np.ndarray],
    *,
    frame_seconds: float = 0.01,
    reach_seconds: float = 1.2,
) -> list[dict[str, Any]]:
    """Segments (objects or dicts) as dicts with ``start``/``end`` snapped to ``speech`` (see the module)."""
    reach = int(round(reach_seconds / frame_seconds))
    out = []
    for segment in segments:
        row = (
            dict(segment)
            if isinstance(segment, dict)
            else {k: _get(segment, k) for k in ("start", "end", "text", "channel", "speaker", "words")}
        )
        channel = row.get("channel")
        mask = speech[int(channel) if channel is not None and len(speech) > 1 else 0] if speech else None
        if mask is None or not len(mask):
            out.append(row)
            continue
        n = len(mask)
        a = min(max(int(round(float(row["start"]) / frame_seconds)), 0), n - 1)
        b = min(max(int(round(float(row["end"]) / frame_seconds)), 0), n - 1)
        if b <= a:
            out.append(row)
            continue
        if mask[a]:
            lo = max(0, a - reach)
            before = np.flatnonzero(~mask[lo:a])
            a = lo + before[-1] + 1 if len(before) else lo
        else:
            ahead = np.flatnonzero(mask[a : min(b, a + reach)])
            a = a + ahead[0] if len(ahead) else a
        if mask[b]:
            hi = min(n, b + reach)
            after = np.flatnonzero(~mask[b:hi])
            b = b + after[0] if len(after) else hi
        else:
            back = np.flatnonzero(mask[max(a, b - reach) : b])
            b = max(a, b - reach) + back[-1] + 1 if len(back) else b
        if b > a:
            row["start"], row["end"] = round(a * frame_seconds, 3), round(b * frame_seconds, 3)
        out.append(row)
    return out


def snap_to_speech(
    segments: Sequence[Any], path: str | os.PathLike[str], **options: Any
) -> list[dict[str, Any]]:
    """:func:`snap_segments` with the speech of the audio file ``path`` (the recording transcribed)."""
    return snap_segments(segments, speech_frames(path), **options)
