"""The handler every transport shares: who is calling (verifiers, the
Telnyx auth token), which carrier (``auto`` tells it from the first
messages), the ``start`` frame, reading into the carrier's session,
bounded queues, timeouts, closing, counters.

A message travels one way: the transport hands it to
:meth:`Connection.on_message` (text) or :meth:`Connection.on_binary`
(binary audio, Vonage), the connection feeds the carrier's session once
and hands the events to the :class:`Call`, whose application replies
through the session's ``play``/``mark``/``clear`` straight to the
transport."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections import deque
from typing import Any, Awaitable, Callable, Mapping, Optional, Sequence, Union, cast

from ..stream._fields import load
from ..stream.events import Connected, Dtmf, Mark, Media, ProtocolError, Start, Stop
from ..stream.session import MediaStream
from ..telnyx.session import MediaStream as TelnyxStream
from . import carriers as _carriers
from .call import Call
from .stats import _TIMER_COST, CPU_SAMPLE_MASK, CallStats, _cpu_ns
from .transport import (AUTH_HEADER, CLOSE_ABNORMAL, CLOSE_GOING_AWAY, CLOSE_INTERNAL,
                        CLOSE_NORMAL, CLOSE_POLICY, CLOSE_PROTOCOL_ERROR, CLOSE_UNSUPPORTED,
                        Closed, Transport, log)

App = Callable[[Call], Awaitable[Any]]
SessionOptions = Union[Mapping[str, Any], Callable[[Start], Mapping[str, Any]], None]
#: A verifier's ``check(url, headers)``: None when the upgrade request proves
#: the caller, else a short reason (the carriers' ``auth`` modules).
Verifier = Any


class CallHandler:
    """Runs an application on carriers' media-stream connections.

    Parameters
    ----------
    app : async callable
        ``async def app(call: Call)``.
    rate : int
        Rate of the PCM the application receives (default 16000).
    playback_codec, playback_rate
        Telnyx's ``bidirectionalCodec`` and ``bidirectionalSamplingRate``
        (default PCMU at 8000 Hz); the other carriers play in the format
        their ``start`` announces.
    carrier : str
        ``"auto"`` (default: told from the first messages, so one URL
        serves every carrier), or one of ``"telnyx"``, ``"twilio"``,
        ``"signalwire"``, ``"plivo"``, ``"exotel"``, ``"vonage"``.
    verifiers : sequence, optional
        Objects with ``check(url, headers) -> Optional[str]`` (the carriers'
        ``auth`` modules).  When given, a connection whose upgrade request
        no verifier accepts is closed with 1008 and one log line naming
        the reasons.
    public_url : str, optional
        The server's URL as the carrier calls it (scheme and host, e.g.
        ``wss://voice.example.com``); the request's path and query are
        appended for the verifiers.  Default ``ws://`` + the Host header.
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
    write_timeout : float
        Seconds a peer may take nothing of what the server writes (its
        send buffer does not shrink) before the call is dropped, counters
        logged (default 5).
    idle_timeout : float
        Seconds without a media message, once ``start`` has come, before
        the call is closed (default 30).
    history : int
        Finished calls kept in :attr:`finished`.
    """

    def __init__(self, app: App, *, rate: int = 16000, playback_codec: str = "PCMU",
                 playback_rate: int = 8000, session_options: SessionOptions = None,
                 auth_token: Optional[str] = None, carrier: str = "auto",
                 verifiers: Sequence[Verifier] = (), public_url: Optional[str] = None,
                 max_message_bytes: int = 1 << 16,
                 queue_size: int = 250, overflow_wait: float = 1.0,
                 start_timeout: float = 10.0, max_rejected: int = 100,
                 app_grace: float = 30.0, write_timeout: float = 5.0,
                 idle_timeout: float = 30.0, history: int = 1000):
        if not callable(app):
            raise TypeError(f"app must be an async function of one Call, got {app!r}")
        if auth_token is not None and (not isinstance(auth_token, str) or not auth_token):
            raise ValueError("auth_token must be a non-empty string or None")
        if max_message_bytes <= 0 or queue_size <= 0 or max_rejected < 0:
            raise ValueError("max_message_bytes and queue_size must be positive, "
                             "max_rejected must be >= 0")
        for name, value in (("start_timeout", start_timeout), ("write_timeout", write_timeout),
                            ("idle_timeout", idle_timeout)):
            if not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if carrier not in _carriers.CARRIERS:
            raise ValueError(f"carrier must be one of {', '.join(_carriers.CARRIERS)}, "
                             f"not {carrier!r}")
        for verifier in verifiers:
            if not callable(getattr(verifier, "check", None)):
                raise TypeError(f"a verifier needs a check(url, headers) method: {verifier!r}")
        self.app = app
        self.carrier = carrier
        self.verifiers = tuple(verifiers)
        self.public_url = public_url.rstrip("/") if public_url else None
        self.defaults: dict[str, Any] = {"rate": rate, "playback_codec": playback_codec,
                                         "playback_rate": playback_rate}
        # Fail at start-up, not on the first call, when the defaults are wrong.
        TelnyxStream(**self.defaults)
        self.session_options = session_options
        self.auth_token = auth_token
        self.max_message_bytes = max_message_bytes
        self.queue_size = queue_size
        self.overflow_wait = overflow_wait
        self.start_timeout = start_timeout
        self.max_rejected = max_rejected
        self.app_grace = app_grace
        self.write_timeout = write_timeout
        self.idle_timeout = idle_timeout
        #: Counters of the calls that have ended, newest last.
        self.finished: deque[CallStats] = deque(maxlen=history)
        #: Connections open now.
        self.active = 0
        self._finished_event = asyncio.Event()
        self._live: set[Connection] = set()

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

    def _options(self, start: Start, carrier: str) -> dict:
        options = dict(self.defaults)
        if carrier != "telnyx":    # the others play what their start announces
            del options["playback_codec"], options["playback_rate"]
        extra = self.session_options
        if callable(extra):
            extra = extra(start)
        if extra:
            options.update(extra)
        options.setdefault("max_message_bytes", self.max_message_bytes)
        return options

    def connect(self, transport: Transport) -> "Connection":
        """A transport's new WebSocket (handshake done): the connection it
        pushes messages into."""
        return Connection(self, transport)

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Close every open connection with 1001 (going away), give their
        applications up to ``timeout`` seconds to finish, and wait until
        every call's counters are logged."""
        for connection in list(self._live):
            connection.going_away(timeout)
        deadline = time.monotonic() + timeout + 1.0
        while self._live and time.monotonic() < deadline:
            self._finished_event.clear()
            try:
                await asyncio.wait_for(self._finished_event.wait(), 0.1)
            except asyncio.TimeoutError:
                pass
        for connection in list(self._live):      # still there: drop them
            connection.transport.abort()
            connection.on_gone()

    def _token_ok(self, presented: Any) -> bool:
        assert self.auth_token is not None   # asked only when a token is set
        return isinstance(presented, str) and hmac.compare_digest(
            presented.encode("utf-8", "surrogatepass"), self.auth_token.encode("utf-8"))


class Connection:
    """One WebSocket from its handshake to its summary line.

    The transport calls :meth:`on_message` for every whole message, in the
    pass that read it, and :meth:`on_gone` once the link is closed.  Until
    ``start`` the connection checks the auth token and skips (counts)
    malformed frames; from ``start`` on every message goes through one
    :meth:`MediaStream.feed` and its events to the :class:`Call`.  A
    watchdog timer ends connections that never start, go idle, or stop
    reading what the server writes.
    """

    def __init__(self, handler: CallHandler, transport: Transport):
        self.handler = handler
        self.transport = transport
        self.stats = CallStats(peer=transport.peer)
        self.stream: Optional[MediaStream] = None
        #: The carrier, once known (the handler's, or told by the messages).
        self.carrier: Optional[str] = None if handler.carrier == "auto" else handler.carrier
        self.call: Optional[Call] = None
        self._task: Optional[asyncio.Task] = None
        self._authorized = handler.auth_token is None
        self._closing = False           # a close has been asked for
        self._closer: Optional[asyncio.Task] = None   # the close asked for from a callback
        self._gone = False
        self._finished = False
        self._loop = asyncio.get_running_loop()
        self._done = self._loop.create_future()
        self._opened = self._loop.time()
        self._media_seen = (0, self._opened)          # media_in, when it last moved
        self._stall: Optional[tuple[int, float]] = None  # backlog, since when
        self._grace: Optional[asyncio.TimerHandle] = None
        self._cancelled = False          # we cancelled the application (out of grace)
        self._tick = min(1.0, handler.start_timeout / 4, handler.write_timeout / 4,
                         handler.idle_timeout / 4)
        self._watch = self._loop.call_later(self._tick, self._watchdog)
        handler.active += 1
        handler._live.add(self)
        if handler.verifiers:
            self._verify()
        if handler.auth_token is not None:
            self._check_header()

    # -- what the transport calls --------------------------------------

    def on_message(self, message: Union[str, bytes]) -> None:
        """One whole WebSocket message (text or binary)."""
        stats = self.stats
        stats.messages_in += 1
        stats.bytes_in += len(message)
        call = self.call
        if call is None:
            if not self._closing:
                self._before_start(message)
            return
        if call._ended:
            return                      # after stop, or while closing
        if stats.messages_in & CPU_SAMPLE_MASK:
            try:
                events = call.stream._feed_one(message)
            except Exception as exc:
                # ProtocolError as documented; a server must outlive any one
                # bad frame, so anything else is skipped the same way.
                self._reject(exc)
                return
        else:
            events = self._feed_timed(call.stream, message)
        try:
            if type(events) is Media:       # the usual message: the next frame of its track
                stats.media_in += 1
                listener = call._listener
                if listener is not None:
                    listener(events)
                else:
                    call._deliver((events,))
            elif events:
                self._dispatch(call, cast(list, events))   # not a Media: feed()'s list
        except Exception as exc:        # raised by the application's listener
            self._app_failed(exc)

    def on_binary(self, message: bytes) -> None:
        """One whole binary WebSocket message: audio (Vonage)."""
        stats = self.stats
        stats.messages_in += 1
        stats.bytes_in += len(message)
        call = self.call
        if call is None or call._ended:
            if call is None and not self._closing:
                self._reject(ProtocolError("a binary message before the stream started"))
            return
        feed_audio = getattr(self.stream, "feed_audio", None)
        if feed_audio is None:
            self._reject(ProtocolError(f"a binary message: {self.carrier} sends text only"))
            return
        t0 = _cpu_ns()
        try:
            events = feed_audio(message)
        except Exception as exc:
            self._reject(exc)
            return
        finally:
            stats.cpu_in_ns += max(0, _cpu_ns() - t0 - _TIMER_COST)
            stats.cpu_in_messages += 1
        try:
            if events:
                self._dispatch(call, events)
        except Exception as exc:
            self._app_failed(exc)

    def _feed_timed(self, stream: MediaStream, message: Union[str, bytes]) -> Any:
        """on_message's feed, timed with the thread CPU clock (a system call,
        so one message in CPU_SAMPLE_MASK + 1); None when it was refused."""
        stats = self.stats
        t0 = _cpu_ns()
        try:
            return stream._feed_one(message)
        except Exception as exc:
            self._reject(exc)
            return None
        finally:
            stats.cpu_in_ns += max(0, _cpu_ns() - t0 - _TIMER_COST)
            stats.cpu_in_messages += 1

    def on_gone(self) -> None:
        """The link is closed (either side, or it broke)."""
        if self._gone:
            return
        self._gone = True
        call = self.call
        if call is not None:
            call._closed = True
            self._end_events(call)
        elif self._task is None:
            self._finish()

    async def wait_done(self) -> CallStats:
        """Wait until the call has ended and its counters are logged."""
        await asyncio.shield(self._done)
        return self.stats

    def going_away(self, grace: float) -> None:
        """The server is shutting down: close with 1001."""
        self._close_soon(CLOSE_GOING_AWAY, "server shutting down", grace)

    # -- before start ----------------------------------------------------

    def _check_header(self) -> None:
        values = self.transport.headers(AUTH_HEADER)
        if len(values) > 1:
            log.warning("refused %s: %d %s headers (one expected)", self.transport.peer,
                        len(values), AUTH_HEADER)
            self._close_soon(CLOSE_POLICY, "unauthorized")
        elif values:
            if self.handler._token_ok(values[0]):
                self._authorized = True
            else:
                log.warning("refused %s: wrong %s header", self.transport.peer, AUTH_HEADER)
                self._close_soon(CLOSE_POLICY, "unauthorized")

    def _verify(self) -> None:
        """The verifiers: one must accept the upgrade request."""
        transport, handler = self.transport, self.handler
        target = transport.request_target()
        base = handler.public_url
        if base is None:
            hosts = transport.headers("host")
            base = "ws://" + (hosts[0] if hosts else "")
        url = base + target
        headers = transport.request_headers()
        reasons = []
        for verifier in handler.verifiers:
            try:
                reason = verifier.check(url, headers)
            except Exception as exc:   # a verifier that fails refuses
                reason = f"{type(verifier).__name__} failed: {exc}"
            if reason is None:
                return
            reasons.append(str(reason))
        log.warning("refused %s: %s", transport.peer, "; ".join(reasons))
        self._close_soon(CLOSE_POLICY, "unauthorized")

    def _before_start(self, message: Union[str, bytes]) -> None:
        try:
            frame = load(message)
            carrier = self.carrier or _carriers.detect(frame)
            event = (_carriers.parse_frame(carrier, frame) if carrier is not None
                     else Connected(raw=frame) if frame["event"] == "connected"
                     else _carriers.parse_frame("telnyx", frame))
        except Exception as exc:  # ProtocolError, or any other fault of one frame: skipped
            if not self._authorized:
                self._refuse_unauthorized("a malformed frame")
            else:
                self._reject(exc)
            return
        if isinstance(event, Connected):
            if self.handler.auth_token is not None:
                presented = event.raw.get(AUTH_HEADER)
                if presented is None and isinstance(event.raw.get("connected"), dict):
                    presented = event.raw["connected"].get(AUTH_HEADER)
                if presented is not None:
                    self._authorized = self.handler._token_ok(presented)
                if not self._authorized:
                    log.warning("refused %s: missing or wrong streaming auth token",
                                self.transport.peer)
                    self._close_soon(CLOSE_POLICY, "unauthorized")
            return
        if not self._authorized:
            self._refuse_unauthorized(repr(type(event).__name__))
        elif isinstance(event, Start):
            self._begin(event, message, carrier or "telnyx")   # None: parsed as Telnyx's
        elif isinstance(event, Stop):
            self.stats.stop_received = True
            self._close_soon(CLOSE_NORMAL, "stopped before start")
        else:
            self._reject(ProtocolError(f"{type(event).__name__} before start"))

    def _refuse_unauthorized(self, what: str) -> None:
        log.warning("refused %s: no streaming auth token before %s", self.transport.peer, what)
        self._close_soon(CLOSE_POLICY, "unauthorized")

    def _begin(self, start: Start, message: Union[str, bytes], carrier: str) -> None:
        stats = self.stats
        stats.stream_id = start.stream_id
        self.carrier = stats.carrier = carrier
        try:
            stream = _carriers.session_class(carrier)(**self.handler._options(start, carrier))
            stream._feed_one(message)
        except (ProtocolError, ValueError, TypeError) as exc:
            stats.error = str(exc)
            log.warning("stream %s: cannot serve it: %s", start.stream_id, exc)
            self._close_soon(CLOSE_UNSUPPORTED, str(exc)[:120])
            return
        stats.codec, stats.rate = stream.codec, stream.rate
        stats.playback_codec, stats.playback_rate = stream.playback_codec, stream.playback_rate
        self.stream = stream
        self.call = Call(self.transport, stream, start, stats, self.handler.queue_size,
                         self.handler.overflow_wait)
        self._media_seen = (0, self._loop.time())
        self._task = self._loop.create_task(self._serve(self.call))

    # -- during the call -------------------------------------------------

    def _dispatch(self, call: Call, events: list) -> None:
        stats = self.stats
        out: list[Any] = []
        for event in events:
            kind = type(event)
            if kind is Media:
                stats.media_in += 1
            elif kind is Stop:
                stats.stop_received = True
                call._deliver(out)
                call._end(event)
                self._arm_grace(self.handler.app_grace)
                return
            elif kind is Connected or kind is Start:
                continue                # repeated; the session has taken note
            elif kind is Dtmf:
                stats.dtmf += 1
            elif kind is Mark:
                stats.marks_echoed += 1
            out.append(event)
        call._deliver(out)

    def _reject(self, exc: Exception) -> None:
        """Count a malformed message; close with 1002 after too many."""
        stats = self.stats
        stats.rejected += 1
        if stats.rejected == 1:
            log.warning("stream %s: malformed message skipped: %s", stats.stream_id, exc)
        if stats.rejected > self.handler.max_rejected:
            self._close_soon(CLOSE_PROTOCOL_ERROR,
                             f"more than {self.handler.max_rejected} malformed messages")

    def _app_failed(self, exc: BaseException) -> None:
        stats = self.stats
        if stats.error is None:
            stats.error = f"{type(exc).__name__}: {exc}"
            log.error("stream %s: application raised", stats.stream_id,
                      exc_info=(type(exc), exc, exc.__traceback__))
        self._close_soon(CLOSE_INTERNAL, "application error")

    def _end_events(self, call: Call) -> None:
        try:
            call._end()
        except Exception as exc:
            self._app_failed(exc)
        self._arm_grace(self.handler.app_grace)

    def _arm_grace(self, seconds: float) -> None:
        """The events have ended: the application has ``seconds`` to finish."""
        if self._grace is None and self._task is not None and not self._task.done():
            self._grace = self._loop.call_later(seconds, self._out_of_grace, seconds)

    def _out_of_grace(self, seconds: float) -> None:
        if self._task is not None and not self._task.done():
            log.warning("stream %s: application still running %.0f s after its events "
                        "ended; cancelling it", self.stats.stream_id, seconds)
            self._cancelled = True
            self._task.cancel()

    async def _serve(self, call: Call) -> None:
        stats = self.stats
        try:
            try:
                await self.handler.app(call)
            except asyncio.CancelledError:
                if not self._cancelled:
                    raise
            except Exception as exc:
                self._app_failed(exc)
            await self._close(CLOSE_NORMAL, "")
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # never let one connection take the server down
            stats.error = stats.error or f"{type(exc).__name__}: {exc}"
            log.exception("stream %s: handler failed", stats.stream_id)
            self.transport.abort()
        finally:
            call._closed = True
            stats.tracks = dict(call.stream.stats)
            self._finish()

    # -- closing ---------------------------------------------------------

    def _close_soon(self, code: int, reason: str, grace: Optional[float] = None) -> None:
        """Close from a callback (no awaiting there): the events end at once."""
        if self._closing:
            return
        if self.stats.close_code is None and not self.transport.gone:
            self.stats.close_code, self.stats.close_reason = code, reason
        call = self.call
        if call is not None:
            call._closed = True
            self._end_events(call)
            if grace is not None:
                self._arm_grace(grace)
        self._closing = True
        self._closer = self._loop.create_task(self._close_now(code, reason))
        self._closer.add_done_callback(lambda _: self._finish() if self._task is None else None)

    async def _close(self, code: int, reason: str) -> None:
        if self._closing:
            # A close asked for from a callback (shutdown's 1001, a refusal)
            # must reach the transport before the call finishes: a server
            # waiting for its calls to finish (uvicorn's shutdown) would
            # otherwise close them itself, with its own code (1012).
            if self._closer is not None:
                await asyncio.shield(self._closer)
            return
        self._closing = True
        if self.stats.close_code is None and not self.transport.gone:
            self.stats.close_code, self.stats.close_reason = code, reason
        await self._close_now(code, reason)

    async def _close_now(self, code: int, reason: str) -> None:
        if self.transport.gone:
            return
        try:
            # What the application wrote goes out before the close frame.
            await asyncio.wait_for(self.transport.drain(), self.handler.write_timeout)
        except (Closed, asyncio.TimeoutError):
            pass
        if self.transport.gone:
            return
        try:
            await self.transport.close(code, reason)
        except Exception:  # already gone
            pass

    def _watchdog(self) -> None:
        """Every tick: no start in time, no media for idle_timeout, or a peer
        that has taken nothing we wrote for write_timeout."""
        if self._finished:
            return
        handler, now = self.handler, self._loop.time()
        call = self.call
        if not self._closing and not self._gone:
            if call is None:
                if now - self._opened >= handler.start_timeout:
                    self._close_soon(CLOSE_PROTOCOL_ERROR if self._authorized else CLOSE_POLICY,
                                     "no start frame in time")
            elif not call._ended:
                count, since = self._media_seen
                if self.stats.media_in != count:
                    self._media_seen = (self.stats.media_in, now)
                elif now - since >= handler.idle_timeout:
                    self.stats.error = f"idle: no media for {handler.idle_timeout:g} s"
                    log.warning("stream %s: %s; closing", self.stats.stream_id, self.stats.error)
                    self._close_soon(CLOSE_NORMAL, "idle timeout")
        if not self._gone:
            backlog = self.transport.backlog()
            if backlog <= 0:
                self._stall = None
            elif self._stall is None or backlog < self._stall[0]:
                self._stall = (backlog, now)          # new, or the peer took some
            elif now - self._stall[1] >= handler.write_timeout:
                self.stats.error = (f"write timeout: the peer took nothing for "
                                    f"{handler.write_timeout:g} s ({backlog} B waiting)")
                log.warning("stream %s: %s; dropping it", self.stats.stream_id, self.stats.error)
                if self.stats.close_code is None:
                    self.stats.close_code = CLOSE_ABNORMAL
                self._closing = True
                self.transport.abort()
                self.on_gone()
        self._watch = self._loop.call_later(self._tick, self._watchdog)

    def _finish(self) -> None:
        """Once: the summary line and the handler's books."""
        if self._finished:
            return
        self._finished = True
        self._watch.cancel()
        if self._grace is not None:
            self._grace.cancel()
        stats, handler = self.stats, self.handler
        stats.ended = time.monotonic()
        if stats.close_code is None:
            stats.close_code = self.transport.close_code or (CLOSE_ABNORMAL if self._gone
                                                             else None)
        handler.active -= 1
        handler._live.discard(self)
        handler.finished.append(stats)
        handler._finished_event.set()
        log.info("%s", stats.summary())
        if not self._done.done():
            self._done.set_result(None)
