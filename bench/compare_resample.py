"""Resampling against soxr (python-soxr), the resampler voice-bot frameworks
use, on the same input in the same run.

Rows:
- one-shot, 60 s of full-band int16 noise at -6 dBFS, each of the six 8/16/24 kHz
  conversions: ``streamcodec.resample`` (default preset) vs
  ``soxr.resample(quality="HQ")``, in input samples per second;
- streaming in 20 ms chunks: ``Resampler.process`` vs
  ``soxr.ResampleStream(quality="HQ").resample_chunk``, input samples/s;
  twice: with numpy int16 chunks for both (what soxr takes), and with
  ``bytes`` chunks (what a decoder or a websocket hands a server), which
  ours takes as they are and soxr's user must first wrap with
  ``np.frombuffer`` (counted in soxr's time; the ``.tobytes()`` its output
  would need to be sent on is not);
- the per-call cut: one 20 ms bytes chunk through ``Resampler.process``
  (a C-API call, streamcodec/_fast.c) against the cffi path kept for other
  input types, ns per call: the same C function, only the call around it;
- latency: our filter delay (we withhold nothing) vs the audio soxr's
  stream withholds, measured by feeding 20 ms chunks of a tone and counting
  the input that went in before the first non-empty output (HQ and VHQ).
"""

from __future__ import annotations

import numpy as np

import streamcodec as sc
from report import Row, best_seconds

SIX = [(8000, 16000), (16000, 8000), (8000, 24000), (24000, 8000), (16000, 24000),
       (24000, 16000)]


def speech_level_noise(seconds: float, rate: int, seed: int = 1) -> np.ndarray:
    """White noise at -6 dBFS peak: full band like the worst case for the
    filter, but not clipping after resampling (full-scale noise overshoots,
    and soxr's int16 output then takes a much slower clipping path, which
    would flatter us)."""
    rng = np.random.default_rng(seed)
    return rng.integers(-16384, 16384, size=int(seconds * rate), dtype=np.int16)


def _name(a: int, b: int) -> str:
    return f"{a // 1000}k -> {b // 1000}k"


def soxr_withheld_ms(in_rate: int, out_rate: int, quality: str, chunk_ms: int = 20) -> float:
    """Milliseconds of input soxr.ResampleStream takes before it returns any
    output, fed chunk_ms chunks of a 440 Hz tone."""
    import soxr

    stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16", quality=quality)
    chunk = in_rate * chunk_ms // 1000
    t = np.arange(in_rate * 2) / in_rate
    x = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    for i in range(0, len(x), chunk):
        if len(stream.resample_chunk(x[i:i + chunk])):
            return 1000 * (i + chunk) / in_rate
    return float("inf")


def soxr_lag_ms(in_rate: int, out_rate: int, quality: str, chunk_ms: int = 20) -> float:
    """Steady-state shortfall: input time fed minus output time returned
    after one second of 20 ms chunks."""
    import soxr

    stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16", quality=quality)
    chunk = in_rate * chunk_ms // 1000
    fed = out = 0
    block = np.zeros(chunk, np.int16)
    for _ in range(1000 // chunk_ms):
        out += len(stream.resample_chunk(block))
        fed += chunk
    return 1000 * (fed / in_rate - out / out_rate)


def rows(quick: bool) -> list[Row]:
    try:
        import soxr
    except ImportError:
        return [Row("resample", "all", "soxr", None, None, "", note="soxr not installed")]
    seconds = 10 if quick else 60
    repeat = 3 if quick else 7
    out: list[Row] = []
    for a, b in SIX:
        x = speech_level_noise(seconds, a)
        t_soxr = best_seconds(lambda: soxr.resample(x, a, b, quality="HQ"), 1, repeat)
        t_ours = best_seconds(lambda: sc.resample(x, a, b), 1, repeat)
        out.append(Row(f"resample one-shot, {seconds} s noise", _name(a, b), "soxr HQ",
                       len(x) / t_soxr / 1e6, len(x) / t_ours / 1e6, "Msamples/s"))
    stream_seconds = 5 if quick else 20
    for a, b in SIX:
        x = speech_level_noise(stream_seconds, a)
        chunk = a // 50
        chunks = [x[i:i + chunk] for i in range(0, len(x), chunk)]

        def run_soxr():
            s = soxr.ResampleStream(a, b, 1, dtype="int16", quality="HQ")
            for c in chunks:
                s.resample_chunk(c)

        def run_ours():
            r = sc.Resampler(a, b)
            for c in chunks:
                r.process(c)

        t_soxr = best_seconds(run_soxr, 1, repeat)
        t_ours = best_seconds(run_ours, 1, repeat)
        out.append(Row("resample stream, 20 ms chunks", _name(a, b), "soxr HQ stream",
                       len(x) / t_soxr / 1e6, len(x) / t_ours / 1e6, "Msamples/s"))
    for a, b in SIX:
        x = speech_level_noise(stream_seconds, a)
        chunk = a // 50
        messages = [x[i:i + chunk].tobytes() for i in range(0, len(x), chunk)]

        def run_soxr_bytes():
            s = soxr.ResampleStream(a, b, 1, dtype="int16", quality="HQ")
            for m in messages:
                s.resample_chunk(np.frombuffer(m, np.int16))

        def run_ours_bytes():
            r = sc.Resampler(a, b)
            for m in messages:
                r.process(m)

        t_soxr = best_seconds(run_soxr_bytes, 1, repeat)
        t_ours = best_seconds(run_ours_bytes, 1, repeat)
        out.append(Row("resample stream, 20 ms bytes messages", _name(a, b),
                       "soxr HQ (np.frombuffer)", len(x) / t_soxr / 1e6, len(x) / t_ours / 1e6,
                       "Msamples/s"))
    # The per-call cut of streamcodec._fast: one 20 ms bytes chunk through the
    # C-API method and through the cffi path kept for other input types.
    for a, b in SIX:
        chunk = speech_level_noise(0.02, a).tobytes()
        r = sc.Resampler(a, b)
        number = 2000 if quick else 20000
        slow = best_seconds(lambda: r._process_other(chunk), number, repeat)
        fast = best_seconds(lambda: r.process(chunk), number, repeat)
        out.append(Row("resample 20 ms call: C-API vs cffi path", _name(a, b), "cffi path",
                       slow * 1e9, fast * 1e9, "ns/call", higher_is_better=False))
    for a, b in SIX:
        ours_ms = 1000 * sc.Resampler(a, b).delay / b
        for q in ("HQ", "VHQ"):
            withheld = soxr_withheld_ms(a, b, q)
            lag = soxr_lag_ms(a, b, q)
            out.append(Row("latency: first output after (ms)", _name(a, b), f"soxr {q} stream",
                           withheld, ours_ms, "ms", higher_is_better=False,
                           note=f"soxr steady lag {lag:.1f} ms; ours withholds 0, delay only"))
    return out
