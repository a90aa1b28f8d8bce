"""pytest-benchmark suite for G.711: run with
``pytest bench/test_bench_g711.py --benchmark-only`` (see README)."""

from __future__ import annotations

import pytest

import streamcodec as sc

from signals import loud_noise

PCM = loud_noise(60).tobytes()
FRAME = PCM[:320]


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
def test_encode_60s(benchmark, codec):
    enc = sc.Encoder(codec)
    benchmark.group = "g711-60s"
    assert len(benchmark(enc.encode, PCM)) == len(PCM) // 2


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
def test_decode_60s(benchmark, codec):
    payload = sc.Encoder(codec).encode(PCM)
    dec = sc.Decoder(codec)
    benchmark.group = "g711-60s"
    assert len(benchmark(dec.decode, payload)) == len(PCM)


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
def test_encode_frame(benchmark, codec):
    enc = sc.Encoder(codec)
    benchmark.group = "g711-frame"
    assert len(benchmark(enc.encode, FRAME)) == 160


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
def test_decode_frame(benchmark, codec):
    payload = sc.Encoder(codec).encode(FRAME)
    dec = sc.Decoder(codec)
    benchmark.group = "g711-frame"
    assert len(benchmark(dec.decode, payload)) == 320


def test_transcode_frame(benchmark):
    payload = sc.Encoder("PCMU").encode(FRAME)
    benchmark.group = "g711-frame"
    assert len(benchmark(sc.transcode, payload, "PCMU", "PCMA")) == 160
