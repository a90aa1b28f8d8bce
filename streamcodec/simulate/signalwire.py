"""SignalWire, as the simulator plays it (cXML ``<Connect><Stream codec=...>``).

SignalWire's cXML media streams are Twilio's messages ("compatible with
Twilio's"), with a codec choice: PCMU (default), PCMA, G722, or L16 at
8, 16 or 24 kHz (``L16``, ``L16@16000h``, ``L16@24000h``), the same both
ways; the upgrade request carries ``Authorization: Bearer <token>`` when
the stream has one.  Not confirmed by SignalWire's pages: the
``mediaFormat.encoding`` spellings of the non-μ-law codecs and the byte
order of L16 on the wire (taken as little-endian, the host order of the
FreeSWITCH media servers SignalWire runs on; the server's SignalWire session
takes the same default and has an option for network order).
"""

from __future__ import annotations

from typing import Any, Mapping

from .twilio import TwilioCaller

__all__ = ["SignalWireCaller"]


class SignalWireCaller(TwilioCaller):
    """SignalWire's side of a call."""

    name = "signalwire"
    offers: Mapping[str, Any] = {"PCMU": (8000,), "PCMA": (8000,), "G722": (16000,),
                                 "L16": (8000, 16000, 24000)}
    encodings = {"PCMU": "audio/x-mulaw", "PCMA": "audio/x-alaw", "G722": "audio/G722",
                 "L16": "audio/L16"}
    l16_order = "little"

    def headers(self) -> dict[str, str]:
        if self.auth_token is None:
            return {}
        return {"Authorization": f"Bearer {self.auth_token}"}
