"""MP3 for Telnyx's MP3 bidirectional mode: check that bytes are an MP3 file,
and encode PCM to one.

In ``bidirectionalMode="mp3"`` each media message sent to Telnyx carries a
whole MP3 file (base64), at most one message per second.
:meth:`MediaStream.play_mp3 <streamcodec.telnyx.MediaStream.play_mp3>` checks
the file with :func:`check`; :meth:`MediaStream.play_mp3_pcm
<streamcodec.telnyx.MediaStream.play_mp3_pcm>` makes one from PCM with
:func:`encode`, which needs the ``lameenc`` package
(``pip install 'streamcodec[mp3]'``).

An MP3 file is MPEG-1, MPEG-2 or MPEG-2.5 audio layer III frames, optionally
after ID3v2 tags.  Each frame starts with a 4-byte header (ISO/IEC 11172-3
2.4.1.3 and 13818-3; MPEG-2.5 is Fraunhofer's extension)::

    AAAAAAAA AAABBCCD EEEEFFGH IIJJKLMM
    A sync (all ones)   B version (00 2.5, 01 reserved, 10 2, 11 1)
    C layer (01 III)    D no CRC      E bitrate index  F sample-rate index
    G padding           H private     I channel mode   J mode extension
    K copyright         L original    M emphasis (10 reserved)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Union

from .._buffers import pcm_view
from .._core import ffi

__all__ = ["FrameHeader", "SAMPLE_RATES", "check", "encode", "frame_header"]

#: Layer III bitrates in kbit/s by index; index 0 is "free format" and 15 is
#: forbidden (both refused before the table is read).
_BITRATES = {
    "1": (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0),
    "2": (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0),
}
_BITRATES["2.5"] = _BITRATES["2"]
#: Sample rates in Hz by index; index 3 is reserved.
_RATES = {"1": (44100, 48000, 32000), "2": (22050, 24000, 16000), "2.5": (11025, 12000, 8000)}
_VERSIONS = {0: "2.5", 2: "2", 3: "1"}
_LAYER_NAMES = {1: "layer III", 2: "layer II (MP2)", 3: "layer I (MP1)"}
#: Every sample rate an MP3 frame can declare, ascending.
SAMPLE_RATES = tuple(sorted(r for rates in _RATES.values() for r in rates))
#: What may follow the last frame of a file: an ID3v1 tag, an APEv2 tag,
#: Lyrics3.
_TRAILERS = (b"TAG", b"APETAGEX", b"LYRICS")


@dataclass(frozen=True)
class FrameHeader:
    """One MPEG audio layer III frame header."""

    version: str
    """MPEG version: ``"1"``, ``"2"`` or ``"2.5"``."""
    bitrate: int
    """kbit/s."""
    sample_rate: int
    """Hz."""
    channels: int
    padding: bool
    length: int
    """Bytes in the whole frame, header included."""

    @property
    def samples(self) -> int:
        """Samples per channel in the frame: 1152 (MPEG-1) or 576."""
        return 1152 if self.version == "1" else 576


def frame_header(data: Union[bytes, bytearray, memoryview], offset: int = 0) -> FrameHeader:
    """Parse the layer III frame header at ``data[offset:offset+4]``.

    Raises
    ------
    ValueError
        No frame sync there, or a field with a reserved or forbidden value
        (version 01, layer 00, bitrate index 15, sample-rate index 3,
        emphasis 10), a layer other than III, or free-format bitrate
        (index 0: the frame length is not in the header, and many decoders
        refuse it).
    """
    head = bytes(data[offset:offset + 4])
    if len(head) < 4:
        raise ValueError(f"{len(head)} bytes at byte {offset}; a frame header is 4")
    b1, b2, b3 = head[1], head[2], head[3]
    if head[0] != 0xFF or b1 & 0xE0 != 0xE0:
        raise ValueError(f"no MPEG audio frame sync at byte {offset} "
                         f"(found {head[:2].hex()}, want 11 one bits)")
    version = _VERSIONS.get((b1 >> 3) & 3)
    if version is None:
        raise ValueError(f"frame at byte {offset}: MPEG version bits 01 are reserved")
    layer = (b1 >> 1) & 3
    if layer == 0:
        raise ValueError(f"frame at byte {offset}: layer bits 00 are reserved")
    if layer != 1:
        raise ValueError(f"frame at byte {offset} is MPEG audio {_LAYER_NAMES[layer]}, "
                         "not layer III (MP3)")
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if bitrate_index == 15:
        raise ValueError(f"frame at byte {offset}: bitrate index 15 is forbidden")
    if bitrate_index == 0:
        raise ValueError(f"frame at byte {offset} is free-format (bitrate index 0), "
                         "which is not supported")
    if rate_index == 3:
        raise ValueError(f"frame at byte {offset}: sample-rate index 3 is reserved")
    if b3 & 3 == 2:
        raise ValueError(f"frame at byte {offset}: emphasis 10 is reserved")
    bitrate = _BITRATES[version][bitrate_index]
    rate = _RATES[version][rate_index]
    padding = bool(b2 & 2)
    # Bytes per frame: samples/8 * bitrate / rate, plus the padding byte.
    per_frame = 144000 if version == "1" else 72000
    return FrameHeader(version=version, bitrate=bitrate, sample_rate=rate,
                       channels=1 if b3 >> 6 == 3 else 2, padding=padding,
                       length=per_frame * bitrate // rate + padding)


def _skip_id3v2(data: bytes) -> int:
    """Offset of the first byte after any ID3v2 tags at the start."""
    offset = 0
    while data[offset:offset + 3] == b"ID3":
        tag = data[offset:offset + 10]
        if len(tag) < 10:
            raise ValueError(f"ID3v2 tag at byte {offset} is cut short: {len(tag)} of 10 "
                             "header bytes")
        major, revision, flags, size_bytes = tag[3], tag[4], tag[5], tag[6:10]
        if major == 0xFF or revision == 0xFF or any(b & 0x80 for b in size_bytes):
            raise ValueError(f"ID3v2 tag at byte {offset} has a malformed header "
                             f"({tag.hex()})")
        size = 0
        for b in size_bytes:                     # "syncsafe": 7 bits per byte
            size = size << 7 | b
        end = offset + 10 + size + (10 if major >= 4 and flags & 0x10 else 0)
        if end > len(data):
            raise ValueError(f"ID3v2 tag at byte {offset} says it is {end - offset} bytes; "
                             f"only {len(data) - offset} follow")
        offset = end
    return offset


def check(data: Union[bytes, bytearray, memoryview]) -> FrameHeader:
    """Check that ``data`` is an MP3 file; return its first frame's header.

    After any ID3v2 tags, the first frame header must be valid (see
    :func:`frame_header`) and the whole frame present.  When more than a
    trailing tag follows it, the next frame header must be valid too, with
    the same version and sample rate (two frames in a row is how decoders
    tell MP3 from bytes that only look like a header).

    Raises
    ------
    TypeError
        ``data`` is not bytes-like.
    ValueError
        Not an MP3 file; the message says what was found and where.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"MP3 data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise ValueError("MP3 data is empty")
    start = _skip_id3v2(data)
    if start == len(data):
        raise ValueError("an ID3v2 tag and no MPEG audio frame after it")
    first = frame_header(data, start)
    end = start + first.length
    if end > len(data):
        raise ValueError(f"the first frame (byte {start}, {first.length} bytes) is cut short: "
                         f"{len(data) - start} bytes")
    rest = data[end:end + 8]
    if len(rest) >= 4 and not rest.startswith(_TRAILERS):
        try:
            second = frame_header(data, end)
        except ValueError as exc:
            raise ValueError(f"the frame at byte {start} is not followed by another: {exc}") \
                from None
        if (second.version, second.sample_rate) != (first.version, first.sample_rate):
            raise ValueError(
                f"the frame at byte {end} (MPEG-{second.version}, {second.sample_rate} Hz) "
                f"does not continue the one at byte {start} "
                f"(MPEG-{first.version}, {first.sample_rate} Hz)")
    return first


def _load_lameenc() -> Any:
    try:
        import lameenc
    except ImportError:
        raise ImportError("encoding MP3 needs the 'lameenc' package; install it with: "
                          "pip install 'streamcodec[mp3]'") from None
    return lameenc


def encode(pcm: Any, rate: int, bitrate: int = 64) -> bytes:
    """Encode 16-bit mono PCM as a whole MP3 file (constant bitrate, no tags).

    Parameters
    ----------
    pcm : bytes, bytearray, memoryview or numpy int16 array
        The audio, native byte order; not empty.
    rate : int
        Its sample rate, one an MP3 frame can declare (8000, 11025, 12000,
        16000, 22050, 24000, 32000, 44100, 48000); the file is at that rate.
    bitrate : int
        kbit/s, 8 to 320 (default 64); LAME takes the nearest its tables
        allow for the rate: 32 to 320 at 32000-48000 Hz (MPEG-1), 8 to 160
        at 16000-24000 Hz (MPEG-2), 8 to 64 at 8000-12000 Hz (MPEG-2.5).

    Returns
    -------
    bytes
        The MP3 file.  LAME's encoder delay puts about 1100 samples of
        silence before the audio, and the last frame is padded.

    Raises
    ------
    ImportError
        ``lameenc`` is not installed (the ``mp3`` extra).
    ValueError, TypeError
        Empty or malformed PCM, or a rate or bitrate outside those above.
    """
    if isinstance(rate, bool) or not isinstance(rate, int):
        raise TypeError(f"rate must be an int, not {type(rate).__name__}")
    if rate not in SAMPLE_RATES:
        raise ValueError(f"MP3 carries {', '.join(map(str, SAMPLE_RATES))} Hz; rate={rate} "
                         "is not one of them (resample first: streamcodec.resample)")
    if isinstance(bitrate, bool) or not isinstance(bitrate, int):
        raise TypeError(f"bitrate must be an int (kbit/s), not {type(bitrate).__name__}")
    if not 8 <= bitrate <= 320:
        raise ValueError(f"bitrate must be 8 to 320 kbit/s, got {bitrate}")
    view, n = pcm_view(pcm)
    if n == 0:
        raise ValueError("pcm is empty: an MP3 file needs at least one sample")
    raw = ffi.buffer(view, 2 * n)[:]
    if sys.byteorder == "big":                   # LAME takes little-endian samples
        import numpy as np
        raw = np.frombuffer(raw, dtype=np.int16).byteswap().tobytes()
    lameenc = _load_lameenc()
    encoder = lameenc.Encoder()
    encoder.set_channels(1)
    encoder.set_in_sample_rate(rate)
    encoder.set_out_sample_rate(rate)
    encoder.set_bit_rate(bitrate)
    encoder.set_quality(2)                       # LAME's "high quality" (0 best .. 9 fastest)
    return bytes(encoder.encode(raw)) + bytes(encoder.flush())
