"""Telnyx media-stream WebSocket frames: typed events in, JSON text out.

Telnyx sends ``connected``, ``start``, ``media``, ``dtmf``, ``mark``,
``error`` and ``stop`` frames; :func:`parse` turns each into a frozen
dataclass.  Frames with an ``event`` this module does not know become
:class:`Unknown` (never an exception), so a new Telnyx event does not break
a server.

Parsing is tolerant of extra fields and strict on the ones an event needs:
a missing or mistyped required field raises :class:`ProtocolError` naming
the field.  Numbers that Telnyx sends as strings of digits
(``sequence_number``, ``chunk``, ``timestamp``, ...) become ``int``.

The builders :func:`media_message`, :func:`mark_message` and
:func:`clear_message` return the JSON text a server sends back to Telnyx in
bidirectional mode.
"""

from __future__ import annotations

import base64
import binascii
import json
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
    "clear_message",
    "mark_message",
    "media_message",
    "parse",
]


class ProtocolError(ValueError):
    """A frame that does not follow the Telnyx media-stream protocol: not
    JSON, not an object, or a required field missing or of the wrong type."""


class PayloadError(ProtocolError):
    """A media frame whose ``payload`` is not valid base64."""


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaFormat:
    """``start.media_format``: the codec of the inbound audio."""

    encoding: str
    """Codec name as Telnyx spells it: ``PCMU PCMA G722 OPUS AMR-WB L16``."""
    sample_rate: int
    """Hz, as Telnyx reports it."""
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
    """The stream's metadata, sent once before any media."""

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
    """The ``<Parameter name value>`` children of the TeXML ``<Stream>``."""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Media:
    """One RTP payload of one track.

    ``pcm`` and ``concealed`` are set by :class:`~streamcodec.telnyx.MediaStream`:
    ``pcm`` is the decoded audio at the session's rate (``None`` from plain
    :func:`parse`), ``concealed`` is True for a frame the session
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


@dataclass(frozen=True)
class Mark:
    """A mark the server sent, echoed back by Telnyx once the audio queued
    before it has played (or when a ``clear`` dropped that audio).

    From :func:`parse`, only ``name`` (and the ids) are set.
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
        while the mark was outstanding: Telnyx returns such marks when it
        drops its queue.
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
    """Telnyx reporting a problem with the stream (for instance a malformed
    frame the server sent)."""

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


@dataclass(frozen=True)
class Unknown:
    """A frame whose ``event`` this module does not know, passed through."""

    event: str
    raw: Mapping[str, Any] = field(default_factory=dict)


#: Any frame :func:`parse` returns.
Event = Union[Connected, Start, Media, Dtmf, Mark, Error, Stop, Unknown]


# --------------------------------------------------------------------------
# Field helpers
# --------------------------------------------------------------------------


_INT64 = 1 << 63


def _where(path: str) -> str:
    return f"field {path!r}"


def _obj(parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if value is None:
        raise ProtocolError(f"{_where(path)} is missing")
    if not isinstance(value, dict):
        raise ProtocolError(f"{_where(path)} must be an object, got {type(value).__name__}")
    return value


def _str(parent: Mapping[str, Any], key: str, path: str, required: bool = False) -> Optional[str]:
    value = parent.get(key)
    if value is None:
        if required:
            raise ProtocolError(f"{_where(path)} is missing")
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"{_where(path)} must be a string, got {type(value).__name__}")
    return value


def _int(parent: Mapping[str, Any], key: str, path: str, required: bool = False,
         signed: bool = False) -> Optional[int]:
    """An int that may arrive as a JSON number or a string of digits;
    negative values only when ``signed``."""
    value = parent.get(key)
    if value is None:
        if required:
            raise ProtocolError(f"{_where(path)} is missing")
        return None
    if isinstance(value, bool):
        raise ProtocolError(f"{_where(path)} must be an integer, got a boolean")
    if isinstance(value, str):
        text = value[1:] if signed and value[:1] == "-" else value
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            raise ProtocolError(
                f"{_where(path)} must be an integer or a string of digits, got {value!r}")
        value = int(value)
    elif not isinstance(value, int):
        raise ProtocolError(f"{_where(path)} must be an integer, got {type(value).__name__}")
    if value < 0 and not signed:
        raise ProtocolError(f"{_where(path)} must not be negative, got {value}")
    if not -_INT64 <= value < _INT64:
        raise ProtocolError(f"{_where(path)} is out of range: {value}")
    return value


def _common(frame: Mapping[str, Any]) -> tuple[Optional[str], Optional[int]]:
    return _str(frame, "stream_id", "stream_id"), _int(frame, "sequence_number", "sequence_number")


def decode_payload(text: Any, path: str = "media.payload") -> bytes:
    """Strict base64 (standard alphabet, padded) to bytes; PayloadError
    naming the field otherwise."""
    if not isinstance(text, str):
        raise PayloadError(f"{_where(path)} must be a base64 string, got {type(text).__name__}")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadError(f"{_where(path)} is not valid base64: {exc}") from None


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


def load(message: Union[str, bytes, bytearray, memoryview]) -> dict:
    """JSON text to the frame's dict; ProtocolError when it is not a JSON
    object with a string ``event``."""
    if isinstance(message, memoryview):
        message = message.tobytes()
    if not isinstance(message, (str, bytes, bytearray)):
        raise TypeError(f"message must be str or bytes, not {type(message).__name__}")
    try:
        frame = json.loads(message)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"message is not valid JSON: {exc}") from None
    except RecursionError:  # e.g. "[" * 100000: nesting no Telnyx frame has
        raise ProtocolError("message is not a Telnyx frame: JSON nested too deeply") from None
    if not isinstance(frame, dict):
        raise ProtocolError(f"message must be a JSON object, got {type(frame).__name__}")
    event = frame.get("event")
    if not isinstance(event, str):
        raise ProtocolError("field 'event' is missing" if event is None else
                            f"field 'event' must be a string, got {type(event).__name__}")
    return frame


def _connected(frame: dict) -> Connected:
    return Connected(version=_str(frame, "version", "version"), raw=frame)


def _media_format(start: Mapping[str, Any]) -> MediaFormat:
    fmt = _obj(start, "media_format", "start.media_format")
    encoding = _str(fmt, "encoding", "start.media_format.encoding", required=True)
    rate = _int(fmt, "sample_rate", "start.media_format.sample_rate", required=True)
    channels = _int(fmt, "channels", "start.media_format.channels")
    if rate <= 0:
        raise ProtocolError(f"field 'start.media_format.sample_rate' must be positive, got {rate}")
    return MediaFormat(encoding=encoding, sample_rate=rate,
                       channels=1 if channels is None else channels)


def _start(frame: dict) -> Start:
    start = _obj(frame, "start", "start")
    stream_id, seq = _common(frame)
    tags = start.get("tags")
    if tags is None:
        tags = ()
    elif not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ProtocolError("field 'start.tags' must be a list of strings")
    params = start.get("custom_parameters")
    if params is None:
        params = {}
    elif not isinstance(params, dict):
        raise ProtocolError(
            f"field 'start.custom_parameters' must be an object, got {type(params).__name__}")
    return Start(
        media_format=_media_format(start),
        stream_id=stream_id if stream_id is not None else _str(start, "stream_id", "start.stream_id"),
        sequence_number=seq,
        user_id=_str(start, "user_id", "start.user_id"),
        call_control_id=_str(start, "call_control_id", "start.call_control_id"),
        call_session_id=_str(start, "call_session_id", "start.call_session_id"),
        from_=_str(start, "from", "start.from"),
        to=_str(start, "to", "start.to"),
        tags=tuple(tags),
        client_state=_str(start, "client_state", "start.client_state"),
        custom_parameters=dict(params),
        raw=frame,
    )


#: Track names as TeXML spells them (``track="inbound_track"``), for the
#: names media frames carry.
_TRACK_NAMES = {"inbound_track": "inbound", "outbound_track": "outbound"}


def _media(frame: dict) -> Media:
    media = _obj(frame, "media", "media")
    stream_id, seq = _common(frame)
    if "payload" not in media:
        raise ProtocolError("field 'media.payload' is missing")
    track = _str(media, "track", "media.track")
    return Media(
        track="inbound" if track is None else _TRACK_NAMES.get(track, track),
        chunk=_int(media, "chunk", "media.chunk", required=True),
        timestamp=_int(media, "timestamp", "media.timestamp"),
        payload=decode_payload(media["payload"]),
        sequence_number=seq,
        stream_id=stream_id,
    )


def _dtmf(frame: dict) -> Dtmf:
    dtmf = _obj(frame, "dtmf", "dtmf")
    stream_id, seq = _common(frame)
    return Dtmf(digit=_str(dtmf, "digit", "dtmf.digit", required=True),
                stream_id=stream_id, sequence_number=seq, raw=frame)


def _mark(frame: dict) -> Mark:
    mark = _obj(frame, "mark", "mark")
    stream_id, seq = _common(frame)
    return Mark(name=_str(mark, "name", "mark.name", required=True),
                stream_id=stream_id, sequence_number=seq, raw=frame)


def _lenient_int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] == "-" else text
        if digits.isascii() and digits.isdigit() and len(digits) <= 19:
            return int(text)
    return None


def _error(frame: dict) -> Error:
    """Error frames are read leniently (Telnyx does not pin their shape down):
    code/title/detail from ``payload``, else from ``error``, else from the
    frame itself; a field that is absent or of another type is None.  Never
    a ProtocolError: the app always hears that Telnyx reported a problem."""
    fields: Mapping[str, Any] = frame
    for key in ("payload", "error"):
        value = frame.get(key)
        if isinstance(value, dict):
            fields = value
            break
    text = lambda key: fields.get(key) if isinstance(fields.get(key), str) else None  # noqa: E731
    stream_id = frame.get("stream_id")
    return Error(code=_lenient_int(fields.get("code")), title=text("title"),
                 detail=text("detail"),
                 stream_id=stream_id if isinstance(stream_id, str) else None,
                 sequence_number=_lenient_int(frame.get("sequence_number")), raw=frame)


def _stop(frame: dict) -> Stop:
    stop = frame.get("stop")
    if stop is None:
        stop = {}
    elif not isinstance(stop, dict):
        raise ProtocolError(f"field 'stop' must be an object, got {type(stop).__name__}")
    stream_id, seq = _common(frame)
    return Stop(stream_id=stream_id, sequence_number=seq,
                user_id=_str(stop, "user_id", "stop.user_id"),
                call_control_id=_str(stop, "call_control_id", "stop.call_control_id"),
                raw=frame)


_PARSERS = {
    "connected": _connected,
    "start": _start,
    "media": _media,
    "dtmf": _dtmf,
    "mark": _mark,
    "error": _error,
    "stop": _stop,
}


def parse_frame(frame: dict) -> Event:
    """Like :func:`parse`, for a frame already loaded from JSON."""
    parser = _PARSERS.get(frame["event"])
    if parser is None:
        return Unknown(event=frame["event"], raw=frame)
    return parser(frame)


def parse(message: Union[str, bytes, bytearray, memoryview]) -> Event:
    """Parse one WebSocket text message from Telnyx into a typed event.

    Parameters
    ----------
    message : str or bytes
        The JSON text of the frame (bytes are read as UTF-8).

    Returns
    -------
    Connected, Start, Media, Dtmf, Mark, Error, Stop or Unknown

    Raises
    ------
    ProtocolError
        The text is not a JSON object with a string ``event``, or a field the
        event needs is missing or has the wrong type (the message names it).
        :class:`PayloadError`, a subclass, for a media payload that is not
        valid base64.
    """
    return parse_frame(load(message))


# --------------------------------------------------------------------------
# Frames to Telnyx
# --------------------------------------------------------------------------


def media_message(payload: Union[bytes, bytearray, memoryview]) -> str:
    """The JSON text of a media frame carrying one RTP payload (or, in MP3
    mode, one whole MP3 file) to Telnyx::

        {"event":"media","media":{"payload":"<base64>"}}
    """
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise TypeError(f"payload must be bytes, not {type(payload).__name__}")
    if not len(payload):
        raise ValueError("payload must not be empty")
    encoded = base64.b64encode(payload).decode("ascii")
    return '{"event":"media","media":{"payload":"' + encoded + '"}}'


def mark_message(name: str) -> str:
    """The JSON text of a mark frame; Telnyx echoes the mark back once the
    audio sent before it has played::

        {"event":"mark","mark":{"name":"<name>"}}
    """
    if not isinstance(name, str):
        raise TypeError(f"mark name must be a str, not {type(name).__name__}")
    if not name:
        raise ValueError("mark name must not be empty")
    return '{"event":"mark","mark":{"name":' + json.dumps(name) + "}}"


def clear_message() -> str:
    """The JSON text of a clear frame: Telnyx drops the audio it has queued
    and returns the queued marks::

        {"event":"clear"}
    """
    return '{"event":"clear"}'
