"""Noise reduction for speech that levelling lifted a long way: FFmpeg's ``afftdn`` through PyAV.

A quiet customer on a telephone line is levelled up by 25-30 dB before Whisper hears it, and the line noise
comes up with it. On a two-channel call :mod:`perftel.vad` passes such a region (levelled by at least
``TranscribeOptions.noise_reduction_min_gain_db``) through :func:`reduce_noise` and levels it again.

Measured (issue 20, ``benchmarks/RESULTS.md``), side by side on the long-form benchmark calls (bundled
base, seeds 1-3 and 4-8, WER with / without): English two-channel 0.112 / 0.125 and 0.173 / 0.177,
Portuguese two-channel 0.277 / 0.296 and 0.253 / 0.262; on mono mixdowns English got worse in both runs
(0.170 / 0.160 and 0.183 / 0.163) and Portuguese moved within the noise (0.315 / 0.312, 0.282 / 0.293), so
mono calls are not denoised. No CPU cost could be seen. The setting is mild (afftdn's own noise tracking
takes ~2 dB off white noise): a strong one (the floor read from the region's quietest 20 ms frames, tried
on seeds 1-3) helped Portuguese more but hurt English, and a lighter one (``nr=12:nf=-50``) did less.

The filter is FFmpeg's FFT denoiser (``afftdn``: per-band spectral subtraction with the noise floor
tracked from the signal itself, ``tn=1``), the same FFmpeg perftel already decodes audio with.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

SAMPLE_RATE = 16000
#: afftdn's latency, measured: a chirp through afftdn (FFmpeg 8.1 in PyAV 18) comes out 25 ms late at 8, 16,
#: 44.1 and 48 kHz, whatever ``nr``/``nf`` (at 11.025 and 22.05 kHz it is not a whole 25 ms, so only the
#: measured rates are taken); ``tests/test_noise_reduction.py`` checks it. Removed from the output.
LATENCY_SECONDS = 0.025
MEASURED_RATES = (8000, 16000, 44100, 48000)
#: the measured setting (issue 20): at most 20 dB of noise off, the floor tracked from -45 dBFS on
REDUCTION_DB = 20.0
FLOOR_DB = -45.0


def settings_problem(reduction_db: float, floor_db: float) -> str | None:
    """Why FFmpeg's ``afftdn`` would refuse ``reduction_db`` (``nr``, 0.01-97 dB) or ``floor_db`` (``nf``,
    -80..-20 dBFS); None when both are in range. Source: FFmpeg's ``afftdn`` filter documentation."""
    if 0.01 <= reduction_db <= 97 and -80 <= floor_db <= -20:
        return None
    return (
        f"noise reduction {reduction_db} dB / floor {floor_db} dBFS: FFmpeg's afftdn takes a reduction of "
        "0.01-97 dB and a floor of -80..-20 dBFS"
    )


def reduce_noise(
    audio: np.ndarray,
    *,
    reduction_db: float = REDUCTION_DB,
    floor_db: float = FLOOR_DB,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """``audio`` (mono float32 samples at ``sample_rate`` Hz, full scale ±1) with its stationary noise
    reduced by up to ``reduction_db`` dB; ``floor_db`` is the starting noise floor in dBFS (FFmpeg's
    ``nf``, -80..-20), tracked from the signal afterwards. Returns float32 of the same length (FFmpeg's
    delay is removed). Raises ValueError for a floor or reduction outside FFmpeg's ranges
    (:func:`settings_problem`) or a sample rate whose latency was not measured (:data:`MEASURED_RATES`).
    Source: FFmpeg's ``afftdn`` filter documentation."""
    if problem := settings_problem(reduction_db, floor_db):
        raise ValueError(problem)
    if sample_rate not in MEASURED_RATES:
        raise ValueError(
            f"noise reduction at {sample_rate} Hz: afftdn's latency is measured at {MEASURED_RATES} Hz"
        )
    samples = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
    if samples.size == 0:
        return samples
    import av

    graph = av.filter.Graph()
    source = graph.add_abuffer(format="flt", sample_rate=sample_rate, layout="mono", channels=1)
    denoise = graph.add("afftdn", f"nr={reduction_db:g}:nf={floor_db:g}:tn=1")
    sink = graph.add("abuffersink")
    source.link_to(denoise)
    denoise.link_to(sink)
    graph.configure()
    delay = round(LATENCY_SECONDS * sample_rate)
    padded = np.concatenate([samples, np.zeros(delay, np.float32)])  # flushes the last samples out
    frame = av.AudioFrame.from_ndarray(padded.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate, frame.pts, frame.time_base = sample_rate, 0, Fraction(1, sample_rate)
    source.push(frame)
    source.push(None)
    out: list[np.ndarray] = []
    while True:
        try:
            out.append(sink.pull().to_ndarray().reshape(-1))
        except (av.error.EOFError, av.error.BlockingIOError):
            break
    cleaned = np.concatenate(out)[delay:] if out else np.zeros(0, np.float32)
    if cleaned.size < samples.size:  # afftdn gives back what it is given; should a build not, keep the tail
        cleaned = np.concatenate([cleaned, samples[cleaned.size :]])
    return cleaned[: samples.size].astype(np.float32, copy=False)
