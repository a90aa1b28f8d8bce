"""The server as an ASGI application (uvicorn, Starlette, FastAPI)."""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

from .handler import CallHandler
from .stats import CallStats
from .transport import CLOSE_NORMAL, CLOSE_TOO_BIG, Closed, Transport


class _ASGITransport(Transport):
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
            raise Closed()
        try:
            await self._send({"type": "websocket.send", "text": text})
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
