"""The server on the ``websockets`` library (asyncio API, 13 or newer)."""

from __future__ import annotations

import logging
from typing import Any, Optional, Union

from .listening import ListeningServer
from .transport import HEALTH_PATH, Closed, QueuedTransport


def require_websockets() -> None:
    """Raise ImportError naming the extra to install when ``websockets``
    (13 or newer, for its asyncio API) is missing."""
    try:
        import websockets.asyncio.server  # noqa: F401
    except ImportError:
        raise ImportError("the stream server and simulator need the websockets library "
                          "(13 or newer): pip install 'streamcodec[server]'") from None


class _WebsocketsTransport(QueuedTransport):
    def __init__(self, ws: Any):
        super().__init__()
        from websockets.exceptions import ConnectionClosed
        from websockets.protocol import State
        self._ws = ws
        self._ConnectionClosed = ConnectionClosed
        self._CLOSED = State.CLOSED
        address = ws.remote_address
        self.peer = f"{address[0]}:{address[1]}" if address else ""

    async def recv(self) -> Any:
        try:
            return await self._ws.recv()
        except self._ConnectionClosed:
            return None

    async def _send_one(self, message: Union[str, bytes]) -> None:
        try:
            await self._ws.send(message)    # websockets: str as text, bytes as binary
        except self._ConnectionClosed:
            raise Closed() from None

    async def close(self, code: int, reason: str) -> None:
        await self._ws.close(code, reason)

    def abort(self) -> None:
        self._ws.transport.abort()

    def backlog(self) -> int:
        return self._ws.transport.get_write_buffer_size() + self.queued()

    def request_target(self) -> str:
        request = self._ws.request
        return "/" if request is None else request.path

    def request_headers(self) -> list[tuple[str, str]]:
        request = self._ws.request
        return [] if request is None else list(request.headers.raw_items())

    def headers(self, name: str) -> list[str]:
        request = self._ws.request
        return [] if request is None else request.headers.get_all(name)

    @property
    def close_code(self) -> Optional[int]:
        return self._ws.close_code

    @property
    def gone(self) -> bool:
        return self._ws.state is self._CLOSED


class StreamServer(ListeningServer):
    """The application served on the ``websockets`` library (see
    :class:`~streamcodec.server.listening.ListeningServer` for the
    parameters)."""

    transport_name = "websockets"

    async def _listen(self) -> Any:
        require_websockets()
        from websockets.asyncio.server import serve

        def health(connection: Any, request: Any) -> Any:
            if request.path.partition("?")[0] == HEALTH_PATH:
                return connection.respond(200, "ok\n")
            return None

        return await serve(
            self._handle, self.host, self.port,
            max_size=self.max_message_bytes,
            max_queue=32,             # frames buffered per connection before TCP backpressure
            compression=None,         # Telnyx does not negotiate it; it costs CPU
            ping_interval=20, ping_timeout=20, close_timeout=5,
            process_request=health, ssl=self.ssl, reuse_port=self.reuse_port or None,
            logger=logging.getLogger("streamcodec.server.websockets"),
        )

    def _stop_listening(self, server: Any) -> None:
        server.close(close_connections=False)     # shutdown() closes them, with counters

    async def _handle(self, ws: Any) -> None:
        transport = _WebsocketsTransport(ws)
        await transport.read_into(self.connect(transport), transport.recv)
