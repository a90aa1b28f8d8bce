"""Drop-in for the G.711 functions of the standard library's ``audioop``.

``audioop`` left the standard library in Python 3.13.  Code that used its
G.711 conversions changes one import::

    from streamcodec import audioop
    pcm = audioop.ulaw2lin(payload, 2)

Results and errors are those of CPython's audioop for sample widths 1, 2, 3
and 4, including audioop's rounding of negative samples in ``lin2ulaw``
(which differs from ITU-T G.191 on 508 of 65,536 inputs; ``streamcodec``'s
own Encoder follows G.191).
"""

from __future__ import annotations

import operator
from typing import Any

from ._buffers import scratch
from ._core import ffi, lib

__all__ = ["error", "lin2ulaw", "ulaw2lin", "lin2alaw", "alaw2lin"]


class error(Exception):
    """Raised for a bad sample width or a fragment of partial samples, as
    audioop.error is."""


_MULAW, _ALAW = 0, 1

def _fragment(fragment: Any) -> Any:
    """A uint8_t cdata view of any bytes-like object, without copying."""
    try:
        return ffi.from_buffer("uint8_t[]", fragment)
    except TypeError:
        raise TypeError(
            f"a bytes-like object is required, not '{type(fragment).__name__}'") from None
    except (ValueError, BufferError) as exc:
        raise ValueError(str(exc)) from None


def _check_width(width: Any) -> int:
    width = operator.index(width)  # TypeError for non-integers, as audioop
    if width not in (1, 2, 3, 4):
        raise error("Size should be 1, 2, 3 or 4")
    return width


def _encode(law: int, fragment: Any, width: Any) -> bytes:
    data = _fragment(fragment)
    width = _check_width(width)
    size = len(data)
    if size % width:
        raise error("not a whole number of frames")
    n = size // width
    out = scratch(n)
    if width == 2 and law == _MULAW:
        lib.sc_ulaw_encode_audioop(ffi.cast("const int16_t *", data), n, out)
    else:
        lib.sc_g711_encode_width(law, data, n, width, out)
    return ffi.buffer(out, n)[:]


def _decode(law: int, fragment: Any, width: Any) -> bytes:
    data = _fragment(fragment)
    width = _check_width(width)
    n = len(data)
    out = scratch(n * width)
    if width == 2:
        decode = lib.sc_ulaw_decode if law == _MULAW else lib.sc_alaw_decode
        decode(data, n, ffi.cast("int16_t *", out))
    else:
        lib.sc_g711_decode_width(law, data, n, width, out)
    return ffi.buffer(out, n * width)[:]


def lin2ulaw(fragment: Any, width: int) -> bytes:
    """Convert samples of ``width`` bytes to 8-bit mu-law, as audioop.lin2ulaw."""
    return _encode(_MULAW, fragment, width)


def ulaw2lin(fragment: Any, width: int) -> bytes:
    """Convert 8-bit mu-law to samples of ``width`` bytes, as audioop.ulaw2lin."""
    return _decode(_MULAW, fragment, width)


def lin2alaw(fragment: Any, width: int) -> bytes:
    """Convert samples of ``width`` bytes to 8-bit A-law, as audioop.lin2alaw."""
    return _encode(_ALAW, fragment, width)


def alaw2lin(fragment: Any, width: int) -> bytes:
    """Convert 8-bit A-law to samples of ``width`` bytes, as audioop.alaw2lin."""
    return _decode(_ALAW, fragment, width)
