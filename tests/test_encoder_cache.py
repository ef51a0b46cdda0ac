"""perftel.encoder_cache: a call whose language is detected costs the encoder passes of a pinned one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from perftel.encoder_cache import EncoderCache
from perftel.transcribe import Transcriber, WhisperSettings


class StubModel:
    """What EncoderCache uses of a WhisperModel: features, an encoder, language probabilities."""

    def __init__(self) -> None:
        self.encoded: list[tuple[int, ...]] = []
        self.delegated: list[dict] = []
        self.model = self
        self.feature_extractor = lambda audio: np.tile(audio[:3001:10], (80, 1)).astype(np.float32)

    def encode(self, features):  # noqa: ANN001, ANN201
        self.encoded.append(features.shape)
        return object()  # an encoder output nobody else has

    def detect_language(self, output=None, **kwargs):  # noqa: ANN001, ANN201
        if kwargs:  # WhisperModel.detect_language(audio=..., features=..., ...)
            self.delegated.append(kwargs)
            return "pt", 0.9, [("pt", 0.9)]
        return [[("<|pt|>", 0.8), ("<|en|>", 0.2)]]


def test_reuse_without_a_model() -> None:
    stub = StubModel()
    cache = EncoderCache(stub)
    window = np.linspace(-0.5, 0.5, 16000 * 10, dtype=np.float32)
    assert cache.detect_language(window) == ("pt", 0.8, [("pt", 0.8), ("en", 0.2)])
    features = cache.window_features(window)
    kept = cache._outputs[next(iter(cache._outputs))]
    assert cache.encode(features[np.newaxis]) is kept and cache.passes == 1  # the same window: reused
    assert cache.encode(features[np.newaxis]) is not kept and cache.passes == 2  # once only
    cache.detect_language(window)
    cache.encode(np.stack([features, features]))  # two windows in one pass: encoded whole, kept one dropped
    assert cache.passes == 4 and not cache._outputs
    cache.detect_language(features=features, language_detection_segments=1)  # faster-whisper's own use
    assert stub.delegated and cache.passes == 4


@pytest.fixture(scope="module")
def base() -> Transcriber:
    transcriber = Transcriber(WhisperSettings("base"))
    transcriber.initialize()
    return transcriber


@pytest.mark.parametrize(
    ("name", "language"),
    [("en_stereo_2ch_librispeech.wav", "en"), ("pt_fleurs_000.ogg", "pt"), ("en_jfk_inaugural.flac", "en")],
)
@pytest.mark.model
def test_a_detected_call_is_encoded_once_per_window_and_reads_as_a_pinned_one(
    base: Transcriber, audio_dir: Path, name: str, language: str
) -> None:
    pinned = base.transcribe(audio_dir / name, language=language)
    detected = base.transcribe(audio_dir / name, language="en,pt")
    assert detected.language == language and detected.decoding["detection_windows"] == 1
    assert detected.decoding["encoder_passes"] == pinned.decoding["encoder_passes"]
    assert detected.decoding["encoder_passes"] == detected.decoding["encoder_windows"]
    # the reused encoder output is that of the same window: the same words as the pinned call
    assert detected.text == pinned.text


@pytest.mark.model
def test_the_kept_output_is_used_once_and_only_for_the_same_features(
    base: Transcriber, audio_dir: Path
) -> None:
    from faster_whisper import decode_audio

    audio = decode_audio(str(audio_dir / "en_jfk_inaugural.flac"))[: 16000 * 10]
    cache = EncoderCache(base._whisper)
    language, probability, ranked = cache.detect_language(audio)
    assert language == "en" and probability == ranked[0][1] and 0.5 < probability <= 1.0
    assert cache.passes == 1
    features = cache.window_features(audio)
    other = cache.window_features(audio[: 16000 * 5])
    cache.encode(other[np.newaxis])  # other features: encoded, the kept output stays
    assert cache.passes == 2
    cache.encode(features[np.newaxis])  # the detected window, as the batched pipeline stacks it: reused
    assert cache.passes == 2
    cache.encode(features[np.newaxis])  # once only
    assert cache.passes == 3
