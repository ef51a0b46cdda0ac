"""One encoder pass per window, also when the call's language is detected first.

Whisper's encoder is the fixed cost of a window (about 1.5 CPU-seconds for ``base`` on 2 cores, whatever
the window holds). A call whose language is not pinned (a company with ``languages = ["pt", "en"]``) is
detected on its first window, and that window is then decoded: faster-whisper encodes it twice, once in
``WhisperModel.detect_language`` and once in ``BatchedInferencePipeline``. :class:`EncoderCache` stands in
for the ``WhisperModel`` of one call: its :meth:`~EncoderCache.detect_language` keeps the encoder output
of the window it detects on, and its :meth:`~EncoderCache.encode` hands that output back when the batched
pipeline asks for the same features (same bytes), once. Everything else goes to the model.

The features are computed as ``BatchedInferencePipeline.transcribe`` does for a clip (``feature_extractor``
without the last frame, padded or trimmed to 30 s), so the detection sees the same input the decoding will.
The reuse needs the detected window to be encoded alone, as with ``batch_size=1`` (the default); a pass of
several windows is encoded whole, and a kept output is then dropped unused.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np


def _digest(features: np.ndarray) -> bytes:
    """A key for a (80, 3000) or (1, 80, 3000) feature array: its float32 bytes, hashed."""
    return hashlib.blake2b(
        np.ascontiguousarray(features, dtype=np.float32).tobytes(), digest_size=16
    ).digest()


class EncoderCache:
    """A faster-whisper ``WhisperModel`` for one call that encodes each window once (see the module's text).

    ``passes`` counts the encoder runs made through it (detection and the batched pipeline; a window
    decoded again by faster-whisper's own ``transcribe``, ``batch_fallback=True``, encodes inside the model
    and is not counted). Not shared between calls or threads: make one per call. Errors are the model's.
    """

    def __init__(self, whisper: Any) -> None:
        self._whisper = whisper
        self._outputs: dict[bytes, Any] = {}  # digest of features → encoder output, kept until used once
        self.passes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._whisper, name)

    def window_features(self, audio: np.ndarray) -> np.ndarray:
        """Log-mel features of one window (16 kHz float32 samples), shape (n_mels, 3000), as faster-whisper's
        batched pipeline computes them for a clip."""
        from faster_whisper.audio import pad_or_trim

        return pad_or_trim(self._whisper.feature_extractor(audio)[..., :-1])

    def encode(self, features: np.ndarray) -> Any:
        """The encoder output for ``features`` (``WhisperModel.encode``), reused once if a detection
        already computed it."""
        if self._outputs:
            if features.ndim == 3 and features.shape[0] > 1:  # several windows in one pass: no reuse
                self._outputs.clear()
            else:
                kept = self._outputs.pop(_digest(features), None)
                if kept is not None:
                    return kept
        self.passes += 1
        return self._whisper.encode(features)

    def detect_language(
        self, audio: np.ndarray | None = None, features: np.ndarray | None = None, **kwargs: Any
    ) -> tuple[str, float, list[tuple[str, float]]]:
        """``WhisperModel.detect_language(audio)`` for one window of at most 30 s: (language, probability,
        [(language, probability), ...] most likely first), keeping the encoder output for its decoding.
        Any other use (``features=``, faster-whisper's own options) goes to the model as it is."""
        if audio is None or features is not None or kwargs:
            return self._whisper.detect_language(audio=audio, features=features, **kwargs)
        features = self.window_features(audio)
        output = self._whisper.encode(features)
        self.passes += 1
        self._outputs[_digest(features)] = output
        results = self._whisper.model.detect_language(output)[0]
        probabilities = [(token[2:-2], probability) for token, probability in results]  # "<|pt|>" → "pt"
        language, probability = probabilities[0]
        return language, probability, probabilities
