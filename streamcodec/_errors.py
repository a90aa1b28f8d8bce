"""Exceptions, and the one place C error codes become them."""

from __future__ import annotations

from ._core import ffi, lib


class StreamcodecError(Exception):
    """Base class of streamcodec's own errors."""


class CorruptPayloadError(StreamcodecError, ValueError):
    """A payload or packet could not be parsed or decoded."""


class CodecUnavailableError(StreamcodecError, RuntimeError):
    """The codec's library was not present when the package was built."""


def check(rc: int, context: str) -> int:
    """Return rc when it is a count; raise the matching exception otherwise."""
    if rc >= 0:
        return rc
    message = f"{context}: {ffi.string(lib.sc_strerror(rc)).decode()}"
    if rc == lib.SC_ECORRUPT:
        raise CorruptPayloadError(message)
    if rc == lib.SC_EUNAVAILABLE:
        raise CodecUnavailableError(message)
    if rc == lib.SC_ENOMEM:
        raise MemoryError(message)
    if rc in (lib.SC_EARG, lib.SC_EUNSUPPORTED, lib.SC_EBUFFER):
        raise ValueError(message)
    raise StreamcodecError(message)
