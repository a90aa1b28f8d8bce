"""Reading the fields of a carrier's JSON message, with errors that name
the field.  Numbers may arrive as JSON numbers or as strings of digits
(Telnyx, Twilio and Exotel send strings); both become ``int``."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Callable, Literal, Mapping, Optional, Union, overload

from .events import MediaFormat, PayloadError, ProtocolError

_INT64 = 1 << 63


def _where(path: str) -> str:
    return f"field {path!r}"


def obj(parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if value is None:
        raise ProtocolError(f"{_where(path)} is missing")
    if not isinstance(value, dict):
        raise ProtocolError(f"{_where(path)} must be an object, got {type(value).__name__}")
    return value


@overload
def text(parent: Mapping[str, Any], key: str, path: str, required: Literal[True]) -> str: ...
@overload
def text(parent: Mapping[str, Any], key: str, path: str,
         required: bool = False) -> Optional[str]: ...


def text(parent: Mapping[str, Any], key: str, path: str, required: bool = False) -> Optional[str]:
    value = parent.get(key)
    if value is None:
        if required:
            raise ProtocolError(f"{_where(path)} is missing")
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"{_where(path)} must be a string, got {type(value).__name__}")
    return value


@overload
def integer(parent: Mapping[str, Any], key: str, path: str, required: Literal[True],
            signed: bool = False) -> int: ...
@overload
def integer(parent: Mapping[str, Any], key: str, path: str, required: bool = False,
            signed: bool = False) -> Optional[int]: ...


def integer(parent: Mapping[str, Any], key: str, path: str, required: bool = False,
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
    if not isinstance(message, str):
        # json.loads would guess UTF-16/32 from the first bytes; JSON between
        # systems is UTF-8 (RFC 8259), and anything else is a binary message
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"message is not valid JSON: not UTF-8 text, a binary message "
                                f"where JSON text is expected ({exc.reason} at byte "
                                f"{exc.start})") from None
    try:
        frame = json.loads(message)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"message is not valid JSON: {exc}") from None
    except RecursionError:  # e.g. "[" * 100000: nesting no carrier's frame has
        raise ProtocolError("message is not a media-stream frame: JSON nested too deeply") from None
    if not isinstance(frame, dict):
        raise ProtocolError(f"message must be a JSON object, got {type(frame).__name__}")
    event = frame.get("event")
    if not isinstance(event, str):
        raise ProtocolError("field 'event' is missing" if event is None else
                            f"field 'event' must be a string, got {type(event).__name__}")
    return frame



def lenient_int(value: Any) -> Optional[int]:
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



#: Carriers' MIME-style encodings, as streamcodec's codec names.
_MIME_CODECS = {
    "audio/x-mulaw": "PCMU", "audio/mulaw": "PCMU", "audio/pcmu": "PCMU", "audio/basic": "PCMU",
    "audio/x-alaw": "PCMA", "audio/alaw": "PCMA", "audio/pcma": "PCMA",
    "audio/x-l16": "L16", "audio/l16": "L16", "audio/x-raw": "L16", "audio/g722": "G722",
}


def codec_of(encoding: str) -> Optional[str]:
    """streamcodec's codec name for a carrier's encoding (``audio/x-mulaw``
    -> ``PCMU``, ``audio/x-l16;rate=16000`` -> ``L16``, ``PCMA`` -> ``PCMA``);
    None when it names no codec streamcodec knows."""
    from .._codecs import normalize_codec
    name = encoding.split(";", 1)[0].strip().lower()
    if name in _MIME_CODECS:
        return _MIME_CODECS[name]
    try:
        return normalize_codec(name)
    except ValueError:
        return None


def rate_of(encoding: str) -> Optional[int]:
    """The ``rate=`` parameter of a MIME-style encoding
    (``audio/l16;rate=16000`` -> 16000), or None."""
    for part in encoding.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "rate" and value.strip().isdigit():
            return int(value.strip())
    return None


def mark_name(name: Any) -> str:
    """A mark's name as JSON text; TypeError/ValueError for one that is not
    a non-empty str."""
    if not isinstance(name, str):
        raise TypeError(f"mark name must be a str, not {type(name).__name__}")
    if not name:
        raise ValueError("mark name must not be empty")
    return json.dumps(name)


#: Track names as TeXML and Twilio's dtmf spell them, for the events'.
TRACK_NAMES = {"inbound_track": "inbound", "outbound_track": "outbound"}


def string_list(parent: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
    """An optional list of strings (``start.tracks``, ``start.tags``)."""
    value = parent.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProtocolError(f"{_where(path)} must be a list of strings")
    return tuple(value)


def mapping(parent: Mapping[str, Any], key: str, path: str) -> dict:
    """An optional object (``start.custom_parameters``), as a new dict."""
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProtocolError(f"{_where(path)} must be an object, got {type(value).__name__}")
    return dict(value)


def media_event(frame: Mapping[str, Any], stream_id: Optional[str],
                sequence_number: Optional[int]) -> Any:
    """The ``media`` object every JSON carrier sends (track, chunk,
    timestamp, base64 payload) as a Media event."""
    from .events import Media
    media = obj(frame, "media", "media")
    if "payload" not in media:
        raise ProtocolError("field 'media.payload' is missing")
    track = text(media, "track", "media.track")
    return Media(track="inbound" if track is None else TRACK_NAMES.get(track, track),
                 chunk=integer(media, "chunk", "media.chunk", required=True),
                 timestamp=integer(media, "timestamp", "media.timestamp"),
                 payload=decode_payload(media["payload"]), sequence_number=sequence_number,
                 stream_id=stream_id)


def dtmf_event(frame: Mapping[str, Any], stream_id: Optional[str],
               sequence_number: Optional[int]) -> Any:
    """The ``dtmf`` object of the JSON carriers (``digit``, and Exotel's
    ``duration``, read leniently) as a Dtmf event."""
    from .events import Dtmf
    dtmf = obj(frame, "dtmf", "dtmf")
    return Dtmf(digit=text(dtmf, "digit", "dtmf.digit", required=True), stream_id=stream_id,
                sequence_number=sequence_number, raw=frame,
                duration=lenient_int(dtmf.get("duration")))


def mark_event(frame: Mapping[str, Any], stream_id: Optional[str],
               sequence_number: Optional[int]) -> Any:
    """A ``mark`` echo (``mark.name``) as a Mark event."""
    from .events import Mark
    mark = obj(frame, "mark", "mark")
    return Mark(name=text(mark, "name", "mark.name", required=True), stream_id=stream_id,
                sequence_number=sequence_number, raw=frame)


def id_reader(stream_key: str, sequence_key: str) -> Callable[[Mapping[str, Any]],
                                                               tuple[Optional[str], Optional[int]]]:
    """How a JSON carrier names the stream and numbers its messages: a
    function giving a frame's (stream id, sequence number), read from the
    top-level ``stream_key`` and ``sequence_key``."""
    def ids(frame: Mapping[str, Any]) -> tuple[Optional[str], Optional[int]]:
        return (text(frame, stream_key, stream_key),
                integer(frame, sequence_key, sequence_key))
    return ids


def shared_parsers(ids: Callable[[Mapping[str, Any]], tuple[Optional[str], Optional[int]]],
                   events: tuple[str, ...] = ("media", "dtmf", "mark")) -> dict:
    """The parsers of the events JSON carriers write alike (``media``,
    ``dtmf``, the ``mark`` echo), with the carrier's ids, for
    :func:`dispatch`."""
    makers = {"media": media_event, "dtmf": dtmf_event, "mark": mark_event}
    return {name: (lambda frame, make=makers[name]: make(frame, *ids(frame)))
            for name in events}


def media_format(start: Mapping[str, Any], key: str, encoding_key: str,
                 rate_key: str) -> MediaFormat:
    """A start's format object (Telnyx's ``media_format``, Twilio's and
    Plivo's ``mediaFormat``): encoding and a positive rate required,
    ``channels`` optional (1)."""
    where = f"start.{key}"
    fmt = obj(start, key, where)
    encoding = text(fmt, encoding_key, f"{where}.{encoding_key}", required=True)
    rate = integer(fmt, rate_key, f"{where}.{rate_key}", required=True)
    channels = integer(fmt, "channels", f"{where}.channels")
    assert encoding is not None and rate is not None   # required=True
    if rate <= 0:
        raise ProtocolError(f"field '{where}.{rate_key}' must be positive, got {rate}")
    return MediaFormat(encoding=encoding, sample_rate=rate,
                       channels=1 if channels is None else channels)


def dispatch(parsers: Mapping[str, Any], frame: dict) -> Any:
    """The event of ``frame`` by the parser of its ``event``; an event the
    carrier does not document is an Unknown, passed through."""
    from .events import Unknown
    parser = parsers.get(frame["event"])
    return Unknown(event=frame["event"], raw=frame) if parser is None else parser(frame)
