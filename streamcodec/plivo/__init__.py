"""The Plivo audio-stream dialect.

JSON text, base64 μ-law at 8 kHz or L16 at 8 or 16 kHz both ways;
``playAudio``, ``checkpoint`` (answered by ``playedStream``) and
``clearAudio`` (answered by ``clearedAudio``).  :class:`MediaStream` is one
WebSocket session over the protocol core (:mod:`streamcodec.stream`).
"""

from . import answer
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
    "parse_frame",
]
