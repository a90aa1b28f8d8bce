"""Drop-in for the standard library's ``audioop`` module.

``audioop`` left the standard library in Python 3.13.  Code that used it
changes one import::

    from streamcodec import audioop
    pcm = audioop.ulaw2lin(payload, 2)

The four G.711 functions (``ulaw2lin``, ``alaw2lin``, ``lin2ulaw``,
``lin2alaw``) are streamcodec's own, in C, one C-API call per fragment like
audioop's.  Results and errors are those of CPython's audioop for sample
widths 1, 2, 3 and 4, including audioop's rounding of negative samples in
``lin2ulaw`` (which differs from ITU-T G.191 on 508 of 65,536 inputs;
``streamcodec``'s own Encoder follows G.191).

Every other function of audioop (``add``, ``bias``, ``mul``, ``ratecv``,
``rms``, ``tomono``, ...) is audioop's own: the standard library's up to
Python 3.12, the ``audioop-lts`` package (a dependency of streamcodec there)
from 3.13.  It is imported on first use, without its DeprecationWarning, so
importing this module costs nothing.  ``error`` is audioop's ``error`` class
itself, so one ``except audioop.error`` catches both kinds; only where no
audioop can be imported at all is it a class of this module's own (and the
forwarded names then raise an AttributeError saying what to install).
"""

from __future__ import annotations

import importlib.util
import operator
import sys
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, Any

from . import _fast
from ._buffers import address, scratch
from ._core import ffi, lib

#: The functions that are audioop's own, forwarded on first use.
FORWARDED = ("add", "adpcm2lin", "avg", "avgpp", "bias", "byteswap", "cross", "findfactor",
             "findfit", "findmax", "getsample", "lin2adpcm", "lin2lin", "max", "maxpp",
             "minmax", "mul", "ratecv", "reverse", "rms", "tomono", "tostereo")
_OWN = ("lin2ulaw", "ulaw2lin", "lin2alaw", "alaw2lin")


def _peer_installed() -> bool:
    try:
        return importlib.util.find_spec("audioop") is not None
    except (ImportError, ValueError):
        return False


__all__ = ["error", *_OWN, *(FORWARDED if _peer_installed() else ())]

_peer_module: ModuleType | None = None
_peer_missing = False


def _peer() -> ModuleType | None:
    """The stdlib audioop or audioop-lts (both import as ``audioop``), or
    None when neither is installed."""
    global _peer_module, _peer_missing
    if _peer_module is None and not _peer_missing:
        # An application may have put this module in as "audioop" for a
        # library that imports audioop: look past it to the real one.
        shim = sys.modules.get("audioop")
        if shim is sys.modules[__name__]:
            del sys.modules["audioop"]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                import audioop as peer
        except ImportError:
            _peer_missing = True
        else:
            _peer_module = peer
        finally:
            if shim is sys.modules[__name__]:
                sys.modules["audioop"] = shim
    return _peer_module


class _OwnError(Exception):
    """audioop.error, where no audioop is installed to take it from: raised
    for a bad sample width or a fragment of partial samples."""


_OwnError.__name__ = _OwnError.__qualname__ = "error"
_OwnError.__module__ = __name__


def _error() -> type[Exception]:
    peer = _peer()
    return peer.error if peer is not None else _OwnError


def __getattr__(name: str) -> Any:
    """``error`` and the forwarded functions, looked up on first use (and
    then kept in this module's namespace)."""
    if name == "error":
        value = _error()
    elif name in FORWARDED:
        peer = _peer()
        if peer is None:
            raise AttributeError(
                f"streamcodec.audioop.{name} is audioop's own function, and no audioop is "
                f"installed: on Python 3.13 and later install audioop-lts "
                f"(pip install audioop-lts)")
        value = getattr(peer, name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# ---- the G.711 functions' Python implementation ----
# The C fast path (streamcodec/_fast.c) handles bytes and small bytearrays
# of a valid width; everything else lands here: other buffer types, errors.

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
        raise _error()("Size should be 1, 2, 3 or 4")
    return width


def _encode(law: int, fragment: Any, width: Any) -> bytes:
    data = _fragment(fragment)
    width = _check_width(width)
    size = len(data)
    if size % width:
        raise _error()("not a whole number of frames")
    n = size // width
    out = scratch(n)
    if width == 2:
        if address(data) & 1:  # int16 from an odd address: read an aligned copy
            data = ffi.from_buffer("uint8_t[]", ffi.buffer(data)[:])
        encode = lib.sc_ulaw_encode_audioop if law == _MULAW else lib.sc_alaw_encode
        encode(ffi.cast("const int16_t *", data), n, out)
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


def _lin2ulaw(fragment: Any, width: int) -> bytes:
    return _encode(_MULAW, fragment, width)


def _ulaw2lin(fragment: Any, width: int) -> bytes:
    return _decode(_MULAW, fragment, width)


def _lin2alaw(fragment: Any, width: int) -> bytes:
    return _encode(_ALAW, fragment, width)


def _alaw2lin(fragment: Any, width: int) -> bytes:
    return _decode(_ALAW, fragment, width)


for _name in _OWN:
    _fast.register(_name, globals()["_" + _name])

if TYPE_CHECKING:
    from typing import Union
    _Buffer = Union[bytes, bytearray, memoryview]

    def lin2ulaw(fragment: _Buffer, width: int, /) -> bytes: ...
    def ulaw2lin(fragment: _Buffer, width: int, /) -> bytes: ...
    def lin2alaw(fragment: _Buffer, width: int, /) -> bytes: ...
    def alaw2lin(fragment: _Buffer, width: int, /) -> bytes: ...
    error: type[Exception]
else:
    # C-API functions (documented in streamcodec/_fast.c), shown as ours
    lin2ulaw, ulaw2lin = _fast.lin2ulaw, _fast.ulaw2lin
    lin2alaw, alaw2lin = _fast.lin2alaw, _fast.alaw2lin
    for _function in (lin2ulaw, ulaw2lin, lin2alaw, alaw2lin):
        _function.__module__ = __name__
    del _function
del _name
