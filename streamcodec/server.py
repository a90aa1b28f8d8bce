"""A reference server for Telnyx media streams.

One :class:`~streamcodec.telnyx.session.MediaStream` per WebSocket; the
application is an ``async def app(call)`` that sees the call's ``start``
frame, iterates the call's events and plays audio back::

    from streamcodec.server import StreamServer

    async def app(call):                     # echo what the caller says
        async for event in call:
            if isinstance(event, telnyx.Media) and event.track == "inbound":
                await call.play(event.pcm, call.rate)

    async with StreamServer(app, port=8765, auth_token="s3cret") as server:
        await server.serve_forever()

Events are :class:`~streamcodec.telnyx.Media` (``pcm`` at ``call.rate``, in
chunk order, gaps concealed), :class:`~streamcodec.telnyx.Dtmf`,
:class:`~streamcodec.telnyx.Mark` (echoes, with ``played_ms``),
:class:`~streamcodec.telnyx.Error`, :class:`~streamcodec.telnyx.Unknown`
and, last, :class:`~streamcodec.telnyx.Stop`; iteration ends after
``stop`` or when the connection goes away.

:class:`StreamServer` runs on the ``websockets`` library;
:class:`ASGIStreamApp` runs the same application under any ASGI server
(uvicorn) or inside Starlette / FastAPI.  Both share :class:`CallHandler`:
the streaming auth token check (close code 1008), bounded message size and
event queue, survival of malformed frames and vanished clients, and a log
line of per-stream counters when each stream ends.
"""

from __future__ import annotations

import abc
import asyncio
import hmac
import importlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Optional, Union

from .telnyx import messages as _m
from .telnyx.messages import Connected, Media, ProtocolError, Start, Stop
from .telnyx.session import MediaStream

__all__ = [
    "ASGIStreamApp",
    "AUTH_HEADER",
    "Call",
    "CallHandler",
    "CallStats",
    "StreamServer",
    "EchoApp",
    "echo_app",
    "load_app",
    "playback_from_parameters",
]

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

App = Callable[["Call"], Awaitable[Any]]
SessionOptions = Union[Mapping[str, Any], Callable[[Start], Mapping[str, Any]], None]


class _Closed(Exception):
    """The transport is gone."""


def require_websockets() -> None:
    """Raise ImportError naming the extra to install when ``websockets``
    (13 or newer, for its asyncio API) is missing."""
    try:
        import websockets.asyncio.server  # noqa: F401
    except ImportError:
        raise ImportError("the stream server and simulator need the websockets library "
                          "(13 or newer): pip install 'streamcodec[server]'") from None


def _timer_cost() -> int:
    """Nanoseconds one ``thread_time_ns`` reading adds to an interval."""
    best = None
    for _ in range(200):
        a = time.thread_time_ns()
        b = time.thread_time_ns()
        if best is None or b - a < best:
            best = b - a
    return best or 0


_cpu_ns = time.thread_time_ns
_TIMER_COST = _timer_cost()


@dataclass
class CallStats:
    """Counters of one stream, kept by the server.

    ``cpu_in_ns`` is the CPU time spent in
    :meth:`MediaStream.feed <streamcodec.telnyx.session.MediaStream.feed>`
    (JSON, base64, decode, resample), ``cpu_out_ns`` in ``play``/``mark``/
    ``clear`` (resample, encode, base64, JSON); WebSocket framing is not
    included (see bench/compare_server.py for the whole).
    """

    peer: str = ""
    stream_id: Optional[str] = None
    codec: Optional[str] = None
    playback_codec: Optional[str] = None
    playback_rate: Optional[int] = None
    rate: Optional[int] = None
    started: float = field(default_factory=time.monotonic)
    ended: Optional[float] = None
    messages_in: int = 0
    bytes_in: int = 0
    media_in: int = 0
    """Media events handed to the application (concealed ones included)."""
    messages_out: int = 0
    media_out: int = 0
    bytes_out: int = 0
    dtmf: int = 0
    marks_sent: int = 0
    marks_echoed: int = 0
    rejected: int = 0
    """Messages refused as malformed (not JSON, missing fields, ...)."""
    overflow: int = 0
    """Events dropped because the application fell behind the queue bound."""
    cpu_in_ns: int = 0
    cpu_in_messages: int = 0
    cpu_out_ns: int = 0
    cpu_out_messages: int = 0
    tracks: dict = field(default_factory=dict)
    """Per-track :class:`~streamcodec.telnyx.session.TrackStats`."""
    stop_received: bool = False
    close_code: Optional[int] = None
    close_reason: str = ""
    error: Optional[str] = None

    @property
    def duration(self) -> float:
        end = self.ended if self.ended is not None else time.monotonic()
        return end - self.started

    @property
    def us_per_message_in(self) -> float:
        """CPU microseconds per inbound message spent in the session."""
        n = self.cpu_in_messages
        return self.cpu_in_ns / 1000 / n if n else 0.0

    @property
    def us_per_message_out(self) -> float:
        """CPU microseconds per outbound message spent in the session."""
        n = self.cpu_out_messages
        return self.cpu_out_ns / 1000 / n if n else 0.0

    def summary(self) -> str:
        """One log line."""
        parts = [f"stream {self.stream_id or '?'} from {self.peer or '?'}",
                 f"{self.codec or '?'} -> app {self.rate} Hz, playback "
                 f"{self.playback_codec}@{self.playback_rate}"]
        for name, t in sorted(self.tracks.items()):
            parts.append(f"{name}: {t.received} received, {t.lost} lost, {t.concealed} concealed, "
                         f"{t.late} late, {t.duplicate} duplicate, {t.too_late} too late, "
                         f"{t.bad} bad")
        parts.append(f"in {self.messages_in} msgs/{self.bytes_in} B, "
                     f"{self.us_per_message_in:.1f} us CPU/msg")
        parts.append(f"out {self.messages_out} msgs/{self.bytes_out} B, "
                     f"{self.us_per_message_out:.1f} us CPU/msg")
        parts.append(f"{self.dtmf} dtmf, {self.marks_sent} marks sent, "
                     f"{self.marks_echoed} echoed, {self.rejected} rejected, "
                     f"{self.overflow} overflow")
        parts.append(f"{self.duration:.2f} s, {'stop' if self.stop_received else 'no stop'}, "
                     f"close {self.close_code}{' ' + self.close_reason if self.close_reason else ''}")
        if self.error:
            parts.append(f"error: {self.error}")
        return "; ".join(parts)


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

    def __init__(self, transport: "_Transport", stream: MediaStream, start: Start,
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
        except _Closed:
            self._closed = True
        self.stats.messages_out += sent
        return sent

    def __repr__(self) -> str:
        return (f"<Call {self.stream_id} {self.codec}->{self.rate} Hz, playback "
                f"{self.stream.playback_codec}@{self.stream.playback_rate}>")


class EchoApp:
    """Play back what the caller says (the inbound track) as it arrives,
    with a mark after every second of echoed audio.

    Custom parameter ``echo_rate`` (Hz) makes the application hand its PCM
    to :meth:`Call.play` at that rate, as a text-to-speech engine working at
    8, 16 or 24 kHz would (it converts with :class:`streamcodec.Resampler`).

    Parameters
    ----------
    record : bool
        Keep the PCM each stream's application heard in
        :attr:`recordings` (stream id -> bytes at ``call.rate``).
    """

    def __init__(self, record: bool = False):
        self.record = record
        self.recordings: dict[str, bytes] = {}

    async def __call__(self, call: Call) -> None:
        play_rate = call.rate
        resampler = None
        wanted = call.custom_parameters.get("echo_rate")
        if wanted is not None:
            play_rate = int(wanted)
            if play_rate != call.rate:
                from ._resample import Resampler
                resampler = Resampler(call.rate, play_rate)
        heard: list[bytes] = []
        frames = 0
        try:
            async for event in call:
                if isinstance(event, Media) and event.track == "inbound":
                    if self.record:
                        heard.append(event.pcm)
                    pcm = event.pcm if resampler is None else resampler.process(event.pcm)
                    await call.play(pcm, play_rate)
                    frames += 1
                    if frames % 50 == 0:
                        await call.mark(f"echo-{frames // 50}s")
                elif isinstance(event, Stop):
                    if resampler is not None:
                        await call.play(resampler.flush(), play_rate)
                    await call.flush()
        finally:
            if self.record:
                self.recordings[call.stream_id or ""] = b"".join(heard)


#: The default application of ``streamcodec serve``.
echo_app = EchoApp()


def playback_from_parameters(start: Start) -> dict:
    """Session options from the ``start`` frame's custom parameters
    ``playback_codec`` and ``playback_rate``, for a server whose calls play
    back in different codecs (the demo, tests).  Use as
    ``CallHandler(app, session_options=playback_from_parameters)``."""
    params = start.custom_parameters
    options: dict[str, Any] = {}
    if "playback_codec" in params:
        options["playback_codec"] = str(params["playback_codec"])
    if "playback_rate" in params:
        options["playback_rate"] = int(params["playback_rate"])
    return options


def load_app(spec: str) -> App:
    """Import ``"module:function"`` (or ``"module.function"``) as an application."""
    module_name, sep, attr = spec.partition(":")
    if not sep:
        module_name, _, attr = spec.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"--app must look like 'module:function', got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r} for --app {spec}: {exc}") from None
    try:
        app = getattr(module, attr)
    except AttributeError:
        raise ValueError(f"module {module_name!r} has no attribute {attr!r}") from None
    if not callable(app):
        raise ValueError(f"{spec} is not callable")
    return app


# ----------------------------------------------------------------------------
# Transports
# ----------------------------------------------------------------------------


class _Transport(abc.ABC):
    """What the handler needs from a WebSocket; one subclass per library."""

    peer = ""

    @abc.abstractmethod
    async def recv(self) -> Union[str, bytes, None]:
        """Next message; None once the peer has gone."""

    @abc.abstractmethod
    async def send(self, text: str) -> None:
        """Send a text message; raise _Closed once the peer has gone."""

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


class _WebsocketsTransport(_Transport):
    def __init__(self, ws: Any):
        from websockets.exceptions import ConnectionClosed
        self._ws = ws
        self._ConnectionClosed = ConnectionClosed
        address = ws.remote_address
        self.peer = f"{address[0]}:{address[1]}" if address else ""

    async def recv(self) -> Union[str, bytes, None]:
        try:
            return await self._ws.recv()
        except self._ConnectionClosed:
            return None

    async def send(self, text: str) -> None:
        try:
            await self._ws.send(text)
        except self._ConnectionClosed:
            raise _Closed() from None

    async def close(self, code: int, reason: str) -> None:
        await self._ws.close(code, reason)

    def header(self, name: str) -> Optional[str]:
        request = self._ws.request
        return None if request is None else request.headers.get(name)

    @property
    def close_code(self) -> Optional[int]:
        return self._ws.close_code

    @property
    def gone(self) -> bool:
        from websockets.protocol import State
        return self._ws.state is State.CLOSED


class _ASGITransport(_Transport):
    def __init__(self, scope: dict, receive: Callable, send: Callable, max_size: int):
        self._scope, self._receive, self._send = scope, receive, send
        self._max_size = max_size
        self._gone = False
        self._code: Optional[int] = None
        client = scope.get("client")
        self.peer = f"{client[0]}:{client[1]}" if client else ""
        self._headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                         for k, v in scope.get("headers", [])}

    async def recv(self) -> Union[str, bytes, None]:
        while not self._gone:
            message = await self._receive()
            kind = message["type"]
            if kind == "websocket.receive":
                data = message.get("text")
                if data is None:
                    data = message.get("bytes")
                if data is not None and len(data) > self._max_size:
                    await self.close(CLOSE_TOO_BIG, "message too big")
                    return None
                return data
            if kind == "websocket.disconnect":
                self._gone = True
                if self._code is None:
                    self._code = message.get("code", CLOSE_NORMAL)
        return None

    async def send(self, text: str) -> None:
        if self._gone:
            raise _Closed()
        try:
            await self._send({"type": "websocket.send", "text": text})
        except (OSError, RuntimeError) as exc:  # the ASGI server saw the peer go
            self._gone = True
            raise _Closed() from exc
        except Exception as exc:
            # uvicorn raises its own ClientDisconnected; starlette may raise
            # WebSocketDisconnect: both mean the peer is gone.
            if type(exc).__name__ in ("ClientDisconnected", "WebSocketDisconnect"):
                self._gone = True
                raise _Closed() from exc
            raise

    async def close(self, code: int, reason: str) -> None:
        if self._gone:
            return
        self._gone = True
        self._code = code
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except Exception:  # the peer left first
            pass

    async def accept(self) -> bool:
        message = await self._receive()
        if message["type"] != "websocket.connect":
            self._gone = True
            return False
        await self._send({"type": "websocket.accept"})
        return True

    def header(self, name: str) -> Optional[str]:
        return self._headers.get(name.lower())

    @property
    def close_code(self) -> Optional[int]:
        return self._code

    @property
    def gone(self) -> bool:
        return self._gone


# ----------------------------------------------------------------------------
# The handler both servers share
# ----------------------------------------------------------------------------


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

    async def run(self, transport: _Transport) -> CallStats:
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

    async def _close(self, transport: _Transport, stats: CallStats, code: int,
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

    async def _await_start(self, transport: _Transport,
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

    async def _reject(self, transport: _Transport, stats: CallStats, exc: Exception) -> bool:
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

    async def _run(self, transport: _Transport, stats: CallStats) -> None:
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

    async def _read(self, transport: _Transport, call: Call) -> None:
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


# ----------------------------------------------------------------------------
# websockets server
# ----------------------------------------------------------------------------


class StreamServer(CallHandler):
    """The application served on the ``websockets`` library.

    Parameters
    ----------
    app : async callable
        ``async def app(call: Call)``.
    host, port : str, int
        Where to listen (default 127.0.0.1, an ephemeral port: see
        :attr:`port` and :attr:`url` once started).
    **options
        :class:`CallHandler` options (``rate``, ``playback_codec``,
        ``playback_rate``, ``auth_token``, ``max_message_bytes``, ...).

    Use ``async with StreamServer(app) as server:`` or ``await
    server.start()`` / ``await server.close()``.
    """

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0, **options: Any):
        super().__init__(app, **options)
        self.host, self.port = host, port
        self._server: Any = None

    @property
    def url(self) -> str:
        """``ws://host:port`` of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}"

    async def start(self) -> "StreamServer":
        require_websockets()
        from websockets.asyncio.server import serve
        self._server = await serve(
            self._handle, self.host, self.port,
            max_size=self.max_message_bytes,
            max_queue=32,             # frames buffered per connection before TCP backpressure
            compression=None,         # Telnyx does not negotiate it; it costs CPU
            ping_interval=20, ping_timeout=20, close_timeout=5,
            logger=logging.getLogger("streamcodec.server.websockets"),
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("serving Telnyx media streams on %s", self.url)
        return self

    async def _handle(self, ws: Any) -> None:
        await self.run(_WebsocketsTransport(ws))

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> "StreamServer":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


# ----------------------------------------------------------------------------
# ASGI adapter
# ----------------------------------------------------------------------------


class ASGIStreamApp(CallHandler):
    """The application as an ASGI app, for uvicorn, Starlette or FastAPI.

    ``ASGIStreamApp(app, **options)`` takes :class:`CallHandler` options.
    Serve it directly (``uvicorn.run(ASGIStreamApp(app), host="127.0.0.1")``),
    mount it in Starlette (``WebSocketRoute("/stream", ASGIStreamApp(app))``),
    or call :meth:`handle` from a FastAPI websocket route with its
    ``WebSocket``.  HTTP requests get 426 Upgrade Required.
    """

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        kind = scope["type"]
        if kind == "websocket":
            transport = _ASGITransport(scope, receive, send, self.max_message_bytes)
            if await transport.accept():
                await self.run(transport)
        elif kind == "http":
            body = b"streamcodec: this endpoint takes Telnyx media-stream WebSockets\n"
            await send({"type": "http.response.start", "status": 426,
                        "headers": [(b"content-type", b"text/plain"), (b"upgrade", b"websocket"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def handle(self, websocket: Any) -> CallStats:
        """Serve a Starlette/FastAPI ``WebSocket`` that has not been accepted yet."""
        transport = _ASGITransport(websocket.scope, websocket.receive, websocket.send,
                                   self.max_message_bytes)
        await websocket.accept()
        return await self.run(transport)
