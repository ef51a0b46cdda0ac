"""Silence personal data in a recording: a verified redacted copy replaces the original.

:func:`silence_recording` decodes the recording with PyAV (FFmpeg), keeps its sample rate and channels,
writes 16-bit PCM WAV (stdlib :mod:`wave`) with every span set to zero, streaming frame by frame (memory
stays one codec frame), checks the copy (it decodes, and its length matches the original's within
:data:`DURATION_TOLERANCE` seconds) and only then removes the original. The copy is ``<stem>.wav`` beside
it, so a later run finds the recording on disk and does not download it again.

:func:`placeholder_spans` finds the spans from a redacted transcript: the times of placeholder words, or
the whole segment when the transcript has no word times.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import wave
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from perftel.errors import StorageError
from perftel.files import PARTIAL_SUFFIX
from perftel.models import TranscriptionResult
from perftel.privacy.redact import PLACEHOLDERS

PAD_SECONDS = 0.25  # silence this much more on each side of a span (word times are approximate)
DURATION_TOLERANCE = 0.1


def placeholder_spans(result: TranscriptionResult, *, pad: float = PAD_SECONDS) -> list[tuple[float, float]]:
    """``(start, end)`` seconds to silence for the placeholders in ``result``, padded, merged, sorted."""
    marks = tuple(PLACEHOLDERS.values())
    spans = []
    for segment in result.segments:
        if not any(mark in segment.text for mark in marks):
            continue
        words = [w for w in segment.words or [] if w.word.strip() in marks]
        if words:
            spans.extend((w.start, w.end) for w in words)
        else:
            spans.append((segment.start, segment.end))
    merged: list[tuple[float, float]] = []
    for start, end in sorted((max(0.0, s - pad), e + pad) for s, e in spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _decoded_seconds(path: Path) -> float:
    import av

    samples, rate = 0, 0
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            samples += frame.samples
            rate = frame.sample_rate
    if not rate:
        raise StorageError(f"{path.name}: no audio decoded.")
    return samples / rate


def silence_recording(path: str | os.PathLike[str], spans: Iterable[tuple[float, float]]) -> Path:
    """Replace the recording at ``path`` by a WAV copy with ``spans`` (seconds) silenced; returns the copy.

    The original is removed only after the copy decodes and has the original's length. Raises
    StorageError (the original kept) when the recording cannot be read or the copy fails its check.
    """
    import av

    source = Path(path)
    target = source.with_suffix(".wav")
    spans = sorted(spans)
    fd, tmp_name = tempfile.mkstemp(dir=source.parent, prefix=f".{target.name}.", suffix=PARTIAL_SUFFIX)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with av.open(str(source)) as container:
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate
            channels = stream.codec_context.channels
            layout = "stereo" if channels == 2 else "mono"
            width = 2 if channels == 2 else 1
            resampler = av.AudioResampler(format="s16", layout=layout, rate=rate)
            written = 0
            with wave.open(str(tmp), "wb") as out:
                out.setnchannels(width)
                out.setsampwidth(2)
                out.setframerate(rate)

                def emit(frames) -> None:  # noqa: ANN001 - av frames
                    nonlocal written
                    for frame in frames:
                        data = frame.to_ndarray().reshape(-1, width).copy()
                        for start, end in spans:
                            a = max(int(start * rate) - written, 0)
                            b = min(int(np.ceil(end * rate)) - written, len(data))
                            if a < b:
                                data[a:b] = 0
                        out.writeframes(data.astype("<i2").tobytes())
                        written += len(data)

                for frame in container.decode(stream):
                    emit(resampler.resample(frame))
                emit(resampler.resample(None))
        original = _decoded_seconds(source)
        copy_seconds = _decoded_seconds(tmp)
        if abs(copy_seconds - original) > DURATION_TOLERANCE:
            raise StorageError(
                f"The redacted copy of {source.name} lasts {copy_seconds:.2f} s, the original {original:.2f} s: "
                "the original is kept."
            )
        os.replace(tmp, target)
    except (av.FFmpegError, IndexError, OSError, wave.Error) as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise StorageError(f"Cannot write a redacted copy of {source.name}: {exc}") from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    if source != target:
        source.unlink(missing_ok=True)
    return target
