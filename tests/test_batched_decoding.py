"""Batched decoding of perftel's windows, the re-decoding of missed speech and the fallback rule (issue 20)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from perftel.decoding import missed_windows, needs_fallback
from perftel.transcribe import TranscribeOptions, Transcriber, WhisperSettings
from perftel.vad import Window
from tests.fake_whisper import RATE, FakeWhisper
from tests.test_transcribe import _two_sided_call, write_wav
from tests.transcripts import word_ratio


class StopsEarly(FakeWhisper):
    """Like Whisper ending a packed window after its first turn: only words in the first 3 s are answered."""

    def transcribe(self, audio: np.ndarray, language: str | None = None, **kwargs):  # noqa: ANN201
        found, info = super().transcribe(audio, language=language, **kwargs)
        kept = []
        for segment in found:
            words = [w for w in segment.words if w.end <= 3.0]
            if words:
                kept.append(replace_words(segment, words))
        return iter(kept), info


class DecodesBadly(FakeWhisper):
    """Every first-temperature answer is unlikely (mean log-probability -2): faster-whisper would fall back."""

    def transcribe(self, audio: np.ndarray, language: str | None = None, **kwargs):  # noqa: ANN201
        found, info = super().transcribe(audio, language=language, **kwargs)
        if kwargs.get("temperature", [0.0])[0] == 0.0:
            found = [SimpleNamespace(**{**vars(s), "avg_logprob": -2.0}) for s in found]
        return iter(found), info


def replace_words(segment, words):  # noqa: ANN001, ANN201
    return SimpleNamespace(**{**vars(segment), "words": words, "start": words[0].start, "end": words[-1].end})


def five_turn_call(tmp_path: Path) -> tuple[Path, list[tuple[float, float]]]:
    """A mono file: five 1.5 s bursts of noise-like "speech" 2 s apart (one packed window), their (start, end) s."""
    rng = np.random.default_rng(3)
    parts, turns, at = [np.zeros(RATE, np.float32)], [], 1.0
    for _ in range(5):
        parts += [
            (rng.standard_normal(int(1.5 * RATE)) * 0.2).astype(np.float32),
            np.zeros(2 * RATE, np.float32),
        ]
        turns.append((at, at + 1.5))
        at += 3.5
    return write_wav(tmp_path / "five.wav", [np.concatenate(parts)]), turns


def covered_turns(result, turns) -> int:  # noqa: ANN001
    return sum(any(a - 0.5 <= s.start and s.end <= b + 0.5 for s in result.segments) for a, b in turns)


def transcriber(whisper: FakeWhisper, **fields) -> Transcriber:  # noqa: ANN003
    options = TranscribeOptions(**{"vad_filter": False, **fields})
    run = Transcriber(WhisperSettings("base", options=options))
    run._whisper = whisper
    return run


@pytest.mark.parametrize("batch_size", [0, 1, 8])
def test_speech_a_window_left_without_words_is_decoded_again(
    audio_dir: Path, tmp_path: Path, batch_size: int
) -> None:
    _, mono, turns = _two_sided_call(audio_dir, tmp_path)  # five turns: five speech pieces in one window
    spans = [(a, b) for _, a, b in turns]
    lost = transcriber(StopsEarly(), vad_filter=True, batch_size=batch_size, redecode_missed=False)
    lost = lost.transcribe(mono, language="en")
    whisper = StopsEarly()
    again = transcriber(whisper, vad_filter=True, batch_size=batch_size, redecode_missed=True)
    again = again.transcribe(mono, language="en")
    assert again.decoding["redecoded_windows"] >= 1
    assert covered_turns(again, spans) > covered_turns(lost, spans) >= 1
    assert (
        again.decoding["encoder_windows"]
        == lost.decoding["encoder_windows"] + again.decoding["redecoded_windows"]
    )
    # the second pass gets only the speech that had no words (and the gaps between), never the whole window again
    first, second = whisper.calls[0]["seconds"], whisper.calls[1]["seconds"]
    assert second < first


def test_missed_windows_keep_channels_apart_and_respect_the_window_length() -> None:
    opts = TranscribeOptions(window_seconds=4.0, pack_gap_seconds=0.5)
    window = Window(0)
    second = Window(1)
    for start in range(0, 6):
        speech = np.full(RATE, 0.1 * (start + 1), np.float32)  # 1 s pieces, each its own level
        (window if start % 2 == 0 else second).add(start * RATE, speech, RATE // 2, start % 2)
    covered = {id(window.pieces[0])}
    out = missed_windows([window, second], covered, opts)
    assert all(len({p.channel for p in w.pieces}) == 1 for w in out)
    assert all(w.samples <= 4 * RATE for w in out)
    placed = sorted((p.channel, p.start) for w in out for p in w.pieces)
    assert placed == [(0, 2 * RATE), (0, 4 * RATE), (1, RATE), (1, 3 * RATE), (1, 5 * RATE)]
    for w in out:  # each piece's own audio travels with it
        audio = w.audio()
        for p in w.pieces:
            assert np.allclose(audio[p.at : p.at + p.length], 0.1 * (p.start // RATE + 1))


def test_a_badly_decoded_batch_window_is_decoded_again_from_the_next_temperature(tmp_path: Path) -> None:
    path, _ = five_turn_call(tmp_path)
    whisper = DecodesBadly()
    transcriber(whisper, batch_size=8, redecode_missed=False, batch_fallback=True).transcribe(
        path, language="en"
    )
    temperatures = [call["temperature"] for call in whisper.calls]
    assert temperatures[0] == [0.0]
    assert temperatures[1] == [0.2, 0.4, 0.6, 0.8, 1.0]
    whisper = DecodesBadly()
    transcriber(whisper, batch_size=8, redecode_missed=False, batch_fallback=False).transcribe(
        path, language="en"
    )
    assert [call["temperature"] for call in whisper.calls] == [[0.0]]


def test_fallback_rule_is_faster_whispers() -> None:
    opts = TranscribeOptions()

    def segment(ratio: float, logprob: float, no_speech: float) -> SimpleNamespace:
        return SimpleNamespace(compression_ratio=ratio, avg_logprob=logprob, no_speech_prob=no_speech)

    assert not needs_fallback(segment(1.5, -0.3, 0.1), opts)
    assert needs_fallback(segment(2.6, -0.3, 0.1), opts)  # repetitive
    assert needs_fallback(segment(1.5, -1.4, 0.1), opts)  # unlikely
    assert not needs_fallback(segment(1.5, -1.4, 0.9), opts)  # silence, not a bad decode


@pytest.mark.model
def test_batched_decoding_reads_a_two_channel_call_like_faster_whispers_own_transcribe(
    audio_dir: Path, tmp_path: Path
) -> None:
    stereo, _, turns = _two_sided_call(audio_dir, tmp_path)
    results = {}
    for batch_size in (0, 4):
        options = TranscribeOptions(batch_size=batch_size, redecode_missed=batch_size > 0)  # as documented
        run = Transcriber(WhisperSettings("base", options=options))
        results[batch_size] = run.transcribe(stereo, language="en", channel_roles={0: "agent", 1: "customer"})
    one, batched = results[0], results[4]
    assert word_ratio(one.text, batched.text) >= 0.85, (one.text, batched.text)
    assert {s.speaker for s in batched.segments} == {"agent", "customer"}
    for s in batched.segments:  # on its side, inside its turn
        side = {"agent": 0, "customer": 1}[s.speaker]
        assert any(t == side and a - 0.5 <= s.start and s.end <= b + 0.5 for t, a, b in turns), s

    def first_pass(result) -> int:  # noqa: ANN001
        return result.decoding["encoder_windows"] - result.decoding["redecoded_windows"]

    assert first_pass(batched) == first_pass(one)  # the same windows, decoded together


def burst_window(channel: int, samples: int, start: int, rng: np.random.Generator) -> Window:
    """A window of one piece: ``samples`` of loud noise ("speech") placed at file sample ``start``."""
    window = Window(channel)
    window.add(start, (rng.standard_normal(samples) * 0.3).astype(np.float32), 0, channel)
    return window


@pytest.mark.parametrize(
    "lengths",
    [
        [
            128_641,
            48_000,
        ],  # 8.0400625 s: faster-whisper's int(seconds * 16000) would start the next clip early
        [16_000, 40_000, 23_999, 31_337],
        [100, 32_000],  # a first window shorter than one feature frame (10 ms)
    ],
)
def test_several_windows_in_one_pass_each_get_their_own_words(lengths: list[int]) -> None:
    from perftel.decoding import whisper_segments

    rng = np.random.default_rng(len(lengths))
    windows = [burst_window(i % 2, n, i * 10 * RATE, rng) for i, n in enumerate(lengths)]
    whisper = FakeWhisper()
    found = whisper_segments(whisper, windows, "en", TranscribeOptions(batch_size=8))
    assert len(found) == len(windows)
    for window, segments in zip(windows, found, strict=True):
        seconds = window.samples / RATE
        if seconds >= 0.1:  # the stand-in hears a word in anything of two frames or more
            assert segments, window.samples
        for s in segments:  # times from the window's own start, inside it
            assert -0.01 <= s.start <= s.end <= seconds + 0.01, (s.start, s.end, seconds)
            assert all(-0.01 <= w.start <= w.end <= seconds + 0.01 for w in s.words)


def test_batch_size_bounds_the_windows_in_a_pass() -> None:
    from perftel.decoding import whisper_segments

    rng = np.random.default_rng(5)
    windows = [burst_window(0, 2 * RATE, i * 5 * RATE, rng) for i in range(5)]
    seen: list[int] = []

    class Counting(FakeWhisper):
        def transcribe_batched(self, audio, *, clip_timestamps=(), **kwargs):  # noqa: ANN001, ANN201
            seen.append(len(clip_timestamps))
            return super().transcribe_batched(audio, clip_timestamps=clip_timestamps, **kwargs)

    whisper_segments(Counting(), windows, "en", TranscribeOptions(batch_size=2))
    assert seen == [2, 2, 1]


class AlwaysBad(FakeWhisper):
    """Every decode is unlikely; the higher temperatures' even more so (faster-whisper then keeps the best)."""

    def transcribe(self, audio: np.ndarray, language: str | None = None, **kwargs):  # noqa: ANN201
        found, info = super().transcribe(audio, language=language, **kwargs)
        worse = kwargs.get("temperature", [0.0])[0] > 0
        found = [
            SimpleNamespace(
                **{**vars(s), "avg_logprob": -3.0 if worse else -1.5, "text": "hot" if worse else "cold"}
            )
            for s in found
        ]
        return iter(found), info


def test_when_every_temperature_fails_the_best_decode_is_kept(tmp_path: Path) -> None:
    path, _ = five_turn_call(tmp_path)
    result = transcriber(AlwaysBad(), batch_size=1, redecode_missed=False, batch_fallback=True).transcribe(
        path, language="en"
    )
    assert result.decoding["fallback_windows"] == 1
    assert result.segments and all(s.avg_logprob == -1.5 for s in result.segments)  # the beam search's
