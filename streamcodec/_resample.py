"""Streaming sample-rate conversion: :class:`Resampler` and :func:`resample`.

A thin layer over csrc/resample.c: a polyphase Kaiser-windowed-sinc FIR
that emits every output sample its input determines (after ``k`` input
samples in total, exactly ``floor(k * out_rate / in_rate)`` have come out),
so a 20 ms chunk always gives 20 ms back and the filter's own ``delay`` is
the only latency.  Output is bit-identical however the input is chunked.

Presets (``quality=``), measured by tests/test_resample.py; the lower
Nyquist frequency is ``min(in_rate, out_rate) / 2``, and delays are for
8 kHz on the lower side (they halve at 16 kHz, and so on):

==================  ==============  ==============  =============  =========
preset              passband to     stopband from   rejection      delay
==================  ==============  ==============  =============  =========
``"low-latency"``   0.75 x Nyquist  1.25 x Nyquist  >= 63.5 dB     1.0 ms
``"default"``       0.85 x Nyquist  1.15 x Nyquist  >= 94.7 dB     2.5 ms
``"high-quality"``  0.90 x Nyquist  1.10 x Nyquist  >= 125.9 dB    5.125 ms
==================  ==============  ==============  =============  =========

Passband deviation is at most 0.005 dB (low-latency), 0.0002 dB (default)
and below 0.00001 dB (high-quality).
"""

from __future__ import annotations

from math import gcd
from typing import TYPE_CHECKING, Any, Union, overload

import numpy as np

from . import _fast
from ._buffers import pcm_view, scratch
from ._core import ffi, lib
from ._errors import check

#: Preset names accepted by ``quality=`` and the C core's numbers for them.
QUALITIES = {"low-latency": 0, "default": 1, "high-quality": 2}


def _supported_rates() -> tuple[int, ...]:
    count = lib.sc_resampler_rates(ffi.NULL, 0)
    rates = ffi.new("int32_t[]", count)
    lib.sc_resampler_rates(rates, count)
    return tuple(rates)


#: Sample rates (Hz) the resampler converts between, in either direction.
SUPPORTED_RATES: tuple[int, ...] = _supported_rates()

_alloc = ffi.new_allocator(should_clear_after_alloc=False)
#: numpy int16, compared by identity on the per-chunk path (== is slow)
_INT16 = np.dtype(np.int16)

PCMInput = Union[bytes, bytearray, memoryview, np.ndarray]


def check_rate(value: Any, what: str) -> int:
    """Return ``value`` when it is a supported rate; raise TypeError or
    ValueError naming the supported rates otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an int in Hz, not {type(value).__name__}")
    value = int(value)
    if value not in SUPPORTED_RATES:
        raise ValueError(
            f"{what}={value} Hz is not supported for resampling; supported rates: "
            f"{', '.join(map(str, SUPPORTED_RATES))}")
    return value


def _check_float(rc: int, n: int) -> int:
    """check() for the float32 entry points, whose SC_EARG means a sample
    was infinite or NaN."""
    if rc == lib.SC_EARG:
        raise ValueError(f"float32 pcm must be finite: NaN or infinity among its {n} samples")
    return check(rc, f"resampler, {n} samples")


def _float_input(x: np.ndarray) -> np.ndarray:
    """A float32 array C can read as ``float *``: contiguous and aligned."""
    x = np.ascontiguousarray(x)
    return x if x.flags.aligned else x.copy()


def check_quality(value: Any) -> int:
    """Return the C preset number for a ``quality=`` name."""
    if not isinstance(value, str) or value not in QUALITIES:
        raise ValueError(
            f"quality must be one of {', '.join(map(repr, QUALITIES))}, got {value!r}")
    return QUALITIES[value]


class Resampler(_fast.ResamplerBase):
    """Streaming resampler with exact output lengths and no withholding.

    Parameters
    ----------
    in_rate, out_rate : int
        Rates in Hz, each one of :data:`SUPPORTED_RATES` (8000, 11025,
        12000, 16000, 22050, 24000, 32000, 44100, 48000).
    quality : {"default", "low-latency", "high-quality"}
        Filter preset; see the module documentation for measured figures.

    Notes
    -----
    :meth:`process` takes 16-bit PCM (bytes, bytearray, memoryview or a
    1-D numpy int16 array) and returns bytes, or a numpy float32 array and
    returns a float32 array (any scale, finite; no clipping).  State is
    kept between calls; nothing is ever dropped or cleared behind your back.
    bytes chunks take the fastest path, a C-API call (streamcodec/_fast.c)
    with no Python in between.
    """

    if TYPE_CHECKING:  # defined in C (streamcodec/_fast.c), documented there
        # a byte buffer gives bytes; an array, bytes (int16) or float32
        @overload
        def process(self, pcm: Union[bytes, bytearray, memoryview], /) -> bytes: ...
        @overload
        def process(self, pcm: np.ndarray, /) -> bytes | np.ndarray: ...
        def process(self, pcm: PCMInput, /) -> bytes | np.ndarray: ...

    def __init__(self, in_rate: int, out_rate: int, quality: str = "default"):
        self.in_rate = check_rate(in_rate, "in_rate")
        self.out_rate = check_rate(out_rate, "out_rate")
        self.quality = quality
        preset = check_quality(quality)
        size = check(lib.sc_resampler_get_size(self.in_rate, self.out_rate, preset),
                     "resampler")
        # The state block belongs to the C base class, which frees it.
        self._st = ffi.cast("sc_resampler *", self._alloc(size))
        check(lib.sc_resampler_init(self._st, size, self.in_rate, self.out_rate, preset),
              f"resampler {self.in_rate} -> {self.out_rate} Hz")
        self._grow(256)   # the general path's output buffer; grows on demand

    def _grow(self, samples: int) -> None:
        self._cap = samples
        self._out = _alloc("int16_t[]", samples)
        self._out_bytes = ffi.buffer(self._out)

    @property
    def delay(self) -> int:
        """The filter's group delay, in output samples: output sample ``j``
        corresponds to input time ``(j - delay) / out_rate`` seconds."""
        return int(lib.sc_resampler_delay(self._st))

    def out_count(self, n: int) -> int:
        """Exact number of samples the next :meth:`process` call with ``n``
        input samples returns."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a non-negative int, got {n!r}")
        return check(lib.sc_resampler_out_count(self._st, int(n)), "resampler")

    def _process_other(self, pcm: Any) -> bytes | np.ndarray:
        """process() for everything but bytes: numpy arrays, other buffer
        types, and the clear errors for bad input."""
        if type(pcm) is np.ndarray and pcm.dtype is _INT16 and pcm.ndim == 1:
            # a copy to bytes (contiguous, aligned) costs less than wrapping
            # the array for cffi, and takes the C path
            return self.process(pcm.tobytes())
        if isinstance(pcm, np.ndarray):
            if pcm.dtype == np.float32:
                return self._process_float(pcm)
            if pcm.dtype != np.int16:
                raise TypeError(
                    f"pcm array must have dtype int16 (returns bytes) or float32 (returns "
                    f"float32), not {pcm.dtype}")
        data, n = pcm_view(pcm)
        count = check(lib.sc_resampler_out_count(self._st, n), "resampler")
        if count > self._cap:
            self._grow(count)
        out = check(lib.sc_resampler_process(self._st, data, n, self._out, self._cap),
                    f"resampler, {n} samples")
        self._float = False
        return self._out_bytes[0:2 * out]

    def _process_float(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 1:
            raise ValueError(f"pcm array must be one-dimensional (mono), not {x.ndim}-D")
        x = _float_input(x)
        n = x.shape[0]
        count = check(lib.sc_resampler_out_count(self._st, n), "resampler")
        y = np.empty(count, dtype=np.float32)
        got = lib.sc_resampler_process_float(
            self._st, ffi.from_buffer("float[]", x), n, ffi.from_buffer("float[]", y), count)
        _check_float(got, n)
        self._float = True
        return y

    def flush(self) -> bytes | np.ndarray:
        """Emit the tail: the last ``delay`` samples (plus the final partial
        one), as if silence followed, then start over as :meth:`reset` does.

        Returns a float32 array when the last :meth:`process` call took
        float32, else bytes.
        """
        count = check(lib.sc_resampler_flush_count(self._st), "resampler")
        if self._float:
            y = np.empty(count, dtype=np.float32)
            check(lib.sc_resampler_flush_float(self._st, ffi.from_buffer("float[]", y), count),
                  "resampler flush")
            self._float = False
            return y
        if count > self._cap:
            self._grow(count)
        got = check(lib.sc_resampler_flush(self._st, self._out, self._cap), "resampler flush")
        return self._out_bytes[0:2 * got]

    def reset(self) -> None:
        """Forget all input and start a new stream (no output)."""
        lib.sc_resampler_reset(self._st)
        self._float = False

    def __repr__(self) -> str:
        return (f"Resampler({self.in_rate}, {self.out_rate}, quality={self.quality!r}, "
                f"delay={self.delay})")


def resample(pcm: PCMInput, in_rate: int, out_rate: int,
             quality: str = "default") -> bytes | np.ndarray:
    """Resample a whole signal at once, delay compensated.

    Parameters
    ----------
    pcm : bytes, bytearray, memoryview or numpy.ndarray
        16-bit native-endian samples, or a 1-D numpy float32 array.
    in_rate, out_rate : int
        Rates in Hz, each one of :data:`SUPPORTED_RATES`.
    quality : {"default", "low-latency", "high-quality"}
        Filter preset.

    Returns
    -------
    bytes or numpy.ndarray
        ``ceil(n * out_rate / in_rate)`` samples aligned with the input (the
        filter delay removed): bytes for int16 input, float32 for float32.
    """
    r = Resampler(in_rate, out_rate, quality)
    lib.sc_resampler_skip(r._st, r.delay)
    is_float = isinstance(pcm, np.ndarray) and pcm.dtype == np.float32
    if is_float and isinstance(pcm, np.ndarray):   # (the isinstance for mypy)
        if pcm.ndim != 1:
            raise ValueError(f"pcm array must be one-dimensional (mono), not {pcm.ndim}-D")
        x = _float_input(pcm)
        data, n = ffi.from_buffer("float[]", x), x.shape[0]
    else:
        if isinstance(pcm, np.ndarray) and pcm.dtype != np.int16:
            raise TypeError(
                f"pcm array must have dtype int16 (returns bytes) or float32 (returns "
                f"float32), not {pcm.dtype}")
        data, n = pcm_view(pcm)
    g = gcd(r.in_rate, r.out_rate)
    up, down = r.out_rate // g, r.in_rate // g
    total = -(-n * up // down)
    first = check(lib.sc_resampler_out_count(r._st, n), "resampler")
    if is_float:
        y = np.empty(total, dtype=np.float32)
        out = ffi.from_buffer("float[]", y)
        _check_float(lib.sc_resampler_process_float(r._st, data, n, out, total), n)
        check(lib.sc_resampler_flush_float(r._st, out + first, total - first), "resample")
        return y
    if total == 0:
        return b""
    # bytes are immutable: the C core fills this thread's reusable scratch
    # and the result is copied out of it once.
    out = ffi.cast("int16_t *", scratch(2 * total))
    check(lib.sc_resampler_process(r._st, data, n, out, total), "resample")
    check(lib.sc_resampler_flush(r._st, out + first, total - first), "resample")
    return ffi.buffer(out, 2 * total)[:]
