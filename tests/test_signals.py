"""The package's own test audio: the numpy resonator against the per-sample
two-pole recursion it replaced, and the shape of ``speech_like``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from streamcodec.signals import _resonate, snr_db, speech_like


def two_pole(x, freq, bandwidth, rate):
    """y[n] = g x[n] + 2 r cos(theta[n]) y[n-1] - r^2 y[n-2], one sample at a time."""
    r = math.exp(-math.pi * bandwidth / rate)
    y = np.zeros(len(x))
    y1 = y2 = 0.0
    for i in range(len(x)):
        y0 = (1 - r) * x[i] + 2 * r * math.cos(2 * math.pi * freq[i] / rate) * y1 - r * r * y2
        y[i], y2, y1 = y0, y1, y0
    return y


@pytest.mark.parametrize("rate", [8000, 16000, 48000])
@pytest.mark.parametrize("bandwidth", [90.0, 170.0])
def test_fixed_resonance_equals_the_two_pole_recursion(rate, bandwidth):
    x = np.random.default_rng(rate).standard_normal(rate // 2 + 37)   # not whole blocks
    freq = np.full(len(x), 0.09 * rate)
    ref = two_pole(x, freq, bandwidth, rate)
    np.testing.assert_allclose(_resonate(x, freq, bandwidth, rate), ref, rtol=0,
                               atol=1e-9 * np.abs(ref).max())


def test_gliding_resonance_stays_close_to_the_two_pole_recursion():
    # With a moving centre frequency the two forms differ slightly (the
    # complex pole turns where the real recursion re-tunes): 50 dB apart.
    rate = 16000
    x = np.random.default_rng(1).standard_normal(rate)
    freq = np.linspace(300, 3000, rate)
    ref = two_pole(x, freq, 110.0, rate)
    got = _resonate(x, freq, 110.0, rate)
    assert 45 < snr_db(ref, got) < 80


def test_speech_like_level_pauses_and_band():
    rate = 16000
    pcm = speech_like(3.0, rate, seed=2)
    assert pcm.dtype == np.int16 and len(pcm) == 3 * rate
    x = pcm.astype(np.float64)
    frames = x[: len(x) // 320 * 320].reshape(-1, 320)
    level = 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) / 32767 + 1e-12)
    assert (level < -50).sum() >= 5                    # pauses between words
    active = frames[level > -40]
    assert 10 * np.log10((active ** 2).mean() / 32767 ** 2) == pytest.approx(-16, abs=0.5)
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / rate)
    below_4k = spectrum[(f > 80) & (f < 4000)].sum()
    assert below_4k > 0.9 * spectrum.sum()             # speech's spectral tilt
    assert np.array_equal(pcm, speech_like(3.0, rate, seed=2))   # repeatable
    assert not np.array_equal(pcm, speech_like(3.0, rate, seed=3))
