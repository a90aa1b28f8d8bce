"""Plivo Audio Streams, as the simulator plays them (``<Stream bidirectional="true">``).

From Plivo's audio-streaming reference: no ``connected``; ``start`` first
with a numeric ``sequenceNumber`` (from 1), ``start.callId``/``streamId``/
``accountId``/``tracks``/``mediaFormat.{encoding, sampleRate}`` and
``extra_headers`` (the Stream's ``extraHeaders``, ``k=v;k=v``); ``media``
with ``streamId`` and ``media.{track, timestamp (Unix ms, a string), chunk
(a number), payload}``; ``dtmf``; ``playedStream`` {name} when a
``checkpoint``'s audio has played; ``clearedAudio`` after a ``clearAudio``.
Plivo sends no ``stop``: it closes the socket.  Audio is base64 μ-law 8 kHz
(``audio/x-mulaw``) or L16 at 8 or 16 kHz (``audio/x-l16``), the same both
ways.

What the server sends: ``playAudio`` {media: {contentType, sampleRate,
payload}} with a content type and rate Plivo takes (x-l16: 8000, 16000;
x-mulaw: 8000), the stream's own (Plivo's FAQ: switching codecs between
playAudio events is not supported); ``checkpoint`` {streamId, name};
``clearAudio`` {streamId}.  ``playedStream`` "will only be emitted if the
preceding events were played successfully": a clear drops queued
checkpoints.  Not confirmed: the byte order of x-l16 (taken as
little-endian, as examples that hand it straight to speech engines do) and
the shape of ``dtmf``.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any, Mapping, Optional

from ._carrier import Caller, Message, Played, RuleBroken, b64, dumps, field, load_object

__all__ = ["PlivoCaller"]

CONTENT_TYPES = {"PCMU": "audio/x-mulaw", "L16": "audio/x-l16"}
#: Content type -> sample rates playAudio takes.
PLAY_RATES = {"audio/x-mulaw": (8000,), "audio/x-l16": (8000, 16000)}


class PlivoCaller(Caller):
    """Plivo's side of a call."""

    name = "plivo"
    offers: Mapping[str, Any] = {"PCMU": (8000,), "L16": (8000, 16000)}
    clear_returns_marks = False
    l16_order = "little"

    def __init__(self, codec: str, rate: int, **kwargs: Any):
        super().__init__(codec, rate, **kwargs)
        self.call_id = str(uuid.uuid4())
        self.account_id = "MA" + uuid.uuid4().hex[:18].upper()
        self.began_ms = int(time.time() * 1000)

    def _extra_headers(self) -> str:
        return ";".join(f"{k}={v}" for k, v in self.custom_parameters.items())

    def opening(self) -> list[Message]:
        return [dumps({
            "event": "start", "sequenceNumber": self.next_seq(),
            "start": {"callId": self.call_id, "streamId": self.stream_id,
                      "accountId": self.account_id, "tracks": list(self.tracks),
                      "mediaFormat": {"encoding": CONTENT_TYPES[self.codec],
                                      "sampleRate": self.rate}},
            "extra_headers": self._extra_headers()})]

    def media(self, track: str, chunk: int, timestamp: int, payload: bytes) -> Message:
        return dumps({
            "event": "media", "sequenceNumber": self.next_seq(), "streamId": self.stream_id,
            "media": {"track": track, "timestamp": str(self.began_ms + timestamp),
                      "chunk": chunk, "payload": base64.b64encode(payload).decode("ascii")},
            "extra_headers": self._extra_headers()})

    def dtmf(self, digit: str) -> str:
        return dumps({"event": "dtmf", "sequenceNumber": self.next_seq(),
                      "streamId": self.stream_id,
                      "dtmf": {"track": "inbound", "digit": digit,
                               "timestamp": str(int(time.time() * 1000))},
                      "extra_headers": self._extra_headers()})

    def played(self, name: str) -> str:
        return dumps({"event": "playedStream", "sequenceNumber": self.next_seq(),
                      "streamId": self.stream_id, "name": name})

    def cleared(self) -> list[str]:
        return [dumps({"event": "clearedAudio", "sequenceNumber": self.next_seq(),
                       "streamId": self.stream_id})]

    def stop(self) -> Optional[str]:
        return None

    def _stream_id(self, frame: Mapping[str, Any], event: str) -> None:
        if frame.get("streamId") != self.stream_id:
            raise RuleBroken(f"{event!r} without this stream's streamId "
                             f"(got {frame.get('streamId')!r})")

    def read(self, message: Message) -> Played:
        frame = load_object(message)
        event = field(frame, "event")
        if event == "playAudio":
            content_type = field(frame, "media", "contentType")
            rate = field(frame, "media", "sampleRate", kind=int)
            if rate not in PLAY_RATES.get(content_type, ()):
                raise RuleBroken(f"playAudio contentType {content_type!r} at {rate} Hz: Plivo "
                                 "plays audio/x-l16 at 8000 or 16000, audio/x-mulaw at 8000")
            if (content_type, rate) != (CONTENT_TYPES[self.codec], self.rate):
                raise RuleBroken(f"playAudio {content_type} at {rate} Hz on a stream of "
                                 f"{CONTENT_TYPES[self.codec]} at {self.rate} Hz")
            return Played("media", b64(field(frame, "media", "payload"), "media.payload"))
        if event == "checkpoint":
            self._stream_id(frame, event)
            return Played("mark", field(frame, "name"))
        if event == "clearAudio":
            self._stream_id(frame, event)
            return Played("clear")
        raise RuleBroken(f"plivo takes playAudio, checkpoint and clearAudio, not {event!r}")
