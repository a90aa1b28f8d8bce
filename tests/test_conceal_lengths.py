"""Decoder.conceal(n) gives exactly n samples at every resampler phase.

With resampling inside, a codec unit (one sample, a G722 pair) steps the
output by a phase-dependent count, so some n are unreachable in whole units;
conceal must still return n samples (it drops the one or two past n) instead
of refusing a request of whole milliseconds (found by tests/fuzz: G722 at
11025 Hz refused conceal(882), 80 ms)."""

from __future__ import annotations

import numpy as np
import pytest

import streamcodec as sc
from streamcodec.signals import speech_like

RATES = (8000, 11025, 12000, 22050, 44100, 48000)


def _payloads(codec: str, frames: int) -> list[bytes]:
    rate = sc.codecs()[codec].native_rate
    pcm = (speech_like(frames * 0.02, rate) * 12000).astype(np.int16)
    return sc.Encoder(codec).packetize(pcm.tobytes())


@pytest.mark.parametrize("codec", ["G722", "PCMU", "PCMA"])
@pytest.mark.parametrize("rate", RATES)
def test_conceal_returns_exactly_n_at_every_phase(codec, rate):
    dec = sc.Decoder(codec, rate=rate)
    for i, payload in enumerate(_payloads(codec, 12)):
        dec.decode(payload)
        for n in (rate // 50, rate // 50 + 1, rate // 25, 882, 1, 0):
            pcm = dec.conceal(n)
            assert len(pcm) == 2 * n, (codec, rate, i, n)
    # The stream goes on decoding normally after concealment.
    assert len(dec.decode(_payloads(codec, 1)[0])) > 0


def test_g722_at_11025_conceals_80_ms_after_any_payload():
    dec = sc.Decoder("G722", rate=11025)
    for payload in _payloads("G722", 8):
        dec.decode(payload)
        assert len(dec.conceal(882)) == 2 * 882
