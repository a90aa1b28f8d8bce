"""MP3 mode: the MP3 check against FFmpeg's parser (PyAV), encoding with
lameenc decoded back by FFmpeg, and MediaStream.play_mp3 / play_mp3_pcm."""

from __future__ import annotations

import base64
import io
import json
import sys

import av
import numpy as np
import pytest

from speech_signal import speech_like
from streamcodec import telnyx
from streamcodec.telnyx import MediaStream, mp3

# LAME's encoder delay (576) plus the MP3 decoder's (529): where the audio
# starts in what FFmpeg decodes from a file without a gapless (Info) tag.
LAME_DELAY = 1105


def header(version_bits=3, layer_bits=1, bitrate_index=9, rate_index=0, padding=0,
           mode=3, emphasis=0, crc=1) -> bytes:
    """A frame header assembled bit by bit from the fields of ISO/IEC 11172-3."""
    word = (0x7FF << 21 | version_bits << 19 | layer_bits << 17 | crc << 16
            | bitrate_index << 12 | rate_index << 10 | padding << 9 | mode << 6 | emphasis)
    return word.to_bytes(4, "big")


def frames_of(head: bytes, length: int, count: int = 3) -> bytes:
    return (head + bytes(length - 4)) * count


def decode(data: bytes) -> tuple[np.ndarray, int, list[int]]:
    """FFmpeg's decode: int16-scaled samples, the stream's rate, packet sizes."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        rate = stream.sample_rate
        sizes, out = [], []
        for packet in container.demux(stream):
            if packet.size:
                sizes.append(packet.size)
            for frame in packet.decode():
                out.append(frame.to_ndarray().reshape(-1))
    return np.concatenate(out) * 32768.0, rate, sizes


def best_lag(decoded: np.ndarray, original: np.ndarray) -> tuple[int, float]:
    """The lag where the decoded signal matches the original best, and the
    normalised correlation there."""
    dots = np.correlate(decoded, original, mode="valid")
    energy = np.convolve(decoded ** 2, np.ones(len(original)), mode="valid")
    corr = dots / np.sqrt(energy * np.dot(original, original) + 1e-9)
    lag = int(np.argmax(corr))
    return lag, float(corr[lag])


# ------------------------------------------------------------------ encode

@pytest.mark.parametrize("rate, floor", [(8000, 0.97), (16000, 0.97), (22050, 0.96),
                                         (24000, 0.96), (48000, 0.9)])
def test_encoded_mp3_decodes_to_the_input(rate, floor):
    pcm = speech_like(1.5, rate, seed=3)
    data = mp3.encode(pcm, rate, bitrate=64)
    first = mp3.check(data)
    assert first.sample_rate == rate and first.channels == 1
    decoded, decoded_rate, _ = decode(data)
    assert decoded_rate == rate
    # duration: the input, after LAME's delay, in whole frames
    extra = len(decoded) - LAME_DELAY - len(pcm)
    assert len(decoded) % first.samples == 0
    assert 0 <= extra < 2 * first.samples
    lag, corr = best_lag(decoded[:len(pcm) + 2000], pcm.astype(np.float64))
    assert lag == LAME_DELAY
    assert corr >= floor, corr
    # bytes, bytearray, memoryview and the array give the same file
    assert mp3.encode(pcm.tobytes(), rate, 64) == data
    assert mp3.encode(memoryview(bytearray(pcm.tobytes())), rate, 64) == data


def test_frame_lengths_agree_with_ffmpeg_on_lame_files():
    """Walking the frames of LAME's output with frame_header gives FFmpeg's
    packets one for one, at every MP3 rate and across the bitrates."""
    for rate in mp3.SAMPLE_RATES:
        pcm = speech_like(0.5, rate, seed=rate)
        for kbps in (8, 32, 64, 160, 320):
            data = mp3.encode(pcm, rate, kbps)
            lengths, offset = [], 0
            while offset < len(data):
                h = mp3.frame_header(data, offset)
                assert h.sample_rate == rate
                lengths.append(h.length)
                offset += h.length
            assert offset == len(data)
            _, decoded_rate, sizes = decode(data)
            assert decoded_rate == rate and lengths == sizes, (rate, kbps)


# ---------------------------------------------------------- frame headers

MPEG1_KBPS = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
MPEG2_KBPS = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def test_every_valid_header_matches_ffmpeg():
    """All 504 valid layer III headers (3 versions x 14 bitrates x 3 rates x
    padding x mono/stereo): rate, bitrate and frame length as FFmpeg's parser
    reads a file of three such frames."""
    checked = 0
    for version_bits, rates in RATES.items():
        table = MPEG1_KBPS if version_bits == 3 else MPEG2_KBPS
        for bitrate_index, kbps in enumerate(table, start=1):
            for rate_index, rate in enumerate(rates):
                for padding in (0, 1):
                    for mode in (0, 3):
                        head = header(version_bits, 1, bitrate_index, rate_index, padding, mode)
                        h = mp3.frame_header(head)
                        assert (h.sample_rate, h.bitrate, h.padding) == (rate, kbps, bool(padding))
                        assert h.channels == (1 if mode == 3 else 2)
                        assert h.version == {3: "1", 2: "2", 0: "2.5"}[version_bits]
                        if mode == 3:
                            data = frames_of(head, h.length)
                            assert mp3.check(data) == h
                            _, decoded_rate, sizes = decode(data)
                            assert decoded_rate == rate
                            assert sizes == [h.length] * 3, (version_bits, kbps, rate, padding)
                        checked += 1
    assert checked == 504


def test_every_reserved_field_refused():
    """The 4096 combinations of version, layer, bitrate index, rate index and
    emphasis: valid exactly when none is reserved, forbidden, free-format or
    another layer than III, and each refusal says which."""
    valid = 0
    for version_bits in range(4):
        for layer_bits in range(4):
            for bitrate_index in range(16):
                for rate_index in range(4):
                    for emphasis in range(4):
                        head = header(version_bits, layer_bits, bitrate_index, rate_index,
                                      emphasis=emphasis)
                        reasons = []
                        if version_bits == 1:
                            reasons.append("version bits 01 are reserved")
                        elif layer_bits == 0:
                            reasons.append("layer bits 00 are reserved")
                        elif layer_bits != 1:
                            reasons.append("not layer III")
                        elif bitrate_index == 15:
                            reasons.append("bitrate index 15 is forbidden")
                        elif bitrate_index == 0:
                            reasons.append("free-format")
                        elif rate_index == 3:
                            reasons.append("sample-rate index 3 is reserved")
                        elif emphasis == 2:
                            reasons.append("emphasis 10 is reserved")
                        if reasons:
                            with pytest.raises(ValueError, match=reasons[0]):
                                mp3.frame_header(head)
                        else:
                            mp3.frame_header(head)
                            valid += 1
    assert valid == 3 * 14 * 3 * 3     # versions x bitrates x rates x emphases


def test_random_bytes_never_crash():
    rng = np.random.default_rng(7)
    outcomes = set()
    for _ in range(3000):
        data = bytes([0xFF, 0xE0 | int(rng.integers(32))]) + rng.bytes(int(rng.integers(0, 900)))
        try:
            mp3.check(data)
            outcomes.add("ok")
        except ValueError:
            outcomes.add("refused")
    assert "refused" in outcomes


# ------------------------------------------------------------------- check

GOOD = header()                      # MPEG-1 layer III, 128 kbit/s, 44100 Hz, mono
GOOD_LEN = 417                       # 144000 * 128 // 44100


def id3v2(body: bytes, major: int = 3, flags: int = 0) -> bytes:
    size = len(body)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    tag = b"ID3" + bytes([major, 0, flags]) + syncsafe + body
    if flags & 0x10:
        tag += b"3DI" + bytes([major, 0, flags]) + syncsafe
    return tag


def test_check_accepts_tags_and_trailers():
    frames = frames_of(GOOD, GOOD_LEN, 2)
    assert mp3.check(frames).length == GOOD_LEN
    assert mp3.check(frames[:GOOD_LEN]).bitrate == 128           # one whole frame
    assert mp3.check(id3v2(b"TIT2" + bytes(300)) + frames).sample_rate == 44100
    assert mp3.check(id3v2(bytes(20), major=4, flags=0x10) + frames).bitrate == 128
    assert mp3.check(id3v2(b"") + id3v2(bytes(5)) + frames).bitrate == 128    # two tags
    assert mp3.check(frames[:GOOD_LEN] + b"TAG" + bytes(125)).bitrate == 128  # ID3v1
    assert mp3.check(frames[:GOOD_LEN] + b"APETAGEX" + bytes(24)).bitrate == 128
    assert mp3.check(bytearray(frames)) == mp3.check(memoryview(frames))
    # a VBR file: the bitrate may change from frame to frame
    assert mp3.check(GOOD + bytes(GOOD_LEN - 4) + header(bitrate_index=5) + bytes(100))
    lame = mp3.encode(speech_like(0.3, 16000), 16000)
    assert mp3.check(id3v2(b"TIT2" + bytes(40), major=4) + lame).sample_rate == 16000


@pytest.mark.parametrize("data, match", [
    (b"", "empty"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "no MPEG audio frame sync at byte 0"),
    (b"\x00" + frames_of(GOOD, GOOD_LEN), "no MPEG audio frame sync"),
    (id3v2(bytes(50)), "an ID3v2 tag and no MPEG audio frame"),
    (id3v2(bytes(50)) + bytes(300), "no MPEG audio frame sync at byte 60"),
    (id3v2(bytes(50))[:60 - 10], "says it is 60 bytes"),
    (b"ID3\x03\x00\x00\x00\x00\x80\x00" + frames_of(GOOD, GOOD_LEN), "malformed"),
    (b"ID3\x03", "cut short"),
    (b"ID3\x04\x00" + bytes(200), "no MPEG audio frame sync at byte 10"),
    (header(layer_bits=2) + bytes(400), r"layer II \(MP2\), not layer III"),
    (header(layer_bits=3) + bytes(400), r"layer I \(MP1\)"),
    (header(version_bits=1) + bytes(400), "version bits 01 are reserved"),
    (header(bitrate_index=0) + bytes(400), "free-format"),
    (header(rate_index=3) + bytes(400), "sample-rate index 3"),
    (GOOD + bytes(100), "first frame .* is cut short: 104 bytes"),
    (GOOD, "cut short"),
    (GOOD[:3], "3 bytes at byte 0"),
    (GOOD + bytes(GOOD_LEN - 4) + b"junk after the frame", "not followed by another"),
    (GOOD + bytes(GOOD_LEN - 4) + header(rate_index=1) + bytes(400),
     "MPEG-1, 48000 Hz.*does not continue.*44100 Hz"),
    (GOOD + bytes(GOOD_LEN - 4) + header(version_bits=2, rate_index=0) + bytes(400),
     "does not continue"),
])
def test_check_refuses(data, match):
    with pytest.raises(ValueError, match=match):
        mp3.check(data)


def test_check_types():
    with pytest.raises(TypeError, match="bytes"):
        mp3.check("ID3")
    with pytest.raises(TypeError):
        mp3.check(None)


# ------------------------------------------------------------ encode: input

@pytest.mark.parametrize("kwargs, error, match", [
    (dict(rate=7000), ValueError, "8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000"),
    (dict(rate=0), ValueError, "rate=0"),
    (dict(rate="16000"), TypeError, "rate must be an int"),
    (dict(rate=True), TypeError, "rate must be an int"),
    (dict(bitrate=4), ValueError, "8 to 320"),
    (dict(bitrate=400), ValueError, "8 to 320"),
    (dict(bitrate=64.0), TypeError, "bitrate"),
    (dict(pcm=b""), ValueError, "empty"),
    (dict(pcm=b"\x00\x01\x02"), ValueError, "odd"),
    (dict(pcm=np.zeros(10, dtype=np.float32)), TypeError, "int16"),
    (dict(pcm=np.zeros((2, 10), dtype=np.int16)), ValueError, "one-dimensional"),
    (dict(pcm="audio"), TypeError, "pcm"),
])
def test_encode_refuses(kwargs, error, match):
    args = dict(pcm=speech_like(0.1, 16000), rate=16000, bitrate=64)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        mp3.encode(args["pcm"], args["rate"], args["bitrate"])


def test_missing_lameenc_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "lameenc", None)   # import lameenc now fails
    with pytest.raises(ImportError, match=r"pip install 'streamcodec\[mp3\]'"):
        mp3.encode(speech_like(0.1, 16000), 16000)
    s = MediaStream(mp3=True)
    with pytest.raises(ImportError, match=r"streamcodec\[mp3\]"):
        s.play_mp3_pcm(speech_like(0.1, 16000), 16000)
    assert s.mp3_wait() == 0          # nothing was sent: the next file may go at once


# ---------------------------------------------------------- MediaStream

class FakeClock:
    def __init__(self):
        self.t = 50.0

    def __call__(self):
        return self.t


def payload(message: str) -> bytes:
    frame = json.loads(message)
    assert frame["event"] == "media" and list(frame["media"]) == ["payload"]
    return base64.b64decode(frame["media"]["payload"])


def test_play_mp3_pcm_one_per_second(monkeypatch):
    clock = FakeClock()
    s = MediaStream(mp3=True, clock=clock)
    pcm = speech_like(0.8, 24000, seed=5)
    data = payload(s.play_mp3_pcm(pcm, 24000))
    assert data == mp3.encode(pcm, 24000, 64)
    decoded, rate, _ = decode(data)
    assert rate == 24000 and len(decoded) >= len(pcm) + LAME_DELAY
    assert best_lag(decoded, pcm.astype(np.float64))[0] == LAME_DELAY
    # too soon: refused before any encoding, for PCM and for a file alike
    clock.t += 0.5
    monkeypatch.setattr(mp3, "encode", lambda *a, **k: pytest.fail("encoded while too soon"))
    with pytest.raises(telnyx.MP3RateLimitError) as info:
        s.play_mp3_pcm(pcm, 24000)
    assert info.value.retry_after == pytest.approx(0.5)
    with pytest.raises(telnyx.MP3RateLimitError):
        s.play_mp3(data)
    monkeypatch.undo()
    clock.t += 0.5
    assert payload(s.play_mp3_pcm(pcm.tobytes(), 24000, bitrate=32)) == mp3.encode(pcm, 24000, 32)
    assert s.mp3_wait() == pytest.approx(1.0)


def test_play_mp3_validates_the_file():
    clock = FakeClock()
    s = MediaStream(mp3=True, clock=clock)
    lame = mp3.encode(speech_like(0.4, 8000), 8000, 32)
    first = mp3.check(lame).length                 # 288 bytes: 72000 * 32 // 8000
    assert first == 288
    for bad, match in ((b"RIFF....WAVE", "no MPEG audio frame sync"),
                       (b"\xff\xfb\x90\x00" + bytes(100), "cut short"),
                       (b"ID3\x04\x00" + bytes(200), "no MPEG audio frame sync"),
                       (lame[:100], "cut short"),
                       (lame[:first] + b"\x00" * 500, "not followed")):
        with pytest.raises(ValueError, match="data is not an MP3 file: .*" + match):
            s.play_mp3(bad)
        assert s.mp3_wait() == 0      # a refused file does not use the second
    with pytest.raises(TypeError, match="bytes"):
        s.play_mp3("not bytes")
    assert payload(s.play_mp3(lame)) == lame
    assert payload(MediaStream(mp3=True).play_mp3(bytearray(lame))) == lame


def test_not_mp3_mode():
    s = MediaStream(rate=8000)
    with pytest.raises(ValueError, match=r"MP3-mode stream \(MediaStream\(mp3=True\)\)"):
        s.play_mp3_pcm(speech_like(0.1, 8000), 8000)
    with pytest.raises(ValueError, match="MP3-mode"):
        s.play_mp3(mp3.encode(speech_like(0.1, 8000), 8000))
    with pytest.raises(ValueError, match="rate=9000"):
        MediaStream(mp3=True).play_mp3_pcm(speech_like(0.1, 9000), 9000)
