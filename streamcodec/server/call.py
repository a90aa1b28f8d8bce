"""The call as the application sees it: its events and its playback."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ..telnyx.messages import Media, Start, Stop
from ..telnyx.session import MediaStream
from .stats import _TIMER_COST, CallStats, _cpu_ns
from .transport import CLOSE_NORMAL, Closed, log

if TYPE_CHECKING:
    from .transport import Transport


class Call:
    """One stream as the application sees it.

    Attributes
    ----------
    start : Start
        The ``start`` frame: ``custom_parameters``, ``media_format``, ids.
    stream : MediaStream
        The session (codec state, reorder window, playback accounting).
    rate : int
        Rate of ``Media.pcm``, Hz.
    stats : CallStats
        Live counters.
    """

    def __init__(self, transport: "Transport", stream: MediaStream, start: Start,
                 stats: CallStats, queue_size: int, overflow_wait: float = 1.0):
        self.start = start
        self.stream = stream
        self.stats = stats
        self._transport = transport
        self._events: deque = deque()
        self._queue_size = queue_size
        self._overflow_wait = overflow_wait
        self._overflowing = False
        self._space = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._ended = False
        self._stop: Optional[Stop] = None
        self._send_lock = asyncio.Lock()
        self._closed = False

    # -- identity -------------------------------------------------------

    @property
    def rate(self) -> int:
        return self.stream.rate

    @property
    def stream_id(self) -> Optional[str]:
        return self.start.stream_id

    @property
    def custom_parameters(self) -> Mapping[str, Any]:
        return self.start.custom_parameters

    @property
    def codec(self) -> Optional[str]:
        """Inbound codec, from ``start.media_format``."""
        return self.stream.codec

    @property
    def closed(self) -> bool:
        """True once the connection is gone; :meth:`play` then sends nothing."""
        return self._closed

    @property
    def sent_ms(self) -> int:
        """Milliseconds of audio sent to the caller so far."""
        return self.stream.sent_ms

    @property
    def played_ms(self) -> Optional[int]:
        """Position of the latest mark echoed as played (see MediaStream)."""
        return self.stream.played_ms

    # -- events ---------------------------------------------------------

    def __aiter__(self) -> "Call":
        return self

    async def __anext__(self) -> Any:
        while True:
            if self._events:
                event = self._events.popleft()
                self._space.set()
                return event
            if self._ended:
                if self._stop is not None:
                    stop, self._stop = self._stop, None
                    return stop
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    async def _put(self, event: Any) -> None:
        """Queue an event for the application.  When the queue is full the
        reader waits (TCP backpressure) up to ``overflow_wait`` seconds; an
        application still behind then loses media events (counted in
        ``stats.overflow``) until it has caught up to half the bound."""
        events = self._events
        limit = self._queue_size if isinstance(event, Media) else 2 * self._queue_size
        if self._overflowing and len(events) < self._queue_size // 2:
            self._overflowing = False
        if len(events) >= limit and not self._overflowing:
            self._space.clear()
            try:
                await asyncio.wait_for(self._space.wait(), self._overflow_wait)
            except asyncio.TimeoutError:
                self._overflowing = True
                log.warning("stream %s: application is %d events behind; dropping events",
                            self.stream_id, len(events))
        if len(events) >= limit:
            self.stats.overflow += 1
            return
        events.append(event)
        self._wakeup.set()

    def _end(self, stop: Optional[Stop] = None) -> None:
        if stop is not None:
            self._stop = stop
        self._ended = True
        self._wakeup.set()

    # -- playback -------------------------------------------------------

    async def play(self, pcm: Any, rate: Optional[int] = None) -> int:
        """Encode ``pcm`` (16-bit mono at ``rate`` Hz, default the playback
        rate) in the playback codec and send it.

        Returns the number of media messages sent (audio that does not fill
        a whole message waits for the next call, :meth:`flush` or
        :meth:`mark`); 0 once the connection is gone.
        """
        async with self._send_lock:
            if self._closed:
                return 0
            t0 = _cpu_ns()
            frames = self.stream.play(pcm, rate)
            self._account_out(t0, len(frames), len(frames))
            return await self._send_all(frames)

    async def flush(self) -> int:
        """Send the audio :meth:`play` still holds, padded with silence."""
        async with self._send_lock:
            if self._closed:
                return 0
            t0 = _cpu_ns()
            frames = self.stream.flush_playback()
            self._account_out(t0, len(frames), len(frames))
            return await self._send_all(frames)

    async def mark(self, name: str) -> None:
        """Send a mark after the audio played so far (flushing what
        :meth:`play` holds); its echo arrives as a Mark event once the
        caller has heard that audio."""
        async with self._send_lock:
            if self._closed:
                return
            t0 = _cpu_ns()
            frames = self.stream.mark(name)
            self._account_out(t0, len(frames), len(frames) - 1)
            self.stats.marks_sent += 1
            await self._send_all(frames)

    async def clear(self) -> None:
        """Make Telnyx drop the audio it has queued (barge-in)."""
        async with self._send_lock:
            if self._closed:
                return
            await self._send_all(self.stream.clear())

    async def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Close the WebSocket."""
        self._closed = True
        await self._transport.close(code, reason)

    def _account_out(self, t0: int, messages: int, media: int) -> None:
        stats = self.stats
        stats.cpu_out_ns += max(0, _cpu_ns() - t0 - _TIMER_COST)
        stats.cpu_out_messages += messages
        stats.media_out += media

    async def _send_all(self, frames: list[str]) -> int:
        sent = 0
        try:
            for frame in frames:
                await self._transport.send(frame)
                sent += 1
                self.stats.bytes_out += len(frame)
        except Closed:
            self._closed = True
        self.stats.messages_out += sent
        return sent

    def __repr__(self) -> str:
        return (f"<Call {self.stream_id} {self.codec}->{self.rate} Hz, playback "
                f"{self.stream.playback_codec}@{self.stream.playback_rate}>")
