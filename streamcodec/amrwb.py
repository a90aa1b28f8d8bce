"""AMR-WB RTP payloads (RFC 4867) to and from storage-format frames.

The Decoder and Encoder for ``"AMR-WB"`` do this packing themselves; these
functions expose the same C code for tools and tests that need the frames:
to write an ``.awb`` file, to feed another decoder, or to inspect a payload.

A storage-format frame (RFC 4867 section 5.3) is one header octet
``FT << 3 | Q << 2`` followed by the frame's speech bits, MSB first, padded
with zeros to a whole octet.  Frame types 0..8 are the nine speech modes,
9 is SID (comfort noise), 14 SPEECH_LOST and 15 NO_DATA; 10..13 are
reserved.

Example::

    from streamcodec import amrwb
    p = amrwb.unpack(payload)             # layout inferred from the length
    p.cmr, p.octet_align, len(p.frames)
    open("call.awb", "wb").write(amrwb.storage_file(p.frames))
    assert amrwb.pack(p.frames, cmr=p.cmr, octet_align=p.octet_align) == payload
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Union

from ._buffers import byte_view
from ._core import ffi, lib
from ._errors import check

__all__ = ["CMR_NONE", "FRAME_BITS", "FT_NO_DATA", "FT_SID", "FT_SPEECH_LOST", "MAX_FRAMES",
           "Payload", "SID_BITS", "STORAGE_MAGIC", "pack", "split_storage", "storage_file",
           "storage_size", "unpack"]

#: Speech bits of frame types 0..8 (6.60 .. 23.85 kbit/s).
FRAME_BITS = (132, 177, 253, 285, 317, 365, 397, 461, 477)
#: Bits of a SID frame (frame type 9).
SID_BITS = 40
#: Frame type of a SID (comfort noise) frame.
FT_SID = lib.SC_AMRWB_FT_SID
#: Frame type of a lost speech frame.
FT_SPEECH_LOST = lib.SC_AMRWB_FT_SPEECH_LOST
#: Frame type of a frame with no data (nothing sent).
FT_NO_DATA = lib.SC_AMRWB_FT_NO_DATA
#: CMR value meaning "no mode request".
CMR_NONE = lib.SC_AMRWB_CMR_NONE
#: Most frames one payload may hold (10 s).
MAX_FRAMES = lib.SC_AMRWB_MAX_FRAMES
#: First bytes of an AMR-WB storage file (.awb), RFC 4867 section 5.1.
STORAGE_MAGIC = b"#!AMR-WB\n"


@dataclass(frozen=True)
class Payload:
    """One RFC 4867 payload, read.

    Attributes
    ----------
    cmr : int
        The CMR field: 0..8 requests a mode, 15 requests none, 9..14 are
        reserved.
    octet_align : bool
        The layout the payload was read as.
    frames : tuple of bytes
        The frames in storage format, in TOC order.
    """

    cmr: int
    octet_align: bool
    frames: tuple[bytes, ...]


def storage_size(frame_type: int) -> int:
    """Octets of one storage-format frame of ``frame_type``, header included."""
    return check(lib.sc_amrwb_storage_size(frame_type), f"AMR-WB frame type {frame_type}")


def split_storage(storage: bytes) -> tuple[bytes, ...]:
    """Split storage-format frames laid back to back into one bytes each.

    Raises ValueError when a header names a reserved frame type or the
    last frame is cut short.
    """
    frames = []
    pos = 0
    while pos < len(storage):
        ft = (storage[pos] >> 3) & 15
        size = lib.sc_amrwb_storage_size(ft)
        if size < 0:
            raise ValueError(f"storage frame at octet {pos} has reserved frame type {ft}")
        if pos + size > len(storage):
            raise ValueError(
                f"storage frame at octet {pos} (type {ft}) needs {size} octets, "
                f"{len(storage) - pos} left")
        frames.append(bytes(storage[pos:pos + size]))
        pos += size
    return tuple(frames)


def unpack(payload: bytes | bytearray | memoryview,
           octet_align: bool | None = None) -> Payload:
    """Read one RFC 4867 AMR-WB payload.

    Parameters
    ----------
    payload : bytes-like
        The RTP payload (no RTP header).
    octet_align : bool or None
        The layout: True octet-aligned, False bandwidth-efficient, None
        (default) to infer it from the length arithmetic (the layout whose
        TOC accounts for every octet; if both do, the one whose reserved
        and padding bits are zero; if still both, bandwidth-efficient).

    Raises
    ------
    CorruptPayloadError
        The payload is empty, truncated, longer than its TOC says, holds a
        reserved frame type or more than ``MAX_FRAMES`` frames.
    """
    data, size = byte_view(payload)
    mode = -1 if octet_align is None else int(bool(octet_align))
    cap = check(lib.sc_amrwb_unpack_bound(size), "AMR-WB payload")
    out = ffi.new("uint8_t[]", max(cap, 1))
    info = ffi.new("sc_amrwb_info *")
    n = check(lib.sc_amrwb_unpack(data, size, mode, out, cap, info),
              f"AMR-WB payload of {size} bytes")
    storage = ffi.buffer(out, n)[:]
    return Payload(cmr=info.cmr, octet_align=bool(info.octet_align),
                   frames=split_storage(storage))


def pack(frames: Union[Iterable[bytes], bytes], *, cmr: int = CMR_NONE,
         octet_align: bool = False) -> bytes:
    """Build one RFC 4867 AMR-WB payload from storage-format frames.

    Parameters
    ----------
    frames : iterable of bytes, or bytes
        Storage-format frames, one per item or back to back in one bytes.
    cmr : int
        Mode request to write: 0..8, or 15 (default) for none.
    octet_align : bool
        True for the octet-aligned layout, False (default) for
        bandwidth-efficient.

    Raises
    ------
    ValueError
        No frames, more than ``MAX_FRAMES``, a bad ``cmr``.
    CorruptPayloadError
        A frame header names a reserved type or a frame is cut short.
    """
    if isinstance(frames, (bytes, bytearray, memoryview)):
        storage = bytes(frames)
    else:
        storage = b"".join(bytes(f) for f in frames)
    if isinstance(cmr, bool) or not isinstance(cmr, int):
        raise TypeError(f"cmr must be an int, not {type(cmr).__name__}")
    if not (0 <= cmr <= 8 or cmr == CMR_NONE):
        raise ValueError(f"cmr must be a mode 0..8, or 15 for no request; got {cmr}")
    if not storage:
        raise ValueError("an AMR-WB payload needs at least one frame")
    cap = check(lib.sc_amrwb_pack_bound(len(storage)), "AMR-WB frames")
    out = ffi.new("uint8_t[]", cap)
    n = check(lib.sc_amrwb_pack(storage, len(storage), cmr, int(bool(octet_align)), out, cap),
              f"AMR-WB frames ({len(storage)} octets)")
    return ffi.buffer(out, n)[:]


def storage_file(frames: Union[Iterable[bytes], bytes]) -> bytes:
    """The bytes of an ``.awb`` file holding these storage-format frames."""
    if isinstance(frames, (bytes, bytearray, memoryview)):
        return STORAGE_MAGIC + bytes(frames)
    return STORAGE_MAGIC + b"".join(bytes(f) for f in frames)
