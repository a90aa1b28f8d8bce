"""pytest-benchmark: one 20 ms frame of OPUS (ours and opuslib, same
packets) and AMR-WB through the public API.

Run:  pytest bench/test_bench_opus.py --benchmark-only
"""

from __future__ import annotations

import importlib.util
import itertools
import pathlib

import numpy as np
import pytest

import streamcodec as sc

RATE = 16000
FRAME = 320

_spec = importlib.util.spec_from_file_location(
    "speech_signal", pathlib.Path(__file__).resolve().parents[1] / "tests" / "speech_signal.py")
_speech = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_speech)

PCM_FRAMES = [f.tobytes() for f in np.split(_speech.speech_like(1.0, RATE, seed=8), 50)]
OPUS_PACKETS = [sc.Encoder("OPUS", rate=RATE).encode(f) for f in PCM_FRAMES]


def cycling(items):
    """A zero-argument callable's input: the next item each call, so the
    codec state runs through real speech rather than one frame again."""
    return itertools.cycle(items).__next__


@pytest.mark.benchmark(group="opus-decode-20ms-16k")
def test_opus_decode_ours(benchmark):
    dec, nxt = sc.Decoder("OPUS", rate=RATE), cycling(OPUS_PACKETS)
    benchmark(lambda: dec.decode(nxt()))


@pytest.mark.benchmark(group="opus-decode-20ms-16k")
def test_opus_decode_opuslib(benchmark):
    opuslib = pytest.importorskip("opuslib")
    dec, nxt = opuslib.Decoder(RATE, 1), cycling(OPUS_PACKETS)
    benchmark(lambda: dec.decode(nxt(), FRAME))


@pytest.mark.benchmark(group="opus-encode-20ms-16k-c5")
def test_opus_encode_ours(benchmark):
    enc, nxt = sc.Encoder("OPUS", rate=RATE, complexity=5), cycling(PCM_FRAMES)
    benchmark(lambda: enc.encode(nxt()))


@pytest.mark.benchmark(group="opus-encode-20ms-16k-c5")
def test_opus_encode_opuslib(benchmark):
    opuslib = pytest.importorskip("opuslib")
    enc, nxt = opuslib.Encoder(RATE, 1, "voip"), cycling(PCM_FRAMES)
    enc.complexity = 5
    benchmark(lambda: enc.encode(nxt(), FRAME))


@pytest.mark.benchmark(group="amrwb-20ms")
@pytest.mark.parametrize("mode", (2, 8))
def test_amrwb_decode(benchmark, mode):
    encoder = sc.Encoder("AMR-WB", mode=mode)
    dec, nxt = sc.Decoder("AMR-WB"), cycling([encoder.encode(f) for f in PCM_FRAMES])
    benchmark(lambda: dec.decode(nxt()))


@pytest.mark.benchmark(group="amrwb-20ms")
@pytest.mark.parametrize("mode", (2, 8))
def test_amrwb_encode(benchmark, mode):
    enc, nxt = sc.Encoder("AMR-WB", mode=mode), cycling(PCM_FRAMES)
    benchmark(lambda: enc.encode(nxt()))
