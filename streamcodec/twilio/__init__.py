"""The Twilio Media Streams dialect.

JSON text, base64 μ-law 8 kHz both ways, camelCase fields; every outbound
message names the ``streamSid``.  :class:`MediaStream` is one WebSocket
session over the protocol core (:mod:`streamcodec.stream`); its
:meth:`~MediaStream.feed` returns the same events as every carrier's, and
:meth:`~MediaStream.play`, :meth:`~MediaStream.mark` and
:meth:`~MediaStream.clear` return ready JSON messages.
"""

from . import answer, auth
from ..stream import (
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
    TrackStats,
    Unknown,
)
from .session import MediaStream, parse_frame

__all__ = [
    "Connected",
    "Dtmf",
    "Error",
    "Event",
    "Mark",
    "Media",
    "MediaFormat",
    "MediaStream",
    "PayloadError",
    "ProtocolError",
    "Start",
    "Stop",
    "TrackStats",
    "Unknown",
    "answer",
    "auth",
    "parse_frame",
]
