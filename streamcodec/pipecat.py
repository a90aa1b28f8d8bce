"""pipecat integrations backed by streamcodec: serializers and a resampler.

**Resampler.**  :class:`StreamcodecResampler` is a pipecat
``BaseAudioResampler`` on :class:`streamcodec.Resampler`: every call returns
exactly the audio its input determines, from the first call on, and it never
clears itself on silence.  :func:`use_streamcodec_resampler` makes every
resampler pipecat creates through ``create_stream_resampler`` /
``create_file_resampler`` one of ours; :func:`use_stock_resampler` undoes it.

**Serializers.**  Drop-ins for pipecat's telephony serializers:
:class:`TelnyxFrameSerializer`, :class:`TwilioFrameSerializer`,
:class:`PlivoFrameSerializer`, :class:`ExotelFrameSerializer` and
:class:`VonageFrameSerializer` are subclasses of pipecat's with the same
constructors, parameters and hang-up on ``EndFrame`` / ``CancelFrame``;
change one import::

    from streamcodec.pipecat import TwilioFrameSerializer   # was: pipecat.serializers.twilio

Inside each is one streamcodec session (the carrier's ``MediaStream``):
every codec and rate the carrier streams works both ways, media is put back
in chunk order with gaps concealed, only the caller's track becomes
``InputAudioRawFrame``, every message's audio comes out at once (no stream
resampler holding back the start or dropping audio at pauses), DTMF becomes
``InputDTMFFrame``, ``InterruptionFrame`` the carrier's clear, and
:func:`playback_mark` the carrier's mark, acknowledged into the pipeline.
Needs the ``pipecat`` extra (``pip install 'streamcodec[pipecat]'``).
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from binascii import a2b_base64, b2a_base64
from types import ModuleType
from typing import Any, Callable, Iterable, Optional, cast

try:
    import pipecat.audio.utils as _pipecat_audio_utils
    from loguru import logger
    from pipecat.audio.dtmf.types import KeypadEntry
    from pydantic import BaseModel
    from pipecat.audio.resamplers.base_audio_resampler import BaseAudioResampler
    from pipecat.frames.frames import (
        AudioRawFrame,
        EndWorkerFrame,
        Frame,
        InputAudioRawFrame,
        InputDTMFFrame,
        InputTransportMessageFrame,
        InterruptionFrame,
        OutputTransportMessageFrame,
    )
    from pipecat.serializers.exotel import ExotelFrameSerializer as _StockExotelSerializer
    from pipecat.serializers.plivo import PlivoFrameSerializer as _StockPlivoSerializer
    from pipecat.serializers.telnyx import TelnyxFrameSerializer as _StockTelnyxSerializer
    from pipecat.serializers.twilio import TwilioFrameSerializer as _StockTwilioSerializer
    from pipecat.serializers.vonage import VonageFrameSerializer as _StockVonageSerializer
except ImportError as exc:   # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "streamcodec.pipecat needs pipecat-ai (>= 1.14): pip install 'streamcodec[pipecat]' "
        f"({exc})") from exc

from . import amrwb
from . import exotel as _exotel
from . import plivo as _plivo
from . import twilio as _twilio
from . import vonage as _vonage
from ._codecs import codec_info, normalize_codec
from ._resample import SUPPORTED_RATES, Resampler, resample
from .stream import Dtmf, Error, Mark, Media, ProtocolError, Stop, TrackStats
from .telnyx import MediaStream

__all__ = ["ExotelFrameSerializer", "PLAYBACK_MARK", "PlivoFrameSerializer",
           "StreamcodecFileResampler", "StreamcodecResampler", "TelnyxFrameSerializer",
           "TwilioFrameSerializer", "VonageFrameSerializer", "playback_mark",
           "use_stock_resampler", "use_streamcodec_resampler"]

#: Codecs whose audio rate on the wire is set by the stream (bidirectionalSamplingRate);
#: the others carry one fixed rate.
_VARIABLE_RATE = ("OPUS", "L16")
#: Codecs whose 20 ms payloads, laid end to end, are one longer payload.
_CONCATENATE = ("PCMU", "PCMA", "G722", "L16")

#: The ``type`` of the transport messages that carry playback marks, both ways.
PLAYBACK_MARK = "streamcodec-mark"


def playback_mark(name: str) -> OutputTransportMessageFrame:
    """A frame that places a playback mark after the audio queued before it.

    Push it downstream to the transport after the bot's audio; the
    serializer sends the carrier's mark (Telnyx and Twilio ``mark``, Plivo
    ``checkpoint``, Vonage ``notify``).  When the carrier says the audio
    before it has played, the serializer's ``deserialize`` returns an
    ``InputTransportMessageFrame`` whose message is ``{"type":
    PLAYBACK_MARK, "name": name, "played_ms": ..., "cleared": ...}``:
    ``played_ms`` is the mark's position in the audio sent (the caller has
    heard that much), ``cleared`` is true when an interruption dropped the
    audio before it instead.

    Parameters
    ----------
    name : str
        The mark's name, returned in its acknowledgement.

    Returns
    -------
    pipecat.frames.frames.OutputTransportMessageFrame
        With the message ``{"type": PLAYBACK_MARK, "name": name}``; pipecat's
        output transport sends it in order with the audio.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a playback mark needs a non-empty str name, got {name!r}")
    return OutputTransportMessageFrame(message={"type": PLAYBACK_MARK, "name": name})


class _SessionParams(BaseModel):
    """The session options every serializer here adds to pipecat's
    ``InputParams``.

    Parameters
    ----------
    audio_track : str
        The track whose media becomes ``InputAudioRawFrame``: ``"inbound"``
        (default: the caller) or ``"outbound"`` (the other leg, where the
        carrier streams both).  Media of other tracks is decoded and
        counted but not passed on.
    reorder_window : int
        Frames a missing chunk may be overtaken by before it is concealed
        (default 3: up to 60 ms of added delay, only while one is missing).
    concealment : str, optional
        The decoders' loss concealment, passed to the session
        (``MediaStream(concealment=...)``) when given.
    """

    audio_track: str = "inbound"
    reorder_window: int = 3
    concealment: Optional[str] = None


class _Session(ABC):
    """What every serializer here does with its streamcodec session.

    Mixed in before pipecat's own serializer class, which keeps its
    constructor, parameters, hang-up and transport-message handling; this
    replaces the audio paths, the interruption and the parsing of what the
    carrier sends.  A carrier's class says how to build its session
    (:meth:`_new_stream`) and its name.
    """

    _CARRIER = "the carrier"
    _stream: Any
    _sample_rate: int
    _audio_track = "inbound"

    @abstractmethod
    def _new_stream(self, rate: int) -> Any:
        """The carrier's streamcodec session at the pipeline's ``rate``."""

    def _start_session(self, params: Any) -> None:
        """The session options this module adds to pipecat's InputParams
        (absent when the caller passed pipecat's own), and the session at
        ``params.sample_rate`` (16 kHz until setup() gives the pipeline's
        rate), built now so a wrong setting fails in the constructor."""
        self._audio_track = getattr(params, "audio_track", "inbound")
        if self._audio_track not in ("inbound", "outbound"):
            raise ValueError(f"audio_track must be 'inbound' or 'outbound', "
                             f"got {self._audio_track!r}")
        self._reorder_window = getattr(params, "reorder_window", 3)
        self._concealment = getattr(params, "concealment", None)
        self._sample_rate = params.sample_rate or 16000
        self._stream = self._new_stream(self._sample_rate)

    @property
    def stream(self) -> Any:
        """The streamcodec ``MediaStream`` inside (its counters, playback
        position, outstanding marks)."""
        return self._stream

    @property
    def stats(self) -> dict[str, TrackStats]:
        """Per-track media counters (received, late, lost, concealed, ...)
        of the session inside."""
        return self._stream.stats

    async def setup(self, setup: Any) -> None:
        """Take the pipeline's input rate: from pipecat's
        ``FrameProcessorSetup`` or, as pipecat 1.7 and earlier pass it, the
        ``StartFrame`` (both have ``audio_in_sample_rate``)."""
        await super().setup(setup)  # type: ignore[misc]
        if self._stream.rate != self._sample_rate:
            old = self._stream
            self._stream = self._new_stream(self._sample_rate)
            if old.start is not None:     # a start fed before setup() still holds
                self._stream.configure(old.start.media_format.encoding, start=old.start)

    async def serialize(self, frame: Frame) -> str | bytes | None:
        """One frame for the carrier: audio becomes one media message in the
        playback codec, ``InterruptionFrame`` the carrier's clear, a
        :func:`playback_mark` frame its mark; ``EndFrame`` / ``CancelFrame``
        (hang-up) and other transport messages as in pipecat."""
        if isinstance(frame, AudioRawFrame):
            if frame.num_channels != 1:
                raise ValueError(f"{self._CARRIER} streams are mono; got an audio frame with "
                                 f"{frame.num_channels} channels")
            return self._one_message(self._stream.play(frame.audio, frame.sample_rate))
        if isinstance(frame, InterruptionFrame):
            return self._one_message(self._stream.clear())
        if isinstance(frame, OutputTransportMessageFrame) and isinstance(frame.message, dict) \
                and frame.message.get("type") == PLAYBACK_MARK:
            name = frame.message.get("name")
            if not isinstance(name, str) or not name:
                raise ValueError(f"a {PLAYBACK_MARK} message needs a non-empty str 'name', "
                                 f"got {frame.message!r}")
            # The audio of a partial message stays held and follows the mark:
            # pipecat sends one message per frame.
            return self._one_message(self._stream.mark(name, flush=False))
        return await super().serialize(frame)  # type: ignore[misc]

    def _one_message(self, messages: list) -> str | bytes | None:
        """pipecat sends one message per frame: the messages of one frame,
        as one."""
        if len(messages) <= 1:
            return messages[0] if messages else None
        if isinstance(messages[0], (bytes, bytearray)):
            return b"".join(messages)                      # raw audio (Vonage)
        codec = self._stream.playback_codec
        if codec == "OPUS":
            raise ValueError(
                f"OPUS playback: an audio frame of {20 * len(messages)} ms, but the carrier "
                "takes one 20 ms Opus packet per message and pipecat sends one message per "
                "frame; set FastAPIWebsocketParams(audio_out_10ms_chunks=2, "
                "audio_out_end_silence_secs=0)")
        head, tail = self._stream._media_head(), self._stream._MEDIA_TAIL   # the dialect's
        payloads = []
        for message in messages:
            if not (message.startswith(head) and message.endswith(tail)):
                raise AssertionError(f"not a media message of this session: {message[:60]!r}")
            payloads.append(a2b_base64(message[len(head):len(message) - len(tail)]))
        if codec in _CONCATENATE:
            payload = b"".join(payloads)
        else:                                  # AMR-WB: one payload, several frames
            first = amrwb.unpack(payloads[0])
            frames = [f for p in payloads for f in amrwb.unpack(p).frames]
            payload = amrwb.pack(frames, cmr=first.cmr, octet_align=first.octet_align)
        return head + b2a_base64(payload, newline=False).decode("ascii") + tail

    async def deserialize(self, data: str | bytes) -> Frame | None:
        """One message from the carrier: media of the caller's track becomes
        ``InputAudioRawFrame`` at the pipeline's rate (the audio of several
        frames at once when a reordered gap closes), DTMF an
        ``InputDTMFFrame``, a mark's acknowledgement an
        ``InputTransportMessageFrame`` (see :func:`playback_mark`), the
        carrier's ``stop`` an ``EndWorkerFrame`` (the pipeline ends
        gracefully, its queued frames first, without waiting for the socket
        to close, and without the REST hang-up: the call may go on; audio a
        ``stop`` releases from the reorder window is returned instead);
        anything else gives None."""
        try:
            events = self._stream.feed(data)
        except ProtocolError as exc:
            logger.warning(f"{self}: skipped a message that is not a {self._CARRIER} frame: "
                           f"{exc}")
            return None
        if len(events) == 1:
            event = events[0]
            if type(event) is Media:
                if event.track != self._audio_track or not event.pcm:
                    return None
                return InputAudioRawFrame(audio=event.pcm, sample_rate=self._sample_rate,
                                          num_channels=1)
            if isinstance(event, Dtmf):
                try:
                    return InputDTMFFrame(KeypadEntry(event.digit))
                except ValueError:
                    logger.debug(f"{self}: DTMF digit {event.digit!r} has no pipecat KeypadEntry")
                    return None
            if isinstance(event, Mark):
                return InputTransportMessageFrame(message={
                    "type": PLAYBACK_MARK, "name": event.name, "played_ms": event.played_ms,
                    "cleared": event.cleared})
            if isinstance(event, Stop):
                # The carrier ended the stream: end the pipeline (its queued
                # frames first) rather than wait for the socket to close.  No
                # REST hang-up at that end: the call may go on without the
                # stream, and pipecat's, its socket closed, sends nothing.
                self._hangup_attempted = True
                return EndWorkerFrame(reason=f"{self._CARRIER} stopped the stream")
            if isinstance(event, Error):
                logger.warning(f"{self}: {self._CARRIER} reported an error: {event}")
            return None
        # a session's Media always has its pcm
        pcm = b"".join(cast("Iterable[bytes]", (
            e.pcm for e in events if isinstance(e, Media) and e.track == self._audio_track)))
        if not pcm:
            return None
        return InputAudioRawFrame(audio=pcm, sample_rate=self._sample_rate, num_channels=1)


class TelnyxFrameSerializer(_Session, _StockTelnyxSerializer):
    """Frames between pipecat and a Telnyx media stream, through streamcodec.

    Parameters
    ----------
    stream_id : str
        Telnyx's ``stream_id``.
    outbound_encoding : str
        Codec of the audio Telnyx sends (``start.media_format.encoding``):
        PCMU, PCMA, G722, OPUS, AMR-WB or L16, any case.
    inbound_encoding : str
        Codec of the audio sent to Telnyx (the stream's
        ``bidirectionalCodec``).
    call_control_id, api_key : str, optional
        For the hang-up through Telnyx's REST API on ``EndFrame`` /
        ``CancelFrame`` (``auto_hang_up``, default on); required then, as in
        pipecat.
    params : TelnyxFrameSerializer.InputParams, optional
        pipecat's parameters (this class's :class:`InputParams` adds the session's;
        pipecat's own ``InputParams`` is accepted too).

    Notes
    -----
    **Rates.**  Audio reaches the pipeline at ``params.sample_rate`` or the
    pipeline's ``audio_in_sample_rate``; audio frames to send may come at any
    rate.  ``telnyx_sample_rate`` is the stream's
    ``bidirectionalSamplingRate`` for OPUS and L16 playback (8000, 16000,
    24000, ...); PCMU and PCMA always carry 8 kHz and G722 and AMR-WB 16 kHz,
    whatever it says.

    **One message per frame.**  pipecat sends what :meth:`serialize` returns
    as one WebSocket message, and its transport hands over 40 ms per call
    (``audio_out_10ms_chunks=4``).  PCMU, PCMA, G722 and L16 send all of a
    frame's audio in one media message, AMR-WB one multi-frame RFC 4867
    payload.  Telnyx plays OPUS as one 20 ms packet per message, so OPUS
    playback needs ``FastAPIWebsocketParams(audio_out_10ms_chunks=2,
    audio_out_end_silence_secs=0)``; a frame longer than 20 ms raises
    ``ValueError`` saying so.  A frame shorter than 20 ms is held until the
    next one completes the packet.

    **Playback marks.**  A :func:`playback_mark` frame becomes Telnyx's
    ``mark``; its echo comes back as an ``InputTransportMessageFrame``.

    **Bad input.**  A message that is not a Telnyx frame (not JSON, missing
    fields, media before the codec is known) is logged and skipped; bad
    payloads are concealed and counted in :attr:`stats`.
    """

    class InputParams(_StockTelnyxSerializer.InputParams, _SessionParams):
        """pipecat's parameters for the Telnyx serializer, the session's
        (``audio_track``, ``reorder_window``, ``concealment``; with
        ``stream_track="both_tracks"`` the other leg is ``"outbound"``), and
        one more.

        Parameters
        ----------
        outbound_sample_rate : int, optional
            Rate of the audio Telnyx sends (``start.media_format.sample_rate``),
            needed for L16 only; default ``telnyx_sample_rate``.
        """

        outbound_sample_rate: Optional[int] = None

    _CARRIER = "Telnyx"

    def __init__(self, stream_id: str, outbound_encoding: str, inbound_encoding: str,
                 call_control_id: Optional[str] = None, api_key: Optional[str] = None,
                 params: Optional[_StockTelnyxSerializer.InputParams] = None):
        params = params or TelnyxFrameSerializer.InputParams()
        super().__init__(stream_id, outbound_encoding, inbound_encoding,
                         call_control_id=call_control_id, api_key=api_key, params=params)
        self._receive_codec = normalize_codec(outbound_encoding)
        self._send_codec = normalize_codec(inbound_encoding)
        self._receive_rate = getattr(params, "outbound_sample_rate", None) \
            or self._wire_rate(self._receive_codec)
        self._playback_rate = self._wire_rate(self._send_codec)
        self._start_session(params)

    def _wire_rate(self, codec: str) -> int:
        if codec in _VARIABLE_RATE:
            return self._telnyx_sample_rate
        rate = codec_info(codec).native_rate
        assert rate is not None   # None for the variable-rate codecs only
        return rate

    def _new_stream(self, rate: int) -> MediaStream:
        stream = MediaStream(rate=rate, playback_codec=self._send_codec,
                             playback_rate=self._playback_rate,
                             reorder_window=self._reorder_window,
                             concealment=self._concealment)
        # pipecat's runner has read Telnyx's `start` frame: set the codec it named.
        stream.configure(self._receive_codec,
                         self._receive_rate if self._receive_codec in _VARIABLE_RATE else None,
                         stream_id=self._stream_id)
        return stream


class TwilioFrameSerializer(_Session, _StockTwilioSerializer):
    """Frames between pipecat and a Twilio Media Stream, through streamcodec.

    A drop-in for pipecat's ``TwilioFrameSerializer``: the same constructor,
    parameters and hang-up (Twilio's REST API on ``EndFrame`` /
    ``CancelFrame`` with ``auto_hang_up``, default on; ``base_url``,
    ``region``/``edge``, auth token or API key as in pipecat).

    Parameters
    ----------
    stream_sid : str
        Twilio's ``streamSid``.
    call_sid, account_sid, auth_token, region, edge, base_url : str, optional
        As in pipecat, for the hang-up.
    params : TwilioFrameSerializer.InputParams, optional
        pipecat's parameters (this class's :class:`InputParams` adds the session's;
        pipecat's own ``InputParams`` is accepted too).
    api_key_sid, api_key_secret : str, optional
        An API key instead of ``auth_token``, as in pipecat.

    Notes
    -----
    One :class:`streamcodec.twilio.MediaStream` inside: μ-law 8 kHz both
    ways (the only format Twilio streams; ``twilio_sample_rate`` must be
    8000), media put back in chunk order with gaps concealed, only the
    ``inbound`` track heard, ``dtmf`` as ``InputDTMFFrame``,
    ``InterruptionFrame`` as ``clear``, :func:`playback_mark` as Twilio's
    ``mark`` with its echo returned as an ``InputTransportMessageFrame``.
    Each audio frame becomes one media message.
    """

    class InputParams(_StockTwilioSerializer.InputParams, _SessionParams):
        """pipecat's parameters for the Twilio serializer, and the session's
        (``audio_track``, ``"outbound"`` with ``<Start><Stream
        track="both_tracks">``; ``reorder_window``; ``concealment``)."""

    _CARRIER = "Twilio"

    def __init__(self, stream_sid: str, call_sid: Optional[str] = None,
                 account_sid: Optional[str] = None, auth_token: Optional[str] = None,
                 region: Optional[str] = None, edge: Optional[str] = None,
                 base_url: Optional[str] = None,
                 params: Optional[_StockTwilioSerializer.InputParams] = None, *,
                 api_key_sid: Optional[str] = None, api_key_secret: Optional[str] = None):
        params = params or TwilioFrameSerializer.InputParams()
        super().__init__(stream_sid, call_sid, account_sid, auth_token, region, edge, base_url,
                         params, api_key_sid=api_key_sid, api_key_secret=api_key_secret)
        if params.twilio_sample_rate != 8000:
            raise ValueError(f"Twilio streams μ-law at 8000 Hz both ways; twilio_sample_rate "
                             f"must be 8000, got {params.twilio_sample_rate}")
        self._start_session(params)

    def _new_stream(self, rate: int) -> Any:
        stream = _twilio.MediaStream(rate=rate, reorder_window=self._reorder_window,
                                     concealment=self._concealment)
        stream.configure("PCMU", 8000, stream_id=self._stream_sid)
        return stream


class PlivoFrameSerializer(_Session, _StockPlivoSerializer):
    """Frames between pipecat and a Plivo audio stream, through streamcodec.

    A drop-in for pipecat's ``PlivoFrameSerializer``: the same constructor,
    parameters and hang-up (``DELETE`` on Plivo's Call resource with
    ``auto_hang_up``, default on).

    Parameters
    ----------
    stream_id : str
        Plivo's ``streamId``.
    call_id, auth_id, auth_token : str, optional
        As in pipecat, for the hang-up.
    params : PlivoFrameSerializer.InputParams, optional
        pipecat's parameters (this class's :class:`InputParams` adds the session's;
        pipecat's own ``InputParams`` is accepted too).

    Notes
    -----
    One :class:`streamcodec.plivo.MediaStream` inside, in the ``<Stream
    contentType>`` the call was started with (``content_type``): μ-law at
    8 kHz (pipecat's only format, the default) or 16-bit PCM at 8 or
    16 kHz, both ways; a ``start`` that reaches the serializer (when
    pipecat's runner has not read it) sets the inbound format.  Media put
    back in chunk order with gaps concealed, only the ``inbound`` track
    heard, ``dtmf`` as ``InputDTMFFrame``, ``InterruptionFrame`` as
    ``clearAudio``, :func:`playback_mark` as a ``checkpoint`` whose
    ``playedStream`` comes back as an ``InputTransportMessageFrame``.
    """

    class InputParams(_StockPlivoSerializer.InputParams, _SessionParams):
        """pipecat's parameters for the Plivo serializer, the session's
        (``audio_track``, ``reorder_window``, ``concealment``), and one more.

        Parameters
        ----------
        content_type : str, optional
            The stream's ``contentType``: ``"audio/x-mulaw;rate=8000"``,
            ``"audio/x-l16;rate=8000"`` or ``"audio/x-l16;rate=16000"``;
            default μ-law at ``plivo_sample_rate`` (8000).
        """

        content_type: Optional[str] = None

    _CARRIER = "Plivo"

    def __init__(self, stream_id: str, call_id: Optional[str] = None,
                 auth_id: Optional[str] = None, auth_token: Optional[str] = None,
                 params: Optional[_StockPlivoSerializer.InputParams] = None):
        params = params or PlivoFrameSerializer.InputParams()
        super().__init__(stream_id, call_id, auth_id, auth_token, params)
        self._content_type = getattr(params, "content_type", None) \
            or f"audio/x-mulaw;rate={params.plivo_sample_rate}"
        self._start_session(params)

    def _new_stream(self, rate: int) -> Any:
        stream = _plivo.MediaStream(rate=rate, reorder_window=self._reorder_window,
                                    content_type=self._content_type,
                                    concealment=self._concealment)
        stream.configure(stream.playback_codec, stream.playback_rate, stream_id=self._stream_id)
        return stream


class ExotelFrameSerializer(_Session, _StockExotelSerializer):
    """Frames between pipecat and an Exotel Voicebot stream, through streamcodec.

    A drop-in for pipecat's ``ExotelFrameSerializer``: the same constructor
    and parameters (Exotel has no hang-up call, in pipecat either).

    Parameters
    ----------
    stream_sid : str
        Exotel's ``stream_sid``.
    call_sid : str, optional
        As in pipecat (not used).
    params : ExotelFrameSerializer.InputParams, optional
        pipecat's parameters (this class's :class:`InputParams` adds the session's;
        pipecat's own ``InputParams`` is accepted too).

    Notes
    -----
    One :class:`streamcodec.exotel.MediaStream` inside: 16-bit PCM at
    ``exotel_sample_rate`` (the stream URL's ``sample-rate``: 8000, 16000 or
    24000), or μ-law at 8 kHz (``exotel_encoding="PCMU"``), both ways;
    media put back in chunk order with gaps concealed, ``dtmf`` as
    ``InputDTMFFrame``, ``InterruptionFrame`` as ``clear``,
    :func:`playback_mark` as Exotel's ``mark``.

    **Message size.**  Exotel wants every media message at least 3.2 KB and
    a multiple of 320 bytes (200 ms at 8 kHz, 100 ms at 16 kHz, 80 ms at
    24 kHz); shorter ones leave audible gaps.  Each message this sends is
    that long, so audio is held until a whole message is there: run the
    transport with ``audio_out_10ms_chunks`` set to that length in 10 ms
    units (20, 10 or 8), and each audio frame is one message with nothing
    held (pipecat pads the last frame of an utterance to a whole chunk).
    """

    class InputParams(_StockExotelSerializer.InputParams, _SessionParams):
        """pipecat's parameters for the Exotel serializer, the session's
        (``audio_track``, ``reorder_window``, ``concealment``), and one more.

        Parameters
        ----------
        exotel_encoding : str
            The stream's encoding both ways: ``"L16"`` (16-bit PCM, Exotel's
            default) or ``"PCMU"`` (μ-law at 8 kHz, Exotel's beta option).
        """

        exotel_encoding: str = "L16"

    _CARRIER = "Exotel"

    def __init__(self, stream_sid: str, call_sid: Optional[str] = None,
                 params: Optional[_StockExotelSerializer.InputParams] = None):
        params = params or ExotelFrameSerializer.InputParams()
        super().__init__(stream_sid, call_sid, params)
        self._start_session(params)

    def _new_stream(self, rate: int) -> Any:
        stream = _exotel.MediaStream(rate=rate, reorder_window=self._reorder_window,
                                     sample_rate=self._exotel_sample_rate,
                                     concealment=self._concealment)
        encoding = getattr(self._params, "exotel_encoding", "L16")
        stream.configure(encoding, 8000 if normalize_codec(encoding) == "PCMU"
                         else self._exotel_sample_rate, stream_id=self._stream_sid)
        return stream


class VonageFrameSerializer(_Session, _StockVonageSerializer):
    """Frames between pipecat and a Vonage Voice API WebSocket, through streamcodec.

    A drop-in for pipecat's ``VonageFrameSerializer``: the same constructor
    and parameters.

    Parameters
    ----------
    params : VonageFrameSerializer.InputParams, optional
        pipecat's parameters (this class's :class:`InputParams` adds the session's;
        pipecat's own ``InputParams`` is accepted too).

    Notes
    -----
    One :class:`streamcodec.vonage.MediaStream` inside: binary 16-bit PCM
    at ``vonage_sample_rate`` (8000 or 16000, the NCCO's
    ``content-type``) both ways; ``websocket:dtmf`` as ``InputDTMFFrame``;
    ``InterruptionFrame`` as ``{"action":"clear"}``; :func:`playback_mark`
    as ``notify``, whose ``websocket:notify`` comes back as an
    ``InputTransportMessageFrame``.  Audio goes out in whole 20 ms frames;
    a 40 ms frame from pipecat is one binary message of two, so run the
    transport with ``fixed_audio_packet_size`` (640 bytes at 16 kHz, 320 at
    8 kHz), as for pipecat's own, or ``audio_out_10ms_chunks=2``.
    """

    class InputParams(_StockVonageSerializer.InputParams, _SessionParams):
        """pipecat's parameters for the Vonage serializer, and the session's
        (``concealment``; Vonage's one track arrives in order, so
        ``audio_track`` and ``reorder_window`` change nothing)."""

    _CARRIER = "Vonage"

    def __init__(self, params: Optional[_StockVonageSerializer.InputParams] = None):
        params = params or VonageFrameSerializer.InputParams()
        super().__init__(params)
        self._start_session(params)

    def _new_stream(self, rate: int) -> Any:
        stream = _vonage.MediaStream(
            rate=rate, content_type=f"audio/l16;rate={self._vonage_sample_rate}",
            concealment=self._concealment)
        stream.configure("L16", self._vonage_sample_rate)
        return stream


# --------------------------------------------------------------------------
# Resamplers
# --------------------------------------------------------------------------

#: soxr's quality names, as pipecat passes them (``quality="VHQ"``), to ours.
_SOXR_QUALITY = {"VHQ": "high-quality", "HQ": "default", "MQ": "low-latency",
                 "LQ": "low-latency", "QQ": "low-latency"}


def _quality(quality: str) -> str:
    """Our preset for a soxr quality name or one of our own preset names."""
    if quality in _SOXR_QUALITY:
        return _SOXR_QUALITY[quality]
    if quality in ("default", "low-latency", "high-quality"):
        return quality
    raise ValueError(f"quality must be one of {', '.join(_SOXR_QUALITY)} (soxr's names, as "
                     f"pipecat passes them) or 'default', 'low-latency', 'high-quality'; "
                     f"got {quality!r}")


def _check_rates(in_rate: int, out_rate: int) -> None:
    for what, rate in (("in_rate", in_rate), ("out_rate", out_rate)):
        if rate not in SUPPORTED_RATES:
            raise ValueError(
                f"{what}={rate} Hz is not supported by streamcodec's resampler; supported "
                f"rates: {', '.join(map(str, SUPPORTED_RATES))}")


class StreamcodecResampler(BaseAudioResampler):
    """pipecat's stream resampler, on :class:`streamcodec.Resampler`.

    A ``BaseAudioResampler`` for continuous audio: where pipecat's
    ``SOXRStreamAudioResampler`` holds back the start of a stream (about
    105 ms at 8 to 16 kHz in its default VHQ) and clears what it holds after
    0.2 s without a call, this returns, for every call, all the audio its
    input determines (after ``k`` input samples in all, exactly
    ``floor(k * out_rate / in_rate)`` have come out) and keeps its state
    across any pause.  The only latency is the filter's own delay (5.1 ms
    when 8 kHz is the lower rate in ``"high-quality"``, pipecat's default
    VHQ, and half that from 16 kHz).

    Parameters
    ----------
    quality : str
        soxr's names as pipecat passes them (``"VHQ"`` and ``"HQ"`` become
        ``"high-quality"`` and ``"default"``, ``"MQ"``, ``"LQ"``, ``"QQ"``
        ``"low-latency"``), or one of streamcodec's presets.
    clear_after_secs : float, optional
        Accepted for pipecat's keyword and ignored: nothing is ever cleared
        behind the caller's back.
    **kwargs
        Other keywords pipecat may pass; ignored, as pipecat's own resamplers
        do.

    Notes
    -----
    The first call fixes the rate pair; a call with another pair starts a
    new stream at those rates (pipecat's raises ``ValueError``), and so does
    :meth:`reset` or :meth:`flush`.  Equal rates return the input unchanged.
    Rates must be among :data:`streamcodec.SUPPORTED_RATES`; others raise
    ``ValueError``.
    """

    def __init__(self, *, quality: str = "VHQ", clear_after_secs: Optional[float] = None,
                 **kwargs: Any):
        self._quality = _quality(quality)
        self._resampler: Optional[Resampler] = None

    async def resample(self, audio: bytes, in_rate: int, out_rate: int) -> bytes:
        """Resample the next chunk of the stream.

        Parameters
        ----------
        audio : bytes
            16-bit native-endian mono PCM at ``in_rate`` (any buffer).
        in_rate, out_rate : int
            Rates in Hz.

        Returns
        -------
        bytes
            Every output sample this chunk determines, at ``out_rate``.
        """
        if in_rate == out_rate:
            return audio
        r = self._resampler
        if r is None or r.in_rate != in_rate or r.out_rate != out_rate:
            _check_rates(in_rate, out_rate)
            r = self._resampler = Resampler(in_rate, out_rate, self._quality)
        return r.process(audio)

    async def flush(self) -> bytes:
        """The tail of the stream (the filter's delay, as if silence
        followed), then start over.

        Returns
        -------
        bytes
            ``delay`` samples or so at the output rate; empty before any audio.
        """
        if self._resampler is None:
            return b""
        return bytes(self._resampler.flush())

    async def reset(self) -> None:
        """Forget the stream's audio and start over (no output)."""
        if self._resampler is not None:
            self._resampler.reset()


class StreamcodecFileResampler(BaseAudioResampler):
    """pipecat's file resampler, on :func:`streamcodec.resample`.

    Resamples each call's audio as a whole signal, delay compensated:
    ``ceil(n * out_rate / in_rate)`` samples aligned with the input, as
    pipecat's ``SOXRAudioResampler`` does with ``soxr.resample``.

    Parameters
    ----------
    quality : str
        As for :class:`StreamcodecResampler`.
    **kwargs
        Other keywords pipecat may pass; ignored.
    """

    def __init__(self, *, quality: str = "VHQ", **kwargs: Any):
        self._quality = _quality(quality)

    async def resample(self, audio: bytes, in_rate: int, out_rate: int) -> bytes:
        """Resample one whole signal.

        Parameters
        ----------
        audio : bytes
            16-bit native-endian mono PCM at ``in_rate``.
        in_rate, out_rate : int
            Rates in Hz, among :data:`streamcodec.SUPPORTED_RATES`.

        Returns
        -------
        bytes
            The signal at ``out_rate``.
        """
        if in_rate == out_rate:
            return audio
        _check_rates(in_rate, out_rate)
        return bytes(resample(audio, in_rate, out_rate, self._quality))


#: The factories this module installs, by the name pipecat gives them.
_OURS: dict[str, Callable[..., BaseAudioResampler]] = {}
#: pipecat's own factories, kept while ours are installed.
_STOCK: dict[str, Callable[..., BaseAudioResampler]] = {}


def _stream_factory(**kwargs: Any) -> BaseAudioResampler:
    """``create_stream_resampler`` while :func:`use_streamcodec_resampler` is on."""
    return StreamcodecResampler(**kwargs)


def _file_factory(**kwargs: Any) -> BaseAudioResampler:
    """``create_file_resampler`` while :func:`use_streamcodec_resampler` is on."""
    return StreamcodecFileResampler(**kwargs)


_OURS.update(create_stream_resampler=_stream_factory, create_file_resampler=_file_factory)


def _rebind(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Point every loaded module's binding of each name from ``old[name]``
    to ``new[name]``: ``pipecat.audio.utils`` itself and every module that
    did ``from pipecat.audio.utils import <name>``.  Returns the modules
    changed."""
    changed = []
    for module_name, module in list(sys.modules.items()):
        # Plain modules only: a lazy module (importlib.util.LazyLoader) or a
        # shim object would load or run code on attribute access.
        if not isinstance(module, ModuleType) or \
                type(module).__getattribute__ is not ModuleType.__getattribute__:
            continue
        namespace = vars(module)
        hit = False
        for name, function in old.items():
            if namespace.get(name) is function:
                namespace[name] = new[name]
                hit = True
        if hit:
            changed.append(module_name)
    return sorted(changed)


def use_streamcodec_resampler() -> list[str]:
    """Make pipecat create streamcodec's resamplers instead of soxr's.

    Replaces ``pipecat.audio.utils.create_stream_resampler`` and
    ``create_file_resampler`` with factories of :class:`StreamcodecResampler`
    and :class:`StreamcodecFileResampler`, in ``pipecat.audio.utils`` and in
    every module already imported that holds them by name (pipecat's output
    transport, TTS and STT services, serializers, the audio buffer
    processor, ...).  Modules imported later take the replacements from
    ``pipecat.audio.utils``.  Call it before building the pipeline:
    resamplers that exist already are not replaced.  Calling it again does
    nothing more.

    Returns
    -------
    list of str
        The modules whose bindings changed (empty when already on).

    Notes
    -----
    pipecat classes that construct ``SOXRStreamAudioResampler`` directly (the
    Genesys serializer, the RNNoise filter) are not affected.
    :func:`use_stock_resampler` undoes it.
    """
    if _STOCK:
        return []
    _STOCK.update(create_stream_resampler=_pipecat_audio_utils.create_stream_resampler,
                  create_file_resampler=_pipecat_audio_utils.create_file_resampler)
    return _rebind(_STOCK, _OURS)


def use_stock_resampler() -> list[str]:
    """Undo :func:`use_streamcodec_resampler`: every binding it changed, and
    every one made while it was on, is pipecat's own function again.

    Returns
    -------
    list of str
        The modules whose bindings changed back (empty when it was off).
    """
    if not _STOCK:
        return []
    changed = _rebind(_OURS, _STOCK)
    _STOCK.clear()
    return changed
