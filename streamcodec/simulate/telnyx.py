"""Telnyx, as the simulator plays it (``<Stream bidirectionalMode="rtp">``).

Telnyx sends ``connected`` (with the streaming auth token, also sent as the
``x-telnyx-streaming-auth-token`` header), ``start`` with
``custom_parameters`` and ``media_format``, one ``media`` per 20 ms (numbers
as strings of digits, on the inbound track or both), ``dtmf``, ``mark``
echoes and ``stop``; the server plays back in its bidirectional codec and
rate (DESIGN.md's wire facts): ``media`` {media: {payload}}, ``mark``
{mark: {name}} and ``clear``, read here on their own, not with the server's
parser.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any, Mapping, Optional, Sequence

from .. import normalize_codec
from ._carrier import Caller, Message, Played, RuleBroken, b64, dumps, field, load_object

__all__ = ["AUTH_HEADER", "TRACKS", "TelnyxCaller", "connected_frame", "dtmf_frame",
           "mark_frame", "media_frame", "start_frame", "stop_frame", "wire_rate"]

#: The header (and ``connected`` field) that carries Telnyx's streaming auth token.
AUTH_HEADER = "x-telnyx-streaming-auth-token"
#: ``track`` values and the media tracks each sends: today's names and the
#: TeXML / Call Control spellings (``inbound_track``, ...).
TRACKS = {
    "inbound": ("inbound",), "inbound_track": ("inbound",),
    "outbound": ("outbound",), "outbound_track": ("outbound",),
    "both_tracks": ("inbound", "outbound"),
}


def connected_frame(token: Optional[str] = None, version: str = "1.0.0") -> str:
    """``{"event":"connected","version":"1.0.0"}``, with the auth token when given."""
    frame: dict[str, Any] = {"event": "connected", "version": version}
    if token is not None:
        frame[AUTH_HEADER] = token
    return dumps(frame)


def start_frame(stream_id: str, sequence_number: int, encoding: str, sample_rate: int, *,
                call_control_id: str = "", call_session_id: str = "", user_id: str = "",
                from_: str = "+15550100001", to: str = "+15550100002",
                tags: Sequence[str] = (), client_state: Optional[str] = None,
                custom_parameters: Optional[Mapping[str, Any]] = None) -> str:
    """The ``start`` frame: call metadata and ``media_format``."""
    start: dict[str, Any] = {
        "user_id": user_id, "call_control_id": call_control_id,
        "call_session_id": call_session_id, "from": from_, "to": to, "tags": list(tags),
        "custom_parameters": dict(custom_parameters or {}),
        "media_format": {"encoding": encoding, "sample_rate": sample_rate, "channels": 1},
    }
    if client_state is not None:
        start["client_state"] = client_state
    return dumps({"event": "start", "sequence_number": str(sequence_number),
                  "stream_id": stream_id, "start": start})


def media_frame(stream_id: str, sequence_number: int, track: str, chunk: int, timestamp: int,
                payload: bytes) -> str:
    """One ``media`` frame; numbers go out as strings of digits, as Telnyx sends them."""
    return dumps({"event": "media", "sequence_number": str(sequence_number),
                  "stream_id": stream_id,
                  "media": {"track": track, "chunk": str(chunk), "timestamp": str(timestamp),
                            "payload": base64.b64encode(payload).decode("ascii")}})


def dtmf_frame(stream_id: str, sequence_number: int, digit: str) -> str:
    """A ``dtmf`` frame for one key."""
    return dumps({"event": "dtmf", "sequence_number": str(sequence_number),
                  "stream_id": stream_id, "dtmf": {"digit": digit}})


def mark_frame(stream_id: str, sequence_number: int, name: str) -> str:
    """A ``mark`` echo."""
    return dumps({"event": "mark", "sequence_number": str(sequence_number),
                  "stream_id": stream_id, "mark": {"name": name}})


def stop_frame(stream_id: str, sequence_number: int, call_control_id: str = "",
               user_id: str = "") -> str:
    """The ``stop`` frame."""
    return dumps({"event": "stop", "sequence_number": str(sequence_number),
                  "stream_id": stream_id,
                  "stop": {"user_id": user_id, "call_control_id": call_control_id}})


_FIXED_RATES = {"PCMU": 8000, "PCMA": 8000, "G722": 16000, "AMR-WB": 16000}


def wire_rate(codec: str, rate: Optional[int] = None) -> int:
    """The audio rate of ``codec`` on the wire: fixed for PCMU/PCMA (8000) and
    G722/AMR-WB (16000); ``rate`` (default 16000) for OPUS and L16."""
    name = normalize_codec(codec)
    if name in _FIXED_RATES:
        return _FIXED_RATES[name]
    return 16000 if rate is None else rate


class TelnyxCaller(Caller):
    """Telnyx's side of a call.

    Extra parameters: ``playback_codec`` and ``playback_rate`` (the
    bidirectional codec and rate), ``token_in`` (``"both"``, ``"header"`` or
    ``"connected"``: where the auth token goes)."""

    name = "telnyx"
    offers = {"PCMU": (8000,), "PCMA": (8000,), "G722": (16000,), "AMR-WB": (16000,),
              "OPUS": (8000, 16000, 24000), "L16": (8000, 16000, 24000)}
    strict = False

    def __init__(self, codec: str, rate: int, *, playback_codec: str = "PCMU",
                 playback_rate: Optional[int] = None, token_in: str = "both", **kwargs: Any):
        super().__init__(codec, rate, **kwargs)
        self.playback_codec = normalize_codec(playback_codec)
        self.playback_rate = wire_rate(self.playback_codec, playback_rate)
        self.token_in = token_in
        self.call_control_id = "v3:" + uuid.uuid4().hex

    def headers(self) -> dict[str, str]:
        if self.auth_token is not None and self.token_in in ("both", "header"):
            return {AUTH_HEADER: self.auth_token}
        return {}

    def opening(self) -> list[Message]:
        token = self.auth_token if self.token_in in ("both", "connected") else None
        return [connected_frame(token),
                start_frame(self.stream_id, self.next_seq(), self.codec, self.rate,
                            call_control_id=self.call_control_id,
                            call_session_id=str(uuid.uuid4()), user_id=str(uuid.uuid4()),
                            custom_parameters=self.custom_parameters)]

    def media(self, track: str, chunk: int, timestamp: int, payload: bytes) -> Message:
        return media_frame(self.stream_id, self.next_seq(), track, chunk, timestamp, payload)

    def dtmf(self, digit: str) -> str:
        return dtmf_frame(self.stream_id, self.next_seq(), digit)

    def played(self, name: str) -> str:
        return mark_frame(self.stream_id, self.next_seq(), name)

    def stop(self) -> Optional[str]:
        return stop_frame(self.stream_id, self.next_seq(), self.call_control_id)

    def playback(self) -> tuple[str, int]:
        return self.playback_codec, self.playback_rate

    def read(self, message: Message) -> Played:
        frame = load_object(message)
        event = field(frame, "event")
        if event == "media":
            return Played("media", b64(field(frame, "media", "payload"), "media.payload"))
        if event == "mark":
            return Played("mark", field(frame, "mark", "name"))
        if event == "clear":
            return Played("clear")
        raise RuleBroken(f"unexpected event {event!r} from the server: Telnyx takes media, "
                         "mark and clear")
