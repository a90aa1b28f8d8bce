"""Decoder and Encoder: one object per direction of a stream, for every codec.

The codec list, native rates and RTP clocks come from the C core
(csrc/codec.c); this module only names them, checks arguments and owns the
buffers, so a decode or encode of one RTP payload is one C call.

The per-payload methods themselves (decode, decode_into, encode,
encode_into) and transcode are C-API functions of streamcodec._fast, the
C base classes here: they take the common case (bytes in, a result that
fits) and call back into the ``_*_other`` / ``_*_failed`` methods below for
every other input type and for every error, so the checks and messages
live here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from . import _fast
from ._buffers import (BytesLike, PCMLike, address, byte_view, encoder_pcm_view, overlaps,
                       writable_view)
from ._core import ffi, lib
from ._errors import CodecUnavailableError, check
from ._resample import QUALITIES, SUPPORTED_RATES

#: Codec names as Telnyx spells them, mapped to the C core's ids.
CODEC_IDS = {
    "PCMU": lib.SC_CODEC_PCMU,
    "PCMA": lib.SC_CODEC_PCMA,
    "G722": lib.SC_CODEC_G722,
    "OPUS": lib.SC_CODEC_OPUS,
    "AMR-WB": lib.SC_CODEC_AMRWB,
    "L16": lib.SC_CODEC_L16,
}

#: What to install when a codec's library was missing at build time.
_PACKAGE_HINT = {
    "OPUS": "libopus-dev",
    "AMR-WB": "libopencore-amrwb-dev and libvo-amrwbenc-dev",
}

_RESAMPLER_PRESETS = QUALITIES

#: numpy int16, compared by identity on the per-frame path (== is slow)
_INT16 = np.dtype(np.int16)

#: PCM rate used when ``rate`` is not given and the codec has no fixed one.
_DEFAULT_RATE = {"OPUS": 48000}

#: Opus frame durations an encoder can be set to, ms.
OPUS_FRAME_MS = (2.5, 5, 10, 20, 40, 60)
#: Opus packet durations one payload may span, ms (RFC 6716: up to 120 ms).
_OPUS_PACKET_MS = (2.5, 5, 10, 20, 40, 60, 80, 100, 120)
#: AMR-WB modes 0..8 by bit rate, kbit/s.
AMRWB_MODE_KBPS = (6.60, 8.85, 12.65, 14.25, 15.85, 18.25, 19.85, 23.05, 23.85)


@dataclass(frozen=True)
class CodecInfo:
    """What one codec is: its PCM rate, RTP clock and frame, and whether this
    build has it.  ``native_rate``/``rtp_clock`` are None for L16, whose rate
    is the stream's own; OPUS's ``native_rate`` is None because it runs at
    the stream's rate (8, 12, 16, 24 or 48 kHz) directly."""

    name: str
    native_rate: int | None
    rtp_clock: int | None
    frame_ms: float
    available: bool


def normalize_codec(codec: str) -> str:
    """Return the canonical spelling of a codec name (any case accepted)."""
    if not isinstance(codec, str):
        raise TypeError(f"codec must be a str, not {type(codec).__name__}")
    name = codec.strip().upper().replace("_", "-")
    if name == "AMRWB":
        name = "AMR-WB"
    if name not in CODEC_IDS:
        raise ValueError(f"unknown codec {codec!r}; expected one of {', '.join(CODEC_IDS)}")
    return name


def codec_info(codec: str) -> CodecInfo:
    """Describe one codec (see :func:`codecs`)."""
    name = normalize_codec(codec)
    info = ffi.new("sc_codec_info *")
    check(lib.sc_codec_info_get(CODEC_IDS[name], info), f"codec {name}")
    return CodecInfo(
        name=name,
        native_rate=info.native_rate or None,
        rtp_clock=info.rtp_clock or None,
        frame_ms=info.frame_ms10 / 10 if info.frame_ms10 else 20.0,
        available=bool(info.available),
    )


def codecs() -> dict[str, CodecInfo]:
    """All codecs Telnyx streams, by name, with rates, RTP clock, frame and
    availability in this build."""
    return {name: codec_info(name) for name in CODEC_IDS}


#: Largest rate in Hz any codec parameter takes (a C int32).
_MAX_RATE = 2**31 - 1


def _require_rate(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int in Hz, not {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{what} must be a positive number of Hz, got {value}")
    if value > _MAX_RATE:
        # The C core keeps rates in 32-bit ints: refuse, rather than let cffi
        # raise OverflowError (a start frame can carry any number).
        raise ValueError(f"{what}={value} Hz is above the largest rate streamcodec takes "
                         f"({_MAX_RATE})")
    return value


def _int_option(name: str, value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if not isinstance(value, int):
        raise TypeError(f"option {name} must be an int, not {type(value).__name__}")
    return value


def _set_frame_ms(params: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"frame_ms must be a positive number of milliseconds, got {value!r}")
    tenths = round(value * 10)
    if abs(tenths - value * 10) > 1e-9:
        raise ValueError(f"frame_ms must be a multiple of 0.1 ms, got {value!r}")
    params.frame_ms10 = tenths


def _set_quality(params: Any, value: Any) -> None:
    if value not in _RESAMPLER_PRESETS:
        raise ValueError(
            f"quality must be one of {', '.join(map(repr, _RESAMPLER_PRESETS))}, got {value!r}")
    params.quality = _RESAMPLER_PRESETS[value]


def _set_octet_align(params: Any, value: Any) -> None:
    params.octet_align = -1 if value is None else int(bool(value))


def _set_byteorder(params: Any, value: Any) -> None:
    if value not in ("big", "little"):
        raise ValueError(f"byteorder must be 'big' (network order, RFC 3551) or 'little', "
                         f"got {value!r}")
    params.little_endian = int(value == "little")


#: Decoder(concealment=...) values and the C core's constants for them.
CONCEALMENTS = {
    "auto": lib.SC_CONCEAL_AUTO,
    "silence": lib.SC_CONCEAL_SILENCE,
    "appendix-i": lib.SC_CONCEAL_APPENDIX_I,
}


def _set_concealment(params: Any, value: Any) -> None:
    if not isinstance(value, str) or value.lower() not in CONCEALMENTS:
        raise ValueError(f"concealment must be one of {', '.join(map(repr, CONCEALMENTS))}, "
                         f"got {value!r}")
    params.concealment = CONCEALMENTS[value.lower()]


#: Keyword options of Decoder/Encoder and how each lands in sc_params.  The
#: C core range-checks them for the codec at hand (SC_EARG -> ValueError).
_OPTION_SETTERS = {
    "codec_rate": lambda p, v: setattr(p, "codec_rate", _require_rate(v, "codec_rate")),
    "frame_ms": _set_frame_ms,
    "bitrate": lambda p, v: setattr(p, "bitrate", _int_option("bitrate", v)),
    "complexity": lambda p, v: setattr(p, "complexity", _int_option("complexity", v)),
    "fec": lambda p, v: setattr(p, "fec", int(bool(v))),
    "dtx": lambda p, v: setattr(p, "dtx", int(bool(v))),
    "mode": lambda p, v: setattr(p, "mode", _int_option("mode", v)),
    "octet_align": _set_octet_align,
    "quality": _set_quality,
    "byteorder": _set_byteorder,
    "concealment": _set_concealment,
}


#: Rates, Hz, at which G.711 Appendix I conceals (multiples of 8 kHz).
APPENDIX_I_RATES = (8000, 16000, 24000, 32000, 40000, 48000)


def _check_codec_options(name: str, params: Any) -> None:
    """Range checks with messages that say what is accepted (the C core
    checks the same ranges, with less to say)."""
    if params.concealment == lib.SC_CONCEAL_APPENDIX_I:
        if name not in ("PCMU", "PCMA", "L16"):
            raise ValueError(
                f"concealment='appendix-i' is G.711's and applies to PCMU, PCMA and L16; "
                f"{name} conceals with its own ('auto') or with 'silence'")
        if name == "L16" and params.codec_rate and params.codec_rate not in APPENDIX_I_RATES:
            raise ValueError(
                f"concealment='appendix-i' runs at {', '.join(map(str, APPENDIX_I_RATES))} Hz; "
                f"this L16 stream is at {params.codec_rate} Hz (use 'silence')")
    if name == "OPUS":
        if params.frame_ms10 not in [round(ms * 10) for ms in OPUS_FRAME_MS]:
            raise ValueError(
                f"OPUS frame_ms must be one of {', '.join(f'{ms:g}' for ms in OPUS_FRAME_MS)}; "
                f"got {params.frame_ms10 / 10:g}")
        if params.bitrate != 0 and not 500 <= params.bitrate <= 512000:
            raise ValueError(
                f"OPUS bitrate must be 500..512000 bit/s, or 0 for the default (32 kbit/s, "
                f"libopus's automatic rate at 48 kHz); got {params.bitrate}")
        if not -1 <= params.complexity <= 10:
            raise ValueError(
                f"OPUS complexity must be 0..10, or -1 for the default (encoder 6, decoder 5); "
                f"got {params.complexity}")
    elif name == "AMR-WB":
        if not 0 <= params.mode <= 8:
            raise ValueError(
                f"AMR-WB mode must be 0..8 ({AMRWB_MODE_KBPS[0]:.2f} .. "
                f"{AMRWB_MODE_KBPS[8]:.2f} kbit/s); got {params.mode}")
        if params.frame_ms10 != 200:
            raise ValueError(
                f"AMR-WB frames are always 20 ms (got frame_ms={params.frame_ms10 / 10:g}); "
                f"use ptime to put several frames in one payload")


def _make_params(name: str, rate: int | None, options: dict[str, Any]) -> Any:
    info = codec_info(name)
    if not info.available:
        hint = _PACKAGE_HINT.get(name, "a newer streamcodec")
        raise CodecUnavailableError(
            f"{name} is not available in this build of streamcodec; "
            f"install {hint} and reinstall streamcodec")
    params = ffi.new("sc_params *")
    lib.sc_params_default(params)
    for key, value in options.items():
        setter = _OPTION_SETTERS.get(key)
        if setter is None:
            raise TypeError(
                f"unknown option {key!r}; accepted: {', '.join(sorted(_OPTION_SETTERS))}")
        setter(params, value)
    _check_codec_options(name, params)
    native = info.native_rate or params.codec_rate or None
    if rate is None:
        rate = native or _DEFAULT_RATE.get(name, 8000)
    params.rate = _require_rate(rate, "rate")
    if (name == "L16" and not params.codec_rate and params.rate not in APPENDIX_I_RATES
            and params.concealment == lib.SC_CONCEAL_APPENDIX_I):
        raise ValueError(
            f"concealment='appendix-i' runs at {', '.join(map(str, APPENDIX_I_RATES))} Hz; "
            f"this L16 stream is at {params.rate} Hz (use 'silence')")
    rates = ", ".join(map(str, SUPPORTED_RATES))
    if native is not None and params.rate != native:
        # converted inside the C call: both rates must be resampler rates
        if params.rate not in SUPPORTED_RATES or native not in SUPPORTED_RATES:
            raise ValueError(
                f"{name} runs at {native} Hz and rate={params.rate} Hz needs resampling, "
                f"which takes rates {rates}")
    elif params.rate not in SUPPORTED_RATES and name != "L16":
        # OPUS picks its own rate from this one (and resamples from 48 kHz
        # when libopus cannot run at it); L16 runs at any rate of its own.
        raise ValueError(f"{name} rate={params.rate} Hz is not supported; rates: {rates}")
    return params


def _new(kind: str, codec_id: int, params: Any, name: str, owner: Any) -> Any:
    """Create the C state and hand it to ``owner`` (the C base class frees
    it with the object); returns a plain pointer for the cffi calls."""
    out = ffi.new(f"sc_{kind} **")
    check(getattr(lib, f"sc_{kind}_new")(codec_id, params, out),
          f"cannot create {name} {kind} at {params.rate} Hz")
    try:
        owner._attach(address(out[0]))
    except BaseException:
        getattr(lib, f"sc_{kind}_free")(out[0])
        raise
    return out[0]


class Decoder(_fast.DecoderBase):
    """RTP payloads of one stream in, 16-bit PCM at ``rate`` out.

    Parameters
    ----------
    codec : str
        ``"PCMU" "PCMA" "G722" "OPUS" "AMR-WB" "L16"``, any case.
    rate : int, optional
        PCM rate wanted, Hz; defaults to the codec's own (OPUS: 48000).  Any other rate in
        :data:`streamcodec.SUPPORTED_RATES` is converted inside the same C
        call (streaming resampler, state kept per stream, ``quality=``
        preset; it adds its filter delay, 2.5 ms by default at 8 kHz).
    **options
        Codec options: ``codec_rate`` (L16: the rate on the wire, default
        ``rate``; OPUS: the rate libopus decodes at, default ``rate`` when
        it is 8/12/16/24/48 kHz), ``octet_align`` (AMR-WB: True for the
        octet-aligned RFC 4867 layout, False for bandwidth-efficient, None
        (default) to infer it from each payload's length), ``quality``
        (resampler preset), ``bitrate`` (G722: 64000 default, or
        56000/48000 to decode the lower-rate modes, whose last one or two
        code bits carry data), ``byteorder`` (L16: ``"big"``, the default,
        network order as RFC 3551 has it, or ``"little"`` for peers that
        send little-endian), ``concealment`` (what stands in for lost
        audio in :meth:`conceal`; see below).

    Notes
    -----
    Loss concealment (``concealment=``):

    ``"auto"`` (default)
        PCMU, PCMA and L16 conceal by ITU-T G.711 Appendix I when their
        codec rate is a multiple of 8 kHz up to 48 kHz (else with silence),
        with no delay until the first loss: until then the output is
        exactly the codec's.  At the first loss the output starts to lag by
        3.75 ms, the look-back Appendix I needs (the first 3.75 ms of that
        concealment crossfade from the last pitch period into the delayed
        signal); from 3.75 ms into the loss on it is ``"appendix-i"``'s,
        sample for sample.  G722, OPUS and AMR-WB conceal with their own
        (below).
    ``"appendix-i"``
        ITU-T G.711 Appendix I as the Recommendation has it, PCMU, PCMA and
        L16 only: the last pitch period repeated with overlap-add, at full
        level for 10 ms, then 20 % lower per 10 ms, silent after 60 ms,
        blended into the next payload.  The output lags the payloads by
        3.75 ms from the start: each payload still gives as many samples as
        it holds, the first 3.75 ms of a stream are silence and the last
        3.75 ms fed come out with the next call.  Without loss the samples
        are exactly the codec's, shifted by :attr:`delay`.
    ``"silence"``
        Zeros, for any codec, leaving the codec state as it was; no delay.

    One Decoder per stream and track: codecs such as G722 keep state
    between payloads.

    OPUS payloads are single Opus packets of 2.5 to 120 ms (RFC 7587);
    :meth:`conceal` runs libopus's loss concealment (in 2.5 ms steps; a
    partial last step is cut to length) and :meth:`recover` its in-band
    FEC.  Option ``complexity`` (0..10, default 5) is the decoder's: at 5
    or more, libopus 1.5 built with deep PLC (the distributable wheel)
    conceals wideband speech with its neural PLC; libopus 1.3 has no
    decoder complexity and conceals the classic way.  AMR-WB payloads
    follow RFC 4867 (one or several 20 ms frames); frames marked damaged (Q=0), SPEECH_LOST or NO_DATA
    come out as the library's concealment or comfort noise, 320 samples
    each, and :attr:`last_cmr` reports the mode the far end requests.
    For G722, :meth:`conceal` repeats the last pitch period at full level
    for 10 ms, fades it to silence by 60 ms and codes it through the
    decoder's own state, so the next payload joins without a burst; it
    takes whole 16 kHz sample pairs (an even count).
    """

    if TYPE_CHECKING:  # defined in C (streamcodec/_fast.c), documented there
        def decode(self, payload: BytesLike, /) -> bytes: ...
        def decode_into(self, payload: BytesLike, out: Any, /) -> int: ...

    def __init__(self, codec: str, rate: int | None = None, **options: Any):
        self.codec = normalize_codec(codec)
        params = _make_params(self.codec, rate, options)
        self.rate: int = params.rate
        #: The concealment asked for: "auto", "silence" or "appendix-i".
        self.concealment: str = next(k for k, v in CONCEALMENTS.items()
                                     if v == params.concealment)
        self._state = _new("decoder", CODEC_IDS[self.codec], params, self.codec, self)
        self._grow(960)

    def _grow(self, samples: int) -> None:
        self._cap = samples
        self._out = ffi.new("int16_t[]", samples)
        self._out_bytes = ffi.buffer(self._out)

    def _decode_other(self, payload: Any) -> bytes:
        """decode() for what the C path does not take: other buffer types,
        payloads it found corrupt (to raise the error)."""
        data, size = byte_view(payload)
        n = lib.sc_decoder_decode(self._state, data, size, self._out, self._cap)
        if n == lib.SC_EBUFFER:
            bound = check(lib.sc_decoder_bound(self._state, data, size), f"{self.codec} payload")
            self._grow(bound)
            n = lib.sc_decoder_decode(self._state, data, size, self._out, self._cap)
        check(n, f"{self.codec} payload of {size} bytes")
        return self._out_bytes[0:2 * n]

    def _decode_failed(self, code: int, size: int) -> NoReturn:
        check(code, f"{self.codec} payload of {size} bytes")
        raise AssertionError(f"decode failed with code {code}")  # check() raised already

    def _decode_into_other(self, payload: Any, out: Any) -> int:
        """decode_into() for what the C path does not take: numpy and
        memoryview outputs, odd addresses, overlaps, errors."""
        data, size = byte_view(payload)
        dest, nbytes = writable_view(out, (np.int16,))
        cap = nbytes // 2
        bound = check(lib.sc_decoder_bound(self._state, data, size),
                      f"{self.codec} payload of {size} bytes")
        if bound > cap:
            raise ValueError(f"out has room for {cap} samples; this {size}-byte {self.codec} "
                             f"payload decodes to {bound} at {self.rate} Hz")
        shared = not isinstance(data, bytes) and overlaps(dest, nbytes, data, size)
        if address(dest) & 1 or shared:
            # int16 goes to even addresses only, and never over its own input
            if bound > self._cap:
                self._grow(bound)
            n = check(lib.sc_decoder_decode(self._state, data, size, self._out, self._cap),
                      f"{self.codec} payload of {size} bytes")
            ffi.memmove(dest, self._out, 2 * n)
            return n
        return check(lib.sc_decoder_decode(self._state, data, size, ffi.cast("int16_t *", dest),
                                           cap),
                     f"{self.codec} payload of {size} bytes")

    def reset(self) -> None:
        """Start a new stream with the same settings, without reallocating:
        the codec state as freshly created and the resampler's history
        cleared, so the next payload decodes as the first of a stream."""
        check(lib.sc_decoder_reset(self._state), f"{self.codec} decoder reset")

    def conceal(self, n_samples: int) -> bytes:
        """PCM standing in for ``n_samples`` of lost audio, keeping the decoder
        state consistent so the next payload decodes smoothly."""
        if isinstance(n_samples, bool) or not isinstance(n_samples, int):
            raise TypeError(f"n_samples must be an int, not {type(n_samples).__name__}")
        if n_samples < 0:
            raise ValueError(f"n_samples must be >= 0, got {n_samples}")
        # Room for the one or two samples past n that a resampled codec unit
        # may give (the C side drops them).
        if n_samples + 8 > self._cap:
            self._grow(n_samples + 8)
        n = lib.sc_decoder_conceal(self._state, n_samples, self._out, self._cap)
        if n == lib.SC_EARG:
            raise ValueError(f"n_samples={n_samples} is too large to conceal in one call")
        check(n, f"{self.codec} concealment")
        return self._out_bytes[0:2 * n]

    def recover(self, next_payload: bytes | bytearray | memoryview) -> bytes:
        """PCM for the payload lost just before ``next_payload``, rebuilt
        from the in-band FEC that ``next_payload`` carries.

        OPUS only: returns one frame of ``next_payload``'s frame duration
        (libopus's loss concealment when the packet carries no FEC, e.g. a
        CELT-only packet or an encoder without ``fec=True``).  Call it when
        a gap is noticed and the next payload has arrived, then
        :meth:`decode` that payload as usual.  Raises ValueError for
        codecs without in-band FEC and CorruptPayloadError for a malformed
        packet (the decoder state is then unchanged).
        """
        data, size = byte_view(next_payload)
        n = lib.sc_decoder_recover(self._state, data, size, self._out, self._cap)
        if n == lib.SC_EBUFFER:
            self._grow(check(lib.sc_decoder_bound(self._state, data, size),
                             f"{self.codec} payload"))
            n = lib.sc_decoder_recover(self._state, data, size, self._out, self._cap)
        if n == lib.SC_EUNSUPPORTED:
            raise ValueError(f"{self.codec} payloads carry no in-band FEC to recover from; "
                             f"use conceal(n_samples) for lost audio")
        check(n, f"{self.codec} recovery from a payload of {size} bytes")
        return self._out_bytes[0:2 * n]

    @property
    def delay(self) -> int:
        """Samples (at :attr:`rate`) by which the decoded audio lags the
        payloads now: G.711 Appendix I's 3.75 ms (30 samples at 8 kHz) with
        ``concealment="appendix-i"``, and with ``"auto"`` once a loss has
        been concealed, plus the filter delay of the resampler inside when
        ``rate`` differs from the codec's, rounded to a whole sample.  0 for
        a PCMU, PCMA or L16 decoder at its own rate that has not delayed."""
        return int(lib.sc_decoder_delay(self._state))

    @property
    def last_cmr(self) -> int | None:
        """AMR-WB: the CMR field of the last payload decoded: 0..8 asks this
        side's encoder for that mode, 15 asks for nothing (9..14 are
        reserved and mean nothing).  None before the first payload and for
        other codecs."""
        if self.codec != "AMR-WB":
            return None
        cmr = lib.sc_amrwb_decoder_last_cmr(self._state)
        return None if cmr < 0 else cmr

    def __repr__(self) -> str:
        return f"Decoder({self.codec!r}, rate={self.rate}, concealment={self.concealment!r})"


class Encoder(_fast.EncoderBase):
    """16-bit PCM at ``rate`` in, RTP payloads out.

    Parameters
    ----------
    codec : str
        ``"PCMU" "PCMA" "G722" "OPUS" "AMR-WB" "L16"``, any case.
    rate : int, optional
        Rate of the PCM given, Hz; defaults to the codec's own (OPUS: 48000).  Any other
        rate in :data:`streamcodec.SUPPORTED_RATES` is resampled to the
        codec's inside the encode call; :attr:`quantum` is then the number
        of input samples that make whole codec frames (PCMU at 24000 Hz: 3).
    ptime : int
        Milliseconds of audio per payload from :meth:`packetize` (default 20).
    **options
        Codec options: ``codec_rate`` (L16: the rate on the wire; OPUS: the
        rate libopus runs at).

        OPUS: ``frame_ms`` (2.5, 5, 10, 20 (default), 40 or 60),
        ``bitrate`` (bit/s, 500..512000; 0, the default, means 32 kbit/s
        below 48 kHz and libopus's automatic rate at 48 kHz),
        ``complexity`` (0..10, default 6: about 75 % of the CPU time of
        libopus's own default 9; with 32 kbit/s, espeak-ng speech at 16 kHz
        scores PESQ-WB 4.32 against 4.17 for opuslib at 24 kbit/s), ``fec`` (in-band FEC, tuned for 10 %
        expected loss; default off), ``dtx`` (1-byte packets during
        silence; default off).  The application is VoIP.  A payload is one
        Opus packet; ``ptime`` may span several frames when the total is an
        Opus packet duration (up to 120 ms).

        AMR-WB: ``mode`` (0..8, 6.60 .. 23.85 kbit/s, default 8), ``dtx``
        (SID and NO_DATA frames during silence; default off),
        ``octet_align`` (True: RFC 4867 octet-aligned; False or None, the
        default: bandwidth-efficient), ``cmr`` (the mode request written
        into every payload: 0..8, or 15 (default) for none; see
        :attr:`cmr`).  Frames are 20 ms; ``ptime`` 40 puts two in a payload.

        ``quality``: resampler preset.  ``byteorder`` (L16): ``"big"``
        (default, network order) or ``"little"``.

    PCM may also be a numpy float32 array at full scale +-1.0, as soundfile
    gives it: ``x * 32768`` rounded to nearest and saturated, so 1.0 gives
    32767 and int16 samples divided by 32768 come back exactly (float64
    arrays are taken as float32 first; NaN or infinity: ValueError).
    """

    if TYPE_CHECKING:  # defined in C (streamcodec/_fast.c), documented there
        quantum: int
        def encode(self, pcm: PCMLike, /) -> bytes: ...
        def encode_into(self, pcm: PCMLike, out: Any, /) -> int: ...

    def __init__(self, codec: str, rate: int | None = None, *, ptime: float | None = None,
                 **options: Any):
        self.codec = normalize_codec(codec)
        cmr = options.pop("cmr", None)
        if "concealment" in options:
            raise TypeError("option 'concealment' is a Decoder's; an Encoder has nothing to conceal")
        if cmr is not None and self.codec != "AMR-WB":
            raise TypeError(f"option 'cmr' applies to AMR-WB only, not {self.codec}")
        params = _make_params(self.codec, rate, options)
        self.rate: int = params.rate
        if ptime is None:
            ptime = params.frame_ms10 / 10 if self.codec == "OPUS" else 20
            ptime = int(ptime) if ptime == int(ptime) else ptime
        if isinstance(ptime, bool) or not isinstance(ptime, (int, float)) or not ptime > 0:
            raise ValueError(f"ptime must be a positive number of milliseconds, got {ptime!r}")
        if self.codec == "OPUS" and ptime not in _OPUS_PACKET_MS:
            raise ValueError(
                f"an OPUS payload is one Opus packet of "
                f"{', '.join(f'{ms:g}' for ms in _OPUS_PACKET_MS)} ms; got ptime={ptime!r}")
        # _attach sets quantum: input samples in one whole codec frame
        self._state = _new("encoder", CODEC_IDS[self.codec], params, self.codec, self)
        packet = self.rate * ptime / 1000
        if packet != int(packet) or int(packet) % self.quantum:
            raise ValueError(
                f"ptime={ptime} ms is not a whole number of {self.codec} frames "
                f"({self.quantum} samples) at {self.rate} Hz")
        packet = int(packet)
        self.ptime = ptime
        self._packet_bytes = 2 * packet
        self._pending = bytearray()
        self._cap = 0
        self._grow(check(lib.sc_encoder_bound(self._state, packet), self.codec))
        if cmr is not None:
            self.cmr = cmr

    def _grow(self, nbytes: int) -> None:
        self._cap = nbytes
        self._out = ffi.new("uint8_t[]", nbytes)
        self._out_bytes = ffi.buffer(self._out)

    def _whole_frames(self, n: int) -> None:
        if n % self.quantum:
            raise ValueError(
                f"{self.codec} encodes whole frames of {self.quantum} samples at "
                f"{self.rate} Hz; got {n} samples")

    def _encode_other(self, pcm: Any) -> bytes:
        """encode() for what the C path does not take: numpy arrays (int16
        and float), other buffer types, odd addresses, partial frames."""
        state = self._state
        if (type(pcm) is np.ndarray and pcm.dtype is _INT16 and pcm.ndim == 1
                and pcm.flags.c_contiguous):
            # a copy to bytes (contiguous, aligned) costs less than wrapping
            # the array for cffi, and takes the C path
            return self.encode(pcm.tobytes())
        data, n = encoder_pcm_view(pcm)
        self._whole_frames(n)
        bound = lib.sc_encoder_bound(state, n)
        if bound < 0:
            self._encode_failed(bound, n)
        if bound > self._cap:
            self._grow(bound)
        out = lib.sc_encoder_encode(state, data, n, self._out, self._cap)
        if out < 0:
            self._encode_failed(out, n)
        return self._out_bytes[0:out]

    def _encode_failed(self, code: int, n: int) -> NoReturn:
        """Raise the error for C's return code ``code`` on ``n`` samples."""
        if code == lib.SC_EARG and self.codec == "OPUS":
            raise ValueError(
                f"an OPUS payload is one Opus packet: {n} samples are {1000 * n / self.rate:g} ms, "
                f"not one of {', '.join(f'{ms:g}' for ms in _OPUS_PACKET_MS)} ms")
        if code == lib.SC_EARG and self.codec == "AMR-WB":
            raise ValueError(
                f"an AMR-WB payload holds at most {lib.SC_AMRWB_MAX_FRAMES} frames "
                f"({lib.SC_AMRWB_MAX_FRAMES // 50} s); got {n // self.quantum}")
        check(code, f"{self.codec} encode of {n} samples")
        raise AssertionError(f"encode failed with code {code}")  # check() raised already

    def _encode_into_other(self, pcm: Any, out: Any) -> int:
        """encode_into() for what the C path does not take."""
        state = self._state
        data, n = encoder_pcm_view(pcm)
        self._whole_frames(n)
        dest, cap = writable_view(out, (np.uint8, np.int8))
        bound = lib.sc_encoder_bound(state, n)
        if bound < 0:
            self._encode_failed(bound, n)
        if bound > cap:
            raise ValueError(f"out has room for {cap} bytes; {n} samples of {self.codec} "
                             f"need up to {bound}")
        if overlaps(dest, cap, data, 2 * n):  # never write over the input being read
            data = ffi.from_buffer("int16_t[]", ffi.buffer(data, 2 * n)[:])
        got = lib.sc_encoder_encode(state, data, n, dest, cap)
        if got < 0:
            self._encode_failed(got, n)
        return got

    def reset(self) -> None:
        """Start a new stream with the same settings, without reallocating:
        the codec state as freshly created, the resampler's history cleared
        and what :meth:`packetize` held dropped."""
        check(lib.sc_encoder_reset(self._state), f"{self.codec} encoder reset")
        self._pending.clear()

    def packetize(self, pcm: PCMLike) -> list[bytes]:
        """Append PCM and return one payload per ``ptime`` of audio now whole;
        the remainder waits for the next call or :meth:`flush`."""
        data, n = encoder_pcm_view(pcm)
        self._pending += ffi.buffer(data, 2 * n)
        step = self._packet_bytes
        whole = len(self._pending) - len(self._pending) % step
        if not whole:
            return []
        ready = bytes(self._pending[:whole])  # bytes slices take encode's C path
        del self._pending[:whole]
        return [self.encode(ready[i:i + step]) for i in range(0, whole, step)]

    def flush(self) -> list[bytes]:
        """Encode what :meth:`packetize` holds, padded with silence to a whole
        packet; returns [] when nothing is held."""
        if not self._pending:
            return []
        self._pending += bytes(self._packet_bytes - len(self._pending))
        packets = self.packetize(b"")
        return packets

    @property
    def cmr(self) -> int | None:
        """AMR-WB: the codec mode request written into each payload: 0..8
        asks the far end's encoder for that mode, 15 asks for nothing (the
        default).  None for other codecs."""
        if self.codec != "AMR-WB":
            return None
        return lib.sc_amrwb_encoder_get_cmr(self._state)

    @cmr.setter
    def cmr(self, value: int) -> None:
        if self.codec != "AMR-WB":
            raise AttributeError(f"cmr applies to AMR-WB only, not {self.codec}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"cmr must be an int, not {type(value).__name__}")
        if not (0 <= value <= 8 or value == 15):
            raise ValueError(f"cmr must be a mode 0..8, or 15 for no request; got {value}")
        check(lib.sc_amrwb_encoder_set_cmr(self._state, value), "AMR-WB cmr")

    def __repr__(self) -> str:
        return f"Encoder({self.codec!r}, rate={self.rate}, ptime={self.ptime})"


def _transcode_other(payload: BytesLike, src: str, dst: str) -> bytes:
    """transcode() for what the C path does not take: other spellings and
    buffer types, other codecs."""
    src_name, dst_name = normalize_codec(src), normalize_codec(dst)
    data, size = byte_view(payload)
    if src_name == dst_name:
        return bytes(payload)
    if {src_name, dst_name} == {"PCMU", "PCMA"}:
        out = ffi.new("uint8_t[]", size)
        convert = lib.sc_ulaw_to_alaw if src_name == "PCMU" else lib.sc_alaw_to_ulaw
        convert(data, size, out)
        return ffi.buffer(out)[:]
    encoder = Encoder(dst_name)
    return encoder.encode(Decoder(src_name, rate=encoder.rate).decode(payload))


_fast.register("transcode", _transcode_other)

if TYPE_CHECKING:
    def transcode(payload: BytesLike, src: str, dst: str) -> bytes:
        """Convert one RTP payload from codec ``src`` to codec ``dst``."""
else:
    # PCMU <-> PCMA on bytes in C (streamcodec/_fast.c, documented there),
    # everything else through _transcode_other
    transcode = _fast.transcode
