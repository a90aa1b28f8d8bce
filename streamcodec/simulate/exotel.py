"""Exotel AgentStream (Voicebot applet), as the simulator plays it.

From Exotel's websocket-protocol page: snake_case fields; ``connected``,
``start`` (``sequence_number``, ``stream_sid``, ``start.{stream_sid,
call_sid, account_sid, from, to, custom_parameters, media_format:
{encoding "audio/x-raw", sample_rate "8000", bit_rate "16"}}``), ``media``
(``media.{chunk, timestamp, payload}``), ``dtmf`` {digit, duration},
``mark`` when the audio before a mark has played, and ``stop``.  Audio is
base64 16-bit little-endian PCM ("raw/slin") at 8000 (default), 16000 or
24000 Hz, chosen by the URL's ``sample-rate``; the beta extension guide
adds μ-law 8 kHz.  Exotel sends about every 100 ms: one inbound message
here carries 100 ms.

What the server sends: ``media`` {stream_sid, media: {payload}}, ``mark``
{stream_sid, mark: {name}}, ``clear`` {stream_sid}; each media payload
"minimum 3.2k [100ms data]", "maximum 100k", "always in multiple of 320
bytes" (Exotel's support article on the Stream and Voicebot applets).  A
``clear`` sends back the marks still queued, as Twilio's does (not stated
by Exotel).  Not confirmed: whether numbers travel as numbers or strings
(numbers here, timestamps as strings of milliseconds).
"""

from __future__ import annotations

import base64
import secrets
from typing import Any, Mapping, Optional

from ._carrier import Caller, Message, Played, RuleBroken, b64, dumps, field, load_object

__all__ = ["ExotelCaller", "PLAY_MIN", "PLAY_MAX", "PLAY_UNIT"]

#: Bytes a played-back media payload must have at least, at most, and a multiple of.
PLAY_MIN, PLAY_MAX, PLAY_UNIT = 3200, 100_000, 320

ENCODINGS = {"L16": ("audio/x-raw", "16"), "PCMU": ("audio/x-mulaw", "8")}


class ExotelCaller(Caller):
    """Exotel's side of a call."""

    name = "exotel"
    offers: Mapping[str, Any] = {"L16": (8000, 16000, 24000), "PCMU": (8000,)}
    message_ms = 100
    l16_order = "little"

    def __init__(self, codec: str, rate: int, **kwargs: Any):
        super().__init__(codec, rate, **kwargs)
        self.call_sid = secrets.token_hex(16)
        self.account_sid = "exotel" + secrets.token_hex(4)

    def headers(self) -> dict[str, str]:
        if self.auth_token is None:
            return {}
        # wss://KEY:TOKEN@host/... is sent as Basic auth; the token given is "KEY:TOKEN".
        return {"Authorization": "Basic " + base64.b64encode(self.auth_token.encode()).decode()}

    def _frame(self, event: str, **body: Any) -> str:
        frame: dict[str, Any] = {"event": event, "sequence_number": self.next_seq(),
                                 "stream_sid": self.stream_id}
        frame.update(body)
        return dumps(frame)

    def opening(self) -> list[Message]:
        encoding, bits = ENCODINGS[self.codec]
        start = {"stream_sid": self.stream_id, "call_sid": self.call_sid,
                 "account_sid": self.account_sid, "from": "09999900001", "to": "08047491899",
                 "custom_parameters": {k: str(v) for k, v in self.custom_parameters.items()},
                 "media_format": {"encoding": encoding, "sample_rate": str(self.rate),
                                  "bit_rate": bits}}
        return [dumps({"event": "connected"}), self._frame("start", start=start)]

    def media(self, track: str, chunk: int, timestamp: int, payload: bytes) -> Message:
        return self._frame("media", media={
            "chunk": chunk, "timestamp": str(timestamp),
            "payload": base64.b64encode(payload).decode("ascii")})

    def dtmf(self, digit: str) -> str:
        return self._frame("dtmf", dtmf={"digit": digit, "duration": "250"})

    def played(self, name: str) -> str:
        return self._frame("mark", mark={"name": name})

    def stop(self) -> Optional[str]:
        return self._frame("stop", stop={"call_sid": self.call_sid,
                                         "account_sid": self.account_sid,
                                         "reason": "callended"})

    def read(self, message: Message) -> Played:
        frame = load_object(message)
        event = field(frame, "event")
        if frame.get("stream_sid") != self.stream_id:
            raise RuleBroken(f"{event!r} without this stream's stream_sid "
                             f"(got {frame.get('stream_sid')!r})")
        if event == "media":
            payload = b64(field(frame, "media", "payload"), "media.payload")
            if len(payload) % PLAY_UNIT or not PLAY_MIN <= len(payload) <= PLAY_MAX:
                raise RuleBroken(f"media payload of {len(payload)} bytes: Exotel wants "
                                 f"{PLAY_MIN} to {PLAY_MAX} bytes in multiples of {PLAY_UNIT}")
            return Played("media", payload)
        if event == "mark":
            return Played("mark", field(frame, "mark", "name"))
        if event == "clear":
            return Played("clear")
        raise RuleBroken(f"exotel takes media, mark and clear, not {event!r}")
