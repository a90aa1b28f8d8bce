"""G.711 and L16: exhaustive checks against an independent reference and
against audioop, and the Decoder/Encoder/transcode contract."""

from __future__ import annotations

import numpy as np
import pytest

import streamcodec as sc
from streamcodec._core import ffi, lib

import g711_reference as ref


def c_encode(fn, pcm: np.ndarray) -> bytes:
    out = ffi.new("uint8_t[]", len(pcm))
    fn(ffi.from_buffer("int16_t[]", pcm), len(pcm), out)
    return ffi.buffer(out)[:]


def c_decode(fn, codes: bytes) -> np.ndarray:
    out = np.empty(len(codes), dtype=np.int16)
    fn(codes, len(codes), ffi.from_buffer("int16_t[]", out))
    return out


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_encode_all_int16_matches_reference(law, all_int16):
    fn = lib.sc_ulaw_encode if law == "ulaw" else lib.sc_alaw_encode
    reference = getattr(ref, f"{law}_encode")
    expected = bytes(reference(int(x)) for x in all_int16)
    assert c_encode(fn, all_int16) == expected


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_decode_all_codes_matches_reference(law, all_codes):
    fn = lib.sc_ulaw_decode if law == "ulaw" else lib.sc_alaw_decode
    reference = getattr(ref, f"{law}_decode")
    assert c_decode(fn, all_codes).tolist() == [reference(c) for c in all_codes]


def test_known_values():
    # Spot values anyone can check in G.711's tables.
    assert ref.ulaw_decode(0xFF) == 0 and ref.ulaw_decode(0x7F) == 0
    assert c_decode(lib.sc_ulaw_decode, b"\x00\x80\xff\x7f").tolist() == [-32124, 32124, 0, 0]
    assert c_decode(lib.sc_alaw_decode, b"\x55\xd5\x2a\xaa").tolist() == [-8, 8, -32256, 32256]
    assert c_encode(lib.sc_ulaw_encode, np.array([0, -1, 32767, -32768], np.int16)) == b"\xff\x7f\x80\x00"
    assert c_encode(lib.sc_alaw_encode, np.array([0, -1, 32767, -32768], np.int16)) == b"\xd5\x55\xaa\x2a"


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_decode_then_encode_is_identity(law, all_codes):
    enc = lib.sc_ulaw_encode if law == "ulaw" else lib.sc_alaw_encode
    dec = lib.sc_ulaw_decode if law == "ulaw" else lib.sc_alaw_decode
    decoded = c_decode(dec, all_codes)
    again = c_encode(enc, decoded)
    if law == "ulaw":
        # 0x7F and 0xFF both decode to 0, which encodes as +0 (0xFF).
        assert again == all_codes.replace(b"\x7f", b"\xff")
    else:
        assert again == all_codes


def test_ulaw_differs_from_audioop_only_where_g191_does(all_int16, ref_audioop):
    ours = c_encode(lib.sc_ulaw_encode, all_int16)
    theirs = ref_audioop.lin2ulaw(all_int16.tobytes(), 2)
    differ = [int(x) for x, a, b in zip(all_int16, ours, theirs) if a != b]
    # audioop negates before shifting; G.191 takes the one's complement.
    assert len(differ) == 508
    assert all(x < 0 for x in differ)
    assert c_encode(lib.sc_ulaw_encode_audioop, all_int16) == theirs


def test_alaw_and_decoders_equal_audioop(all_int16, all_codes, ref_audioop):
    assert c_encode(lib.sc_alaw_encode, all_int16) == ref_audioop.lin2alaw(all_int16.tobytes(), 2)
    assert c_decode(lib.sc_ulaw_decode, all_codes).tobytes() == ref_audioop.ulaw2lin(all_codes, 2)
    assert c_decode(lib.sc_alaw_decode, all_codes).tobytes() == ref_audioop.alaw2lin(all_codes, 2)


def test_transcode_tables_equal_decode_then_encode(all_codes):
    u2a = sc.transcode(all_codes, "PCMU", "PCMA")
    a2u = sc.transcode(all_codes, "pcma", "pcmu")
    assert u2a == bytes(ref.alaw_encode(ref.ulaw_decode(c)) for c in all_codes)
    assert a2u == bytes(ref.ulaw_encode(ref.alaw_decode(c)) for c in all_codes)
    assert sc.transcode(all_codes, "PCMU", "PCMU") == all_codes


def test_long_buffers_cover_every_vector_tail():
    # Lengths around SIMD widths exercise the vector body and scalar tail.
    rng = np.random.default_rng(7)
    for n in list(range(0, 70)) + [127, 128, 129, 1000, 4099]:
        pcm = rng.integers(-32768, 32768, n, dtype=np.int16)
        assert c_encode(lib.sc_ulaw_encode, pcm) == bytes(ref.ulaw_encode(int(x)) for x in pcm)
        assert c_encode(lib.sc_alaw_encode, pcm) == bytes(ref.alaw_encode(int(x)) for x in pcm)
        codes = pcm.astype(np.uint16).astype(np.uint8).tobytes()
        assert c_decode(lib.sc_ulaw_decode, codes).tolist() == [ref.ulaw_decode(c) for c in codes]
        assert c_decode(lib.sc_alaw_decode, codes).tolist() == [ref.alaw_decode(c) for c in codes]


# ---- L16 ----

def test_l16_is_big_endian_and_round_trips(all_int16):
    enc = sc.Encoder("L16", rate=16000)
    wire = enc.encode(all_int16)
    assert wire == all_int16.astype(">i2").tobytes()
    dec = sc.Decoder("L16", rate=16000)
    assert dec.decode(wire) == all_int16.tobytes()


def test_l16_odd_payload_is_corrupt():
    with pytest.raises(sc.CorruptPayloadError, match="L16 payload of 3 bytes"):
        sc.Decoder("L16").decode(b"\x00\x01\x02")


# ---- Decoder / Encoder contract ----

@pytest.mark.parametrize("codec,law", [("PCMU", "ulaw"), ("PCMA", "alaw")])
def test_decoder_encoder_match_reference(codec, law, all_int16, all_codes):
    enc = sc.Encoder(codec)
    assert enc.encode(all_int16) == bytes(getattr(ref, f"{law}_encode")(int(x)) for x in all_int16)
    dec = sc.Decoder(codec)
    expected = np.array([getattr(ref, f"{law}_decode")(c) for c in all_codes], np.int16)
    assert dec.decode(all_codes) == expected.tobytes()
    assert dec.decode(b"") == b""


def test_every_input_type_gives_the_same_payload():
    pcm = np.array([0, 1000, -1000, 32767, -32768] * 32, dtype=np.int16)
    raw = pcm.tobytes()
    enc = sc.Encoder("PCMU")
    expected = enc.encode(raw)
    for data in (bytearray(raw), memoryview(raw), pcm, memoryview(pcm)):
        assert enc.encode(data) == expected
    dec = sc.Decoder("PCMU")
    for payload in (expected, bytearray(expected), memoryview(expected)):
        assert dec.decode(payload) == dec.decode(expected)


def test_bad_pcm_inputs_raise_clear_errors():
    enc = sc.Encoder("PCMA")
    with pytest.raises(ValueError, match="odd count"):
        enc.encode(b"\x00\x01\x02")
    with pytest.raises(TypeError, match="int16"):
        enc.encode(np.zeros(4, dtype=np.int32))
    with pytest.raises(TypeError, match="int16, float32 or float64"):
        enc.encode(np.zeros(4, dtype=np.float16))
    with pytest.raises(ValueError, match="C-contiguous"):
        enc.encode(np.zeros(8, dtype=np.int16)[::2])
    with pytest.raises(ValueError, match="one-dimensional"):
        enc.encode(np.zeros((2, 2), dtype=np.int16))
    with pytest.raises(TypeError, match="not str"):
        enc.encode("hello")
    with pytest.raises(TypeError, match="not list"):
        enc.encode([1, 2])
    with pytest.raises(TypeError, match="payload must be bytes"):
        sc.Decoder("PCMU").decode("abc")


def test_bad_codec_and_rate_arguments():
    with pytest.raises(ValueError, match="unknown codec 'GSM'.*PCMU, PCMA, G722, OPUS, AMR-WB, L16"):
        sc.Decoder("GSM")
    with pytest.raises(TypeError, match="codec must be a str"):
        sc.Encoder(0)
    with pytest.raises(TypeError, match="rate must be an int"):
        sc.Decoder("PCMU", rate=8000.0)
    with pytest.raises(ValueError, match="positive"):
        sc.Decoder("PCMU", rate=-8000)
    with pytest.raises(ValueError, match="PCMU runs at 8000 Hz and rate=7000 Hz.*8000, 11025"):
        sc.Decoder("PCMU", rate=7000)
    with pytest.raises(ValueError, match="OPUS rate=7000 Hz is not supported"):
        sc.Decoder("OPUS", rate=7000)
    with pytest.raises(TypeError, match="unknown option 'bogus'"):
        sc.Encoder("PCMU", bogus=1)
    with pytest.raises(ValueError, match="ptime"):
        sc.Encoder("PCMU", ptime=0)


def test_codec_names_any_case():
    assert sc.Decoder("pcmu").codec == "PCMU"
    assert sc.normalize_codec("amr-wb") == "AMR-WB"
    assert sc.normalize_codec("Amr_Wb") == "AMR-WB"


def test_codecs_table():
    table = sc.codecs()
    assert list(table) == ["PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16"]
    for name in ("PCMU", "PCMA"):
        info = table[name]
        assert (info.native_rate, info.rtp_clock, info.frame_ms, info.available) == (8000, 8000, 20.0, True)
    assert table["L16"].native_rate is None and table["L16"].available


def test_packetize_buffers_remainder_and_flush_pads():
    enc = sc.Encoder("PCMU")  # 20 ms = 160 samples
    pcm = np.arange(-250, 250, dtype=np.int16) * 64  # 500 samples
    packets = enc.packetize(pcm[:100])
    assert packets == []
    packets = enc.packetize(pcm[100:])
    assert [len(p) for p in packets] == [160, 160, 160]
    assert b"".join(packets) == sc.Encoder("PCMU").encode(pcm[:480])
    tail = enc.flush()
    assert len(tail) == 1 and len(tail[0]) == 160
    assert tail[0] == sc.Encoder("PCMU").encode(np.concatenate([pcm[480:], np.zeros(140, np.int16)]))
    assert enc.flush() == []


def test_ptime_sets_packet_size():
    enc = sc.Encoder("PCMA", ptime=30)
    assert [len(p) for p in enc.packetize(np.zeros(720, np.int16))] == [240, 240, 240]


def test_conceal_gives_silence_for_stateless_codecs():
    dec = sc.Decoder("PCMU")
    assert dec.conceal(160) == bytes(320)
    assert dec.conceal(0) == b""
    with pytest.raises(ValueError, match=">= 0"):
        dec.conceal(-1)


def test_large_payload_grows_output_buffer():
    payload = bytes(range(256)) * 200  # 51,200 codes, far past the initial buffer
    pcm = sc.Decoder("PCMA").decode(payload)
    assert len(pcm) == 2 * len(payload)
    assert pcm[:512] == sc.Decoder("PCMA").decode(payload[:256])
