"""The server on the ``websockets`` library (asyncio API, 13 or newer)."""

from __future__ import annotations

import logging
from typing import Any, Optional, Union

from .handler import App, CallHandler
from .transport import Closed, Transport, log


def require_websockets() -> None:
    """Raise ImportError naming the extra to install when ``websockets``
    (13 or newer, for its asyncio API) is missing."""
    try:
        import websockets.asyncio.server  # noqa: F401
    except ImportError:
        raise ImportError("the stream server and simulator need the websockets library "
                          "(13 or newer): pip install 'streamcodec[server]'") from None


class _WebsocketsTransport(Transport):
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
            raise Closed() from None

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
