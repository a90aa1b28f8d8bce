"""pytest-benchmark suite for the resampler.

Run:  pytest bench/test_bench_resample.py --benchmark-only
(soxr rows are skipped when python-soxr is not installed.)
"""

from __future__ import annotations

import numpy as np
import pytest

import streamcodec as sc

SIX = [(8000, 16000), (16000, 8000), (8000, 24000), (24000, 8000), (16000, 24000),
       (24000, 16000)]
IDS = [f"{a // 1000}k-{b // 1000}k" for a, b in SIX]


def _noise(seconds: float, rate: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(-16384, 16384, size=int(seconds * rate), dtype=np.int16)


@pytest.mark.parametrize("a,b", SIX, ids=IDS)
def test_oneshot_streamcodec(benchmark, a, b):
    x = _noise(10, a)
    out = benchmark(sc.resample, x, a, b)
    assert len(out) == 2 * len(x) * b // a


@pytest.mark.parametrize("a,b", SIX, ids=IDS)
def test_oneshot_soxr(benchmark, a, b):
    soxr = pytest.importorskip("soxr")
    x = _noise(10, a)
    out = benchmark(soxr.resample, x, a, b, "HQ")
    assert abs(len(out) - len(x) * b // a) <= 1


@pytest.mark.parametrize("a,b", SIX, ids=IDS)
def test_stream_20ms_streamcodec(benchmark, a, b):
    r = sc.Resampler(a, b)
    chunk = _noise(0.02, a)
    out = benchmark(r.process, chunk)
    assert len(out) == 2 * (b // 50)


@pytest.mark.parametrize("a,b", SIX, ids=IDS)
def test_stream_20ms_soxr(benchmark, a, b):
    soxr = pytest.importorskip("soxr")
    s = soxr.ResampleStream(a, b, 1, dtype="int16", quality="HQ")
    chunk = _noise(0.02, a)
    benchmark(s.resample_chunk, chunk)


@pytest.mark.parametrize("quality", ["low-latency", "default", "high-quality"])
def test_stream_20ms_presets(benchmark, quality):
    r = sc.Resampler(8000, 16000, quality)
    chunk = _noise(0.02, 8000)
    out = benchmark(r.process, chunk)
    assert len(out) == 640


def test_decoder_pcmu_16k(benchmark):
    d = sc.Decoder("PCMU", rate=16000)
    payload = bytes(range(160))
    out = benchmark(d.decode, payload)
    assert len(out) == 640


def test_encoder_pcmu_from_24k(benchmark):
    e = sc.Encoder("PCMU", rate=24000)
    pcm = _noise(0.02, 24000)
    out = benchmark(e.encode, pcm)
    assert len(out) == 160
