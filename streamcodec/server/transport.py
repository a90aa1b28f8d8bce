"""What the call handler needs from a WebSocket library, and the constants
every transport shares: close codes, the auth-token header, the logger."""

from __future__ import annotations

import abc
import logging
from typing import Optional, Union

#: Every part of the server logs here (summaries of each stream at INFO).
log = logging.getLogger("streamcodec.server")

#: Header (and connected-frame field) carrying the streaming auth token.
AUTH_HEADER = "x-telnyx-streaming-auth-token"

# WebSocket close codes (RFC 6455 section 7.4.1).
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011


class Closed(Exception):
    """The transport is gone."""



class Transport(abc.ABC):
    """What the handler needs from a WebSocket; one subclass per library."""

    peer = ""

    @abc.abstractmethod
    async def recv(self) -> Union[str, bytes, None]:
        """Next message; None once the peer has gone."""

    @abc.abstractmethod
    async def send(self, text: str) -> None:
        """Send a text message; raise Closed once the peer has gone."""

    @abc.abstractmethod
    async def close(self, code: int, reason: str) -> None:
        """Close with a WebSocket close code."""

    @abc.abstractmethod
    def header(self, name: str) -> Optional[str]:
        """A request header of the opening handshake, or None."""

    @property
    def close_code(self) -> Optional[int]:
        return None

    @property
    @abc.abstractmethod
    def gone(self) -> bool:
        """True once the connection is closed (by either side)."""

