"""The Vonage Voice API WebSocket, as the simulator plays it (NCCO ``connect``
to an endpoint of ``type`` "websocket").

From Vonage's WebSockets guide: the first message is text,
``{"event":"websocket:connected","content-type":"audio/l16;rate=16000"}``
plus the NCCO endpoint's ``headers``; then caller audio in **binary**
frames of raw 16-bit little-endian PCM, 20 ms each (320 bytes at 8 kHz,
640 at 16 kHz), in TCP order with no numbering; ``websocket:dtmf`` (a
top-level ``digit`` and ``duration``) as text.  The call ends by closing
the socket.

What the server sends: binary frames of exactly 20 ms at the same rate,
``{"action":"clear"}`` (answered ``websocket:cleared``) and
``{"action":"notify","payload":{...}}`` (answered ``websocket:notify`` with
the same payload once the audio queued before it has played, like a mark;
the mark's name is ``payload.name``).  Not confirmed: whether a clear
answers notifies still queued (taken as dropped, like Plivo's checkpoints).
With an auth token the upgrade carries ``Authorization: Bearer <JWT>``,
signed here with HS256 under that token (Vonage signs with its own key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any, Mapping, Optional

from ._carrier import Caller, Message, Played, RuleBroken, dumps, field, load_object

__all__ = ["VonageCaller", "hs256_jwt"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hs256_jwt(claims: Mapping[str, Any], secret: str) -> str:
    """A JSON Web Token signed with HMAC-SHA256 (RFC 7519 / 7515)."""
    head = _b64url(dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64url(dumps(dict(claims)).encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64url(signature)}"


class VonageCaller(Caller):
    """Vonage's side of a call."""

    name = "vonage"
    offers: Mapping[str, Any] = {"L16": (8000, 16000)}
    clear_returns_marks = False
    l16_order = "little"
    #: "Vonage buffers only 3072 messages" of 20 ms (its play-audio tutorial).
    max_queued_s = 3072 * 0.020

    def __init__(self, codec: str, rate: int, **kwargs: Any):
        super().__init__(codec, rate, **kwargs)
        self.frame_bytes = 2 * rate // 50
        self.notified: dict[str, Any] = {}     # mark name -> the notify payload to return

    def headers(self) -> dict[str, str]:
        if self.auth_token is None:
            return {}
        now = int(time.time())
        claims = {"iat": now, "exp": now + 300, "jti": str(uuid.uuid4()),
                  "application_id": str(uuid.uuid4())}
        return {"Authorization": "Bearer " + hs256_jwt(claims, self.auth_token)}

    def opening(self) -> list[Message]:
        frame: dict[str, Any] = {"event": "websocket:connected",
                                 "content-type": f"audio/l16;rate={self.rate}"}
        for key, value in self.custom_parameters.items():
            frame.setdefault(key, value)
        return [dumps(frame)]

    def media(self, track: str, chunk: int, timestamp: int, payload: bytes) -> Message:
        return bytes(payload)

    def dtmf(self, digit: str) -> str:
        return dumps({"event": "websocket:dtmf", "digit": digit, "duration": 250})

    def played(self, name: str) -> str:
        payload = self.notified.pop(name, {"name": name})
        return dumps({"event": "websocket:notify", "payload": payload})

    def cleared(self) -> list[str]:
        return [dumps({"event": "websocket:cleared"})]

    def stop(self) -> Optional[str]:
        return None

    def read(self, message: Message) -> Played:
        if isinstance(message, (bytes, bytearray, memoryview)):
            data = bytes(message)
            if len(data) != self.frame_bytes:
                raise RuleBroken(f"binary frame of {len(data)} bytes: Vonage plays frames of "
                                 f"exactly 20 ms ({self.frame_bytes} bytes at {self.rate} Hz)")
            return Played("media", data)
        frame = load_object(message)
        action = field(frame, "action")
        if action == "clear":
            return Played("clear")
        if action == "notify":
            payload = frame.get("payload", {})
            if not isinstance(payload, dict):
                raise RuleBroken("notify payload must be an object")
            name = payload.get("name")
            if not isinstance(name, str):
                name = json.dumps(payload, sort_keys=True)
            self.notified[name] = payload
            return Played("mark", name)
        raise RuleBroken(f"vonage takes binary audio, clear and notify, not {action!r}")
