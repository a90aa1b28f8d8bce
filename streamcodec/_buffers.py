"""Turning user buffers into C pointers without copying.

PCM arguments accept bytes, bytearray, memoryview (C-contiguous) or a numpy
int16 array; payload arguments accept the same byte-like objects.  Both give
a clear TypeError/ValueError when the object does not fit.
"""

from __future__ import annotations

import threading
from typing import Any, Union

import numpy as np

from ._core import ffi

BytesLike = Union[bytes, bytearray, memoryview]
PCMLike = Union[bytes, bytearray, memoryview, np.ndarray]


def byte_view(data: Any, what: str = "payload") -> tuple[Any, int]:
    """Return (pointer-compatible object, length in bytes) for byte-like data."""
    if isinstance(data, bytes):
        return data, len(data)
    if isinstance(data, (bytearray, memoryview)):
        try:
            view = ffi.from_buffer("uint8_t[]", data)
        except (TypeError, ValueError, BufferError) as exc:
            raise ValueError(f"{what} must be a C-contiguous byte buffer: {exc}") from None
        return view, len(view)
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8 and data.dtype != np.int8:
            raise TypeError(f"{what} array must have dtype uint8, not {data.dtype}")
        if not data.flags.c_contiguous:
            raise ValueError(f"{what} array must be C-contiguous")
        view = ffi.from_buffer("uint8_t[]", data)
        return view, len(view)
    raise TypeError(f"{what} must be bytes, bytearray or memoryview, not {type(data).__name__}")


def pcm_view(data: Any, what: str = "pcm") -> tuple[Any, int]:
    """Return (int16_t pointer, number of samples) for 16-bit PCM.

    Raises TypeError for objects that are not PCM and ValueError for an odd
    number of bytes or a non-contiguous buffer.
    """
    if type(data) is bytes:  # the common case first
        if len(data) % 2:
            raise ValueError(
                f"{what} must be 16-bit samples: got {len(data)} bytes, an odd count")
        return ffi.from_buffer("int16_t[]", data), len(data) >> 1
    if isinstance(data, np.ndarray):
        if data.dtype != np.int16:
            raise TypeError(f"{what} array must have dtype int16, not {data.dtype}")
        if data.ndim != 1:
            raise ValueError(f"{what} array must be one-dimensional (mono), not {data.ndim}-D")
        if not data.flags.c_contiguous:
            raise ValueError(f"{what} array must be C-contiguous")
        return ffi.from_buffer("int16_t[]", data), data.shape[0]
    if isinstance(data, (bytes, bytearray, memoryview)):
        nbytes = data.nbytes if isinstance(data, memoryview) else len(data)
        if nbytes % 2:
            raise ValueError(
                f"{what} must be 16-bit samples: got {nbytes} bytes, an odd count")
        try:
            view = ffi.from_buffer("int16_t[]", data)
        except (TypeError, ValueError, BufferError) as exc:
            raise ValueError(f"{what} must be a C-contiguous buffer: {exc}") from None
        return view, nbytes // 2
    raise TypeError(
        f"{what} must be bytes, bytearray, memoryview or a numpy int16 array, "
        f"not {type(data).__name__}")


# One-shot functions compute into a per-thread scratch buffer that is reused,
# then copy once into the bytes they return: a fresh C buffer per call would
# cost a page fault per 4 KiB on large inputs, more than the work itself.
_local = threading.local()


def scratch(nbytes: int) -> Any:
    """A uint8_t cdata buffer of at least ``nbytes``, owned by this thread and
    reused by the next call: copy out what you need before calling again."""
    buf = getattr(_local, "buf", None)
    if buf is None or len(buf) < nbytes:
        buf = _local.buf = ffi.new("uint8_t[]", max(nbytes, 4096))
    return buf
