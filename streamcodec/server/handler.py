"""The handler every transport shares: the auth token, the ``start``
frame, reading into the session, bounded queues, closing, counters."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections import deque
from typing import Any, Awaitable, Callable, Mapping, Optional, Union

from ..telnyx import messages as _m
from ..telnyx.messages import Connected, Media, ProtocolError, Start, Stop
from ..telnyx.session import MediaStream
from .call import Call
from .stats import _TIMER_COST, CallStats, _cpu_ns
from .transport import (AUTH_HEADER, CLOSE_INTERNAL, CLOSE_NORMAL, CLOSE_POLICY,
                        CLOSE_PROTOCOL_ERROR, CLOSE_UNSUPPORTED, Transport, log)

App = Callable[[Call], Awaitable[Any]]
SessionOptions = Union[Mapping[str, Any], Callable[[Start], Mapping[str, Any]], None]


class CallHandler:
    """Runs an application on Telnyx media-stream connections.

    Parameters
    ----------
    app : async callable
        ``async def app(call: Call)``.
    rate : int
        Rate of the PCM the application receives (default 16000).
    playback_codec, playback_rate
        The stream's ``bidirectionalCodec`` and ``bidirectionalSamplingRate``
        (default PCMU at 8000 Hz).
    session_options : mapping or callable, optional
        More :class:`MediaStream` keyword arguments (``reorder_window``,
        ``playback_ptime``, ...), or a function of the ``start`` frame
        returning them (including ``rate``, ``playback_codec`` and
        ``playback_rate``), for per-call choices.
    auth_token : str, optional
        When set, a connection must present this token in the
        ``x-telnyx-streaming-auth-token`` header or in its ``connected``
        frame (every token presented must match); otherwise it is closed
        with code 1008.
    max_message_bytes : int
        Longest message accepted (default 64 KiB); longer closes with 1009.
    queue_size : int
        Media events held for an application that falls behind (default
        250, 5 s of audio).  When full, reading pauses (TCP backpressure)
        for up to ``overflow_wait`` seconds (default 1); an application
        still behind then loses media events, counted in
        ``CallStats.overflow``, until it catches up.
    start_timeout : float
        Seconds a new connection has to send its ``start`` frame.
    max_rejected : int
        Malformed messages tolerated per connection before closing it with
        1002 (default 100); each one is counted and skipped.
    app_grace : float
        Seconds an application may keep running after its connection has
        gone before it is cancelled (default 30).
    history : int
        Finished calls kept in :attr:`finished`.
    """

    def __init__(self, app: App, *, rate: int = 16000, playback_codec: str = "PCMU",
                 playback_rate: int = 8000, session_options: SessionOptions = None,
                 auth_token: Optional[str] = None, max_message_bytes: int = 1 << 16,
                 queue_size: int = 250, overflow_wait: float = 1.0,
                 start_timeout: float = 10.0, max_rejected: int = 100,
                 app_grace: float = 30.0, history: int = 1000):
        if not callable(app):
            raise TypeError(f"app must be an async function of one Call, got {app!r}")
        if auth_token is not None and (not isinstance(auth_token, str) or not auth_token):
            raise ValueError("auth_token must be a non-empty string or None")
        if max_message_bytes <= 0 or queue_size <= 0 or max_rejected < 0:
            raise ValueError("max_message_bytes and queue_size must be positive, "
                             "max_rejected must be >= 0")
        self.app = app
        self.defaults = {"rate": rate, "playback_codec": playback_codec,
                         "playback_rate": playback_rate}
        # Fail at start-up, not on the first call, when the defaults are wrong.
        MediaStream(**self.defaults)
        self.session_options = session_options
        self.auth_token = auth_token
        self.max_message_bytes = max_message_bytes
        self.queue_size = queue_size
        self.overflow_wait = overflow_wait
        self.start_timeout = start_timeout
        self.max_rejected = max_rejected
        self.app_grace = app_grace
        #: Counters of the calls that have ended, newest last.
        self.finished: deque[CallStats] = deque(maxlen=history)
        #: Connections open now.
        self.active = 0
        self._finished_event = asyncio.Event()

    def stats_for(self, stream_id: str) -> Optional[CallStats]:
        """The counters of a finished stream, by stream id."""
        for stats in reversed(self.finished):
            if stats.stream_id == stream_id:
                return stats
        return None

    async def wait_finished(self, stream_id: str, timeout: float = 5.0) -> CallStats:
        """Wait until the stream ``stream_id`` has ended; its counters."""
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats_for(stream_id)
            if stats is not None:
                return stats
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"stream {stream_id} has not ended after {timeout} s")
            self._finished_event.clear()
            try:
                await asyncio.wait_for(self._finished_event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def _options(self, start: Start) -> dict:
        options = dict(self.defaults)
        extra = self.session_options
        if callable(extra):
            extra = extra(start)
        if extra:
            options.update(extra)
        options.setdefault("max_message_bytes", self.max_message_bytes)
        return options

    def _token_ok(self, presented: Any) -> bool:
        return isinstance(presented, str) and hmac.compare_digest(
            presented.encode("utf-8", "surrogatepass"), self.auth_token.encode("utf-8"))

    async def run(self, transport: Transport) -> CallStats:
        """Serve one connection until it ends; returns its counters."""
        stats = CallStats(peer=transport.peer)
        self.active += 1
        try:
            await self._run(transport, stats)
        except Exception as exc:  # never let one connection take the server down
            stats.error = f"{type(exc).__name__}: {exc}"
            log.exception("stream %s: handler failed", stats.stream_id)
            await self._close(transport, stats, CLOSE_INTERNAL, "internal error")
        finally:
            self.active -= 1
            stats.ended = time.monotonic()
            if stats.close_code is None:
                stats.close_code = transport.close_code
            self.finished.append(stats)
            self._finished_event.set()
            log.info("%s", stats.summary())
        return stats

    async def _close(self, transport: Transport, stats: CallStats, code: int,
                     reason: str) -> None:
        if transport.gone:
            # The peer left first: record how it left, send nothing.
            if stats.close_code is None:
                stats.close_code = transport.close_code or 1006
            return
        if stats.close_code is None:
            stats.close_code, stats.close_reason = code, reason
        try:
            await transport.close(code, reason)
        except Exception:  # already gone
            pass

    async def _await_start(self, transport: Transport,
                           stats: CallStats) -> Optional[tuple[Start, Union[str, bytes]]]:
        """Read frames until ``start``, checking the auth token; None when the
        connection was refused or went away."""
        token = self.auth_token
        authorized = token is None
        if token is not None:
            presented = transport.header(AUTH_HEADER)
            if presented is not None:
                if not self._token_ok(presented):
                    log.warning("refused %s: wrong %s header", transport.peer, AUTH_HEADER)
                    await self._close(transport, stats, CLOSE_POLICY, "unauthorized")
                    return None
                authorized = True
        deadline = time.monotonic() + self.start_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                await self._close(transport, stats, CLOSE_POLICY if not authorized
                                  else CLOSE_PROTOCOL_ERROR, "no start frame in time")
                return None
            try:
                message = await asyncio.wait_for(transport.recv(), remaining)
            except asyncio.TimeoutError:
                continue
            if message is None:
                return None
            stats.messages_in += 1
            stats.bytes_in += len(message)
            try:
                event = _m.parse_frame(_m.load(message))
            except Exception as exc:  # ProtocolError, or any other fault of one frame: skipped
                if not authorized:
                    await self._close(transport, stats, CLOSE_POLICY, "unauthorized")
                    return None
                if not await self._reject(transport, stats, exc):
                    return None
                continue
            if isinstance(event, Connected):
                if token is not None:
                    presented = event.raw.get(AUTH_HEADER)
                    if presented is None and isinstance(event.raw.get("connected"), dict):
                        presented = event.raw["connected"].get(AUTH_HEADER)
                    if presented is not None and not self._token_ok(presented):
                        authorized = False
                    elif presented is not None:
                        authorized = True
                    if not authorized:
                        log.warning("refused %s: missing or wrong streaming auth token",
                                    transport.peer)
                        await self._close(transport, stats, CLOSE_POLICY, "unauthorized")
                        return None
                continue
            if not authorized:
                log.warning("refused %s: no streaming auth token before %r", transport.peer,
                            type(event).__name__)
                await self._close(transport, stats, CLOSE_POLICY, "unauthorized")
                return None
            if isinstance(event, Start):
                return event, message
            if isinstance(event, Stop):
                stats.stop_received = True
                await self._close(transport, stats, CLOSE_NORMAL, "stopped before start")
                return None
            if not await self._reject(transport, stats,
                                      ProtocolError(f"{type(event).__name__} before start")):
                return None

    async def _reject(self, transport: Transport, stats: CallStats, exc: Exception) -> bool:
        """Count a malformed message; False when the connection was closed for
        too many."""
        stats.rejected += 1
        if stats.rejected == 1:
            log.warning("stream %s: malformed message skipped: %s", stats.stream_id, exc)
        if stats.rejected > self.max_rejected:
            await self._close(transport, stats, CLOSE_PROTOCOL_ERROR,
                              f"more than {self.max_rejected} malformed messages")
            return False
        return True

    async def _run(self, transport: Transport, stats: CallStats) -> None:
        begun = await self._await_start(transport, stats)
        if begun is None:
            return
        start, message = begun
        stats.stream_id = start.stream_id
        try:
            stream = MediaStream(**self._options(start))
            stream.feed(message)
        except (ProtocolError, ValueError, TypeError) as exc:
            stats.error = str(exc)
            log.warning("stream %s: cannot serve it: %s", start.stream_id, exc)
            await self._close(transport, stats, CLOSE_UNSUPPORTED, str(exc)[:120])
            return
        stats.codec, stats.rate = stream.codec, stream.rate
        stats.playback_codec, stats.playback_rate = stream.playback_codec, stream.playback_rate
        call = Call(transport, stream, start, stats, self.queue_size, self.overflow_wait)
        reader = asyncio.create_task(self._read(transport, call))
        app_task = asyncio.create_task(self.app(call))
        try:
            done, _ = await asyncio.wait({reader, app_task}, return_when=asyncio.FIRST_COMPLETED)
            if app_task not in done:
                # The connection ended first: the application sees the end of
                # its events; give it a bounded time to finish.
                done, _ = await asyncio.wait({app_task}, timeout=self.app_grace)
                if not done:
                    log.warning("stream %s: application still running %.0f s after the "
                                "connection ended; cancelling it", stats.stream_id,
                                self.app_grace)
                    app_task.cancel()
                    await asyncio.gather(app_task, return_exceptions=True)
            exc = app_task.exception() if not app_task.cancelled() else None
            if exc is not None:
                stats.error = f"{type(exc).__name__}: {exc}"
                log.error("stream %s: application raised", stats.stream_id,
                          exc_info=(type(exc), exc, exc.__traceback__))
                await self._close(transport, stats, CLOSE_INTERNAL, "application error")
            else:
                await self._close(transport, stats, CLOSE_NORMAL, "")
        finally:
            for task in (reader, app_task):
                if not task.done():
                    task.cancel()
            await asyncio.gather(reader, app_task, return_exceptions=True)
            call._closed = True
            stats.tracks = dict(stream.stats)

    async def _read(self, transport: Transport, call: Call) -> None:
        stream, stats = call.stream, call.stats
        try:
            while True:
                message = await transport.recv()
                if message is None:
                    call._closed = True          # the peer has gone
                    return
                stats.messages_in += 1
                stats.bytes_in += len(message)
                t0 = _cpu_ns()
                stats.cpu_in_messages += 1
                try:
                    events = stream.feed(message)
                except Exception as exc:
                    # ProtocolError as documented; a server must outlive any
                    # one bad frame, so anything else is skipped the same way.
                    stats.cpu_in_ns += max(0, _cpu_ns() - t0 - _TIMER_COST)
                    if not await self._reject(transport, stats, exc):
                        return
                    continue
                stats.cpu_in_ns += max(0, _cpu_ns() - t0 - _TIMER_COST)
                for event in events:
                    if isinstance(event, Media):
                        stats.media_in += 1
                        await call._put(event)
                    elif isinstance(event, Stop):
                        stats.stop_received = True
                        call._end(event)
                        return
                    elif isinstance(event, (Connected, Start)):
                        continue  # repeated; the session has taken note
                    else:
                        if isinstance(event, _m.Dtmf):
                            stats.dtmf += 1
                        elif isinstance(event, _m.Mark):
                            stats.marks_echoed += 1
                        await call._put(event)
        finally:
            call._end()
