"""A local stand-in for the carriers: plays calls into a media-stream server.

:func:`simulate_call` connects to a WebSocket server and behaves as a
carrier does on a bidirectional media stream (Telnyx by default; Twilio,
SignalWire, Plivo, Exotel and Vonage with ``carrier=``): its messages, its
pacing, its acknowledgements of marks, its answer to clear, and its rules
for what the server sends back.  One module per carrier holds that
carrier's side (:mod:`~streamcodec.simulate.telnyx`, ``twilio``,
``signalwire``, ``plivo``, ``exotel``, ``vonage``), written from the
carriers' documentation independently of the server's dialect code; the
call engine shared by all of them is in ``_call``.
"""

from ._call import CARRIERS, CallResult, playback_misfit, run_call, simulate_call
from ._carrier import Caller, RuleBroken
from .telnyx import (
    AUTH_HEADER,
    TRACKS,
    connected_frame,
    dtmf_frame,
    mark_frame,
    media_frame,
    start_frame,
    stop_frame,
    wire_rate,
)

__all__ = [
    "AUTH_HEADER",
    "CARRIERS",
    "CallResult",
    "Caller",
    "RuleBroken",
    "TRACKS",
    "connected_frame",
    "dtmf_frame",
    "mark_frame",
    "media_frame",
    "playback_misfit",
    "run_call",
    "simulate_call",
    "start_frame",
    "stop_frame",
    "wire_rate",
]
