"""perftel.noise_reduction and the levelling step that uses it (perftel.vad.levelled)."""

from __future__ import annotations

import numpy as np
import pytest

from perftel import audio as audio_io
from perftel.errors import ConfigError
from perftel.noise_reduction import reduce_noise
from perftel.vad import levelled
from perftel.whisper_settings import TranscribeOptions


def chirp_in_noise(rate: int, seconds: float = 4.0, noise_rms: float = 0.002, seed: int = 0) -> np.ndarray:
    """One second of line noise, then a 300 Hz-up chirp (0.3 peak) in the same noise."""
    t = np.arange(int(seconds * rate)) / rate
    signal = (0.3 * np.sin(2 * np.pi * 300 * t * (1 + t))).astype(np.float32)
    signal[:rate] = 0
    return signal + np.random.default_rng(seed).normal(0, noise_rms, t.size).astype(np.float32)


def lag(a: np.ndarray, b: np.ndarray, rate: int) -> int:
    """Samples by which ``b`` comes after ``a`` (cross-correlation peak within ±50 ms)."""
    span = rate // 20
    inner = slice(rate // 8, a.size - rate // 8)
    scores = [float(np.dot(a[inner], np.roll(b, -k)[inner])) for k in range(-span, span + 1)]
    return int(np.argmax(scores)) - span


@pytest.mark.parametrize("rate", [8000, 16000, 44100, 48000])
def test_the_output_is_in_time_with_the_input(rate):
    audio = chirp_in_noise(rate)
    assert lag(audio, reduce_noise(audio, sample_rate=rate), rate) == 0


@pytest.mark.parametrize("length", [0, 1, 100, 399, 400, 401, 4000, 16000, 16001])
def test_the_length_is_kept(length):
    audio = np.random.default_rng(length).normal(0, 0.05, length).astype(np.float32)
    out = reduce_noise(audio)
    assert out.shape == (length,) and out.dtype == np.float32 and np.all(np.isfinite(out))


def test_noise_goes_down_and_speech_stays():
    rate = 16000
    audio = chirp_in_noise(rate)
    out = reduce_noise(audio, reduction_db=20, floor_db=-45)
    noise_before, noise_after = (float(np.std(x[rate // 2 : rate - rate // 8])) for x in (audio, out))
    assert 20 * np.log10(noise_before / noise_after) >= 3  # less noise between turns (4.6 dB measured)
    speech_before, speech_after = (float(np.std(x[2 * rate : 3 * rate])) for x in (audio, out))
    assert abs(20 * np.log10(speech_after / speech_before)) <= 1.0  # the chirp keeps its level


@pytest.mark.parametrize(("reduction", "floor"), [(0, -45), (120, -45), (20, -10), (20, -90)])
def test_values_outside_ffmpegs_ranges_are_refused(reduction, floor):
    with pytest.raises(ValueError, match="11025 Hz"):
        reduce_noise(np.zeros(100, np.float32), sample_rate=11025)
    with pytest.raises(ValueError, match="afftdn"):
        reduce_noise(np.zeros(100, np.float32), reduction_db=reduction, floor_db=floor)
    with pytest.raises(ConfigError, match="noise_reduction=False"):
        TranscribeOptions(noise_reduction_db=reduction, noise_floor_db=floor)


def test_a_loud_region_is_only_levelled():
    opts = TranscribeOptions()
    loud = chirp_in_noise(16000) * np.float32(1.5)  # peak ~0.45: lifted ~6 dB, under the 12 dB threshold
    plain = audio_io.level(loud, target_peak=opts.target_peak, max_gain_db=opts.max_gain_db)
    assert np.array_equal(levelled(loud, opts), plain)


def test_a_quiet_region_is_levelled_and_denoised():
    opts = TranscribeOptions()
    quiet = chirp_in_noise(16000) * np.float32(0.03)  # ~-40 dBFS, noise 43 dB under its peak: lifted ~39 dB
    plain = audio_io.level(quiet, target_peak=opts.target_peak, max_gain_db=opts.max_gain_db)
    out = levelled(quiet, opts)
    assert out.shape == quiet.shape and out.dtype == np.float32
    assert float(np.max(np.abs(out))) == pytest.approx(opts.target_peak, rel=1e-3)  # levelled again
    between_turns = slice(8000, 14000)
    reduced = 20 * np.log10(float(np.std(plain[between_turns])) / float(np.std(out[between_turns])))
    assert reduced >= 1.0  # afftdn's own noise tracking removes little: 1.5 dB measured here
    off = TranscribeOptions(noise_reduction=False)
    assert np.array_equal(levelled(quiet, off), plain)


def test_only_the_sides_of_a_two_channel_call_are_denoised(tmp_path, monkeypatch):
    """A quiet, noisy customer turn (-33 dBFS peak, line noise -75 dBFS): denoised as one side of a
    two-channel call, only levelled in a mono file (mono mixdowns lost words to it on the benchmark)."""
    import perftel.noise_reduction as noise_reduction
    from perftel import audio as audio_io
    from perftel.vad import speech_windows
    from tests.conversation_calls import load_speech, write_wav

    rng = np.random.default_rng(3)
    speech = load_speech("en_fleurs_001.ogg", peak=10 ** (-33 / 20))
    quiet = np.concatenate([np.zeros(16000, np.float32), speech, np.zeros(16000, np.float32)])
    quiet += rng.normal(0, 10 ** (-75 / 20), quiet.size).astype(np.float32)
    agent = rng.normal(0, 10 ** (-75 / 20), quiet.size).astype(np.float32)  # the agent says nothing here
    calls: list[int] = []
    real = noise_reduction.reduce_noise

    def counted(audio, **kwargs):
        calls.append(audio.size)
        return real(audio, **kwargs)

    monkeypatch.setattr(noise_reduction, "reduce_noise", counted)
    opts = TranscribeOptions()
    for name, channels, expected in (("mono", [quiet], False), ("stereo", [agent, quiet], True)):
        calls.clear()
        path = write_wav(tmp_path / f"{name}.wav", channels)
        windows = list(speech_windows(path, audio_io.scan(path), opts))
        assert windows and any(w.pieces for w in windows), name
        assert bool(calls) is expected, name
    calls.clear()
    off = TranscribeOptions(noise_reduction=False)
    list(speech_windows(path, audio_io.scan(path), off))
    assert not calls


@pytest.mark.parametrize("level_db", [-45.0, -57.5, -66.5, -76.0])
def test_the_second_levelling_keeps_within_max_gain(level_db):
    """A region of line noise alone (a VAD false alarm on a quiet side): denoised and levelled again, it is
    never lifted by more than ``max_gain_db`` in all, so a pause cannot become full-scale noise."""
    opts = TranscribeOptions()
    noise = np.random.default_rng(5).normal(0, 1, 32000).astype(np.float32)
    noise *= np.float32(10 ** (level_db / 20) / np.max(np.abs(noise)))
    out = levelled(noise, opts)
    total_db = 20 * np.log10(float(np.max(np.abs(out))) / float(np.max(np.abs(noise))))
    assert total_db <= opts.max_gain_db + 1e-3


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"noise_reduction_min_gain_db": float("nan")}, "noise_reduction_min_gain_db"),
        ({"noise_reduction_min_gain_db": -1.0}, "noise_reduction_min_gain_db"),
        ({"batch_size": -1}, "batch_size"),
    ],
)
def test_bad_settings_are_named(fields, named):
    with pytest.raises(ConfigError, match=named):
        TranscribeOptions(**fields)


def test_settings_of_a_reduction_that_is_off_are_not_checked():
    TranscribeOptions(noise_reduction=False, noise_floor_db=-90, noise_reduction_min_gain_db=-1.0)
