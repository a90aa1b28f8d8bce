"""Twilio Media Streams, as the simulator plays them (``<Connect><Stream>``).

From Twilio's "Media Streams - WebSocket Messages" page: ``connected``
(``protocol`` "Call", ``version`` "1.0.0", no sequence number), then
``start`` with ``sequenceNumber`` "1" (numbers are strings of digits, one
sequence across all messages), ``start.streamSid``/``accountSid``/
``callSid``/``tracks``/``customParameters``/``mediaFormat``; ``media`` with
``media.track``/``chunk`` (from "1")/``timestamp`` (ms)/``payload``;
``dtmf`` (``dtmf.track`` "inbound_track"), ``mark`` echoes and ``stop``.
Audio is base64 μ-law at 8 kHz both ways, 20 ms per inbound message.

What the server sends must be JSON text (a binary frame is Twilio's warning
31950) with ``event`` media, mark or clear, each carrying the stream's
``streamSid``.  A ``clear`` sends back the marks still queued.  With an auth
token the upgrade request is signed as Twilio signs it:
``X-Twilio-Signature`` = base64(HMAC-SHA1(auth token, the URL)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any, Mapping, Optional

from ._carrier import Caller, Message, Played, RuleBroken, b64, dumps, field, load_object

__all__ = ["TwilioCaller", "twilio_signature"]

#: ``mediaFormat.encoding`` per codec.
ENCODINGS = {"PCMU": "audio/x-mulaw"}


def twilio_signature(auth_token: str, url: str, params: Optional[Mapping[str, str]] = None) -> str:
    """Twilio's request signature: base64 HMAC-SHA1 of the URL followed by
    each POST parameter's name and value in name order (none for a
    WebSocket upgrade), keyed with the account's auth token."""
    given = params or {}
    data = url + "".join(k + given[k] for k in sorted(given))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class TwilioCaller(Caller):
    """Twilio's side of a call."""

    name = "twilio"
    offers: Mapping[str, Any] = {"PCMU": (8000,)}
    encodings = ENCODINGS
    #: Beyond about 10 minutes queued Twilio discards audio (warning 31931).
    max_queued_s = 600.0
    #: ``version`` of the ``connected`` message.
    protocol_version = "1.0.0"

    def __init__(self, codec: str, rate: int, **kwargs: Any):
        super().__init__(codec, rate, **kwargs)
        self.account_sid = _sid("AC")
        self.call_sid = _sid("CA")

    def headers(self) -> dict[str, str]:
        if self.auth_token is None:
            return {}
        return {"X-Twilio-Signature": twilio_signature(self.auth_token, self.url)}

    def _frame(self, event: str, **body: Any) -> str:
        frame: dict[str, Any] = {"event": event, "sequenceNumber": str(self.next_seq())}
        frame.update(body)
        frame["streamSid"] = self.stream_id
        return dumps(frame)

    def opening(self) -> list[Message]:
        start = {
            "accountSid": self.account_sid, "streamSid": self.stream_id,
            "callSid": self.call_sid, "tracks": list(self.tracks),
            "customParameters": {k: str(v) for k, v in self.custom_parameters.items()},
            "mediaFormat": {"encoding": self.encodings[self.codec], "sampleRate": self.rate,
                            "channels": 1},
        }
        return [dumps({"event": "connected", "protocol": "Call",
                       "version": self.protocol_version}),
                self._frame("start", start=start)]

    def media(self, track: str, chunk: int, timestamp: int, payload: bytes) -> Message:
        return self._frame("media", media={
            "track": track, "chunk": str(chunk), "timestamp": str(timestamp),
            "payload": base64.b64encode(payload).decode("ascii")})

    def dtmf(self, digit: str) -> str:
        return self._frame("dtmf", dtmf={"track": "inbound_track", "digit": digit})

    def played(self, name: str) -> str:
        return self._frame("mark", mark={"name": name})

    def stop(self) -> Optional[str]:
        return self._frame("stop", stop={"accountSid": self.account_sid,
                                         "callSid": self.call_sid})

    def read(self, message: Message) -> Played:
        frame = load_object(message)
        event = field(frame, "event")
        sid = frame.get("streamSid")
        if sid != self.stream_id:
            raise RuleBroken(f"{event!r} message without this stream's streamSid "
                             f"(got {sid!r})")
        if event == "media":
            return Played("media", b64(field(frame, "media", "payload"), "media.payload"))
        if event == "mark":
            return Played("mark", field(frame, "mark", "name"))
        if event == "clear":
            return Played("clear")
        raise RuleBroken(f"{self.name} takes media, mark and clear, not {event!r}")
