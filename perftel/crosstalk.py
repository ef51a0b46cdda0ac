"""Two-channel truth: tell a channel's own speech from the other party's voice leaking into it.

On a two-channel call each side often also carries the other party faintly: headset pickup, line echo or
crosstalk, typically 15–45 dB lower and up to ~100 ms late, sometimes with inverted polarity. Transcribed
side by side, every sentence would come back twice, once under each speaker. :func:`separate` finds, per
channel, the stretches that are only such a copy ("bleed") so they can be dropped; :func:`suppress_bleed`
silences them (what :mod:`perftel.transcribe` does per 30 s block before voice activity detection).

Method (per block of audio, both channels at the same sample rate):

1. **Same signal.** If the two channels are one signal — identical, inverted, a few ms apart, or within
   ``same_level_db`` of each other in level — (peak normalised cross-correlation over lags up to
   ``max_lag_seconds`` at least ``same_correlation``), they are one speaker: the louder channel keeps it
   (channel 0 on a tie) and the other is all bleed.
2. **Coupling.** For each direction (source → destination), the bleed path is estimated on the frames
   where the destination is at least ``candidate_db`` quieter than the source around the same moment
   and above ``estimate_floor_db`` dBFS (each frame weighted by the inverse of its energy, so every frame counts the same): the lag ``d`` (0 to ``max_lag_seconds``) maximising the absolute normalised cross-correlation
   ``|Σ w·dst[t]·src[t−d]| / sqrt(Σ w·dst² · Σ w·src[t−d]²)`` (``w`` = those frames), and the signed gain
   ``g = Σ w·dst[t]·src[t−d] / Σ w·src[t−d]²`` (least squares; polarity is the sign of ``g``), refit
   on the frames whose own correlation at that lag is at least ``copy_correlation`` (plain copies). A
   coupling with correlation below ``min_correlation`` is no coupling (nothing is removed).
3. **Frames.** In ``frame_seconds`` frames, the destination's residual ``r = dst[t] − g·src[t−d]`` is
   compared with the predicted bleed ``g·src[t−d]``: a frame is the channel's own speech when the
   residual's energy is above the floor (``floor_db`` dBFS) and not more than ``own_margin_db`` below the
   predicted bleed; every other frame (bleed, or silence) is marked for removal. Where both people talk
   at once the residual is the destination's own voice, so real overlapping speech stays on both
   channels.
4. **Smoothing.** Own-speech frames are widened by ``pad_seconds`` on each side (word edges), and bleed
   stretches shorter than ``min_bleed_seconds`` are kept as they are.

Short-time energy + cross-correlation only (numpy FFTs); no model. Bleed that went through a filter
(a real echo path) cancels less well than a plain scaled, delayed copy; the margin of step 3 allows for
about 10 dB of residual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class CrosstalkOptions:
    """Thresholds of :func:`separate` (see the module docstring); seconds, dB and correlations."""

    frame_seconds: float = 0.01
    max_lag_seconds: float = 0.12
    same_correlation: float = 0.9
    same_level_db: float = 6.0
    candidate_db: float = 10.0
    min_candidate_seconds: float = 0.3
    min_correlation: float = 0.6
    copy_correlation: float = 0.95
    own_margin_db: float = 10.0
    floor_db: float = -80.0
    estimate_floor_db: float = -70.0
    pad_seconds: float = 0.06
    min_bleed_seconds: float = 0.05


@dataclass(frozen=True)
class Coupling:
    """``dst ≈ gain · src[t − lag]``: channel ``src`` leaks into ``dst`` (``gain_db`` = 20·log10|gain|)."""

    src: int
    dst: int
    lag_seconds: float
    gain: float
    correlation: float

    @property
    def gain_db(self) -> float:
        """The leak's level relative to the source, in dB (``20·log10|gain|``; negative: quieter,
        ``-inf`` for a zero gain)."""
        return 20 * float(np.log10(abs(self.gain))) if self.gain else -np.inf

    @property
    def inverted(self) -> bool:
        """True when the leak arrives with inverted polarity (a negative ``gain``)."""
        return self.gain < 0


@dataclass
class Separation:
    """What :func:`separate` found. ``bleed[c]`` is a boolean per sample of channel ``c``: True where the
    channel holds no speech of its own — only the other party's voice, or silence — on a channel the other
    one leaks into (all False on a channel without a leak), or everywhere on the quieter channel of a
    ``same_signal`` pair."""

    bleed: list[np.ndarray]
    same_signal: bool = False
    couplings: list[Coupling] = field(default_factory=list)

    def bleed_seconds(self, channel: int, sample_rate: int) -> float:
        """Seconds of ``channel`` marked as bleed: its True samples over ``sample_rate`` (Hz, the rate the
        audio was separated at). IndexError for a channel that is not in :attr:`bleed`."""
        return float(self.bleed[channel].sum()) / sample_rate


def _frame_energy(x: np.ndarray, frame: int) -> np.ndarray:
    n = len(x) // frame * frame
    e = np.square(x[:n].astype(np.float64)).reshape(-1, frame).mean(axis=1)
    if n < len(x):
        e = np.append(e, float(np.mean(np.square(x[n:].astype(np.float64)))))
    return e


def _xcorr(a: np.ndarray, b: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """``Σ_t a[t]·b[t − k]`` for each lag ``k`` in ``lags`` (FFT, zero outside the arrays)."""
    n = max(len(a), len(b)) + int(np.max(np.abs(lags))) + 1  # no wrap-around for these lags
    size = 1 << (n - 1).bit_length()
    spectrum = np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size))
    full = np.fft.irfft(spectrum, size)
    return full[lags % size]


def _max_window(e: np.ndarray, width: int) -> np.ndarray:
    """Running maximum of ``e`` over the current and the ``width`` previous frames."""
    out = e.copy()
    for k in range(1, width + 1):
        out[k:] = np.maximum(out[k:], e[:-k])
    return out


def _estimate(
    src: np.ndarray,
    dst: np.ndarray,
    e_src: np.ndarray,
    e_dst: np.ndarray,
    frame: int,
    max_lag: int,
    opts: CrosstalkOptions,
) -> tuple[int, float, float] | None:
    """(lag samples, gain, correlation) of the leak ``src → dst``, or None when none is found."""
    near = _max_window(e_src, max_lag // frame + 1)
    floor = 10 ** (opts.floor_db / 10)
    audible = 10 ** (opts.estimate_floor_db / 10)  # quieter frames are mostly quantisation noise
    candidates = (near > floor * 100) & (e_dst > audible) & (e_dst < near * 10 ** (-opts.candidate_db / 10))
    if candidates.sum() < opts.min_candidate_seconds / opts.frame_seconds:
        return None
    # each candidate frame weighs the same whatever its level (1 / its energy): a few loud frames of the
    # destination's own speech cannot outweigh the many frames of plain bleed
    weights = np.where(candidates, 1.0 / np.maximum(e_dst, floor), 0.0)
    w = np.repeat(weights, frame)[: len(dst)]
    if len(w) < len(dst):
        w = np.pad(w, (0, len(dst) - len(w)))
    dst64, src64 = dst.astype(np.float64), src.astype(np.float64)
    dst_power = float(np.dot(w, np.square(dst64)))
    if dst_power <= 0:
        return None

    def correlation(step: int, lags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted (numerator, denominator) at ``lags`` (in samples of the signal taken every ``step``)."""
        return (
            _xcorr((w * dst64)[::step], src64[::step], lags),
            np.maximum(_xcorr(w[::step], np.square(src64[::step]), lags), 1e-20),
        )

    # coarse search on every 4th sample (the FFTs are 4x shorter), then the exact lag around it
    step = 4
    coarse_num, coarse_den = correlation(step, np.arange(0, max_lag // step + 2))
    coarse = int(np.argmax(np.abs(coarse_num) / np.sqrt(coarse_den))) * step
    lags = np.arange(max(0, coarse - 2 * step), min(max_lag, coarse + 2 * step) + 1)
    at = np.flatnonzero(w)
    at = at[at >= lags[-1]]
    weighted, weights = w[at] * dst64[at], w[at]
    num = np.array([np.dot(weighted, src64[at - k]) for k in lags])
    den = np.maximum(np.array([np.dot(weights, np.square(src64[at - k])) for k in lags]), 1e-20)
    rho = num / np.sqrt(den * dst_power)
    best = int(np.argmax(np.abs(rho)))
    if abs(rho[best]) < opts.min_correlation:
        return None
    lag = int(lags[best])
    # refine the gain on the frames that are plainly a copy at that lag (per-frame correlation, which does
    # not depend on the gain): the destination's own quiet speech among the candidates would bias it low
    shifted = _shift(src64, lag)
    count = len(e_dst) if len(dst) % frame == 0 else len(e_dst) - 1
    cut = count * frame
    d_f = dst64[:cut].reshape(count, frame)
    s_f = shifted[:cut].reshape(count, frame)
    dot = (d_f * s_f).sum(axis=1)
    s_pow = np.square(s_f).sum(axis=1)
    d_pow = np.square(d_f).sum(axis=1)
    local = np.abs(dot) / np.sqrt(np.maximum(s_pow * d_pow, 1e-30))
    copies = candidates[:count] & (local >= opts.copy_correlation)
    if copies.sum() < opts.min_candidate_seconds / opts.frame_seconds:
        return lag, float(num[best] / den[best]), float(rho[best])
    weight = 1.0 / np.maximum(d_pow[copies], 1e-30)
    gain = float(np.sum(weight * dot[copies]) / np.sum(weight * s_pow[copies]))
    return lag, gain, float(rho[best])


def _same_signal(left: np.ndarray, right: np.ndarray, max_lag: int, opts: CrosstalkOptions) -> bool:
    pl = float(np.dot(left.astype(np.float64), left))
    pr = float(np.dot(right.astype(np.float64), right))
    if pl <= 0 or pr <= 0:
        return pl == pr
    if abs(10 * np.log10(pl / pr)) > opts.same_level_db:
        return False
    lags = np.arange(-max_lag, max_lag + 1)
    rho = _xcorr(right.astype(np.float64), left.astype(np.float64), lags) / np.sqrt(pl * pr)
    return float(np.max(np.abs(rho))) >= opts.same_correlation


def _shift(x: np.ndarray, lag: int) -> np.ndarray:
    """``x[t − lag]`` (zeros before the start)."""
    if lag <= 0:
        return x
    return np.concatenate([np.zeros(lag, dtype=x.dtype), x[:-lag]])


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2], edges[1::2], strict=True))


def separate(
    left: np.ndarray, right: np.ndarray, sample_rate: int, options: CrosstalkOptions | None = None
) -> Separation:
    """Bleed masks for the two channels of a call (1-D float arrays of equal length, any sample rate).

    Raises ValueError when the channels differ in length. See the module docstring for the method.
    """
    opts = options or CrosstalkOptions()
    if left.shape != right.shape or left.ndim != 1:
        raise ValueError(f"two 1-D channels of the same length expected, got {left.shape} and {right.shape}")
    n = len(left)
    channels = [left, right]
    no_bleed = [np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)]
    if n == 0:
        return Separation(no_bleed)
    frame = max(1, int(round(opts.frame_seconds * sample_rate)))
    max_lag = int(round(opts.max_lag_seconds * sample_rate))
    if _same_signal(left, right, max_lag, opts):
        quieter = 1 if float(np.dot(left, left)) >= float(np.dot(right, right)) else 0
        bleed = [np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)]
        bleed[quieter][:] = True
        return Separation(bleed, same_signal=True)
    energies = [_frame_energy(left, frame), _frame_energy(right, frame)]
    floor = 10 ** (opts.floor_db / 10)
    margin = 10 ** (-opts.own_margin_db / 10)
    pad = int(round(opts.pad_seconds / opts.frame_seconds))
    min_bleed = max(1, int(round(opts.min_bleed_seconds / opts.frame_seconds)))
    bleed_masks = []
    couplings = []
    for dst in (0, 1):
        src = 1 - dst
        found = _estimate(channels[src], channels[dst], energies[src], energies[dst], frame, max_lag, opts)
        if found is None:
            bleed_masks.append(np.zeros(n, dtype=bool))
            continue
        lag, gain, rho = found
        couplings.append(Coupling(src, dst, lag / sample_rate, gain, rho))
        predicted = np.float32(gain) * _shift(channels[src], lag)
        e_pred = _frame_energy(predicted, frame)
        e_res = _frame_energy(channels[dst] - predicted, frame)
        own = (e_res > floor) & (e_res >= e_pred * margin)
        frames = ~own
        if pad:  # widen own speech: word edges stay whole
            grown = own.copy()
            for k in range(1, pad + 1):
                grown[k:] |= own[:-k]
                grown[:-k] |= own[k:]
            frames &= ~grown
        for a, b in _runs(frames):
            if b - a < min_bleed:
                frames[a:b] = False
        bleed_masks.append(np.repeat(frames, frame)[:n])
    return Separation(bleed_masks, couplings=couplings)


def suppress_bleed(
    block: np.ndarray, sample_rate: int, options: CrosstalkOptions | None = None
) -> np.ndarray:
    """A (2, samples) block with each channel's bleed set to silence (a copy; other shapes unchanged)."""
    if block.ndim != 2 or block.shape[0] != 2 or block.shape[1] == 0:
        return block
    found = separate(block[0], block[1], sample_rate, options)
    if not (found.bleed[0].any() or found.bleed[1].any()):
        return block
    out = block.copy()
    for channel in (0, 1):
        out[channel][found.bleed[channel]] = 0.0
    return out
