"""OPUS through libopus in the cffi core, held against opuslib (ctypes over
the same libopus): identical PCM for the same packets (decode, PLC, FEC),
identical packets for the same encoder settings, and clear errors for bad
input."""

from __future__ import annotations

import numpy as np
import opuslib
import opuslib.api.ctl
import opuslib.api.decoder
import opuslib.api.encoder
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import streamcodec as sc
from streamcodec.signals import speech_like

RATES = (8000, 16000, 24000, 48000)


# ---- opuslib, driven at the ctypes level where its classes fall short ----

def peer_encoder(rate, *, complexity=5, bitrate=0, fec=False, dtx=False):
    """An opuslib encoder set up the way streamcodec documents its own."""
    enc = opuslib.Encoder(rate, 1, "voip")
    enc.complexity = complexity
    if bitrate:
        enc.bitrate = bitrate
    # opuslib's inband_fec/dtx property setters drop the value: call the ctls.
    opuslib.api.encoder.encoder_ctl(enc.encoder_state, opuslib.api.ctl.set_inband_fec, int(fec))
    enc.packet_loss_perc = 10 if fec else 0
    opuslib.api.encoder.encoder_ctl(enc.encoder_state, opuslib.api.ctl.set_dtx, int(dtx))
    return enc


def peer_encode(enc, pcm: np.ndarray, max_bytes: int) -> bytes:
    return opuslib.api.encoder.encode(enc.encoder_state, pcm.tobytes(), len(pcm), max_bytes)


def peer_decode(dec, packet: bytes | None, frame_size: int, fec: bool = False) -> bytes:
    length = 0 if packet is None else len(packet)
    return opuslib.api.decoder.decode(dec.decoder_state, packet, length, frame_size, fec,
                                      channels=1)


def toc_frame_ms(toc: int) -> float:
    """Frame duration of an Opus packet from its TOC config (RFC 6716 3.1,
    Table 2): SILK 10/20/40/60, hybrid 10/20, CELT 2.5/5/10/20 ms."""
    config = toc >> 3
    if config < 12:
        return (10, 20, 40, 60)[config % 4]
    if config < 16:
        return (10, 20)[config % 2]
    return (2.5, 5, 10, 20)[config % 4]


def max_samples(rate: int) -> int:
    return rate * 120 // 1000


def frames(pcm: np.ndarray, size: int) -> list[np.ndarray]:
    return [pcm[i:i + size] for i in range(0, len(pcm) - size + 1, size)]


def as_array(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float64)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


@pytest.fixture(scope="module")
def peer_packets_48k():
    """20 ms packets from opuslib's encoder at 48 kHz, FEC on, by bitrate."""
    pcm = speech_like(2.0, 48000, seed=3)
    out = {}
    for bitrate in (12000, 24000, 64000):
        enc = peer_encoder(48000, complexity=9, bitrate=bitrate, fec=True)
        out[bitrate] = [peer_encode(enc, f, 1500) for f in frames(pcm, 960)]
    return out


def test_codec_info():
    info = sc.codecs()["OPUS"]
    assert info.available
    assert info.rtp_clock == 48000
    assert info.native_rate is None  # decodes at the stream's rate directly
    assert info.frame_ms == 20.0
    assert sc.Decoder("opus").rate == 48000


# ---- decoding: identical to opuslib ----

@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("bitrate", (12000, 24000, 64000))
def test_decode_plc_fec_identical_to_opuslib(peer_packets_48k, rate, bitrate):
    packets = peer_packets_48k[bitrate]
    ours = sc.Decoder("OPUS", rate=rate)
    peer = opuslib.Decoder(rate, 1)
    frame = rate // 50
    lost_plc = {7, 8, 30}        # concealed
    lost_fec = {15, 41, 70}      # rebuilt from the next packet's FEC
    got_ours, got_peer = [], []
    for i, packet in enumerate(packets):
        if i in lost_plc:
            got_ours.append(ours.conceal(frame))
            got_peer.append(peer_decode(peer, None, frame))
        elif i in lost_fec:
            got_ours.append(ours.recover(packets[i + 1]))
            got_peer.append(peer_decode(peer, packets[i + 1], frame, fec=True))
        else:
            got_ours.append(ours.decode(packet))
            got_peer.append(peer_decode(peer, packet, max_samples(rate)))
    for i, (a, b) in enumerate(zip(got_ours, got_peer)):
        assert len(a) == 2 * frame, i
        assert a == b, f"frame {i} differs from opuslib"
    # the signal is really there (not two decoders agreeing on silence)
    assert as_array(b"".join(got_ours)).std() > 500


@pytest.mark.parametrize("duration_ms", (2.5, 5, 10, 20, 40, 60, 80, 100, 120))
def test_every_packet_duration(duration_ms):
    """Packets of 2.5 to 120 ms (80-120 ms are code-3 multi-frame packets)
    decode at every rate to duration * rate samples, equal to opuslib's."""
    size48 = int(48 * duration_ms)
    pcm = speech_like(0.6, 48000, seed=5)
    enc = peer_encoder(48000, bitrate=32000)
    packets = [peer_encode(enc, f, 4000) for f in frames(pcm, size48)][:4]
    if duration_ms > 60:
        assert all(p[0] & 3 == 3 for p in packets)  # code 3: several frames in one packet
    for rate in RATES:
        ours = sc.Decoder("OPUS", rate=rate)
        peer = opuslib.Decoder(rate, 1)
        for packet in packets:
            a = ours.decode(packet)
            assert len(a) == 2 * int(rate * duration_ms / 1000)
            assert a == peer_decode(peer, packet, max_samples(rate))
        # recovery yields one frame of the packet
        frame = int(rate * toc_frame_ms(packets[1][0]) / 1000)
        fresh, fresh_peer = sc.Decoder("OPUS", rate=rate), opuslib.Decoder(rate, 1)
        assert fresh.recover(packets[1]) == peer_decode(fresh_peer, packets[1], frame, fec=True)
        assert ours.recover(packets[1]) == peer_decode(peer, packets[1], frame, fec=True)
        assert len(ours.recover(packets[1])) == 2 * frame


@pytest.mark.parametrize("rate", (8000, 16000, 48000))
def test_conceal_any_length(peer_packets_48k, rate):
    """conceal(n) gives n samples; whole 2.5 ms steps equal libopus's PLC,
    and a partial step is the start of the next PLC step."""
    packets = peer_packets_48k[24000]
    step = rate // 400
    ours = sc.Decoder("OPUS", rate=rate)
    peer = opuslib.Decoder(rate, 1)
    for packet in packets[:5]:
        assert ours.decode(packet) == peer_decode(peer, packet, max_samples(rate))
    for n in (step * 8, 7 * step + 13, 1, step * 48 + step * 3):
        got = ours.conceal(n)
        assert len(got) == 2 * n
        whole = n - n % step
        expect = b""
        while whole - len(expect) // 2 > 0:
            chunk = min(whole - len(expect) // 2, rate * 120 // 1000)
            expect += peer_decode(peer, None, chunk)
        if n % step:
            expect += peer_decode(peer, None, step)[:2 * (n % step)]
        assert got == expect
    # and the stream goes on identically
    for packet in packets[5:10]:
        assert ours.decode(packet) == peer_decode(peer, packet, max_samples(rate))
    assert ours.conceal(0) == b""


# ---- FEC ----

@pytest.mark.parametrize("fec", (True, False))
def test_fec_rebuilds_the_lost_frame(fec):
    """With fec=True our encoder's packets carry the previous frame: on
    most frames the recovered audio follows the real one far better than
    concealment does (unvoiced noise cannot be matched either way).  With
    fec=False recover() is exactly libopus's concealment."""
    rate, frame = 16000, 320
    pcm = speech_like(2.0, rate, seed=11)
    enc = sc.Encoder("OPUS", rate=rate, fec=fec, bitrate=24000)
    packets = [enc.encode(f) for f in frames(pcm, frame)]
    reference = sc.Decoder("OPUS", rate=rate)
    clean = [as_array(reference.decode(p)) for p in packets]

    def snr(x, ref):
        return 10 * np.log10(np.mean(ref ** 2) / max(np.mean((x - ref) ** 2), 1e-9))

    energetic = rebuilt = 0
    for lost in range(10, len(packets) - 1, 3):
        rec, plc = sc.Decoder("OPUS", rate=rate), sc.Decoder("OPUS", rate=rate)
        for p in packets[:lost]:
            rec.decode(p)
            plc.decode(p)
        recovered = as_array(rec.recover(packets[lost + 1]))
        concealed = as_array(plc.conceal(frame))
        assert len(recovered) == frame
        if not fec:
            assert np.array_equal(recovered, concealed)
            continue
        if clean[lost].std() < 300:
            continue  # pauses: nothing to tell apart
        energetic += 1
        if (snr(recovered, clean[lost]) >= snr(concealed, clean[lost]) + 3
                and corr(recovered, clean[lost]) > 0.85):
            rebuilt += 1
    if fec:
        assert energetic >= 20
        assert rebuilt >= energetic // 2


def test_recover_without_fec_is_plc():
    """A packet without FEC (here: CELT-only 10 ms) gives libopus's PLC."""
    rate = 48000
    pcm = speech_like(0.5, rate, seed=2)
    enc = opuslib.Encoder(rate, 1, "restricted_lowdelay")  # CELT only: no FEC
    packets = [peer_encode(enc, f, 1500) for f in frames(pcm, 480)][:12]
    assert all(p[0] >> 7 for p in packets)  # TOC config 16..31: CELT-only
    a, b = sc.Decoder("OPUS", rate=rate), sc.Decoder("OPUS", rate=rate)
    for p in packets[:10]:
        a.decode(p)
        b.decode(p)
    assert a.recover(packets[11]) == b.conceal(480)


def test_recover_errors():
    d = sc.Decoder("OPUS", rate=16000)
    with pytest.raises(sc.CorruptPayloadError):
        d.recover(b"")
    with pytest.raises(sc.CorruptPayloadError):
        d.recover(b"\x03")  # code 3 without its frame-count byte
    with pytest.raises(ValueError, match="no in-band FEC"):
        sc.Decoder("PCMU").recover(b"\xff" * 160)


# ---- encoding ----

@pytest.mark.parametrize("rate,options", [
    (16000, {}),
    (8000, {}),
    (48000, {}),
    (16000, {"bitrate": 24000}),
    (16000, {"bitrate": 12000, "complexity": 10, "fec": True}),
    (24000, {"bitrate": 32000, "complexity": 0}),
    (16000, {"dtx": True}),
    (16000, {"frame_ms": 10}),
    (16000, {"frame_ms": 60, "fec": True, "bitrate": 16000}),
    (12000, {"frame_ms": 2.5}),
])
def test_encoder_identical_to_opuslib(rate, options):
    """Same settings (VoIP, complexity 6 and 32 kbit/s unless given, FEC with 10 % loss
    expected) give byte-identical packets, which opuslib decodes to the
    same PCM as ours."""
    pcm = speech_like(1.0, rate, seed=7)
    ours = sc.Encoder("OPUS", rate=rate, **options)
    frame = int(rate * options.get("frame_ms", 20) / 1000)
    assert ours.quantum == frame
    assert ours.ptime == options.get("frame_ms", 20)  # ptime follows frame_ms
    # our default bitrate: 32 kbit/s, libopus's automatic rate at 48 kHz
    peer = peer_encoder(rate, complexity=options.get("complexity", 6),
                        bitrate=options.get("bitrate", 32000 if rate < 48000 else 0),
                        fec=options.get("fec", False),
                        dtx=options.get("dtx", False))
    bound = 1276 * max(1, -(-frame * 50 // rate)) + 8
    mine = ours.packetize(pcm)
    theirs = [peer_encode(peer, f, bound) for f in frames(pcm, frame)]
    assert len(mine) == len(theirs) > 0
    assert mine == theirs
    dec, pdec = sc.Decoder("OPUS", rate=rate), opuslib.Decoder(rate, 1)
    decoded = b""
    for p in mine:
        a = dec.decode(p)
        assert a == peer_decode(pdec, p, max_samples(rate))
        decoded += a
    # a real encoding: the decoded audio follows the input (codec delay aside)
    x, y = as_array(decoded), pcm.astype(np.float64)[:len(decoded) // 2]
    lag = max(range(0, rate // 100 + 1), key=lambda L: corr(x[L:], y[:len(y) - L]))
    assert corr(x[lag:], y[:len(y) - lag]) > 0.45


def test_dtx_sends_tiny_packets_in_silence():
    rate = 16000
    pcm = np.concatenate([speech_like(0.4, rate, seed=1), np.zeros(rate, np.int16)])
    with_dtx = sc.Encoder("OPUS", rate=rate, dtx=True).packetize(pcm)
    without = sc.Encoder("OPUS", rate=rate).packetize(pcm)
    # 1-byte packets in silence, with a comfort-noise refresh every 400 ms
    assert sum(len(p) <= 2 for p in with_dtx[-40:]) >= 37
    assert min(len(p) for p in without[-40:]) > 2
    assert with_dtx[:20] == without[:20]  # speech is coded alike
    d = sc.Decoder("OPUS", rate=rate)
    assert all(len(d.decode(p)) == 640 for p in with_dtx)


def test_ptime_spans_several_frames():
    rate = 16000
    pcm = speech_like(0.8, rate, seed=4)
    enc = sc.Encoder("OPUS", rate=rate, ptime=40)
    assert enc.quantum == 320
    packets = enc.packetize(pcm)
    assert len(packets) == 20
    for p in packets:
        assert opuslib.api.decoder.get_nb_samples(
            opuslib.Decoder(rate, 1).decoder_state, p, len(p)) == 640
    assert len(sc.Decoder("OPUS", rate=rate).decode(packets[3])) == 1280
    assert sc.Encoder("OPUS", rate=rate, frame_ms=2.5).ptime == 2.5
    with pytest.raises(ValueError, match="one Opus packet"):
        sc.Encoder("OPUS", rate=rate, ptime=30)
    with pytest.raises(ValueError, match="whole number"):
        sc.Encoder("OPUS", rate=rate, frame_ms=40, ptime=20)
    with pytest.raises(ValueError):
        enc.encode(np.zeros(300, np.int16))
    with pytest.raises(ValueError, match="140 ms, not one of"):
        enc.encode(np.zeros(7 * 320, np.int16))
    assert len(sc.Decoder("OPUS", rate=rate).decode(enc.encode(np.zeros(6 * 320, np.int16)))) \
        == 2 * 6 * 320


@pytest.mark.parametrize("options,message", [
    ({"frame_ms": 15}, "frame_ms must be one of"),
    ({"bitrate": 100}, "bitrate must be 500..512000"),
    ({"bitrate": 600000}, "bitrate must be 500..512000"),
    ({"complexity": 11}, "complexity must be 0..10"),
    ({"codec_rate": 44100}, "unsupported"),
])
def test_option_errors(options, message):
    with pytest.raises(ValueError, match=message):
        sc.Encoder("OPUS", rate=options.get("codec_rate", 16000), **options)


def test_encode_empty_and_bad_input():
    enc = sc.Encoder("OPUS", rate=16000)
    assert enc.encode(b"") == b""
    with pytest.raises(ValueError):
        enc.encode(b"\x00")  # odd byte count
    assert enc.flush() == []
    enc.packetize(np.ones(100, np.int16))
    (last,) = enc.flush()
    assert len(sc.Decoder("OPUS", rate=16000).decode(last)) == 640


# ---- bad input to the decoder ----

@pytest.mark.parametrize("packet", [
    b"",                                   # no TOC
    b"\x03",                               # code 3 without the frame count
    b"\x03\x00",                           # code 3, zero frames
    bytes([0x03, 49]) + b"\x00" * 60,      # 49 x 2.5 ms: over 120 ms
    bytes([0x01]) + b"\x00" * 3,           # code 1 (two equal frames) with an odd length
    bytes([0x02, 252]),                    # code 2 whose first length runs past the end
])
def test_corrupt_packets_raise_and_leave_state(peer_packets_48k, packet):
    rate = 16000
    packets = peer_packets_48k[24000]
    d, ref = sc.Decoder("OPUS", rate=rate), sc.Decoder("OPUS", rate=rate)
    for p in packets[:5]:
        d.decode(p)
        ref.decode(p)
    with pytest.raises(sc.CorruptPayloadError):
        d.decode(packet)
    for p in packets[5:10]:
        assert d.decode(p) == ref.decode(p)


def test_oversized_payload():
    d = sc.Decoder("OPUS", rate=16000)
    with pytest.raises(sc.CorruptPayloadError):
        d.decode(b"\x00" + b"\x55" * 100_000)  # code 0 frames hold at most 1275 bytes


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=1600), st.sampled_from(RATES))
def test_random_bytes_like_opuslib(data, rate):
    """Random bytes: either both decoders refuse the packet or both decode
    it to the same PCM; never a crash.  At opuslib's decoder complexity (0):
    from 5 on, a libopus with deep PLC (the wheel's) conceals whatever a
    random packet leaves missing with its neural PLC, which opuslib's does not."""
    ours = sc.Decoder("OPUS", rate=rate, complexity=0)
    peer = opuslib.Decoder(rate, 1)
    try:
        theirs = peer_decode(peer, data, max_samples(rate)) if data else None
    except opuslib.OpusError:
        theirs = None
    if theirs is None:
        with pytest.raises(sc.CorruptPayloadError):
            ours.decode(data)
    else:
        assert ours.decode(data) == theirs
    # recovery from random bytes is equally safe
    try:
        got = ours.recover(data)
    except sc.CorruptPayloadError:
        assert theirs is None
    else:
        assert len(got) % (rate // 400) == 0


def test_recover_is_resampled_like_decode():
    """A decoder at a rate libopus does not run at (44.1 kHz: decoded at 48 kHz
    and resampled) recovers a lost frame at the API rate, continuing the same
    resampler stream as decode()."""
    packets = sc.Encoder("OPUS", rate=48000, fec=True, bitrate=24000).packetize(
        speech_like(0.2, 48000))
    dec = sc.Decoder("OPUS", rate=44100)
    # (from complexity 6 on, libopus's first FEC rides in the fourth packet)
    assert len(dec.decode(packets[0]) + dec.decode(packets[1])) == 4 * 882
    recovered = np.frombuffer(dec.recover(packets[3]), np.int16)
    assert len(recovered) == 882 and np.abs(recovered).max() > 0
    assert len(dec.decode(packets[3])) == 2 * 882


def test_recover_from_a_packet_of_zero_frames_is_corrupt():
    # A code-3 packet may declare zero frames: nothing to rebuild from.
    dec = sc.Decoder("OPUS", rate=16000)
    for packet in (b"\x03\x00", b"\x03\x80", b""):
        with pytest.raises(sc.CorruptPayloadError):
            dec.recover(packet)
