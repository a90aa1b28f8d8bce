"""Decoder/Encoder reset(), float32 PCM into encoders, 16-bit PCM at odd
addresses, and the L16 byte order."""

from __future__ import annotations

import numpy as np
import pytest

import streamcodec as sc
from streamcodec._buffers import address, pcm_view

from speech_signal import speech_like


def _frames(codec: str, rate: int, seconds: float = 0.4, seed: int = 0) -> list[bytes]:
    pcm = speech_like(seconds, rate, seed=seed)
    return sc.Encoder(codec, rate=rate).packetize(pcm)


# ------------------------------------------------------------------- reset()

CASES = [("PCMU", 16000), ("G722", 16000), ("G722", 8000), ("L16", 16000)]
CASES += [(c, 16000) for c in ("OPUS", "AMR-WB") if sc.codecs()[c].available]


@pytest.mark.parametrize("codec,rate", CASES)
def test_decoder_reset_is_a_fresh_decoder(codec, rate):
    first, second = _frames(codec, rate, seed=1), _frames(codec, rate, seed=2)
    dec = sc.Decoder(codec, rate=rate)
    used = [dec.decode(p) for p in first]
    dec.conceal(rate // 50)
    state = dec._state
    dec.reset()
    assert dec._state == state            # the same C object, reinitialised in place
    fresh = sc.Decoder(codec, rate=rate)
    after = [dec.decode(p) for p in second]
    assert after == [fresh.decode(p) for p in second]
    if codec != "L16":   # L16 at its own rate keeps no state; every other case does
        kept = sc.Decoder(codec, rate=rate)
        assert [kept.decode(p) for p in first] == used
        assert [kept.decode(p) for p in second] != after   # without reset() it differs


@pytest.mark.parametrize("codec,rate", CASES)
def test_encoder_reset_is_a_fresh_encoder(codec, rate):
    pcm = speech_like(0.4, rate, seed=5)
    enc = sc.Encoder(codec, rate=rate)
    enc.packetize(speech_like(0.3, rate, seed=6))
    enc.packetize(pcm[:7 * enc.quantum])    # something held back
    enc.reset()
    assert enc.flush() == []                # what packetize held is gone
    assert enc.packetize(pcm) == sc.Encoder(codec, rate=rate).packetize(pcm)


def test_reset_keeps_the_settings():
    dec = sc.Decoder("G722", rate=24000, bitrate=56000)
    enc = sc.Encoder("L16", rate=16000, codec_rate=8000, byteorder="little", ptime=40)
    dec.reset(), enc.reset()
    assert (dec.rate, enc.rate, enc.ptime) == (24000, 16000, 40)
    pcm = speech_like(0.1, 16000, seed=3)
    assert enc.packetize(pcm) == sc.Encoder("L16", rate=16000, codec_rate=8000,
                                            byteorder="little", ptime=40).packetize(pcm)
    payload = _frames("G722", 16000)[3]
    assert dec.decode(payload) == sc.Decoder("G722", rate=24000, bitrate=56000).decode(payload)


# --------------------------------------------------------------- float32 PCM

def test_float32_known_values():
    x = np.array([0.0, 1.0, -1.0, 0.5, -0.5, 1 / 32768, -1 / 32768, 2.0, -3.0,
                  0.999, 1.5 / 32768, 2.5 / 32768, -2.5 / 32768, 32766.5 / 32768,
                  1e-9, -0.0], dtype=np.float32)
    want = np.array([0, 32767, -32768, 16384, -16384, 1, -1, 32767, -32768,
                     32735, 2, 2, -2, 32766, 0, 0], dtype=np.int16)
    assert round(0.999 * 32768) == 32735
    enc = sc.Encoder("L16")
    assert enc.encode(x) == want.astype(">i2").tobytes()


def test_float32_every_int16_comes_back_exactly(all_int16):
    as_float = (all_int16 / 32768).astype(np.float32)
    for codec in ("PCMU", "PCMA", "L16", "G722"):
        assert sc.Encoder(codec).encode(as_float) == sc.Encoder(codec).encode(all_int16)


def test_float32_through_resampling_packetize_and_encode_into():
    x = (speech_like(0.2, 24000, seed=8) / 32768).astype(np.float32)
    ints = np.clip(np.rint(x * 32768.0), -32768, 32767).astype(np.int16)
    enc, ref = sc.Encoder("PCMU", rate=24000), sc.Encoder("PCMU", rate=24000)
    assert enc.packetize(x) == ref.packetize(ints)
    out = bytearray(160)
    assert enc.encode_into(x[:480], out) == 160
    assert bytes(out) == ref.encode(ints[:480])
    # float64 is taken as float32 first; strided and offset views work too
    assert sc.Encoder("L16").encode(x.astype(np.float64)) == sc.Encoder("L16").encode(ints)
    assert sc.Encoder("L16").encode(x[::2]) == \
        sc.Encoder("L16").encode(np.ascontiguousarray(ints[::2]))
    odd = np.frombuffer(b"\x00" + x.tobytes(), np.uint8)[1:].view(np.float32)
    assert not odd.flags.aligned
    assert sc.Encoder("L16").encode(odd) == sc.Encoder("L16").encode(ints)


def test_float32_bad_values_and_shapes():
    enc = sc.Encoder("PCMA")
    for bad in (np.nan, np.inf, -np.inf):
        x = np.zeros(160, np.float32)
        x[17] = bad
        with pytest.raises(ValueError, match="finite: NaN or infinity among its 160 samples"):
            enc.encode(x)
    with pytest.raises(ValueError, match="one-dimensional"):
        enc.encode(np.zeros((2, 160), np.float32))
    with pytest.raises(TypeError, match="int16, float32 or float64, not float16"):
        enc.encode(np.zeros(160, np.float16))


# --------------------------------------------------- 16-bit PCM at odd addresses

def _odd(data: bytes) -> memoryview:
    view = memoryview(bytearray(b"\x00" + data))[1:]
    assert address(pcm_view(view)[0]) % 2 == 0
    return view


def test_pcm_view_never_hands_c_an_odd_address():
    raw = np.arange(-300, 300, dtype=np.int16).tobytes()
    buf = bytearray(b"\x00" + raw)
    from streamcodec._core import ffi
    assert address(ffi.from_buffer(memoryview(buf)[1:])) % 2 == 1   # the input is odd
    for data in (memoryview(buf)[1:], np.frombuffer(buf, np.int16, offset=1)):
        ptr, n = pcm_view(data)
        assert address(ptr) % 2 == 0 and n == 600
        assert ffi.buffer(ptr, 1200)[:] == raw


@pytest.mark.parametrize("codec,rate", [("PCMU", 8000), ("PCMA", 16000), ("G722", 16000),
                                        ("G722", 24000), ("L16", 8000)])
def test_odd_address_pcm_encodes_as_aligned(codec, rate):
    pcm = speech_like(0.2, rate, seed=11).tobytes()
    want = sc.Encoder(codec, rate=rate).encode(pcm)
    buf = b"\x00" + pcm
    for odd in (_odd(pcm), np.frombuffer(buf, np.int16, offset=1)):
        assert sc.Encoder(codec, rate=rate).encode(odd) == want
        assert b"".join(sc.Encoder(codec, rate=rate).packetize(odd)) == want


def test_odd_address_pcm_resamples_as_aligned():
    pcm = speech_like(0.2, 8000, seed=12).tobytes()
    want = sc.Resampler(8000, 16000).process(pcm)
    assert sc.Resampler(8000, 16000).process(_odd(pcm)) == want
    assert sc.resample(_odd(pcm), 8000, 16000) == sc.resample(pcm, 8000, 16000)
    x = np.frombuffer(pcm, np.int16).astype(np.float32)
    odd = np.frombuffer(b"\x00" + x.tobytes(), np.uint8)[1:].view(np.float32)
    assert np.array_equal(sc.Resampler(8000, 16000).process(odd),
                          sc.Resampler(8000, 16000).process(x))
    assert np.array_equal(sc.resample(odd, 8000, 16000), sc.resample(x, 8000, 16000))


# ------------------------------------------------------------ L16 byte order

def test_l16_byteorder_values():
    samples = np.array([1, -2, 0x1234, -32768, 32767], dtype=np.int16)
    big, little = samples.astype(">i2").tobytes(), samples.astype("<i2").tobytes()
    assert big[:2] == b"\x00\x01" and little[:2] == b"\x01\x00"
    native = samples.tobytes()
    assert sc.Decoder("L16").decode(big) == native                       # default: network order
    assert sc.Decoder("L16", byteorder="big").decode(big) == native
    assert sc.Decoder("L16", byteorder="little").decode(little) == native
    assert sc.Encoder("L16").encode(samples) == big
    assert sc.Encoder("L16", byteorder="little").encode(samples) == little
    assert sc.Encoder("L16", byteorder="little").encode(native) == little


def test_l16_little_endian_with_resampling():
    pcm = speech_like(0.2, 16000, seed=13)
    wire_le = sc.Encoder("L16", rate=16000, codec_rate=8000, byteorder="little").encode(pcm)
    wire_be = sc.Encoder("L16", rate=16000, codec_rate=8000).encode(pcm)
    assert wire_le == np.frombuffer(wire_be, ">i2").astype("<i2").tobytes()
    back_le = sc.Decoder("L16", rate=16000, codec_rate=8000, byteorder="little").decode(wire_le)
    back_be = sc.Decoder("L16", rate=16000, codec_rate=8000).decode(wire_be)
    assert back_le == back_be and len(back_le) == len(pcm) * 2


def test_l16_byteorder_bad_value():
    with pytest.raises(ValueError, match="byteorder must be 'big'.*or 'little', got 'native'"):
        sc.Decoder("L16", byteorder="native")
    with pytest.raises(ValueError, match="byteorder"):
        sc.Encoder("L16", byteorder=None)


@pytest.mark.parametrize("make", [
    lambda: sc.Decoder("PCMU", rate=2**31),
    lambda: sc.Decoder("L16", rate=16000, codec_rate=2**31),
    lambda: sc.Encoder("PCMA", rate=2**40),
])
def test_rates_beyond_int32_are_a_value_error(make):
    """Found by tests/fuzz: cffi raised OverflowError for rates >= 2**31."""
    with pytest.raises(ValueError, match="above the largest rate"):
        make()


def test_start_frame_with_huge_rate_is_a_protocol_error():
    from streamcodec import telnyx
    stream = telnyx.MediaStream()
    with pytest.raises(telnyx.ProtocolError):
        stream.feed('{"event":"start","start":{"media_format":{"encoding":"L16",'
                    '"sample_rate":2147483648}}}')
    assert stream.rejected == 1 and stream.codec is None
