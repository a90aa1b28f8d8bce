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


__all__ = ["SPOKEN_TEXT", "espeak", "fit_length", "snr_db", "speech_like", "tone"]


def _resonate(x: np.ndarray, freq: np.ndarray, bandwidth: float, rate: int) -> np.ndarray:
    """Two-pole resonator with a time-varying centre frequency, in numpy.

    The resonance is the complex one-pole recursion ``z[n] = p[n] z[n-1] +
    g x[n]`` with ``p[n] = r exp(i theta[n])``; ``Im(z e^{i theta}) / sin
    theta`` is, for a fixed frequency, exactly the real two-pole resonator
    ``y[n] = g x[n] + 2 r cos(theta) y[n-1] - r^2 y[n-2]``.  A one-pole
    recursion solves with cumulative sums: within a block
    ``z = P * cumsum(g x / P)`` with ``P`` the running product of the poles,
    and a short loop carries each block's last value into the next.  Blocks
    are short enough that ``1 / P`` stays below 1e6 (no loss of precision).
    (A per-sample Python loop took ~60 ms per second of 16 kHz audio, which
    held the event loop of every simulated call.)
    """
    n = len(x)
    if n == 0:
        return np.zeros(0)
    r = math.exp(-math.pi * bandwidth / rate)
    block = max(16, min(4096, int(math.log(1e6) / -math.log(r))))
    pad = (-n) % block
    theta = 2 * np.pi * np.asarray(freq, dtype=np.float64) / rate
    theta = np.concatenate([theta, np.full(pad, theta[-1])]).reshape(-1, block)
    drive = np.concatenate([(1 - r) * np.asarray(x, dtype=np.float64), np.zeros(pad)])
    # The running product of the poles is decay * exp(i * running sum of theta).
    decay = r ** np.arange(1, block + 1)
    turn = np.exp(1j * np.cumsum(theta, axis=1))
    z = turn * np.cumsum(drive.reshape(-1, block) / decay * turn.conj(), axis=1)
    z *= decay
    # Each block starts from the previous block's last value: a scalar
    # recursion over the blocks, then one vectorised correction.
    last_pole = turn[:, -1] * decay[-1]
    carries = np.zeros(len(z), dtype=complex)
    for row in range(1, len(z)):
        carries[row] = z[row - 1, -1] + last_pole[row - 1] * carries[row - 1]
    z += (turn * decay) * carries[:, None]
    return ((z * np.exp(1j * theta)).imag / np.sin(theta)).reshape(-1)[:n]


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


#: What the demo's caller says when espeak-ng is installed.
SPOKEN_TEXT = ("Thank you for calling. Your call is important to us. Please say the name "
               "of the person you would like to reach, or press one for sales.")


def espeak(text: str = SPOKEN_TEXT, rate: int = 16000, voice: str = "en-us",
           words_per_minute: int = 165) -> np.ndarray:
    """Real synthesized speech from Debian's ``espeak-ng``, as int16 at ``rate``.

    espeak-ng writes a WAV (22050 Hz) that streamcodec's own resampler
    converts to ``rate``.

    Raises
    ------
    FileNotFoundError
        espeak-ng is not installed (``apt-get install espeak-ng``).
    RuntimeError
        espeak-ng failed; the message has its error output.
    """
    import shutil
    import subprocess
    import tempfile

    from ._resample import resample
    from .wavio import read_wav

    program = shutil.which("espeak-ng")
    if program is None:
        raise FileNotFoundError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/speech.wav"
        proc = subprocess.run([program, "-v", voice, "-s", str(words_per_minute), "-w", path,
                               text], capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"espeak-ng failed ({proc.returncode}): {proc.stderr.strip()}")
        pcm, wav_rate = read_wav(path)
    if wav_rate == rate:
        return pcm
    return np.frombuffer(resample(pcm, wav_rate, rate), dtype=np.int16).copy()


def fit_length(pcm: np.ndarray, n: int, rate: int) -> np.ndarray:
    """``pcm`` cut to ``n`` samples (with a 10 ms fade so the cut does not
    click) or padded with silence to ``n``."""
    if len(pcm) >= n:
        out = pcm[:n].astype(np.float64)
        fade = min(n, rate // 100)
        if fade:
            out[n - fade:] *= np.linspace(1.0, 0.0, fade)
        return np.round(out).astype(np.int16)
    return np.concatenate([pcm, np.zeros(n - len(pcm), np.int16)]).astype(np.int16)
