"""Turning user buffers into C pointers, and binding the per-frame fast path.

PCM arguments accept bytes, bytearray, memoryview (C-contiguous) or a numpy
int16 array; payload arguments accept the same byte-like objects.  Both give
a clear TypeError/ValueError when the object does not fit.  16-bit samples
reach C only at even addresses: a view that starts at an odd byte (a
``memoryview(buf)[1:]``, a numpy view at offset 1) is copied first, since C
reads them as ``int16_t``.

streamcodec._fast (streamcodec/_fast.c) runs the common case of the
per-frame calls as plain C-API functions; it calls this cffi extension's own
functions, whose addresses it gets here, once, at import.
"""

from __future__ import annotations

import threading
from typing import Any, Union

import numpy as np

from . import _fast
from ._core import ffi, lib

BytesLike = Union[bytes, bytearray, memoryview]
PCMLike = Union[bytes, bytearray, memoryview, np.ndarray]

_fast.bind({name: int(ffi.cast("uintptr_t", ffi.addressof(lib, name)))
            for name in _fast.CORE_FUNCTIONS})


def address(cdata: Any) -> int:
    """The address a cdata pointer or buffer points at, as an int."""
    return int(ffi.cast("uintptr_t", cdata))


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

    The pointer is always 2-byte aligned: data at an odd address is copied.
    Raises TypeError for objects that are not PCM and ValueError for an odd
    number of bytes or a non-contiguous buffer.
    """
    if type(data) is bytes:  # the common case first (CPython aligns their data)
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
        if not data.flags.aligned:
            data = data.copy()
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
        if address(view) & 1:
            view = ffi.from_buffer("int16_t[]", bytes(data))
        return view, nbytes // 2
    raise TypeError(
        f"{what} must be bytes, bytearray, memoryview or a numpy int16 array, "
        f"not {type(data).__name__}")


def encoder_pcm_view(data: Any, what: str = "pcm") -> tuple[Any, int]:
    """pcm_view() that also takes numpy float32 arrays at full scale +-1.0
    (as soundfile gives them), converted to int16 by rounding ``x * 32768``
    to nearest and saturating (so 1.0 becomes 32767 and int16 / 32768 comes
    back exactly); float64 arrays are taken as float32 first."""
    if isinstance(data, np.ndarray) and data.dtype.kind == "f":
        if data.dtype not in (np.float32, np.float64):
            raise TypeError(f"{what} array must have dtype int16, float32 or float64, "
                            f"not {data.dtype}")
        if data.ndim != 1:
            raise ValueError(f"{what} array must be one-dimensional (mono), not {data.ndim}-D")
        if data.dtype != np.float32 or not (data.flags.c_contiguous and data.flags.aligned):
            data = np.ascontiguousarray(data, dtype=np.float32)
            if not data.flags.aligned:
                data = data.copy()
        n = data.shape[0]
        out = ffi.new("int16_t[]", n)
        if lib.sc_pcm16_from_float(ffi.from_buffer("float[]", data), n, out) != lib.SC_OK:
            raise ValueError(f"float {what} must be finite: NaN or infinity among its "
                             f"{n} samples")
        return out, n
    return pcm_view(data, what)


def writable_view(out: Any, dtypes: tuple[type, ...], what: str = "out") -> tuple[Any, int]:
    """Return (uint8_t cdata, size in bytes) for a writable C-contiguous
    buffer; a numpy array must have one of ``dtypes``.  TypeError for objects
    that are not buffers or arrays of another dtype, ValueError for read-only
    or non-contiguous ones."""
    if isinstance(out, np.ndarray):
        if out.dtype not in dtypes:
            raise TypeError(f"{what} array must have dtype "
                            f"{' or '.join(np.dtype(d).name for d in dtypes)}, not {out.dtype}")
        if not out.flags.writeable:
            raise ValueError(f"{what} is read-only")
        if not out.flags.c_contiguous:
            raise ValueError(f"{what} array must be C-contiguous")
    try:
        view = memoryview(out)
    except TypeError:
        raise TypeError(f"{what} must be a writable buffer (bytearray, memoryview, numpy "
                        f"array), not {type(out).__name__}") from None
    with view:
        if view.readonly:
            raise ValueError(f"{what} is read-only ({type(out).__name__})")
        if not view.c_contiguous:
            raise ValueError(f"{what} must be a C-contiguous buffer")
        nbytes = view.nbytes
    return ffi.from_buffer("uint8_t[]", out, require_writable=True), nbytes


def overlaps(a: Any, a_bytes: int, b: Any, b_bytes: int) -> bool:
    """Whether two cdata buffers share memory (an output over its own input)."""
    x, y = address(a), address(b)
    return x < y + b_bytes and y < x + a_bytes


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
