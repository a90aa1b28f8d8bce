"""pytest-benchmark suite for the Telnyx media paths: run with
``pytest bench/test_bench_telnyx.py --benchmark-only`` (see README).
Each benchmark handles one batch of 200 consecutive 20 ms messages."""

from __future__ import annotations

import json

import pytest

import streamcodec as sc
from streamcodec import telnyx
from streamcodec.signals import speech_like

from compare_telnyx import (RATE, TTS_RATE, RawInbound, RawOutbound, media_messages,
                            start_message)

COUNT = 200


def _codecs():
    return [c for c in ("PCMU", "PCMA", "G722", "OPUS") if sc.codec_info(c).available]


def _native(codec):
    return sc.codec_info(codec).native_rate or RATE


@pytest.mark.parametrize("codec", _codecs())
def test_inbound_raw(benchmark, codec):
    msgs = media_messages(codec, COUNT)
    raw = RawInbound(codec, RATE)

    def run():
        raw.rewind()
        return [raw(m) for m in msgs]

    benchmark.group = "telnyx-inbound"
    out = benchmark(run)
    assert len(out) == COUNT and all(len(pcm) == 640 for pcm, *_ in out)
    assert [chunk for _, _, chunk, _ in out] == list(range(1, COUNT + 1))


@pytest.mark.parametrize("codec", _codecs())
def test_inbound_feed(benchmark, codec):
    msgs = media_messages(codec, COUNT)
    start = start_message(codec, _native(codec))

    def run():
        s = telnyx.MediaStream(rate=RATE)
        s.feed(start)
        return [ev for m in msgs for ev in s.feed(m)]

    benchmark.group = "telnyx-inbound"
    out = benchmark(run)
    assert [m.chunk for m in out] == list(range(1, COUNT + 1))
    assert all(len(m.pcm) == 640 and not m.concealed for m in out)


@pytest.mark.parametrize("codec", [c for c in _codecs() if c != "PCMA"])
def test_outbound_raw(benchmark, codec):
    pcm = speech_like(COUNT * 0.02, rate=TTS_RATE, seed=2)
    frames = [pcm[i * 480:(i + 1) * 480].tobytes() for i in range(COUNT)]
    raw = RawOutbound(codec, TTS_RATE)
    benchmark.group = "telnyx-outbound"
    out = benchmark(lambda: [raw(f) for f in frames])
    assert len(out) == COUNT and json.loads(out[0])["event"] == "media"


@pytest.mark.parametrize("codec", [c for c in _codecs() if c != "PCMA"])
def test_outbound_play(benchmark, codec):
    pcm = speech_like(COUNT * 0.02, rate=TTS_RATE, seed=2)
    frames = [pcm[i * 480:(i + 1) * 480].tobytes() for i in range(COUNT)]
    playback_rate = {"PCMU": 8000, "G722": 16000, "OPUS": 16000}[codec]

    def run():
        s = telnyx.MediaStream(rate=RATE, playback_codec=codec, playback_rate=playback_rate)
        return [msg for f in frames for msg in s.play(f, TTS_RATE)]

    benchmark.group = "telnyx-outbound"
    out = benchmark(run)
    assert len(out) == COUNT
    assert all(json.loads(m)["event"] == "media" for m in out)
