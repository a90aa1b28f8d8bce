"""The call as the application sees it: its events and its playback.

Events reach the application one of two ways.  ``async for event in call``
queues them (bounded; a full queue pauses reading, then drops media).
``await call.listen(callback)`` hands each one to ``callback(event)`` in
the same pass that read it, with no task switch: with the ``*_nowait``
playback methods, an application that answers at once (an echo, a
forwarder to a speech engine with its own queue) costs no coroutine per
message.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional

from ..stream.events import Media, Start, Stop
from ..stream.session import MediaStream
from .stats import _TIMER_COST, CPU_SAMPLE_MASK, CallStats, _cpu_ns
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
        self._overflowing = False       # dropping media until the app catches up
        self._held: Optional[asyncio.TimerHandle] = None   # reading paused, until
        self._waiter: Optional[asyncio.Future] = None      # the app waits for an event
        self._listener: Optional[Callable[[Any], Any]] = None
        self._end_waiter: Optional[asyncio.Future] = None
        self._ended = False
        self._stop: Optional[Stop] = None
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
        events = self._events
        while True:
            if events:
                event = events.popleft()
                if self._held is not None and len(events) < self._queue_size:
                    self._release()
                elif self._overflowing and len(events) < self._queue_size // 2:
                    self._overflowing = False
                return event
            if self._ended:
                if self._stop is not None:
                    stop, self._stop = self._stop, None
                    return stop
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def listen(self, callback: Callable[[Any], Any]) -> None:
        """Hand every event to ``callback(event)`` (a plain function) as soon
        as it is read, instead of queueing it for ``async for``; returns once
        the call has ended (after the ``Stop``, if one came).

        ``callback`` runs inside the server's read pass: it must not block;
        it answers with :meth:`play_nowait`, :meth:`mark_nowait`,
        :meth:`flush_nowait` and :meth:`clear_nowait`.  An exception it
        raises ends the call like one raised by the application.
        """
        events = self._events
        while events:                   # what arrived before listen()
            callback(events.popleft())
        if self._held is not None:
            self._release()
        self._listener = callback
        if not self._ended:
            self._end_waiter = asyncio.get_running_loop().create_future()
            await self._end_waiter
        if self._stop is not None:
            stop, self._stop = self._stop, None
            callback(stop)

    def _deliver(self, events: Iterable[Any]) -> None:
        """Events from one message, in order (the connection's read pass)."""
        listener = self._listener
        if listener is not None:
            for event in events:
                listener(event)
            return
        queue = self._events
        bound = self._queue_size
        for event in events:
            limit = bound if type(event) is Media else 2 * bound
            if len(queue) >= limit:
                if self._overflowing:
                    self.stats.overflow += 1
                    continue
                self._hold()
            queue.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _hold(self) -> None:
        """The application is a queue behind: pause reading (TCP
        backpressure) for up to ``overflow_wait`` seconds."""
        if self._held is None:
            self._transport.pause_reading()
            self._held = asyncio.get_running_loop().call_later(self._overflow_wait,
                                                               self._give_up_holding)

    def _give_up_holding(self) -> None:
        self._held = None
        self._overflowing = True
        log.warning("stream %s: application is %d events behind; dropping events",
                    self.stream_id, len(self._events))
        self._transport.resume_reading()

    def _release(self) -> None:
        if self._held is not None:
            self._held.cancel()
            self._held = None
            self._transport.resume_reading()

    def _end(self, stop: Optional[Stop] = None) -> None:
        """No more events: ``stop`` (when it came) is the last."""
        if self._ended:
            return
        if stop is not None:
            self._stop = stop
        self._ended = True
        if self._held is not None:
            self._held.cancel()
            self._held = None
        for waiter in (self._waiter, self._end_waiter):
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    # -- playback -------------------------------------------------------

    def play_nowait(self, pcm: Any, rate: Optional[int] = None) -> int:
        """Encode ``pcm`` (16-bit mono at ``rate`` Hz, default the playback
        rate) in the playback codec and write it to the connection.

        Returns the number of media messages written (audio that does not
        fill a whole message waits for the next call, :meth:`flush_nowait`
        or :meth:`mark_nowait`); 0 once the connection is gone.
        """
        if self._closed:
            return 0
        stats = self.stats
        stats.play_calls += 1
        if stats.play_calls & CPU_SAMPLE_MASK:      # the usual, untimed call
            frames = self.stream.play(pcm, rate)
        else:
            t0 = _cpu_ns()
            frames = self.stream.play(pcm, rate)
            self._account_out(t0, len(frames), 0)
        sent = self._write(frames)
        stats.media_out += sent
        return sent

    def flush_nowait(self) -> int:
        """Write the audio :meth:`play_nowait` still holds, padded with
        silence."""
        if self._closed:
            return 0
        t0 = _cpu_ns()
        frames = self.stream.flush_playback()
        self._account_out(t0, len(frames), len(frames))
        return self._write(frames)

    def mark_nowait(self, name: str, flush: bool = True) -> None:
        """Write a mark after the audio played so far; its echo arrives as
        a Mark event once the caller has heard that audio.

        With ``flush`` (default) what :meth:`play_nowait` still holds (less
        than one playback message) is sent first, padded with silence, so
        the mark follows all of it: right at the end of an utterance.  In
        the middle of continuous audio pass ``flush=False``: the held
        remainder then goes out with the next message, after the mark, and
        no silence is inserted (on Exotel, whose messages are 80-400 ms,
        the padding would be heard as a gap)."""
        if self._closed:
            return
        t0 = _cpu_ns()
        frames = self.stream.mark(name, flush)
        self._account_out(t0, len(frames), len(frames) - 1)
        self.stats.marks_sent += 1
        self._write(frames)

    def clear_nowait(self) -> None:
        """Make the carrier drop the audio it has queued (barge-in)."""
        if not self._closed:
            self._write(self.stream.clear())

    async def play(self, pcm: Any, rate: Optional[int] = None) -> int:
        """:meth:`play_nowait`, then wait while the connection's send buffer
        drains."""
        sent = self.play_nowait(pcm, rate)
        await self._drain()
        return sent

    async def flush(self) -> int:
        """Send the audio :meth:`play` still holds, padded with silence."""
        sent = self.flush_nowait()
        await self._drain()
        return sent

    async def mark(self, name: str, flush: bool = True) -> None:
        """Send a mark after the audio played so far; its echo arrives as a
        Mark event once the caller has heard that audio.  ``flush`` as for
        :meth:`mark_nowait`."""
        self.mark_nowait(name, flush)
        await self._drain()

    async def clear(self) -> None:
        """Make the carrier drop the audio it has queued (barge-in)."""
        self.clear_nowait()
        await self._drain()

    async def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Close the WebSocket."""
        self._closed = True
        await self._transport.close(code, reason)

    def _account_out(self, t0: int, messages: int, media: int) -> None:
        stats = self.stats
        stats.cpu_out_ns += max(0, _cpu_ns() - t0 - _TIMER_COST)
        stats.cpu_out_messages += messages
        stats.media_out += media

    def _write(self, frames: list) -> int:
        if not frames:
            return 0
        try:
            self._transport.write(frames)
        except Closed:
            self._closed = True
            return 0
        stats = self.stats
        stats.messages_out += len(frames)
        stats.bytes_out += sum(map(len, frames))
        return len(frames)

    async def _drain(self) -> None:
        if self._closed:
            return
        try:
            await self._transport.drain()
        except Closed:
            self._closed = True

    def __repr__(self) -> str:
        return (f"<Call {self.stream_id} {self.codec}->{self.rate} Hz, playback "
                f"{self.stream.playback_codec}@{self.stream.playback_rate}>")
