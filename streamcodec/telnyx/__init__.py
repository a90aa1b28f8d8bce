"""The Telnyx media-stream protocol.

- :class:`MediaStream`: one WebSocket session: decoded, reordered media in,
  playback messages and mark accounting out.
- :mod:`~streamcodec.telnyx.messages`: typed frames from Telnyx
  (:func:`parse`) and the JSON frames sent back (:func:`media_message`,
  :func:`mark_message`, :func:`clear_message`).
- :mod:`~streamcodec.telnyx.texml`: TeXML ``<Stream>`` documents.
- :mod:`~streamcodec.telnyx.call_control`: the ``stream_*`` fields of Call
  Control dial / answer / streaming_start commands.
- :mod:`~streamcodec.telnyx.webhooks`: stream status callbacks and their
  Ed25519 signatures.
"""

from . import call_control, messages, texml, webhooks
from .messages import (
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
    clear_message,
    mark_message,
    media_message,
    parse,
)
from .session import MediaStream, MP3RateLimitError, TrackStats

__all__ = [
    "Connected",
    "Dtmf",
    "Error",
    "Event",
    "Mark",
    "MP3RateLimitError",
    "Media",
    "MediaFormat",
    "MediaStream",
    "PayloadError",
    "ProtocolError",
    "Start",
    "Stop",
    "TrackStats",
    "Unknown",
    "call_control",
    "clear_message",
    "mark_message",
    "media_message",
    "messages",
    "parse",
    "texml",
    "webhooks",
]
