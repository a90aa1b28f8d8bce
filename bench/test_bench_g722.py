"""pytest-benchmark suite for G.722: streamcodec and the PyPI G722 package
on the same input, per 20 ms frame and on 60 s in one call.

Run: pytest bench/test_bench_g722.py --benchmark-only
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import streamcodec as sc  # noqa: E402
from compare_g722 import speech_band_signal  # noqa: E402

import G722  # noqa: E402  (bench extra)

PCM = speech_band_signal(60.0)
CODES = G722.G722(16000, 64000).encode(PCM)
FRAME_PCM = PCM[:320].copy()
FRAME_CODES = bytes(CODES[:160])


@pytest.mark.benchmark(group="g722-encode-frame")
def test_encode_frame_streamcodec(benchmark):
    enc = sc.Encoder("G722")
    assert len(benchmark(enc.encode, FRAME_PCM)) == 160


@pytest.mark.benchmark(group="g722-encode-frame")
def test_encode_frame_g722_package(benchmark):
    peer = G722.G722(16000, 64000)
    assert len(benchmark(peer.encode, FRAME_PCM)) == 160


@pytest.mark.benchmark(group="g722-decode-frame")
def test_decode_frame_streamcodec(benchmark):
    dec = sc.Decoder("G722")
    assert len(benchmark(dec.decode, FRAME_CODES)) == 640


@pytest.mark.benchmark(group="g722-decode-frame")
def test_decode_frame_g722_package(benchmark):
    peer = G722.G722(16000, 64000)
    assert len(benchmark(peer.decode, FRAME_CODES)) == 320


@pytest.mark.benchmark(group="g722-encode-60s")
def test_encode_60s_streamcodec(benchmark):
    assert sc.Encoder("G722").encode(PCM) == CODES  # fresh state: the same bytes
    enc = sc.Encoder("G722")
    assert len(benchmark(enc.encode, PCM)) == len(CODES)


@pytest.mark.benchmark(group="g722-encode-60s")
def test_encode_60s_g722_package(benchmark):
    peer = G722.G722(16000, 64000)
    assert len(benchmark(peer.encode, PCM)) == len(CODES)


@pytest.mark.benchmark(group="g722-decode-60s")
def test_decode_60s_streamcodec(benchmark):
    dec = sc.Decoder("G722")
    assert len(benchmark(dec.decode, CODES)) == 2 * len(PCM)


@pytest.mark.benchmark(group="g722-decode-60s")
def test_decode_60s_g722_package(benchmark):
    peer = G722.G722(16000, 64000)
    assert len(benchmark(peer.decode, CODES)) == len(PCM)
