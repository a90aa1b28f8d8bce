"""What every simulated carrier is: the caller's side of one dialect.

A :class:`Caller` builds the messages a carrier sends (its field names,
casing, numbering, framing) and reads what a media-stream server sends
back, refusing what breaks that carrier's rules.  The call engine
(:func:`~streamcodec.simulate.simulate_call`) does the rest the same way
for every carrier: pacing, impairments, the playback queue, marks, clear.

The carrier modules are written from the carriers' documentation alone;
they import nothing of the server's dialect code, so that the tests hold
the server against a second, independent reading of each protocol.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

__all__ = ["Caller", "Played", "RuleBroken"]

#: A message on the wire: text (JSON) or a binary frame.
Message = Union[str, bytes]


class RuleBroken(ValueError):
    """A message from the server that the carrier would refuse or mishandle."""


class Played(tuple):
    """What the server asked the carrier to do, read from one message:
    ``("media", payload)``, ``("mark", name)`` or ``("clear", None)``."""

    __slots__ = ()

    def __new__(cls, kind: str, value: Any = None) -> "Played":
        return super().__new__(cls, (kind, value))


def dumps(frame: Mapping[str, Any]) -> str:
    """Compact JSON, as the carriers send it."""
    return json.dumps(frame, separators=(",", ":"))


def load_object(message: Message) -> dict:
    """A text message as a JSON object, or :class:`RuleBroken`."""
    if not isinstance(message, str):
        raise RuleBroken(f"binary frame of {len(message)} bytes where JSON text is expected")
    try:
        frame = json.loads(message)
    except ValueError as exc:
        raise RuleBroken(f"not JSON: {exc}") from None
    if not isinstance(frame, dict):
        raise RuleBroken("the JSON is not an object")
    return frame


def field(frame: Mapping[str, Any], *path: str, kind: type = str) -> Any:
    """``frame[path[0]][path[1]]...``, which must be of ``kind``."""
    value: Any = frame
    for i, key in enumerate(path):
        if not isinstance(value, Mapping) or key not in value:
            raise RuleBroken(f"missing field {'.'.join(path[:i + 1])!r}")
        value = value[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RuleBroken(f"field {'.'.join(path)!r} must be {kind.__name__}, "
                         f"got {type(value).__name__}")
    return value


def b64(text: str, where: str) -> bytes:
    import base64
    import binascii
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise RuleBroken(f"{where} is not base64") from None


class Caller(ABC):
    """The carrier's side of one call (subclassed per carrier).

    Parameters
    ----------
    codec : str
        Codec of the stream (streamcodec's spelling: PCMU, PCMA, G722, L16...).
    rate : int
        Its rate on the wire, Hz.
    stream_id : str
        The stream's id (Twilio's ``streamSid``, Plivo's ``streamId``...).
    tracks : sequence of str
        Media tracks sent (``inbound``, ``outbound``).
    custom_parameters : mapping
        Parameters of the answer document, as the carrier passes them on.
    auth_token : str, optional
        The credential the carrier presents on the upgrade request.
    url : str
        The URL called (what a signature covers).
    """

    #: The carrier's name (``streamcodec simulate --carrier``).
    name = ""
    #: Codec -> wire rates offered; the stream uses the same both ways.
    offers: Mapping[str, Sequence[int]] = {}
    #: Milliseconds of audio per inbound media message.
    message_ms = 20
    #: Whether ``clear`` sends back the marks still queued (else they are dropped).
    clear_returns_marks = True
    #: Byte order of L16 on this carrier's wire ("big" or "little").
    l16_order = "big"
    #: Seconds of playback the carrier queues before it drops audio.
    max_queued_s = float("inf")
    #: Refuse codecs and rates the carrier does not offer (Telnyx's OPUS and
    #: L16 take any rate the codec core does).
    strict = True

    def __init__(self, codec: str, rate: int, *, stream_id: str,
                 tracks: Sequence[str] = ("inbound",),
                 custom_parameters: Optional[Mapping[str, Any]] = None,
                 auth_token: Optional[str] = None, url: str = ""):
        if self.strict and codec not in self.offers:
            raise ValueError(f"{self.name} streams {', '.join(self.offers)}, not {codec}")
        if self.strict and rate not in self.offers[codec]:
            raise ValueError(f"{self.name} streams {codec} at "
                             f"{', '.join(map(str, self.offers[codec]))} Hz, not {rate}")
        self.codec, self.rate = codec, rate
        self.stream_id = stream_id
        self.tracks = tuple(tracks)
        self.custom_parameters = dict(custom_parameters or {})
        self.auth_token = auth_token
        self.url = url
        self.seq = 0

    # -- numbering ------------------------------------------------------

    def next_seq(self) -> int:
        """The next sequence number (the first is 1)."""
        self.seq += 1
        return self.seq

    # -- the carrier's messages (override) ------------------------------

    def headers(self) -> dict[str, str]:
        """Headers of the WebSocket upgrade request."""
        return {}

    @abstractmethod
    def opening(self) -> list[Message]:
        """The messages before the first media (connected, start)."""

    @abstractmethod
    def media(self, track: str, chunk: int, timestamp: int, payload: bytes) -> Message:
        """One media message: ``chunk`` counts from 1 per track, ``timestamp``
        is milliseconds since the stream began."""

    @abstractmethod
    def dtmf(self, digit: str) -> str:
        """The message of one key pressed."""

    @abstractmethod
    def played(self, name: str) -> str:
        """The acknowledgement of a mark whose audio has played."""

    def cleared(self) -> list[str]:
        """What the carrier answers to a clear, besides returning marks."""
        return []

    @abstractmethod
    def stop(self) -> Optional[str]:
        """The last message (None: the carrier just closes the socket)."""

    @abstractmethod
    def read(self, message: Message) -> Played:
        """Read one message from the server;
        :class:`~streamcodec.simulate.RuleBroken` when it breaks this
        carrier's rules."""

    def playback(self) -> tuple[str, int]:
        """Codec and rate of what the server plays back."""
        return self.codec, self.rate

    # -- audio on the wire ----------------------------------------------

    def to_wire(self, payload: bytes) -> bytes:
        """streamcodec's payload (L16 big-endian) in this carrier's byte order."""
        if self.codec == "L16" and self.l16_order == "little":
            return swap16(payload)
        return payload

    def from_wire(self, payload: bytes, codec: str) -> bytes:
        """A played-back payload in streamcodec's byte order for ``codec``."""
        if codec == "L16" and self.l16_order == "little":
            if len(payload) % 2:
                raise RuleBroken(f"L16 payload of an odd {len(payload)} bytes")
            return swap16(payload)
        return payload


def swap16(data: bytes) -> bytes:
    """16-bit samples with their bytes swapped."""
    return np.frombuffer(data, dtype="<i2").astype(">i2").tobytes()
