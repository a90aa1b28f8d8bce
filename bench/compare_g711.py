"""G.711 and L16 against audioop (the standard library's up to 3.12,
audioop-lts after): 60 s of full-scale noise at 8 kHz in one call, and one
20 ms frame (160 samples) per call through every per-frame entry point a
user would call, each against the audioop call doing the same work on the
same input in the same run."""

from __future__ import annotations

import streamcodec as sc
from streamcodec import audioop as sc_audioop

from report import Row, best_seconds
from signals import loud_noise

from peers import audioop


def _peer_name() -> str:
    where = getattr(audioop, "__file__", "") or ""
    return "audioop-lts" if "site-packages" in where else "audioop"


def rows(quick: bool) -> list[Row]:
    seconds = 10 if quick else 60
    pcm = loud_noise(seconds).tobytes()
    n = len(pcm) // 2
    group = f"G.711, {seconds} s loud noise @8k, one call"
    if audioop is None:
        return [Row(group, "all", "audioop", None, None, "Msamples/s", note="audioop not installed")]
    peer = _peer_name()
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
    for case, theirs, ours in cases:
        number = 3 if "encode" in case else 30
        out.append(Row(group, case, peer, n / best_seconds(theirs, number) / 1e6,
                       n / best_seconds(ours, number) / 1e6, "Msamples/s"))

    frame = pcm[:320]
    f_u, f_a = ulaw[:160], alaw[:160]
    dec_l, enc_l = sc.Decoder("L16"), sc.Encoder("L16")
    f_l16 = enc_l.encode(frame)
    out16, out8 = bytearray(320), bytearray(160)
    transcode = sc.transcode
    group = "G.711/L16, one 20 ms frame (160 samples) per call"
    frame_cases = [
        ("Decoder PCMU .decode", lambda: audioop.ulaw2lin(f_u, 2), lambda: dec_u.decode(f_u)),
        ("Decoder PCMA .decode", lambda: audioop.alaw2lin(f_a, 2), lambda: dec_a.decode(f_a)),
        ("Encoder PCMU .encode", lambda: audioop.lin2ulaw(frame, 2), lambda: enc_u.encode(frame)),
        ("Encoder PCMA .encode", lambda: audioop.lin2alaw(frame, 2), lambda: enc_a.encode(frame)),
        ("Decoder PCMU .decode_into", lambda: audioop.ulaw2lin(f_u, 2),
         lambda: dec_u.decode_into(f_u, out16)),
        ("Encoder PCMA .encode_into", lambda: audioop.lin2alaw(frame, 2),
         lambda: enc_a.encode_into(frame, out8)),
        ("transcode PCMU->PCMA", lambda: audioop.lin2alaw(audioop.ulaw2lin(f_u, 2), 2),
         lambda: transcode(f_u, "PCMU", "PCMA")),
        ("drop-in ulaw2lin", lambda: audioop.ulaw2lin(f_u, 2), lambda: sc_audioop.ulaw2lin(f_u, 2)),
        ("drop-in alaw2lin", lambda: audioop.alaw2lin(f_a, 2), lambda: sc_audioop.alaw2lin(f_a, 2)),
        ("drop-in lin2ulaw", lambda: audioop.lin2ulaw(frame, 2), lambda: sc_audioop.lin2ulaw(frame, 2)),
        ("drop-in lin2alaw", lambda: audioop.lin2alaw(frame, 2), lambda: sc_audioop.lin2alaw(frame, 2)),
        ("Decoder L16 .decode", lambda: audioop.byteswap(f_l16, 2), lambda: dec_l.decode(f_l16)),
        ("Encoder L16 .encode", lambda: audioop.byteswap(frame, 2), lambda: enc_l.encode(frame)),
    ]
    peers = {"transcode PCMU->PCMA": f"{peer} (2 calls)",
             "Decoder L16 .decode": f"{peer}.byteswap", "Encoder L16 .encode": f"{peer}.byteswap"}
    number = 2000 if quick else 20000
    for case, theirs, ours in frame_cases:
        out.append(Row(group, case, peers.get(case, peer), best_seconds(theirs, number) * 1e9,
                       best_seconds(ours, number) * 1e9, "ns/call", higher_is_better=False))
    return out
