"""G.711 against audioop (the standard library's up to 3.12, audioop-lts
after): 60 s of full-scale noise at 8 kHz in one call, and one 20 ms frame
per call, through the public API each user would call."""

from __future__ import annotations


import streamcodec as sc
from streamcodec import audioop as sc_audioop

from report import Row, best_seconds
from signals import loud_noise

from peers import audioop


def rows(quick: bool) -> list[Row]:
    seconds = 10 if quick else 60
    pcm = loud_noise(seconds).tobytes()
    n = len(pcm) // 2
    group = f"G.711, {seconds} s loud noise @8k, one call"
    if audioop is None:
        return [Row(group, "all", "audioop", None, None, "Msamples/s", note="audioop not installed")]
    out = []
    ulaw, alaw = audioop.lin2ulaw(pcm, 2), audioop.lin2alaw(pcm, 2)
    enc_u, enc_a = sc.Encoder("PCMU"), sc.Encoder("PCMA")
    dec_u, dec_a = sc.Decoder("PCMU"), sc.Decoder("PCMA")
    cases = [
        ("mu-law encode (Encoder)", lambda: audioop.lin2ulaw(pcm, 2), lambda: enc_u.encode(pcm)),
        ("A-law encode (Encoder)", lambda: audioop.lin2alaw(pcm, 2), lambda: enc_a.encode(pcm)),
        ("mu-law decode (Decoder)", lambda: audioop.ulaw2lin(ulaw, 2), lambda: dec_u.decode(ulaw)),
        ("A-law decode (Decoder)", lambda: audioop.alaw2lin(alaw, 2), lambda: dec_a.decode(alaw)),
        ("mu-law encode (drop-in)", lambda: audioop.lin2ulaw(pcm, 2), lambda: sc_audioop.lin2ulaw(pcm, 2)),
        ("mu-law decode (drop-in)", lambda: audioop.ulaw2lin(ulaw, 2), lambda: sc_audioop.ulaw2lin(ulaw, 2)),
    ]
    for case, peer, ours in cases:
        number = 3 if "encode" in case else 30
        out.append(Row(group, case, "audioop", n / best_seconds(peer, number) / 1e6,
                       n / best_seconds(ours, number) / 1e6, "Msamples/s"))

    frame = pcm[:320]
    frame_u, frame_a = ulaw[:160], alaw[:160]
    group = "G.711, one 20 ms frame per call"
    frame_cases = [
        ("mu-law encode 160 samples", lambda: audioop.lin2ulaw(frame, 2), lambda: enc_u.encode(frame)),
        ("A-law encode 160 samples", lambda: audioop.lin2alaw(frame, 2), lambda: enc_a.encode(frame)),
        ("mu-law decode 160 bytes", lambda: audioop.ulaw2lin(frame_u, 2), lambda: dec_u.decode(frame_u)),
        ("A-law decode 160 bytes", lambda: audioop.alaw2lin(frame_a, 2), lambda: dec_a.decode(frame_a)),
    ]
    for case, peer, ours in frame_cases:
        out.append(Row(group, case, "audioop", best_seconds(peer, 20000) * 1e9,
                       best_seconds(ours, 20000) * 1e9, "ns/call", higher_is_better=False))
    return out
