"""The two call paths of the per-frame methods give the same bytes.

Decoder.decode/decode_into, Encoder.encode/encode_into, Resampler.process
and transcode run in C (streamcodec/_fast.c) for bytes, and in the Python
layer (cffi) for every other input; both call the same csrc functions.
Here each pair is run side by side on twin objects, exhaustively where the
domain is small (every G.711 code, every 16-bit sample), on long random
streams for the stateful codecs; and the routing itself is checked."""

from __future__ import annotations

import numpy as np
import pytest

import streamcodec as sc
from streamcodec import _codecs, _fast

from speech_signal import speech_like

RNG = np.random.default_rng(14)


def _twins(cls, *args, **kwargs):
    return cls(*args, **kwargs), cls(*args, **kwargs)


def _python_path(obj, method: str):
    """The Python implementation behind ``obj.<method>`` (what C falls back to)."""
    return getattr(obj, {"decode": "_decode_other", "encode": "_encode_other",
                         "process": "_process_other"}[method])


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
@pytest.mark.parametrize("rate", [8000, 16000, 24000])
def test_g711_decoder_every_code(codec, rate, all_codes):
    fast, slow = _twins(sc.Decoder, codec, rate=rate)
    for _ in range(3):  # stateful once resampled: several payloads in a row
        assert fast.decode(all_codes) == slow._decode_other(memoryview(all_codes))


@pytest.mark.parametrize("codec", ["PCMU", "PCMA", "L16"])
def test_sample_codec_encoders_every_16bit_sample(codec, all_int16):
    fast, slow = _twins(sc.Encoder, codec)
    data = all_int16.tobytes()
    assert fast.encode(data) == slow._encode_other(all_int16) == slow.encode(all_int16)


@pytest.mark.parametrize("byteorder", ["big", "little"])
def test_l16_decoder_every_16bit_sample(byteorder, all_int16):
    fast, slow = _twins(sc.Decoder, "L16", byteorder=byteorder)
    wire = all_int16.astype(">i2" if byteorder == "big" else "<i2").tobytes()
    assert fast.decode(wire) == slow._decode_other(bytearray(wire)) == all_int16.tobytes()


@pytest.mark.parametrize("rate", [16000, 8000, 24000])
def test_g722_streams(rate):
    fast_enc, slow_enc = _twins(sc.Encoder, "G722", rate=rate)
    fast_dec, slow_dec = _twins(sc.Decoder, "G722", rate=rate)
    pcm = speech_like(2.0, rate, seed=rate)
    step = rate // 50
    for i in range(0, len(pcm) - step + 1, step):
        frame = pcm[i:i + step]
        payload = fast_enc.encode(frame.tobytes())
        assert payload == slow_enc._encode_other(frame)
        assert fast_dec.decode(payload) == slow_dec._decode_other(memoryview(payload))
    noise = RNG.integers(0, 256, 160 * 50, dtype=np.uint8).tobytes()
    for i in range(0, len(noise), 160):
        chunk = noise[i:i + 160]
        assert fast_dec.decode(chunk) == slow_dec._decode_other(bytearray(chunk))


@pytest.mark.parametrize("codec", ["OPUS", "AMR-WB"])
def test_packet_codecs(codec):
    if not sc.codecs()[codec].available:
        pytest.skip(f"{codec} not in this build")
    fast_enc, slow_enc = _twins(sc.Encoder, codec, rate=16000)
    fast_dec, slow_dec = _twins(sc.Decoder, codec, rate=16000)
    pcm = speech_like(1.0, 16000, seed=3)
    for i in range(0, len(pcm), 320):
        frame = pcm[i:i + 320]
        payload = fast_enc.encode(frame.tobytes())
        assert payload == slow_enc._encode_other(frame)
        # the packet codecs' bound is above what one payload gives: the C
        # path returns a shorter copy
        assert fast_dec.decode(payload) == slow_dec._decode_other(memoryview(payload))


@pytest.mark.parametrize("pair", [(8000, 16000), (16000, 8000), (24000, 8000), (8000, 44100)])
def test_resampler_streams(pair):
    fast, slow = _twins(sc.Resampler, *pair)
    pcm = speech_like(1.0, pair[0], seed=1)
    sizes = RNG.integers(0, 700, 60)
    at = 0
    for size in sizes:
        chunk = pcm[at:at + size]
        at += size
        assert fast.process(chunk.tobytes()) == slow._process_other(memoryview(chunk.tobytes()))
    assert fast.flush() == slow.flush()


def test_transcode_every_code(all_codes):
    for src, dst in (("PCMU", "PCMA"), ("PCMA", "PCMU")):
        expected = sc.Encoder(dst).encode(sc.Decoder(src).decode(all_codes))
        assert sc.transcode(all_codes, src, dst) == expected
        assert _codecs._transcode_other(memoryview(all_codes), src, dst) == expected
        assert sc.transcode(all_codes, src.lower(), dst) == expected      # via Python
        assert sc.transcode(payload=all_codes, src=src, dst=dst) == expected
    assert sc.transcode(all_codes, "PCMU", "PCMU") is all_codes   # bytes: nothing to copy
    assert sc.transcode(bytearray(all_codes), "PCMU", "PCMU") == all_codes
    with pytest.raises(ValueError, match="unknown codec"):
        sc.transcode(all_codes, "PCMU", "GSM")
    with pytest.raises(TypeError):
        sc.transcode(all_codes, "PCMU")


def test_routing_bytes_take_c_everything_else_python(monkeypatch):
    """Replacing the Python paths on one object shows which inputs reach them."""
    dec, enc, res = sc.Decoder("PCMU"), sc.Encoder("PCMU"), sc.Resampler(8000, 16000)
    seen = []
    for obj, name in ((dec, "_decode_other"), (enc, "_encode_other"), (res, "_process_other"),
                      (dec, "_decode_into_other"), (enc, "_encode_into_other")):
        original = getattr(obj, name)

        def spy(*args, _original=original, _name=name):
            seen.append((_name, type(args[0]).__name__))
            return _original(*args)
        monkeypatch.setattr(obj, name, spy)
    frame = bytes(320)
    dec.decode(frame[:160]), enc.encode(frame), res.process(frame)
    dec.decode(bytearray(160)), enc.encode(bytearray(320)), res.process(bytearray(320))
    dec.decode_into(frame[:160], bytearray(320)), enc.encode_into(frame, bytearray(160))
    assert seen == []
    dec.decode(memoryview(frame)), enc.encode(np.zeros(160, np.int16)), res.process(memoryview(frame))
    dec.decode_into(frame[:160], np.zeros(160, np.int16))
    enc.encode_into(frame, np.zeros(160, np.uint8))
    assert seen == [("_decode_other", "memoryview"), ("_encode_other", "ndarray"),
                    ("_process_other", "memoryview"), ("_decode_into_other", "bytes"),
                    ("_encode_into_other", "bytes")]
    seen.clear()
    big = bytearray(_fast.NOGIL_BYTES)    # large bytearrays: Python, which releases the GIL
    dec.decode(big), enc.encode(big), res.process(big)
    # into a bytearray the GIL stays held, so large inputs go to Python too
    dec.decode_into(bytes(big), bytearray(2 * len(big)))
    enc.encode_into(bytes(big), bytearray(len(big)))
    assert [name for name, _ in seen] == ["_decode_other", "_encode_other", "_process_other",
                                          "_decode_into_other", "_encode_into_other"]


def test_errors_come_from_the_python_layer():
    with pytest.raises(ValueError, match="whole frames of 2 samples at 16000 Hz; got 101"):
        sc.Encoder("G722").encode(bytes(2 * 101))
    with pytest.raises(ValueError, match="whole frames of 3 samples at 24000 Hz; got 100"):
        sc.Encoder("PCMU", rate=24000).encode(bytes(2 * 100))
    with pytest.raises(ValueError, match="odd count"):
        sc.Encoder("PCMU").encode(b"\x00")
    with pytest.raises(sc.CorruptPayloadError, match="L16 payload of 3 bytes"):
        sc.Decoder("L16").decode(b"\x00\x00\x00")
    with pytest.raises(ValueError, match="odd count"):
        sc.Resampler(8000, 16000).process(b"\x00")
    with pytest.raises(TypeError, match="payload must be bytes"):
        sc.Decoder("PCMU").decode(None)


def test_c_half_alone_is_safe():
    """The C base classes used without the Python layer's __init__: no
    state, so every call takes the Python path, which says what is wrong."""
    d = sc.Decoder.__new__(sc.Decoder)
    with pytest.raises(AttributeError):
        d.decode(b"\x00")
    e = sc.Encoder.__new__(sc.Encoder)
    with pytest.raises(AttributeError):
        e.encode(b"\x00\x00")
    with pytest.raises(RuntimeError, match="already has its C state"):
        sc.Decoder("PCMU")._attach(1)
    r = sc.Resampler(8000, 16000)
    with pytest.raises(RuntimeError, match="already has its state block"):
        r._alloc(16)


# ------------------------------------------------------------ decode_into / encode_into

@pytest.mark.parametrize("codec,rate", [("PCMU", 8000), ("PCMA", 16000), ("G722", 16000),
                                        ("L16", 8000)])
def test_decode_into_every_kind_of_buffer(codec, rate):
    pcm = speech_like(0.2, rate, seed=9)
    payloads = sc.Encoder(codec, rate=rate).packetize(pcm)
    ref = sc.Decoder(codec, rate=rate)
    expected = [ref.decode(p) for p in payloads]
    n = len(expected[0]) // 2
    odd = bytearray(2 * n + 1)
    outs = [bytearray(2 * n), np.zeros(n, np.int16), memoryview(bytearray(2 * n + 10)),
            memoryview(odd)[1:], np.frombuffer(odd, np.uint8)[1:].view(np.int16),
            np.zeros(n + 3, np.int16)]
    for out in outs:
        dec = sc.Decoder(codec, rate=rate)
        for payload, want in zip(payloads, expected):
            got = dec.decode_into(payload, out)
            assert got == n
            assert bytes(memoryview(out).cast("B")[:2 * n]) == want
        if isinstance(out, np.ndarray) and out.size > n:
            assert not out[n:].any()   # the rest untouched


def test_encode_into_every_kind_of_buffer():
    pcm = speech_like(0.2, 8000, seed=2)
    frames = [pcm[i:i + 160] for i in range(0, len(pcm), 160)]
    ref = sc.Encoder("G722", rate=8000)
    expected = [ref.encode(f) for f in frames]
    for out in (bytearray(160), np.zeros(200, np.uint8), memoryview(bytearray(161))[1:],
                np.zeros(160, np.int8)):
        enc = sc.Encoder("G722", rate=8000)
        for i, (frame, want) in enumerate(zip(frames, expected)):
            given = frame.tobytes() if i % 2 else frame   # C and Python paths in turn
            assert enc.encode_into(given, out) == 160
            assert bytes(memoryview(out).cast("B")[:160]) == want


def test_into_errors():
    dec, enc = sc.Decoder("PCMU", rate=16000), sc.Encoder("PCMA")
    with pytest.raises(ValueError, match="room for 319 samples.*decodes to 320 at 16000 Hz"):
        dec.decode_into(bytes(160), bytearray(638))
    with pytest.raises(ValueError, match="room for 159 bytes; 160 samples of PCMA need up to 160"):
        enc.encode_into(bytes(320), bytearray(159))
    frozen_pcm, frozen_bytes = np.zeros(320, np.int16), np.zeros(320, np.uint8)
    frozen_pcm.flags.writeable = frozen_bytes.flags.writeable = False
    for read_only in (bytes(640), memoryview(bytearray(640)).toreadonly(), frozen_pcm):
        with pytest.raises(ValueError, match="read-only"):
            dec.decode_into(bytes(160), read_only)
    for read_only in (bytes(640), memoryview(bytearray(640)).toreadonly(), frozen_bytes):
        with pytest.raises(ValueError, match="read-only"):
            enc.encode_into(bytes(320), read_only)
    with pytest.raises(TypeError, match="dtype int16, not float32"):
        dec.decode_into(bytes(160), np.zeros(320, np.float32))
    with pytest.raises(TypeError, match="dtype uint8 or int8, not int16"):
        enc.encode_into(bytes(320), np.zeros(160, np.int16))
    with pytest.raises(TypeError, match="writable buffer"):
        dec.decode_into(bytes(160), [0] * 320)
    with pytest.raises(ValueError, match="C-contiguous"):
        dec.decode_into(bytes(160), np.zeros(640, np.int16)[::2])
    with pytest.raises(ValueError, match="whole frames"):
        sc.Encoder("G722").encode_into(bytes(2), bytearray(10))
    with pytest.raises(TypeError):
        dec.decode_into(bytes(160))
    # nothing was decoded by the refused calls: the stream goes on as fresh
    fresh = sc.Decoder("PCMU", rate=16000)
    payload = sc.Encoder("PCMU").encode(speech_like(0.02, 8000))
    assert dec.decode(payload) == fresh.decode(payload)


def test_into_an_output_over_its_own_input():
    """decode_into(buf, buf): the input is read before it is overwritten."""
    payload = sc.Encoder("PCMU").encode(speech_like(0.02, 8000, seed=4))
    expected = sc.Decoder("PCMU").decode(payload)
    buf = bytearray(payload) + bytearray(160)
    assert sc.Decoder("PCMU").decode_into(memoryview(buf)[:160], buf) == 160
    assert bytes(buf) == expected
    pcm = speech_like(0.02, 8000, seed=5).tobytes()
    want = sc.Encoder("PCMA").encode(pcm)
    buf = bytearray(pcm)
    assert sc.Encoder("PCMA").encode_into(memoryview(buf), buf) == 160
    assert bytes(buf[:160]) == want
