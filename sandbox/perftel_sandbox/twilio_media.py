"""The audio Twilio's recordings serve: the two-channel media files, swapped and/or mixed down per recording
and request (``RequestedChannels``), built once and kept. Standard library only.
"""

from __future__ import annotations

import array
import io
import sys
import threading
import wave
from pathlib import Path

from perftel_sandbox.speech import MEDIA_DIR


def wav_variant(path: Path, *, stereo: bool, swap: bool) -> bytes:
    """A 2-channel 16-bit WAV as served: channels swapped when ``swap``, mixed down to mono unless ``stereo``."""
    with wave.open(str(path)) as source:
        rate, frames = source.getframerate(), source.readframes(source.getnframes())
    samples = array.array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    left, right = samples[0::2], samples[1::2]
    if swap:
        left, right = right, left
    if stereo:
        out = array.array("h", bytes(len(samples) * 2))
        out[0::2], out[1::2] = left, right
    else:
        out = array.array("h", ((a + b) // 2 for a, b in zip(left, right, strict=True)))
    if sys.byteorder == "big":
        out.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as target:
        target.setnchannels(2 if stereo else 1)
        target.setsampwidth(2)
        target.setframerate(rate)
        target.writeframes(out.tobytes())
    return buffer.getvalue()


class WavVariants:
    """:func:`wav_variant` of each ``(media file name, stereo, swap)`` served, built once. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, bool, bool], bytes] = {}

    def get(self, item: tuple[str, bool, bool]) -> bytes:
        """The WAV bytes for ``(name, stereo, swap)`` (a file in ``media/``)."""
        with self._lock:
            cached = self._cache.get(item)
        if cached is not None:
            return cached
        payload = wav_variant(MEDIA_DIR / item[0], stereo=item[1], swap=item[2])
        with self._lock:
            self._cache[item] = payload
        return payload
