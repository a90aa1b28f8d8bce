"""SignalWire, as the simulator plays it (cXML ``<Connect><Stream codec=...>``).

SignalWire's cXML media streams are Twilio's messages ("compatible with
Twilio's"), with a codec choice: PCMU (default), PCMA, G722, or L16 at
8, 16 or 24 kHz (``L16``, ``L16@16000h``, ``L16@24000h``), the same both
ways; the upgrade request carries ``Authorization: Bearer <token>`` when
the stream has one.  SignalWire's ``<Stream>`` page (cXML voice reference)
differs from Twilio's in what it shows: ``connected`` has ``version``
"0.2.0", the stream, call and account ids are UUIDs (Twilio's are
``MZ``/``CA``/``AC`` and 32 hex digits), and ``mediaFormat.encoding`` is
``audio/x-mulaw`` or ``audio/x-L16``.  Its example messages also say
which carry what: ``start``, ``media`` and ``stop`` are numbered
(``sequenceNumber``) and name no stream at the top (``stop`` has nothing
else), ``dtmf`` (``dtmf.digit``/``duration``, no track) and ``mark`` name
the stream and are not numbered; ``start.customParameters`` "appears only
when parameters are defined".  Not on that page: the spellings for
PCMA and G722 (taken as ``audio/x-alaw`` and ``audio/G722``) and the byte
order of L16 on the wire (taken as little-endian, the host order of the
FreeSWITCH media servers SignalWire runs on; the server's SignalWire session
takes the same default and has an option for network order).
"""

from __future__ import annotations

import uuid
from typing import Any, Mapping, Optional

from ._carrier import dumps
from .twilio import TwilioCaller

__all__ = ["SignalWireCaller"]


class SignalWireCaller(TwilioCaller):
    """SignalWire's side of a call."""

    name = "signalwire"
    offers: Mapping[str, Any] = {"PCMU": (8000,), "PCMA": (8000,), "G722": (16000,),
                                 "L16": (8000, 16000, 24000)}
    encodings = {"PCMU": "audio/x-mulaw", "PCMA": "audio/x-alaw", "G722": "audio/G722",
                 "L16": "audio/x-L16"}
    l16_order = "little"
    protocol_version = "0.2.0"

    def __init__(self, codec: str, rate: int, **kwargs: Any):
        super().__init__(codec, rate, **kwargs)
        self.account_sid = str(uuid.uuid4())
        self.call_sid = str(uuid.uuid4())

    def _frame(self, event: str, **body: Any) -> str:
        frame: dict[str, Any] = {"event": event}
        if event in ("start", "media", "stop"):
            frame["sequenceNumber"] = str(self.next_seq())
        else:
            frame["streamSid"] = self.stream_id
        frame.update(body)
        if event == "start" and not body["start"]["customParameters"]:
            del body["start"]["customParameters"]   # "only when parameters are defined"
        return dumps(frame)

    def dtmf(self, digit: str) -> str:
        return self._frame("dtmf", dtmf={"duration": 250, "digit": digit})

    def stop(self) -> Optional[str]:
        return self._frame("stop")

    def headers(self) -> dict[str, str]:
        if self.auth_token is None:
            return {}
        return {"Authorization": f"Bearer {self.auth_token}"}
