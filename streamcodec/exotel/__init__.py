"""The Exotel AgentStream (Voicebot applet) dialect.

JSON text with snake_case fields, base64 16-bit little-endian PCM at 8, 16
or 24 kHz (μ-law when ``media_format`` says so); outbound messages of 3.2
KB to 100 KB in multiples of 320 bytes.  :class:`MediaStream` is one
WebSocket session over the protocol core (:mod:`streamcodec.stream`).
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
from .session import MediaStream, parse_frame, playback_ptime

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
    "playback_ptime",
]
