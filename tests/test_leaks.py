"""Creating and dropping codec objects and sessions releases everything:
the C states (including those libopus and opencore allocate themselves)
are freed when the Python object goes."""

from __future__ import annotations

import gc
import resource

import streamcodec as sc
from streamcodec import telnyx
from streamcodec.signals import speech_like

PCM16 = speech_like(0.1, 16000).tobytes()
CODECS = [name for name, info in sc.codecs().items() if info.available]


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _one_round() -> None:
    for codec in CODECS:
        enc = sc.Encoder(codec, rate=16000)
        dec = sc.Decoder(codec, rate=24000)
        for payload in enc.packetize(PCM16):
            dec.decode(payload)
        dec.conceal(480)
        stream = telnyx.MediaStream(rate=16000, playback_codec="PCMU", playback_rate=8000)
        stream.play(PCM16, 16000)


def test_codec_objects_and_sessions_do_not_leak():
    for _ in range(20):   # reach steady state: allocator pools, caches
        _one_round()
    gc.collect()
    before = _peak_rss_kib()
    for _ in range(200):
        _one_round()
    gc.collect()
    growth = _peak_rss_kib() - before
    # One leaked OPUS or AMR-WB state per round would add several MiB here.
    assert growth < 2048, f"peak RSS grew by {growth} KiB over 200 rounds"
