"""What the call handler needs from a WebSocket library, and the constants
every transport shares: close codes, the auth-token header, the logger.

A transport pushes what it reads into a
:class:`~streamcodec.server.handler.Connection` (``on_message`` for each
whole message, ``on_gone`` once the link is closed) and carries out what
the connection asks: write frames, pause or resume reading, close.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections import deque
from typing import Any, Awaitable, Callable, Optional, Union

#: Every part of the server logs here (summaries of each stream at INFO).
log = logging.getLogger("streamcodec.server")

#: Header (and connected-frame field) carrying the streaming auth token.
AUTH_HEADER = "x-telnyx-streaming-auth-token"

#: Path answered with 200 on the stream port, for load balancers.
HEALTH_PATH = "/healthz"

# WebSocket close codes (RFC 6455 section 7.4.1).
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED = 1003
CLOSE_ABNORMAL = 1006
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011


class Closed(Exception):
    """The transport is gone."""


class Transport(abc.ABC):
    """One WebSocket connection, as the handler drives it; one subclass per
    library."""

    #: ``host:port`` of the peer.
    peer = ""

    @abc.abstractmethod
    def headers(self, name: str) -> list[str]:
        """Every value of a request header of the opening handshake."""

    def request_target(self) -> str:
        """The path and query of the opening handshake's request (``/``
        when the library does not say)."""
        return "/"

    def request_headers(self) -> list[tuple[str, str]]:
        """Every header of the opening handshake, as (name, value) pairs."""
        return []

    @abc.abstractmethod
    def write(self, frames: list[Union[str, bytes]]) -> None:
        """Send messages, in order, without waiting: ``str`` as text,
        ``bytes`` as binary (Vonage's audio); raise Closed once the peer
        has gone."""

    async def drain(self) -> None:
        """Wait until what :meth:`write` buffered has been handed to the
        kernel (the watchdog ends a call whose peer stopped reading)."""

    async def send(self, frames: list[Union[str, bytes]]) -> None:
        """:meth:`write` then :meth:`drain`."""
        self.write(frames)
        await self.drain()

    @abc.abstractmethod
    async def close(self, code: int, reason: str) -> None:
        """Close with a WebSocket close code (nothing once gone)."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Drop the connection without a closing handshake."""

    @abc.abstractmethod
    def backlog(self) -> int:
        """Bytes written but not yet taken by the kernel (0 when it keeps up;
        transports that cannot see the socket say 1 while a send waits)."""

    def pause_reading(self) -> None:
        """Stop reading (the application's queue is full)."""

    def resume_reading(self) -> None:
        """Read again."""

    @property
    def close_code(self) -> Optional[int]:
        """The close code seen on the wire, when known."""
        return None

    @property
    @abc.abstractmethod
    def gone(self) -> bool:
        """True once the connection is closed (by either side)."""


#: Seconds a reader may work through waiting messages before it yields.
_TURN = 0.005


class QueuedTransport(Transport):
    """A transport whose library sends with a coroutine (``websockets``,
    ASGI): :meth:`write` queues the frames and one flush at a time sends
    them in order; :meth:`send` flushes in the caller's task when nothing
    is queued, so an application that awaits its playback costs no extra
    task switch."""

    def __init__(self) -> None:
        self._outbox: deque[Union[str, bytes]] = deque()
        self._flushing: Optional[asyncio.Future] = None   # done once the outbox is empty
        self._paused: Optional[asyncio.Future] = None     # reading paused until done
        self._in_pass = False            # the reader is handling a message: it flushes

    @abc.abstractmethod
    async def _send_one(self, message: Union[str, bytes]) -> None:
        """Send one message (text for ``str``, binary for ``bytes``); raise
        Closed once the peer has gone."""

    def write(self, frames: list[Union[str, bytes]]) -> None:
        if self.gone:
            raise Closed()
        self._outbox.extend(frames)
        if self._flushing is None and not self._in_pass:
            self._flushing = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().create_task(self._flush())

    async def send(self, frames: list[Union[str, bytes]]) -> None:
        if self.gone:
            raise Closed()
        self._outbox.extend(frames)
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().create_future()
            await self._flush()
        await self.drain()

    async def drain(self) -> None:
        if self._flushing is not None:
            await asyncio.shield(self._flushing)
        if self.gone:
            raise Closed()

    async def _flush(self) -> None:
        outbox = self._outbox
        try:
            while outbox:
                await self._send_one(outbox.popleft())
        except Closed:
            outbox.clear()
        finally:
            flushing, self._flushing = self._flushing, None
            if flushing is not None and not flushing.done():
                flushing.set_result(None)

    def queued(self) -> int:
        """Frames waiting in the outbox, plus one while a send is under way."""
        return len(self._outbox) + (self._flushing is not None)

    def pause_reading(self) -> None:
        if self._paused is None:
            self._paused = asyncio.get_running_loop().create_future()

    def resume_reading(self) -> None:
        paused, self._paused = self._paused, None
        if paused is not None and not paused.done():
            paused.set_result(None)

    async def read_into(self, connection: Any, recv: Callable[[], Awaitable[Any]]) -> None:
        """The reader loop: each message ``recv()`` returns (None at the
        end) to the connection, waiting while reading is paused; then tell
        the connection the link is gone and wait for its summary."""
        on_message, on_binary = connection.on_message, connection.on_binary
        outbox = self._outbox
        loop = asyncio.get_running_loop()
        turn = loop.time()
        try:
            while True:
                before = loop.time()
                if before - turn > _TURN:
                    # A backlog is being worked through (recv() does not yield
                    # while messages wait): let other calls' tasks run.
                    await asyncio.sleep(0)
                    turn = before = loop.time()
                message = await recv()
                if loop.time() - before > _TURN / 10:
                    turn = loop.time()           # recv() waited: the loop has had its turn
                if message is None:
                    break
                self._in_pass = True
                try:
                    if type(message) is bytes:   # these libraries read text as str
                        on_binary(message)
                    else:
                        on_message(message)
                finally:
                    self._in_pass = False
                # What the message's answer wrote goes out now, from this task
                # (recv() does not yield while messages are waiting).
                if outbox and self._flushing is None:
                    self._flushing = asyncio.get_running_loop().create_future()
                    await self._flush()
                if self._paused is not None:
                    await self._paused
        finally:
            self.resume_reading()
            connection.on_gone()
        await connection.wait_done()
