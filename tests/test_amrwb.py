"""AMR-WB: RFC 4867 payload layouts checked bit by bit against the RFC's
field definitions, our encoder's payloads decoded by an independent decoder
(ffmpeg's native AMR-WB decoder through PyAV), CMR, DTX, damaged and lost
frames, and random bytes at the decoders and the payload reader."""

from __future__ import annotations

import importlib.util
import io
import pathlib

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import streamcodec as sc
from streamcodec import amrwb

_spec = importlib.util.spec_from_file_location(
    "speech_signal", pathlib.Path(__file__).with_name("speech_signal.py"))
speech_signal = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(speech_signal)
speech_like = speech_signal.speech_like

# RFC 4867 Table 1b / 3GPP TS 26.201: speech bits per frame type.
BITS = {0: 132, 1: 177, 2: 253, 3: 285, 4: 317, 5: 365, 6: 397, 7: 461, 8: 477,
        9: 40, 14: 0, 15: 0}
FRAME_TYPES = sorted(BITS)
CODEC_DELAY = 95  # samples from encoder input to decoder output (measured)


# ---- bit strings built from the RFC's field definitions ----

def octets(bitstring: str) -> bytes:
    """'0101...' -> bytes, zero-padded at the end to whole octets."""
    bitstring += "0" * (-len(bitstring) % 8)
    return bytes(int(bitstring[i:i + 8], 2) for i in range(0, len(bitstring), 8))


def bitstring(data: bytes) -> str:
    return "".join(f"{b:08b}" for b in data)


def storage_frame(ft: int, q: int, speech: str) -> bytes:
    """RFC 4867 5.3: P(1)=0 FT(4) Q(1) P(2)=0, then the speech bits padded."""
    assert len(speech) == BITS[ft]
    return octets(f"0{ft:04b}{q}00") + octets(speech)


def be_payload(cmr: int, frames: list[tuple[int, int, str]]) -> bytes:
    """RFC 4867 4.3: CMR(4); per frame F(1) FT(4) Q(1); all speech bits in
    TOC order; zero padding to an octet boundary."""
    bits = f"{cmr:04b}"
    for i, (ft, q, _) in enumerate(frames):
        bits += f"{int(i + 1 < len(frames))}{ft:04b}{q}"
    bits += "".join(speech for _, _, speech in frames)
    return octets(bits)


def oa_payload(cmr: int, frames: list[tuple[int, int, str]]) -> bytes:
    """RFC 4867 4.4: CMR(4) R(4)=0; per frame F(1) FT(4) Q(1) P(2)=0; each
    frame's speech bits zero-padded to an octet."""
    bits = f"{cmr:04b}0000"
    for i, (ft, q, _) in enumerate(frames):
        bits += f"{int(i + 1 < len(frames))}{ft:04b}{q}00"
    out = octets(bits)
    for _, _, speech in frames:
        out += octets(speech)
    return out


def random_speech(ft: int, rng: np.random.Generator) -> str:
    return "".join(rng.choice(["0", "1"], size=BITS[ft]))


# ---- an independent decoder: ffmpeg's own AMR-WB decoder (not opencore) ----

def ffmpeg_decode(frames: list[bytes]) -> np.ndarray:
    """Decode storage-format frames as an .awb file: ffmpeg's AMR demuxer
    reads the file, its native floating-point AMR-WB decoder decodes it."""
    data = amrwb.storage_file(frames)
    decoder = av.CodecContext.create("amrwb", "r")
    assert decoder.codec.name == "amrwb"  # ffmpeg's native decoder, not libopencore
    decoder.sample_rate = 16000
    decoder.layout = "mono"
    out = []
    with av.open(io.BytesIO(data), format="amr") as container:
        for packet in container.demux(container.streams.audio[0]):
            if packet.size == 0:
                continue
            for frame in decoder.decode(packet):
                out.append(frame.to_ndarray().reshape(-1))
    return np.concatenate(out) * 32768.0


def decode_all(decoder: sc.Decoder, payloads: list[bytes]) -> np.ndarray:
    """One decoder through the whole stream (state carries over)."""
    return as_array(b"".join(decoder.decode(p) for p in payloads))


def as_array(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float64)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def below_6k(x: np.ndarray) -> np.ndarray:
    """x without its 6-8 kHz band.  AMR-WB codes 50 Hz - 6.4 kHz; the band
    above is noise each decoder makes up on its own (shaped by transmitted
    gains in the 23.85 kbit/s mode), so two decoders agree only below it."""
    spectrum = np.fft.rfft(x)
    spectrum[np.fft.rfftfreq(len(x), 1 / 16000) > 6000] = 0
    return np.fft.irfft(spectrum, len(x))


def test_codec_info():
    info = sc.codecs()["AMR-WB"]
    assert info.available
    assert (info.native_rate, info.rtp_clock, info.frame_ms) == (16000, 16000, 20.0)
    assert amrwb.FRAME_BITS == tuple(BITS[ft] for ft in range(9))
    assert [amrwb.storage_size(ft) for ft in FRAME_TYPES] == \
        [1 + -(-BITS[ft] // 8) for ft in FRAME_TYPES]


# ---- RFC 4867 layouts, bit by bit ----

@pytest.mark.parametrize("octet_align", (False, True))
@pytest.mark.parametrize("ft", FRAME_TYPES)
def test_single_frame_layout(ft, octet_align):
    rng = np.random.default_rng(ft)
    build = oa_payload if octet_align else be_payload
    for cmr in (15, 0, 8, ft % 9):
        for q in (1, 0):
            speech = random_speech(ft, rng)
            frame = storage_frame(ft, q, speech)
            expected = build(cmr, [(ft, q, speech)])
            # the length arithmetic the RFC implies
            if octet_align:
                assert len(expected) == 2 + -(-BITS[ft] // 8)
            else:
                assert len(expected) == -(-(10 + BITS[ft]) // 8)
            packed = amrwb.pack([frame], cmr=cmr, octet_align=octet_align)
            assert bitstring(packed) == bitstring(expected)
            for layout in (octet_align, None):  # told, and inferred from the length
                got = amrwb.unpack(expected, octet_align=layout)
                assert got == amrwb.Payload(cmr=cmr, octet_align=octet_align, frames=(frame,))


frame_lists = st.lists(st.tuples(st.sampled_from(FRAME_TYPES), st.integers(0, 1)),
                       min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(frame_lists, st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8, 15]), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_multi_frame_layout(frames, cmr, octet_align, seed):
    rng = np.random.default_rng(seed)
    spec = [(ft, q, random_speech(ft, rng)) for ft, q in frames]
    storage = [storage_frame(ft, q, s) for ft, q, s in spec]
    expected = (oa_payload if octet_align else be_payload)(cmr, spec)
    packed = amrwb.pack(storage, cmr=cmr, octet_align=octet_align)
    assert bitstring(packed) == bitstring(expected)
    assert amrwb.pack(b"".join(storage), cmr=cmr, octet_align=octet_align) == packed
    got = amrwb.unpack(expected, octet_align=octet_align)
    assert got == amrwb.Payload(cmr=cmr, octet_align=octet_align, frames=tuple(storage))
    # Inferred layout: the right one, unless the bytes also read cleanly
    # (every reserved and padding bit zero) as the other layout, a tie the
    # documented rule settles for bandwidth-efficient.
    auto = amrwb.unpack(expected)
    if auto.octet_align != octet_align:
        assert octet_align and not auto.octet_align
        assert amrwb.pack(auto.frames, cmr=auto.cmr, octet_align=False) == expected


def test_padding_and_reserved_bits_are_ignored_when_told_the_layout():
    """Receivers ignore R and P bits (RFC 4867 4.4.1, 4.4.2, 4.3.4)."""
    rng = np.random.default_rng(9)
    spec = [(2, 1, random_speech(2, rng)), (0, 1, random_speech(0, rng))]
    storage = tuple(storage_frame(ft, q, s) for ft, q, s in spec)
    oa = bytearray(oa_payload(7, spec))
    oa[0] |= 0x0F          # R bits
    oa[1] |= 0x03          # TOC padding
    oa[2] |= 0x03
    oa[-1] |= 0x0F         # frame padding (132 bits: 4 spare)
    assert amrwb.unpack(bytes(oa), octet_align=True).frames == storage
    be = bytearray(be_payload(7, spec))
    spare = -(4 + 12 + 253 + 132) % 8
    be[-1] |= (1 << spare) - 1
    assert amrwb.unpack(bytes(be), octet_align=False).frames == storage


@pytest.mark.parametrize("octet_align", (False, True))
def test_malformed_payloads(octet_align):
    rng = np.random.default_rng(1)
    build = oa_payload if octet_align else be_payload
    good = build(15, [(2, 1, random_speech(2, rng)), (9, 1, random_speech(9, rng))])
    bad = {
        "empty": b"",
        "truncated": good[:-1],
        "one octet too many": good + b"\x00",
        "F=1 on the last TOC entry": octets(
            (f"{15:04b}0000" if octet_align else f"{15:04b}") +
            (f"1{15:04b}100" if octet_align else f"1{15:04b}1")),
    }
    for ft in (10, 11, 12, 13):
        toc = f"0{ft:04b}100" if octet_align else f"0{ft:04b}1"
        bad[f"reserved FT {ft}"] = octets(("11110000" if octet_align else "1111") + toc) + b"\0" * 8
    for what, payload in bad.items():
        with pytest.raises(sc.CorruptPayloadError):
            amrwb.unpack(payload, octet_align=octet_align)
        with pytest.raises(sc.CorruptPayloadError):
            sc.Decoder("AMR-WB", octet_align=octet_align).decode(payload)


def test_frame_limit():
    no_data = amrwb.storage_size(15) * bytes([15 << 3 | 4])
    most = amrwb.pack(no_data * amrwb.MAX_FRAMES)
    assert len(amrwb.unpack(most).frames) == amrwb.MAX_FRAMES
    assert len(sc.Decoder("AMR-WB").decode(most)) == 2 * 320 * amrwb.MAX_FRAMES
    too_many = be_payload(15, [(15, 1, "")] * (amrwb.MAX_FRAMES + 1))
    with pytest.raises(sc.CorruptPayloadError):
        amrwb.unpack(too_many)
    with pytest.raises(sc.CorruptPayloadError):
        sc.Decoder("AMR-WB").decode(too_many)
    with pytest.raises(ValueError):
        amrwb.pack(no_data * (amrwb.MAX_FRAMES + 1))


def test_pack_errors():
    with pytest.raises(ValueError, match="at least one frame"):
        amrwb.pack([])
    with pytest.raises(ValueError, match="cmr"):
        amrwb.pack([bytes([15 << 3])], cmr=9)
    with pytest.raises(sc.CorruptPayloadError):
        amrwb.pack([bytes([10 << 3])])           # reserved frame type
    with pytest.raises(sc.CorruptPayloadError):
        amrwb.pack([bytes([2 << 3 | 4]) + b"\0" * 31])  # FT 2 needs 32 octets
    with pytest.raises(ValueError):
        amrwb.split_storage(bytes([8 << 3 | 4]) + b"\0" * 10)


# ---- our encoder, an independent decoder ----

@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return speech_like(2.0, 16000, seed=21)


@pytest.mark.parametrize("octet_align", (False, True))
@pytest.mark.parametrize("mode", range(9))
def test_encoder_payloads_decode_alike_in_ffmpeg(speech, mode, octet_align):
    enc = sc.Encoder("AMR-WB", mode=mode, octet_align=octet_align)
    payloads = enc.packetize(speech)
    assert len(payloads) == len(speech) // 320
    bits = BITS[mode]
    size = 2 + -(-bits // 8) if octet_align else -(-(10 + bits) // 8)
    assert all(len(p) == size for p in payloads)
    frames = []
    for p in payloads:
        got = amrwb.unpack(p)  # the layout is inferred right
        assert got.octet_align == octet_align and got.cmr == 15
        assert [f[0] >> 3 for f in got.frames] == [mode]
        frames.extend(got.frames)
    ours = decode_all(sc.Decoder("AMR-WB"), payloads)
    theirs = ffmpeg_decode(frames)
    assert len(ours) == len(theirs) == len(speech)
    assert corr(below_6k(ours), below_6k(theirs)) >= 0.95
    # and the bits are speech in the right order, not noise both agree on
    x = below_6k(speech.astype(np.float64))
    y = below_6k(theirs)
    assert corr(y[CODEC_DELAY:], x[:len(x) - CODEC_DELAY]) >= 0.6


def test_several_frames_per_payload(speech):
    enc = sc.Encoder("AMR-WB", mode=2, ptime=60)
    payloads = enc.packetize(speech[:16000])
    assert len(payloads) == 16
    dec = sc.Decoder("AMR-WB")
    ours = as_array(b"".join(dec.decode(p) for p in payloads))
    frames = [f for p in payloads for f in amrwb.unpack(p).frames]
    assert len(frames) == 48
    theirs = ffmpeg_decode(frames)
    assert corr(below_6k(ours), below_6k(theirs)) >= 0.95
    one_by_one = sc.Encoder("AMR-WB", mode=2).packetize(speech[:15360])
    assert [f for p in one_by_one for f in amrwb.unpack(p).frames] == frames


def test_dtx_sid_and_no_data(speech):
    pcm = np.concatenate([speech[:8000], np.zeros(16000, np.int16), speech[:8000]])
    payloads = sc.Encoder("AMR-WB", mode=4, dtx=True).packetize(pcm)
    frames = [f for p in payloads for f in amrwb.unpack(p).frames]
    types = [f[0] >> 3 for f in frames]
    assert types.count(amrwb.FT_SID) >= 2
    assert types.count(amrwb.FT_NO_DATA) >= 20
    assert set(types) == {4, amrwb.FT_SID, amrwb.FT_NO_DATA}
    without = [f[0] >> 3 for p in sc.Encoder("AMR-WB", mode=4).packetize(pcm)
               for f in amrwb.unpack(p).frames]
    assert set(without) == {4}
    ours = decode_all(sc.Decoder("AMR-WB"), payloads)
    assert len(ours) == len(pcm)
    # ffmpeg's decoder has no comfort noise (it refuses SID frames): compare
    # the speech before the first SID
    speech_frames = types.index(amrwb.FT_SID)
    assert speech_frames >= 20
    theirs = ffmpeg_decode(frames[:speech_frames])
    n = 320 * speech_frames
    assert corr(below_6k(ours[:n]), below_6k(theirs)) >= 0.95
    quiet = slice(12000, 22000)  # comfort noise: quiet, not silent, not speech
    assert 0 < np.abs(ours[quiet]).mean() < 0.1 * np.abs(ours[:8000]).mean()


# ---- CMR ----

def test_cmr_written_and_read(speech):
    enc = sc.Encoder("AMR-WB", mode=1, cmr=3)
    assert enc.cmr == 3
    dec = sc.Decoder("AMR-WB")
    assert dec.last_cmr is None
    payload = enc.encode(speech[:320])
    assert payload[0] >> 4 == 3
    dec.decode(payload)
    assert dec.last_cmr == 3
    enc.cmr = 15
    dec.decode(enc.encode(speech[320:640]))
    assert dec.last_cmr == 15
    # a reserved CMR is reported as received and otherwise ignored
    reserved = bytes([0xC0 | (payload[0] & 0x0F)]) + payload[1:]
    assert len(dec.decode(reserved)) == 640
    assert dec.last_cmr == 12
    with pytest.raises(ValueError, match="cmr"):
        enc.cmr = 9
    with pytest.raises(ValueError, match="cmr"):
        sc.Encoder("AMR-WB", cmr=14)
    with pytest.raises(TypeError, match="AMR-WB only"):
        sc.Encoder("OPUS", cmr=3)
    assert sc.Decoder("PCMU").last_cmr is None


# ---- damaged and lost frames ----

def test_damaged_frame_decodes_as_lost(speech):
    payloads = sc.Encoder("AMR-WB", mode=6).packetize(speech[:6400])
    a, b = sc.Decoder("AMR-WB"), sc.Decoder("AMR-WB")
    for p in payloads[:10]:
        assert a.decode(p) == b.decode(p)
    frame = amrwb.unpack(payloads[10]).frames[0]
    damaged = amrwb.pack([bytes([frame[0] & ~0x04]) + frame[1:]])  # Q = 0
    lost = amrwb.pack([bytes([amrwb.FT_SPEECH_LOST << 3])])
    out_damaged, out_lost = a.decode(damaged), b.decode(lost)
    assert out_damaged == out_lost
    assert out_damaged != sc.Decoder("AMR-WB").decode(payloads[10])
    for p in payloads[11:]:
        assert a.decode(p) == b.decode(p)


def test_conceal(speech):
    payloads = sc.Encoder("AMR-WB", mode=2).packetize(speech[:6400])
    a, b = sc.Decoder("AMR-WB"), sc.Decoder("AMR-WB")
    for p in payloads[:10]:
        a.decode(p)
        b.decode(p)
    lost = amrwb.pack([bytes([amrwb.FT_SPEECH_LOST << 3])] * 2)
    assert a.conceal(640) == b.decode(lost)
    assert len(a.conceal(100)) == 200
    assert a.conceal(0) == b""
    assert len(a.decode(payloads[10])) == 640


def test_options():
    with pytest.raises(ValueError, match="mode must be 0..8"):
        sc.Encoder("AMR-WB", mode=9)
    with pytest.raises(ValueError, match="always 20 ms"):
        sc.Encoder("AMR-WB", frame_ms=40)
    with pytest.raises(ValueError, match="runs at 16000 Hz.*8000, 11025"):
        sc.Decoder("AMR-WB", rate=7000)
    # other supported rates are resampled inside the decoder: 20 ms stays 20 ms
    narrow = sc.Decoder("AMR-WB", rate=8000)
    assert len(narrow.decode(sc.Encoder("AMR-WB").encode(np.zeros(320, np.int16)))) == 320
    with pytest.raises(ValueError, match="whole number"):
        sc.Encoder("AMR-WB", ptime=30)
    enc = sc.Encoder("AMR-WB")
    assert (enc.rate, enc.quantum, enc.ptime, enc.cmr) == (16000, 320, 20, 15)
    assert enc.encode(b"") == b""
    with pytest.raises(ValueError, match="at most 500 frames"):
        enc.encode(np.zeros(320 * 501, np.int16))
    with pytest.raises(ValueError):
        enc.encode(np.zeros(100, np.int16))
    # octet_align=None on the encoder means RFC 4867's default: bandwidth-efficient
    assert len(sc.Encoder("AMR-WB", mode=0, octet_align=None).encode(np.zeros(320, np.int16))) == 18


# ---- random bytes ----

@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.sampled_from([None, False, True]))
def test_random_bytes(data, octet_align):
    """Random bytes: a CorruptPayloadError or 320 samples per TOC entry,
    never a crash; what reads reads back the same after repacking."""
    try:
        got = amrwb.unpack(data, octet_align=octet_align)
    except sc.CorruptPayloadError:
        got = None
    dec = sc.Decoder("AMR-WB", octet_align=octet_align)
    if got is None:
        with pytest.raises(sc.CorruptPayloadError):
            dec.decode(data)
        return
    assert len(dec.decode(data)) == 2 * 320 * len(got.frames)
    assert dec.last_cmr == got.cmr
    if got.cmr <= 8 or got.cmr == 15:
        again = amrwb.pack(got.frames, cmr=got.cmr, octet_align=got.octet_align)
        assert len(again) == len(data)
        assert amrwb.unpack(again, octet_align=got.octet_align) == got


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame_lists, st.booleans(), st.integers(0, 2**32 - 1),
       st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4),
       st.integers(-3, 3))
def test_random_speech_bits_and_mutations(frames, octet_align, seed, flips, resize):
    """Well-formed payloads carrying random speech bits, then with octets
    overwritten and the length changed: the decoders conceal or refuse,
    never crash."""
    rng = np.random.default_rng(seed)
    spec = [(ft, q, random_speech(ft, rng)) for ft, q in frames]
    payload = bytearray((oa_payload if octet_align else be_payload)(15, spec))
    decoders = {layout: sc.Decoder("AMR-WB", octet_align=layout)
                for layout in (None, octet_align)}
    for dec in decoders.values():
        assert len(dec.decode(bytes(payload))) == 2 * 320 * len(frames)
    for where, value in flips:
        payload[where % len(payload)] = value
    if resize > 0:
        payload += bytes(rng.integers(0, 256, resize, dtype=np.uint8))
    elif resize < 0:
        del payload[resize:]
    for layout, dec in decoders.items():
        try:
            got = amrwb.unpack(bytes(payload), octet_align=layout)
        except sc.CorruptPayloadError:
            with pytest.raises(sc.CorruptPayloadError):
                dec.decode(bytes(payload))
        else:
            counts = {len(got.frames)}
            if layout is None:  # a tie may go the way the stream went before
                for other in (False, True):
                    try:
                        counts.add(len(amrwb.unpack(bytes(payload), octet_align=other).frames))
                    except sc.CorruptPayloadError:
                        pass
            assert len(dec.decode(bytes(payload))) in {2 * 320 * n for n in counts}


def test_layout_tie_follows_the_stream():
    """A payload that reads cleanly both ways: an octet-aligned FT 0 frame
    and five NO_DATA entries (24 octets) is also a bandwidth-efficient
    FT 1 frame (4 + 6 + 177 bits = 24 octets).  Unpacking alone settles
    the tie for bandwidth-efficient; a decoder inferring the layout follows
    what the stream has shown unambiguously before."""
    rng = np.random.default_rng(4)
    speech = random_speech(0, rng)[:-1] + "0"  # its last bit lands on BE padding
    spec = [(0, 1, speech)] + [(15, 1, "")] * 5
    payload = oa_payload(15, spec)
    assert len(payload) == 24 == -(-(4 + 6 + 177) // 8)
    as_be = amrwb.unpack(payload, octet_align=False)
    assert [f[0] >> 3 for f in as_be.frames] == [1]
    assert amrwb.pack(as_be.frames, cmr=15, octet_align=False) == payload  # clean too
    assert amrwb.unpack(payload) == as_be
    fresh = sc.Decoder("AMR-WB")
    assert len(fresh.decode(payload)) == 2 * 320
    seasoned = sc.Decoder("AMR-WB")
    clear_oa = oa_payload(15, [(2, 1, random_speech(2, rng))])
    assert amrwb.unpack(clear_oa).octet_align
    seasoned.decode(clear_oa)
    assert len(seasoned.decode(payload)) == 2 * 320 * 6
    assert len(sc.Decoder("AMR-WB", octet_align=True).decode(payload)) == 2 * 320 * 6
