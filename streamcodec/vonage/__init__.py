"""The Vonage Voice API WebSocket dialect.

Binary messages of raw 16-bit little-endian PCM, exactly 20 ms each both
ways, at 8 or 16 kHz; text JSON control (``websocket:connected``,
``websocket:dtmf``, ``notify`` / ``websocket:notify``, ``clear``).
:class:`MediaStream` is one WebSocket session over the protocol core
(:mod:`streamcodec.stream`).
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
