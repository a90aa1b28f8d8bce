"""The media-stream protocol core every carrier shares.

Events (start, media, dtmf, mark, stop, error), reordering, gap detection
and concealment, playback framing and pacing, marks and heard-so-far
accounting, clear and counters, written once; each carrier package
(:mod:`streamcodec.telnyx`, :mod:`streamcodec.twilio`,
:mod:`streamcodec.signalwire`, :mod:`streamcodec.plivo`,
:mod:`streamcodec.exotel`, :mod:`streamcodec.vonage`) is a thin dialect over
it: a ``MediaStream`` subclass of :class:`MediaStream` saying how its wire
maps onto these events and what its messages look like.
"""

from .events import (
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
)
from .session import MediaStream, TrackStats

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
]
