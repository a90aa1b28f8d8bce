"""The events every carrier's media stream gives, whatever its wire.

:meth:`MediaStream.feed <streamcodec.stream.MediaStream.feed>` of every
carrier (:mod:`streamcodec.telnyx`, :mod:`streamcodec.twilio`,
:mod:`streamcodec.signalwire`, :mod:`streamcodec.plivo`,
:mod:`streamcodec.exotel`, :mod:`streamcodec.vonage`) returns these frozen
dataclasses: the carrier's field names are mapped onto them, and the whole
message stays in ``raw`` where there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Union

__all__ = [
    "Connected",
    "Dtmf",
    "Error",
    "Event",
    "Mark",
    "Media",
    "MediaFormat",
    "PayloadError",
    "ProtocolError",
    "Start",
    "Stop",
    "Unknown",
]


class ProtocolError(ValueError):
    """A frame that does not follow the carrier's media-stream protocol: not
    JSON, not an object, or a required field missing or of the wrong type."""


class PayloadError(ProtocolError):
    """A media frame whose ``payload`` is not valid base64."""


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaFormat:
    """The codec of the inbound audio, from the ``start`` frame (Telnyx's
    ``media_format``, Twilio's ``mediaFormat``, Vonage's ``content-type``)."""

    encoding: str
    """Codec name as the carrier spells it (Telnyx: ``PCMU PCMA G722 OPUS
    AMR-WB L16``; Twilio and Plivo: ``audio/x-mulaw``, ``audio/x-l16``)."""
    sample_rate: int
    """Hz, as the carrier reports it."""
    channels: int = 1


@dataclass(frozen=True)
class Connected:
    """First frame on a new WebSocket."""

    version: Optional[str] = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The whole frame, for fields this class does not name (for instance a
    streaming auth token)."""


@dataclass(frozen=True)
class Start:
    """The stream's metadata, sent once before any media.

    ``stream_id``, ``call_id``, ``account_id`` and ``custom_parameters`` are
    read from each carrier's own names (Twilio ``streamSid``, ``callSid``,
    ``accountSid``, ``customParameters``; Plivo ``streamId``, ``callId``,
    ``accountId``; Exotel ``stream_sid``, ``call_sid``, ``account_sid``,
    ``custom_parameters``; Telnyx ``stream_id``, ``call_control_id``); the
    fields named after Telnyx's stay None elsewhere.  ``codec`` is the
    codec name streamcodec uses (``PCMU``, ``L16``, ...) for whatever
    ``media_format.encoding`` says.
    """

    media_format: MediaFormat
    stream_id: Optional[str] = None
    sequence_number: Optional[int] = None
    user_id: Optional[str] = None
    call_control_id: Optional[str] = None
    call_session_id: Optional[str] = None
    from_: Optional[str] = None
    """The caller (``start.from``)."""
    to: Optional[str] = None
    tags: tuple[str, ...] = ()
    client_state: Optional[str] = None
    custom_parameters: Mapping[str, Any] = field(default_factory=dict)
    """The ``<Parameter name value>`` children of the ``<Stream>`` (Exotel:
    the query parameters of the stream URL it reports; Vonage: the
    ``websocket:connected`` frame's other fields, the NCCO ``headers``)."""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    call_id: Optional[str] = field(default=None, compare=False)
    """The carrier's id of the call (Telnyx: ``call_control_id``, which is
    compared instead)."""
    account_id: Optional[str] = field(default=None, compare=False)
    """The carrier's id of the account, where the frame carries one."""
    tracks: tuple[str, ...] = field(default=(), compare=False)
    """The tracks announced (``["inbound"]``...), where the frame lists them."""
    codec: Optional[str] = field(default=None, compare=False)
    """streamcodec's name of the inbound codec (``PCMU``, ``L16``, ...), None
    when the encoding is not one streamcodec knows."""


@dataclass(frozen=True)
class Media:
    """One RTP payload of one track.

    ``pcm`` and ``concealed`` are set by the carrier's ``MediaStream``:
    ``pcm`` is the decoded audio at the session's rate (``None`` from plain
    :func:`~streamcodec.telnyx.parse`), ``concealed`` is True for a frame the session
    synthesised to fill a gap, whose ``payload`` is then empty.
    """

    track: str
    """``"inbound"`` or ``"outbound"`` (``"inbound"`` when the frame omits it;
    TeXML's ``inbound_track``/``outbound_track`` read as these)."""
    chunk: int
    timestamp: Optional[int]
    payload: bytes
    sequence_number: Optional[int] = None
    stream_id: Optional[str] = None
    pcm: Optional[bytes] = field(default=None, repr=False)
    concealed: bool = False


_object_new = object.__new__


def _media_event(track: str, chunk: int, timestamp: Optional[int], payload: bytes,
                 sequence_number: Optional[int], stream_id: Optional[str],
                 pcm: Optional[bytes], concealed: bool = False) -> Media:
    """Media(...) without the frozen dataclass's per-field __init__ cost
    (about a third of the time); for the session's per-frame path."""
    media = _object_new(Media)
    fields = media.__dict__
    fields["track"] = track
    fields["chunk"] = chunk
    fields["timestamp"] = timestamp
    fields["payload"] = payload
    fields["sequence_number"] = sequence_number
    fields["stream_id"] = stream_id
    fields["pcm"] = pcm
    fields["concealed"] = concealed
    return media


@dataclass(frozen=True)
class Dtmf:
    """A key the caller pressed."""

    digit: str
    stream_id: Optional[str] = None
    sequence_number: Optional[int] = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    duration: Optional[int] = None
    """Milliseconds the key was held, where the carrier says (Exotel, Vonage)."""


@dataclass(frozen=True)
class Mark:
    """A mark the server sent, echoed back by the carrier once the audio
    queued before it has played (or when a ``clear`` dropped that audio):
    Telnyx, Twilio, SignalWire and Exotel echo a ``mark``, Plivo answers a
    ``checkpoint`` with ``playedStream``, Vonage a ``notify`` with
    ``websocket:notify``.

    From :func:`~streamcodec.telnyx.parse`, only ``name`` (and the ids) are set.
    :class:`~streamcodec.telnyx.MediaStream` fills in the playback accounting:

    ``played_ms``
        Position of the mark on the session's playback timeline: the
        milliseconds of audio the session had sent before this mark,
        counted from the start of the stream.  When the echo arrives, the
        caller has heard everything up to that position.  ``None`` when the
        mark was cleared (the audio before it was dropped, not played) or is
        not one this session sent.
    ``cleared``
        True when :meth:`~streamcodec.telnyx.MediaStream.clear` was called
        while the mark was outstanding: the carrier returns such marks when
        it drops its queue (Plivo and Vonage acknowledge the clear instead;
        their outstanding marks then come back cleared).
    ``outstanding``
        Marks still awaiting their echo after this one.
    """

    name: str
    stream_id: Optional[str] = None
    sequence_number: Optional[int] = None
    played_ms: Optional[int] = None
    cleared: bool = False
    outstanding: int = 0
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Error:
    """The carrier reporting a problem with the stream (for instance a
    malformed frame the server sent)."""

    code: Optional[int] = None
    title: Optional[str] = None
    detail: Optional[str] = None
    stream_id: Optional[str] = None
    sequence_number: Optional[int] = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Stop:
    """The stream ended; no media follows."""

    stream_id: Optional[str] = None
    sequence_number: Optional[int] = None
    user_id: Optional[str] = None
    call_control_id: Optional[str] = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    call_id: Optional[str] = field(default=None, compare=False)
    """The carrier's id of the call, where the frame carries one."""
    account_id: Optional[str] = field(default=None, compare=False)
    """The carrier's id of the account, where the frame carries one."""


@dataclass(frozen=True)
class Unknown:
    """A frame whose ``event`` this module does not know, passed through."""

    event: str
    raw: Mapping[str, Any] = field(default_factory=dict)


#: Any event a stream gives (what :meth:`MediaStream.feed` returns a list of).
Event = Union[Connected, Start, Media, Dtmf, Mark, Error, Stop, Unknown]
