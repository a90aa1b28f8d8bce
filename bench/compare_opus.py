"""OPUS and AMR-WB per 20 ms frame: streamcodec against opuslib (ctypes over
the same libopus) and, for AMR-WB decoding, PyAV (ffmpeg's own decoder).

Both sides get the same packets (or PCM) in the same run; a figure is the
cost of one 20 ms frame through the Python API a user calls, best of
several repeats over one second of speech-like audio.

Run:  python bench/report.py --only opus
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

from report import Row, best_seconds

import streamcodec as sc
from streamcodec import amrwb

HERE = os.path.dirname(os.path.abspath(__file__))
RATE = 16000
FRAME = RATE // 50


def speech(seconds: float, rate: int = RATE) -> np.ndarray:
    """The tests' speech-like signal (tests/speech_signal.py)."""
    path = os.path.join(os.path.dirname(HERE), "tests", "speech_signal.py")
    spec = importlib.util.spec_from_file_location("speech_signal", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.speech_like(seconds, rate, seed=8)


def frames_of(pcm: np.ndarray, size: int = FRAME) -> list[bytes]:
    return [pcm[i:i + size].tobytes() for i in range(0, len(pcm) - size + 1, size)]


def per_frame_us(fn, n_frames: int, quick: bool) -> float:
    return best_seconds(fn, number=1 if quick else 3, repeat=3 if quick else 7) / n_frames * 1e6


def opus_rows(quick: bool) -> list[Row]:
    try:
        import opuslib
    except ImportError:
        return [Row("OPUS 20 ms @16 kHz", "decode/encode", "opuslib", None, None, "us/frame",
                    False, note="opuslib not installed: pip install opuslib")]
    pcm_frames = frames_of(speech(1.0))
    packets = [sc.Encoder("OPUS", rate=RATE).encode(f) for f in pcm_frames]
    n = len(packets)
    rows = []

    ours_dec = sc.Decoder("OPUS", rate=RATE)
    peer_dec = opuslib.Decoder(RATE, 1)
    assert all(ours_dec.decode(p) == peer_dec.decode(p, FRAME) for p in packets)

    def ours_decode():
        for p in packets:
            ours_dec.decode(p)

    def peer_decode():
        for p in packets:
            peer_dec.decode(p, FRAME)

    rows.append(Row("OPUS decode 20 ms @16 kHz (same packets)", "decode", "opuslib",
                    per_frame_us(peer_decode, n, quick), per_frame_us(ours_decode, n, quick),
                    "us/frame", higher_is_better=False))

    for complexity, label in ((5, "complexity 5 (our default)"),
                              (9, "complexity 9 (libopus default)")):
        ours_enc = sc.Encoder("OPUS", rate=RATE, complexity=complexity)
        peer_enc = opuslib.Encoder(RATE, 1, "voip")
        peer_enc.complexity = complexity

        def ours_encode():
            for f in pcm_frames:
                ours_enc.encode(f)

        def peer_encode():
            for f in pcm_frames:
                peer_enc.encode(f, FRAME)

        rows.append(Row("OPUS encode 20 ms @16 kHz (same PCM)", label, "opuslib",
                        per_frame_us(peer_encode, n, quick), per_frame_us(ours_encode, n, quick),
                        "us/frame", higher_is_better=False))
    return rows


def amrwb_rows(quick: bool) -> list[Row]:
    pcm_frames = frames_of(speech(1.0))
    n = len(pcm_frames)
    rows = []
    for mode in (2, 8):
        kbps = (6.60, 8.85, 12.65, 14.25, 15.85, 18.25, 19.85, 23.05, 23.85)[mode]
        encoder = sc.Encoder("AMR-WB", mode=mode)
        payloads = [encoder.encode(f) for f in pcm_frames]
        storage = [amrwb.unpack(p).frames[0] for p in payloads]
        ours_dec = sc.Decoder("AMR-WB")

        def ours_decode():
            for p in payloads:
                ours_dec.decode(p)

        peer_value, note = None, ""
        try:
            import av

            peer_dec = av.CodecContext.create("amrwb", "r")
            peer_dec.sample_rate = RATE
            peer_dec.layout = "mono"
            packets = [av.Packet(f) for f in storage]

            def peer_decode():
                for p in packets:
                    for frame in peer_dec.decode(p):
                        frame.to_ndarray()

            peer_value = per_frame_us(peer_decode, n, quick)
            note = "PyAV decodes storage frames (no RFC 4867 unpacking)"
        except ImportError:
            note = "PyAV not installed: pip install av"
        rows.append(Row(f"AMR-WB decode 20 ms, mode {mode} ({kbps} kbit/s)", "RFC 4867 payload",
                        "PyAV (ffmpeg amrwb)", peer_value, per_frame_us(ours_decode, n, quick),
                        "us/frame", higher_is_better=False, note=note))

        ours_enc = sc.Encoder("AMR-WB", mode=mode)

        def ours_encode():
            for f in pcm_frames:
                ours_enc.encode(f)

        rows.append(Row(f"AMR-WB encode 20 ms, mode {mode} ({kbps} kbit/s)", "RFC 4867 payload",
                        "-", None, per_frame_us(ours_encode, n, quick), "us/frame",
                        higher_is_better=False,
                        note="no peer: PyPI has no AMR-WB encoder binding"))

    # The payload packing alone: what our RFC 4867 layer adds per frame.
    frame = amrwb.unpack(sc.Encoder("AMR-WB", mode=8).encode(pcm_frames[10])).frames[0]

    def pack_unpack():
        for _ in range(n):
            amrwb.unpack(amrwb.pack([frame]))

    rows.append(Row("AMR-WB RFC 4867 pack+unpack, 23.85k frame", "Python helpers", "-", None,
                    per_frame_us(pack_unpack, n, quick), "us/frame", higher_is_better=False,
                    note="inside Decoder/Encoder this is C in the same call"))
    return rows


def rows(quick: bool) -> list[Row]:
    return opus_rows(quick) + amrwb_rows(quick)
