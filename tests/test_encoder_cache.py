"""perftel.encoder_cache: a call whose language is detected costs the encoder passes of a pinned one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from perftel.encoder_cache import EncoderCache
from perftel.transcribe import TranscribeOptions, Transcriber, WhisperSettings

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def base() -> Transcriber:
    transcriber = Transcriber(WhisperSettings("base"))
    transcriber.initialize()
    return transcriber


@pytest.mark.parametrize(
    ("name", "language"),
    [("en_stereo_2ch_librispeech.wav", "en"), ("pt_fleurs_000.ogg", "pt"), ("en_jfk_inaugural.flac", "en")],
)
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
    # faster-whisper's own transcribe per window cannot reuse it: one pass more
    own = base.transcribe(audio_dir / name, language="en,pt", options=TranscribeOptions(batch_size=0))
    assert own.decoding["encoder_passes"] == own.decoding["encoder_windows"] + 1


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
