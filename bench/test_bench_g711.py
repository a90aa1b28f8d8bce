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


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
def test_decode_into_frame(benchmark, codec):
    payload = sc.Encoder(codec).encode(FRAME)
    dec, out = sc.Decoder(codec), bytearray(320)
    benchmark.group = "g711-frame"
    assert benchmark(dec.decode_into, payload, out) == 160


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
def test_encode_into_frame(benchmark, codec):
    enc, out = sc.Encoder(codec), bytearray(160)
    benchmark.group = "g711-frame"
    assert benchmark(enc.encode_into, FRAME, out) == 160


@pytest.mark.parametrize("name", ["ulaw2lin", "alaw2lin", "lin2ulaw", "lin2alaw"])
def test_dropin_frame(benchmark, name):
    from streamcodec import audioop
    data = FRAME[:160] if name.endswith("2lin") else FRAME
    benchmark.group = "g711-frame"
    assert len(benchmark(getattr(audioop, name), data, 2)) in (160, 320)


def test_l16_frame(benchmark):
    enc, dec = sc.Encoder("L16"), sc.Decoder("L16")
    wire = enc.encode(FRAME)
    benchmark.group = "g711-frame"
    assert benchmark(lambda: dec.decode(enc.encode(FRAME))) == FRAME
    assert dec.decode(wire) == FRAME
