"""The SignalWire media-stream dialect (cXML ``<Stream>``, SWML ``stream:``).

Twilio's messages (:mod:`streamcodec.twilio`) with a codec choice: PCMU,
PCMA, G722 or L16 at 8, 16 or 24 kHz, both ways, announced in
``start.mediaFormat``.  :class:`MediaStream` is one WebSocket session over
the protocol core (:mod:`streamcodec.stream`).
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
from .session import MediaStream, codec_attribute, parse_frame

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
    "codec_attribute",
    "parse_frame",
]
