"""G.722 encode/decode: streamcodec against the PyPI G722 package (libg722).

Both run on the same input in the same process: a 20 ms frame per call
through ``sc.Encoder``/``sc.Decoder`` (the per-message path of a media
stream), and 60 s in one call; and the per-call cut of the C-API methods
(streamcodec/_fast.c) against the cffi path, on the same 20 ms frame.  Figures are x real-time per core (seconds
of 16 kHz audio coded per second of CPU), the minimum over repeats.
"""

from __future__ import annotations

import numpy as np

import streamcodec as sc
from report import Row, best_seconds

FRAME_SECONDS = 0.02


def speech_band_signal(seconds: float, rate: int = 16000, seed: int = 1) -> np.ndarray:
    """A loud, wideband test signal: harmonics of a drifting 140 Hz tone
    with noise, at about -6 dBFS."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f0 = 140 * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = sum(np.sin(k * phase) / k for k in range(1, 30) if 140 * k < 7500)
    x = x / np.abs(x).max() * 14000 + rng.normal(0, 800, len(t))
    return np.clip(x, -32768, 32767).astype(np.int16)


def rows(quick: bool) -> list[Row]:
    try:
        import G722
    except ImportError:
        note = "G722 package not installed (pip install G722)"
        return [Row("G.722", "encode/decode", "G722", None, None, "x realtime", note=note)]

    seconds = 10.0 if quick else 60.0
    repeat = 3 if quick else 7
    pcm = speech_band_signal(seconds)
    peer = G722.G722(16000, 64000)
    codes = peer.encode(pcm)
    frame_pcm = pcm[:320].copy()
    frame_codes = bytes(codes[:160])
    enc, dec = sc.Encoder("G722"), sc.Decoder("G722")
    assert enc.encode(pcm) == codes  # same input, same output

    out: list[Row] = []
    group_frame = "G.722 one 20 ms frame per call"
    n = 500 if quick else 3000
    pe = best_seconds(lambda: peer.encode(frame_pcm), n, repeat)
    oe = best_seconds(lambda: enc.encode(frame_pcm), n, repeat)
    out.append(Row(group_frame, "encode", "G722", FRAME_SECONDS / pe, FRAME_SECONDS / oe, "x realtime"))
    pd = best_seconds(lambda: peer.decode(frame_codes), n, repeat)
    od = best_seconds(lambda: dec.decode(frame_codes), n, repeat)
    out.append(Row(group_frame, "decode", "G722", FRAME_SECONDS / pd, FRAME_SECONDS / od, "x realtime"))

    # The per-call cut of streamcodec._fast: the same 20 ms call through the
    # C-API method and through the cffi path the Python layer keeps for
    # other input types (what every call took before).
    group_cut = "G.722 20 ms call: C-API vs cffi path"
    frame_bytes = frame_pcm.tobytes()
    for case, slow, fast in (
            ("encode", lambda: enc._encode_other(frame_bytes), lambda: enc.encode(frame_bytes)),
            ("decode", lambda: dec._decode_other(frame_codes), lambda: dec.decode(frame_codes))):
        out.append(Row(group_cut, case, "cffi path", best_seconds(slow, n, repeat) * 1e9,
                       best_seconds(fast, n, repeat) * 1e9, "ns/call", higher_is_better=False))

    group_long = f"G.722 {seconds:g} s in one call"
    pe = best_seconds(lambda: peer.encode(pcm), 1, repeat)
    oe = best_seconds(lambda: enc.encode(pcm), 1, repeat)
    out.append(Row(group_long, "encode", "G722", seconds / pe, seconds / oe, "x realtime"))
    pd = best_seconds(lambda: peer.decode(codes), 1, repeat)
    od = best_seconds(lambda: dec.decode(codes), 1, repeat)
    out.append(Row(group_long, "decode", "G722", seconds / pd, seconds / od, "x realtime"))
    return out
