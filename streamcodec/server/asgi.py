"""The server as an ASGI application (uvicorn, Starlette, FastAPI)."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional, Union

from .handler import CallHandler
from .stats import CallStats
from .transport import CLOSE_NORMAL, CLOSE_TOO_BIG, HEALTH_PATH, Closed, QueuedTransport


class _ASGITransport(QueuedTransport):
    def __init__(self, scope: dict, receive: Callable, send: Callable, max_size: int):
        super().__init__()
        self._scope, self._receive, self._send = scope, receive, send
        self._max_size = max_size
        self._gone = False              # nothing more can be sent
        self._read_all = False          # nothing more will be read
        self._code: Optional[int] = None
        self._reader: Optional[asyncio.Task] = None
        client = scope.get("client")
        self.peer = f"{client[0]}:{client[1]}" if client else ""

    async def recv(self) -> Union[str, bytes, None]:
        # A failed send (the peer has left) does not stop the reading: what
        # the peer sent before it left (its last media, its stop) is still
        # queued in the ASGI server, ahead of the disconnect.
        while not self._read_all:
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
                self._gone = self._read_all = True
                if self._code is None:
                    self._code = message.get("code", CLOSE_NORMAL)
        return None

    async def _send_one(self, message: Union[str, bytes]) -> None:
        if self._gone:
            raise Closed()
        key = "bytes" if type(message) is bytes else "text"
        try:
            await self._send({"type": "websocket.send", key: message})
        except (OSError, RuntimeError) as exc:  # the ASGI server saw the peer go
            self._gone = True
            raise Closed() from exc
        except Exception as exc:
            # uvicorn raises its own ClientDisconnected; starlette may raise
            # WebSocketDisconnect: both mean the peer is gone.
            if type(exc).__name__ in ("ClientDisconnected", "WebSocketDisconnect"):
                self._gone = True
                raise Closed() from exc
            raise

    async def close(self, code: int, reason: str) -> None:
        self._read_all = True           # what comes after our close is not read
        if self._gone:
            return
        self._gone = True
        self._code = code
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except Exception:  # the peer left first
            pass

    def abort(self) -> None:
        # ASGI cannot reach the socket: stop reading and return from the
        # ASGI call, after which the server drops the connection.
        self._gone = self._read_all = True
        if self._reader is not None:
            self._reader.cancel()

    def backlog(self) -> int:
        return self.queued()

    async def accept(self) -> bool:
        message = await self._receive()
        if message["type"] != "websocket.connect":
            self._gone = True
            return False
        await self._send({"type": "websocket.accept"})
        return True

    def request_target(self) -> str:
        query = self._scope.get("query_string", b"")
        path = self._scope.get("raw_path") or self._scope.get("path", "/").encode("utf-8")
        target = path.decode("latin-1") if isinstance(path, bytes) else str(path)
        return target + ("?" + query.decode("latin-1") if query else "")

    def request_headers(self) -> list[tuple[str, str]]:
        return [(k.decode("latin-1"), v.decode("latin-1"))
                for k, v in self._scope.get("headers", [])]

    def headers(self, name: str) -> list[str]:
        key = name.lower().encode("latin-1")
        return [v.decode("latin-1") for k, v in self._scope.get("headers", []) if k.lower() == key]

    @property
    def close_code(self) -> Optional[int]:
        return self._code

    @property
    def gone(self) -> bool:
        return self._gone


class ASGIStreamApp(CallHandler):
    """The application as an ASGI app, for uvicorn, Starlette or FastAPI.

    ``ASGIStreamApp(app, **options)`` takes :class:`CallHandler` options.
    Serve it directly (``uvicorn.run(ASGIStreamApp(app), host="127.0.0.1")``),
    mount it in Starlette (``WebSocketRoute("/stream", ASGIStreamApp(app))``),
    or call :meth:`handle` from a FastAPI websocket route with its
    ``WebSocket``.  HTTP ``GET /healthz`` gets 200, other HTTP requests 426
    Upgrade Required.  On lifespan shutdown the calls still open are closed
    with 1001 and their counters logged.  Plain uvicorn closes every open
    WebSocket with 1012 (service restart) before that; ``streamcodec serve
    --transport asgi`` runs uvicorn so that its calls get the 1001.

    The per-stream summaries are logged at INFO on the ``streamcodec.server``
    logger; uvicorn configures only its own loggers, so enable it, e.g.
    ``logging.basicConfig(level=logging.INFO)`` or uvicorn's
    ``--log-config`` with a ``streamcodec.server`` entry.
    """

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        kind = scope["type"]
        if kind == "websocket":
            transport = _ASGITransport(scope, receive, send, self.max_message_bytes)
            if await transport.accept():
                await self._serve(transport)
        elif kind == "http":
            if scope.get("path") == HEALTH_PATH:
                status, body = 200, b"ok\n"
            else:
                status, body = 426, b"streamcodec: this endpoint takes Telnyx media-stream WebSockets\n"
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"text/plain"), (b"upgrade", b"websocket"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.shutdown()
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def handle(self, websocket: Any) -> CallStats:
        """Serve a Starlette/FastAPI ``WebSocket`` that has not been accepted yet."""
        transport = _ASGITransport(websocket.scope, websocket.receive, websocket.send,
                                   self.max_message_bytes)
        await websocket.accept()
        return await self._serve(transport)

    async def _serve(self, transport: _ASGITransport) -> CallStats:
        connection = self.connect(transport)
        transport._reader = asyncio.current_task()
        try:
            await transport.read_into(connection, transport.recv)
        except asyncio.CancelledError:
            if not transport.gone:     # not our abort: the server is cancelling us
                raise
        return connection.stats
