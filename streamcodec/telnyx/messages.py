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
import json
from typing import Any, Mapping, Union

from ..stream._fields import codec_of, lenient_int as _lenient_int, load
from ..stream._fields import decode_payload  # noqa: F401  (telnyx.messages.decode_payload)
from ..stream._fields import id_reader, mapping, media_format, shared_parsers, string_list
from ..stream._fields import obj as _obj, text as _str
from ..stream.events import (
    Connected,
    Dtmf,
    Error,
    Event,
    Mark,
    Media,
    MediaFormat,
    PayloadError,
    ProtocolError,
    Start,
    Stop,
    Unknown,
    _media_event,  # noqa: F401  (telnyx.messages._media_event)
)

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


# The event classes live in the protocol core (streamcodec.stream.events),
# shared by every carrier; this module maps Telnyx's frames onto them.


_common = id_reader("stream_id", "sequence_number")


def _connected(frame: dict) -> Connected:
    return Connected(version=_str(frame, "version", "version"), raw=frame)


def _start(frame: dict) -> Start:
    start = _obj(frame, "start", "start")
    stream_id, seq = _common(frame)
    tags = string_list(start, "tags", "start.tags")
    params = mapping(start, "custom_parameters", "start.custom_parameters")
    fmt = media_format(start, "media_format", "encoding", "sample_rate")
    return Start(
        media_format=fmt,
        stream_id=stream_id if stream_id is not None else _str(start, "stream_id", "start.stream_id"),
        sequence_number=seq,
        user_id=_str(start, "user_id", "start.user_id"),
        call_control_id=_str(start, "call_control_id", "start.call_control_id"),
        call_session_id=_str(start, "call_session_id", "start.call_session_id"),
        from_=_str(start, "from", "start.from"),
        to=_str(start, "to", "start.to"),
        tags=tags,
        client_state=_str(start, "client_state", "start.client_state"),
        custom_parameters=params,
        raw=frame,
        call_id=_str(start, "call_control_id", "start.call_control_id"),
        codec=codec_of(fmt.encoding),
    )


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
    stop = mapping(frame, "stop", "stop")
    stream_id, seq = _common(frame)
    return Stop(stream_id=stream_id, sequence_number=seq,
                user_id=_str(stop, "user_id", "stop.user_id"),
                call_control_id=_str(stop, "call_control_id", "stop.call_control_id"),
                raw=frame, call_id=_str(stop, "call_control_id", "stop.call_control_id"))


_PARSERS = {
    "connected": _connected,
    "start": _start,
    **shared_parsers(_common),
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
