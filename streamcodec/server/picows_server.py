"""The server on ``picows`` (extra ``fast``): frame callbacks, no coroutine
per message.

picows parses WebSocket frames in C and calls :meth:`on_ws_frame` for each
frame of a read; the message goes straight into the connection (one
:meth:`MediaStream.feed`) and, with an application that answers in its
listener (the echo), straight back out.  Frames written while a read is
being handled are held until its last frame and then written with one
transport call: never later than the end of the pass that produced them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional, Union

from .listening import ListeningServer
from .transport import CLOSE_TOO_BIG, HEALTH_PATH, Closed, Transport


# picows logs every accepted connection at INFO: keep that to warnings
# unless the user asks for it.
_PICOWS_LOG = logging.getLogger("streamcodec.server.picows")
if _PICOWS_LOG.level == logging.NOTSET:
    _PICOWS_LOG.setLevel(logging.WARNING)


def require_picows() -> None:
    """Raise ImportError naming the extra to install when picows is missing."""
    try:
        import picows  # noqa: F401
    except ImportError:
        raise ImportError("the picows transport needs picows (2 or newer): "
                          "pip install 'streamcodec[fast]'") from None


def _frame_header(size: int, first: int = 0x81) -> bytes:
    """Header of an unmasked final frame of ``size`` bytes (RFC 6455 5.2: a
    server never masks); ``first`` 0x81 for text, 0x82 for binary."""
    if size < 126:
        return bytes((first, size))
    if size < 1 << 16:
        return bytes((first, 126)) + size.to_bytes(2, "big")
    return bytes((first, 127)) + size.to_bytes(8, "big")


_LISTENER: Any = None

#: Seconds to wait for the peer's close frame after ours.
_CLOSE_WAIT = 2.0

#: Most frames held back for one write while a read is being handled.
_HOLD_MAX = 8


def _listener_class() -> Any:
    """The listener class, made once picows is known to be installed."""
    global _LISTENER
    if _LISTENER is None:
        _LISTENER = _define_listener()
    return _LISTENER


def _define_listener() -> Any:
    from picows import WSCloseCode, WSListener, WSMsgType

    TEXT, BINARY, CONTINUATION, CLOSE = (WSMsgType.TEXT, WSMsgType.BINARY,
                                         WSMsgType.CONTINUATION, WSMsgType.CLOSE)

    class Listener(WSListener, Transport):
        """One connection: picows' listener and our transport in one."""

        def __init__(self, server: "PicowsServer", request: Any) -> None:
            self._server = server
            self._headers = request.headers
            self._ws: Any = None
            self._raw: Any = None
            self._connection: Any = None
            self._on_message: Any = None
            self._on_binary: Any = None
            self._request = request
            self._binary = False               # the message being reassembled is binary
            self._fragments: Optional[list[bytes]] = None
            self._in_pass = False             # inside a read: hold what is written
            self._held: list[Union[str, bytes]] = []
            self._writable: Optional[asyncio.Future] = None   # writes paused until done
            self._close_code: Optional[int] = None

        # -- picows callbacks ----------------------------------------------

        def on_ws_connected(self, ws: Any) -> None:
            self._ws = ws
            self._raw = ws.underlying_transport
            peer = self._raw.get_extra_info("peername")
            self.peer = f"{peer[0]}:{peer[1]}" if peer else ""
            self._connection = self._server.connect(self)
            self._on_message = self._connection.on_message
            self._on_binary = self._connection.on_binary

        def on_ws_frame(self, ws: Any, frame: Any) -> None:
            kind = frame.msg_type
            self._in_pass = True
            if kind is TEXT and frame.fin:       # the usual frame: one whole text message
                try:
                    self._on_message(frame.get_payload_as_bytes())
                finally:
                    if frame.last_in_buffer:
                        self._end_pass()
                return
            try:
                if kind is TEXT or kind is BINARY:
                    # picows reads text as bytes too: the kind says which
                    if frame.fin:
                        (self._on_binary if kind is BINARY else self._on_message)(
                            frame.get_payload_as_bytes())
                    else:
                        self._binary = kind is BINARY
                        self._fragments = [frame.get_payload_as_bytes()]
                elif kind is CONTINUATION:
                    self._continue(frame)
                elif kind is CLOSE:
                    code = frame.get_close_code()
                    self._close_code = code.value if code.value else 1005
                    ws.send_close(code if code.value else WSCloseCode.OK)
                    ws.disconnect()
            finally:
                if frame.last_in_buffer:
                    self._end_pass()

        def _end_pass(self) -> None:
            """The last frame of a read is handled: what it wrote goes out."""
            self._in_pass = False
            held = self._held
            if held:
                self._held = []
                self._write_now(held)

        def _continue(self, frame: Any) -> None:
            parts = self._fragments
            if parts is None:
                return                           # a continuation of nothing: ignored
            parts.append(frame.get_payload_as_bytes())
            if sum(map(len, parts)) > self._server.max_message_bytes:
                self._fragments = None
                self._ws.send_close(WSCloseCode(CLOSE_TOO_BIG), b"message too big")
                self._ws.disconnect()
            elif frame.fin:
                self._fragments = None
                (self._on_binary if self._binary else self._on_message)(b"".join(parts))

        def on_ws_disconnected(self, ws: Any) -> None:
            self._resume_writers()
            if self._connection is not None:
                self._connection.on_gone()

        def pause_writing(self) -> None:
            if self._writable is None:
                self._writable = asyncio.get_running_loop().create_future()

        def resume_writing(self) -> None:
            self._resume_writers()

        def _resume_writers(self) -> None:
            writable, self._writable = self._writable, None
            if writable is not None and not writable.done():
                writable.set_result(None)

        # -- Transport -----------------------------------------------------

        def headers(self, name: str) -> list[str]:
            return list(self._headers.getall(name, ()))

        def request_target(self) -> str:
            path = self._request.path
            return path.decode("latin-1") if isinstance(path, bytes) else str(path)

        def request_headers(self) -> list[tuple[str, str]]:
            return [(str(k), str(v)) for k, v in self._headers.items()]

        def write(self, frames: list[Union[str, bytes]]) -> None:
            ws = self._ws
            if ws.is_disconnected or ws.is_close_frame_sent:
                raise Closed()
            if self._in_pass:
                held = self._held
                held.extend(frames)
                if len(held) >= _HOLD_MAX:       # a long backlog: do not sit on replies
                    self._write_now(held)
                    self._held = []
            else:
                self._write_now(frames)

        def _write_now(self, frames: list[Union[str, bytes]]) -> None:
            if len(frames) == 1:
                frame = frames[0]
                self._ws.send(BINARY if type(frame) is bytes else TEXT, frame)
                return
            parts = []
            for message in frames:
                if type(message) is bytes:
                    parts.append(_frame_header(len(message), 0x82))
                    parts.append(message)
                else:   # a str (mypy does not narrow on type() is; no cast() call per frame)
                    data = message.encode()  # type: ignore[union-attr]
                    parts.append(_frame_header(len(data)))
                    parts.append(data)
            self._raw.write(b"".join(parts))

        async def drain(self) -> None:
            if self._writable is not None:
                await asyncio.shield(self._writable)
            if self._ws.is_disconnected:
                raise Closed()

        async def close(self, code: int, reason: str) -> None:
            ws = self._ws
            if ws.is_disconnected:
                return
            held = self._held
            if held:
                self._held = []
                self._write_now(held)
            if not ws.is_close_frame_sent:
                self._close_code = code
                ws.send_close(WSCloseCode(code), reason.encode()[:123])
            # The closing handshake: wait for the peer's close frame (then
            # on_ws_frame disconnects) so that it reads ours before the TCP
            # link goes; a peer that does not answer is cut off.
            try:
                await asyncio.wait_for(asyncio.shield(ws.wait_disconnected()), _CLOSE_WAIT)
            except asyncio.TimeoutError:
                pass
            ws.disconnect()                      # graceful: what is buffered goes first

        def abort(self) -> None:
            self._raw.abort()

        def backlog(self) -> int:
            return self._raw.get_write_buffer_size() if not self._ws.is_disconnected else 0

        def pause_reading(self) -> None:
            self._raw.pause_reading()

        def resume_reading(self) -> None:
            if not self._ws.is_disconnected:
                self._raw.resume_reading()

        @property
        def close_code(self) -> Optional[int]:
            if self._close_code is not None:
                return self._close_code
            handshake = self._ws.close_handshake if self._ws is not None else None
            if handshake is not None:
                info = handshake.recv or handshake.sent
                if info is not None:
                    return info.code.value
            return None

        @property
        def gone(self) -> bool:
            return self._ws is None or self._ws.is_disconnected

    return Listener


class PicowsServer(ListeningServer):
    """The application served on ``picows`` (with ``uvloop`` when it is the
    running loop, as ``streamcodec serve`` makes it).  Same
    parameters and behaviour as :class:`~streamcodec.server.StreamServer`;
    picows itself answers pings and closes with 1009 a frame longer than
    ``max_message_bytes``."""

    transport_name = "picows"

    async def _listen(self) -> Any:
        require_picows()
        from picows import WSUpgradeResponse, WSUpgradeResponseWithListener, ws_create_server

        listener = _listener_class()

        def route(request: Any) -> Any:
            if request.path.partition(b"?")[0] == HEALTH_PATH.encode():
                return WSUpgradeResponseWithListener(
                    WSUpgradeResponse.create_ok_response(b"ok\n"), None)
            return listener(self, request)

        return await ws_create_server(
            route, self.host, self.port,
            ssl=self.ssl, reuse_port=self.reuse_port or None,
            max_frame_size=self.max_message_bytes,
            enable_auto_ping=True, auto_ping_idle_timeout=20, auto_ping_reply_timeout=20,
            websocket_handshake_timeout=5,
            logger_name=_PICOWS_LOG,
        )

