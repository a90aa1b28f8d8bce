"""Test audio the package makes itself, so demos and tests need no downloads.

``speech_like`` is a source-filter model of voiced speech: a glottal pulse
train whose pitch glides like intonation, through three formant resonators
that move between vowels, shaped into syllables with pauses between words.
It has speech's spectral tilt, harmonics and envelope, which is what codecs
and resamplers care about; it is not intelligible.
"""

from __future__ import annotations

import math

import numpy as np

# (F1, F2, F3) in Hz for a few vowels.
_VOWELS = [(730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480),
           (570, 840, 2410), (300, 870, 2240), (660, 1720, 2410)]
_BANDWIDTHS = (90.0, 110.0, 170.0)


def _resonate(x: np.ndarray, freq: np.ndarray, bandwidth: float, rate: int) -> np.ndarray:
    """Two-pole resonator with a time-varying centre frequency."""
    r = math.exp(-math.pi * bandwidth / rate)
    a1 = (2 * r * np.cos(2 * np.pi * freq / rate)).tolist()
    a2 = -r * r
    gain = 1 - r
    y = np.empty_like(x)
    y1 = y2 = 0.0
    for i, v in enumerate(x.tolist()):
        y0 = gain * v + a1[i] * y1 + a2 * y2
        y[i] = y0
        y2, y1 = y1, y0
    return y


def speech_like(seconds: float = 3.0, rate: int = 16000, seed: int = 0,
                level_dbfs: float = -16.0) -> np.ndarray:
    """Synthesise speech-like mono int16 audio.

    Parameters
    ----------
    seconds : float
        Duration.
    rate : int
        Sample rate in Hz.
    seed : int
        Varies pitch contour, vowel order and word timing.
    level_dbfs : float
        RMS level of the voiced parts relative to full scale.
    """
    if seconds <= 0 or rate <= 0:
        raise ValueError("seconds and rate must be positive")
    rng = np.random.default_rng(seed)
    n = int(round(seconds * rate))
    t = np.arange(n) / rate

    # Pitch: a declining intonation line with slow wobble, 100-220 Hz.
    base = rng.uniform(110, 170)
    f0 = base * (1.15 - 0.25 * (t % 1.5) / 1.5) * (1 + 0.04 * np.sin(2 * np.pi * 3.1 * t))
    phase = np.cumsum(f0 / rate)
    # Glottal pulses: a sharp closing phase, rich in harmonics with a -12 dB/oct tilt.
    frac = phase % 1.0
    source = np.where(frac < 0.6, np.sin(np.pi * frac / 0.6) ** 2, 0.0)
    source = np.diff(source, prepend=0.0) * rate / 200.0
    source += 0.02 * rng.standard_normal(n)  # breath

    # Syllables of 120-260 ms, words of 2-4 syllables, 80-250 ms pauses.
    envelope = np.zeros(n)
    formants = np.zeros((3, n))
    pos = int(0.05 * rate)
    vowel = rng.integers(len(_VOWELS))
    while pos < n:
        for _ in range(rng.integers(2, 5)):
            length = int(rng.uniform(0.12, 0.26) * rate)
            end = min(pos + length, n)
            k = np.arange(end - pos)
            envelope[pos:end] = np.sin(np.pi * k / max(length, 1)) ** 0.7
            nxt = rng.integers(len(_VOWELS))
            for j in range(3):
                formants[j, pos:end] = np.linspace(_VOWELS[vowel][j], _VOWELS[nxt][j], end - pos)
            vowel = nxt
            pos = end
            if pos >= n:
                break
        pos += int(rng.uniform(0.08, 0.25) * rate)
    for j in range(3):  # hold formants through pauses
        row = formants[j]
        filled = np.maximum.accumulate(np.where(row > 0, np.arange(n), 0))
        formants[j] = np.where(row > 0, row, row[filled])
        formants[j][formants[j] == 0] = _VOWELS[0][j]
    nyquist = rate / 2 - 100
    voiced = sum(_resonate(source, np.minimum(formants[j], nyquist), _BANDWIDTHS[j], rate) * g
                 for j, g in enumerate((1.0, 0.6, 0.35)))
    signal = voiced * envelope
    active = envelope > 0.1
    rms = np.sqrt(np.mean(signal[active] ** 2)) if active.any() else 1.0
    signal *= 10 ** (level_dbfs / 20) * 32767 / rms
    return np.clip(np.round(signal), -32768, 32767).astype(np.int16)


def tone(freq: float, seconds: float, rate: int, level_dbfs: float = -6.0) -> np.ndarray:
    """A sine tone as int16."""
    t = np.arange(int(round(seconds * rate))) / rate
    x = 10 ** (level_dbfs / 20) * 32767 * np.sin(2 * np.pi * freq * t)
    return np.round(x).astype(np.int16)


def snr_db(reference: np.ndarray, test: np.ndarray, max_lag: int = 0) -> float:
    """Signal-to-noise ratio of ``test`` against ``reference`` in dB, at the
    best alignment within ``max_lag`` samples and the best gain (so a codec's
    or resampler's delay and level do not count as noise)."""
    ref = np.asarray(reference, dtype=np.float64)
    out = np.asarray(test, dtype=np.float64)
    best = -math.inf
    for lag in range(0, max_lag + 1):
        n = min(len(ref), len(out) - lag)
        if n <= 0:
            break
        r, o = ref[:n], out[lag:lag + n]
        denom = float(np.dot(o, o))
        gain = float(np.dot(r, o)) / denom if denom else 0.0
        noise = r - gain * o
        power, noise_power = float(np.dot(r, r)), float(np.dot(noise, noise))
        if power == 0:
            continue
        best = max(best, math.inf if noise_power == 0 else 10 * math.log10(power / noise_power))
    return best
