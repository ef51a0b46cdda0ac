"""Two-channel truth: bleed, echo and same-signal channels (perftel.crosstalk), on real speech."""

from __future__ import annotations

import numpy as np
import pytest

from perftel.crosstalk import CrosstalkOptions, separate, suppress_bleed
from tests.conversation_calls import SHARED_AUDIO, SR, crosstalk_call, load_speech

pytestmark = pytest.mark.skipif(not SHARED_AUDIO.is_dir(), reason="needs ../shared/audio")


def _frames(x: np.ndarray) -> np.ndarray:
    return np.square(x[: len(x) // 160 * 160].astype(np.float64)).reshape(-1, 160).mean(axis=1)


@pytest.mark.parametrize("bleed_db", [-15, -26, -35, -45])
@pytest.mark.parametrize("delay", [0.0, 0.04, 0.1])
@pytest.mark.parametrize("polarity", [1, -1])
def test_bleed_goes_to_the_louder_channel_and_overlap_stays_on_both(bleed_db, delay, polarity):
    left, right, agent, customer, truth = crosstalk_call(bleed_db, delay, polarity)
    found = separate(left, right, SR)
    assert len(found.couplings) == 2 and not found.same_signal
    for coupling in found.couplings:
        assert coupling.lag_seconds == pytest.approx(delay, abs=0.001)
        assert coupling.gain_db == pytest.approx(bleed_db, abs=1.0) and coupling.inverted == (polarity < 0)
    for channel, (own, other) in enumerate(((agent, customer), (customer, agent))):
        mask = found.bleed[channel][: len(_frames(own)) * 160].reshape(-1, 160).mean(axis=1) > 0.5
        own_e, other_e = _frames(own), _frames(other)
        speaking = own_e > 10 ** (-50 / 10)  # the channel's own voice, louder than -50 dBFS
        bleed_only = (own_e < 10 ** (-80 / 10)) & (other_e > 10 ** (-50 / 10))
        assert mask[speaking].mean() <= 0.02, f"channel {channel}: own speech removed"
        assert 1 - mask[bleed_only].mean() <= 0.02, f"channel {channel}: bleed kept"
        # both talk at once from 19 s: each channel keeps its own voice there
        both = speaking & (other_e > 10 ** (-50 / 10))
        assert both.sum() > 100 and mask[both].mean() <= 0.02


@pytest.mark.parametrize(
    ("how", "shift_ms", "sign", "level_db"),
    [
        ("identical", 0, 1, 0),
        ("inverted", 0, -1, 0),
        ("3 ms apart", 3, 1, 0),
        ("inverted, 2 dB quieter", 1, -1, -2),
    ],
)
def test_same_signal_is_one_speaker(how, shift_ms, sign, level_db):
    x = np.concatenate([load_speech("en_fleurs_001.ogg"), np.zeros(SR, np.float32)])
    lag = int(shift_ms * SR / 1000)
    y = sign * 10 ** (level_db / 20) * np.concatenate([np.zeros(lag, np.float32), x[: len(x) - lag]])
    found = separate(x, y.astype(np.float32), SR)
    assert found.same_signal, how
    assert not found.bleed[0].any() and found.bleed[1].all()  # the louder (or first) channel keeps it


def test_independent_channels_are_left_alone():
    a = np.concatenate([load_speech("en_fleurs_001.ogg"), np.zeros(3 * SR, np.float32)])
    b = np.concatenate([np.zeros(2 * SR, np.float32), load_speech("en_fleurs_004.ogg", peak=0.3)])
    b = np.pad(b, (0, max(0, len(a) - len(b))))[: len(a)]
    found = separate(a, b, SR)
    assert not found.same_signal and found.couplings == []
    assert not found.bleed[0].any() and not found.bleed[1].any()
    block = np.stack([a, b])
    assert suppress_bleed(block, SR) is block


def test_suppress_bleed_silences_only_the_copy():
    left, right, agent, customer, _ = crosstalk_call(-26, 0.04)
    out = suppress_bleed(np.stack([left, right]), SR)
    # customer alone 10.5-15.5 s: the agent's channel is silenced there, the customer's is untouched
    alone = slice(int(11 * SR), int(15 * SR))
    assert np.abs(out[0, alone]).max() < 1e-3 < np.abs(left[alone]).max()
    assert np.array_equal(out[1, alone], right[alone])
    mono = np.zeros((1, 100), np.float32)
    assert suppress_bleed(mono, SR) is mono


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="same length"):
        separate(np.zeros(10, np.float32), np.zeros(11, np.float32), SR)
    empty = separate(np.zeros(0, np.float32), np.zeros(0, np.float32), SR, CrosstalkOptions())
    assert empty.bleed[0].size == 0 and not empty.same_signal
