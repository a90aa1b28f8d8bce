"""Which carrier a connection speaks: its session class, its frames, and
telling it from the first messages (``--carrier auto``)."""

from __future__ import annotations

import importlib
import re
from typing import Any, Callable, Optional

from ..stream._fields import codec_of
from ..stream.events import Event

__all__ = ["CARRIERS", "detect", "parse_frame", "session_class"]

#: A UUID, as SignalWire's stream ids are (Twilio's: ``MZ`` + 32 hex digits).
_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")

#: The names ``streamcodec serve --carrier`` takes ("auto": tell from the messages).
CARRIERS = ("auto", "telnyx", "twilio", "signalwire", "plivo", "exotel", "vonage")


def session_class(carrier: str) -> Any:
    """The ``MediaStream`` class of ``carrier``."""
    return _module(carrier).MediaStream


def parse_frame(carrier: str, frame: dict) -> Event:
    """One JSON frame of ``carrier`` as its event."""
    module = _module(carrier)
    parse: Callable[[dict], Event] = (module.messages.parse_frame if carrier == "telnyx"
                                      else module.parse_frame)
    return parse(frame)


def _module(carrier: str) -> Any:
    if carrier not in CARRIERS[1:]:
        raise ValueError(f"carrier must be one of {', '.join(CARRIERS[1:])}, not {carrier!r}")
    return importlib.import_module(f"streamcodec.{carrier}")


def detect(frame: dict) -> Optional[str]:
    """The carrier that writes ``frame`` (a JSON object with an ``event``),
    or None when it does not tell (a ``connected`` frame).

    Vonage's events are ``websocket:...``; the stream id names the others:
    Twilio and SignalWire ``streamSid``, Plivo ``streamId``, Exotel
    ``stream_sid``, Telnyx ``stream_id``.  Twilio and SignalWire speak the
    same messages: SignalWire's ids are UUIDs where Twilio's are two letters
    and 32 hex digits (both carriers' message pages), and a format other
    than μ-law at 8 kHz is SignalWire's too (Twilio has no other).
    """
    event = frame.get("event")
    if isinstance(event, str) and event.startswith("websocket:"):
        return "vonage"
    start = frame.get("start")
    start = start if isinstance(start, dict) else {}
    if "streamSid" in frame or "streamSid" in start:
        fmt = start.get("mediaFormat")
        fmt = fmt if isinstance(fmt, dict) else {}
        encoding = fmt.get("encoding")
        twilio = fmt.get("sampleRate", 8000) in (8000, "8000") and (
            not isinstance(encoding, str) or codec_of(encoding) == "PCMU")
        sid = start.get("streamSid", frame.get("streamSid"))
        if isinstance(sid, str) and _UUID.fullmatch(sid):
            twilio = False
        return "twilio" if twilio else "signalwire"
    if "streamId" in frame or "streamId" in start:
        return "plivo"
    if "stream_sid" in frame or "stream_sid" in start:
        return "exotel"
    if "stream_id" in frame or "stream_id" in start or "media_format" in start:
        return "telnyx"
    return None
