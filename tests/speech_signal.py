"""A deterministic speech-like test signal: voiced syllables (a gliding
pitch with harmonics shaped by moving formants), unvoiced noise bursts and
pauses, so that speech codecs see what they are built for.

The package's own streamcodec.signals.speech_like has no unvoiced bursts;
test_amrwb.py's cross-decoder bound (ffmpeg vs opencore, correlation >= 0.95)
was set on this signal, with its fricatives, and stays on it."""

from __future__ import annotations

import numpy as np

# Formant frequencies (Hz) of a few vowels, roughly /a/ /i/ /u/ /e/ /o/.
_VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240),
           (530, 1840, 2480), (570, 840, 2410))


def speech_like(seconds: float, rate: int, seed: int = 0, level: float = 0.3) -> np.ndarray:
    """int16 mono at ``rate``: alternating syllables, fricatives and pauses."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * rate))
    out = np.zeros(n)
    pos = 0
    while pos < n:
        kind = rng.choice(["voiced", "voiced", "voiced", "unvoiced", "pause"])
        length = min(n - pos, int(rate * rng.uniform(0.12, 0.3)))
        t = np.arange(length) / rate
        env = np.sqrt(np.clip(np.sin(np.pi * np.arange(length) / max(length - 1, 1)), 0, 1))
        if kind == "voiced":
            f0 = rng.uniform(90, 200) * (1 + 0.25 * t / t[-1] * rng.uniform(-1, 1))
            phase = 2 * np.pi * np.cumsum(f0) / rate
            formants = _VOWELS[rng.integers(len(_VOWELS))]
            seg = np.zeros(length)
            for k in range(1, int(0.45 * rate / f0.min()) + 1):
                fk = k * f0
                gain = sum(1 / (1 + ((fk - F) / (60 + F / 12)) ** 2) for F in formants)
                gain = gain * (fk < 0.45 * rate) / k ** 0.5
                seg += gain * np.sin(k * phase)
        elif kind == "unvoiced":
            seg = np.diff(rng.standard_normal(length + 1)) * 0.5
        else:
            seg = np.zeros(length)
        peak = np.abs(seg).max()
        if peak > 0:
            seg = seg / peak
        out[pos:pos + length] = seg * env
        pos += length
    return np.round(out * level * 32767).astype(np.int16)


def load_helper():
    """(for test modules) nothing: import this module through importlib."""
