"""What the servers that listen on a port themselves share (the
``websockets`` one and the ``picows`` one): where they listen, TLS,
several processes on one port, ``async with``, a clean close."""

from __future__ import annotations

import abc
import ssl as _ssl
from typing import Any, Optional

from .handler import App, CallHandler
from .transport import log


class ListeningServer(CallHandler, abc.ABC):
    """A :class:`CallHandler` listening on a TCP port.

    Parameters
    ----------
    app : async callable
        ``async def app(call: Call)``.
    host, port : str, int
        Where to listen (default 127.0.0.1, an ephemeral port: see
        :attr:`port` and :attr:`url` once started).
    ssl : ssl.SSLContext, optional
        Serve ``wss://`` with this server-side context.
    reuse_port : bool
        Set SO_REUSEPORT so that several processes share the port (the
        kernel spreads new connections over them).
    **options
        :class:`CallHandler` options (``rate``, ``playback_codec``,
        ``playback_rate``, ``auth_token``, ``max_message_bytes``, ...).

    Notes
    -----
    Every server answers ``GET /healthz`` with 200 on the same port.  Use
    ``async with Server(app) as server:`` or ``await server.start()`` /
    ``await server.close()``; :meth:`close` stops listening, closes the
    calls with 1001 and waits for their summaries.
    """

    #: Name of the WebSocket library, for logs and the CLI's start line.
    transport_name = ""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0, *,
                 ssl: Optional[_ssl.SSLContext] = None, reuse_port: bool = False,
                 **options: Any):
        super().__init__(app, **options)
        self.host = host
        #: The port listened on (the one bound, once started, when 0 was asked for).
        self.port = port
        self.ssl = ssl
        self.reuse_port = reuse_port
        self._server: Any = None

    @property
    def url(self) -> str:
        """``ws://host:port`` (``wss://`` with TLS) of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'wss' if self.ssl else 'ws'}://{host}:{self.port}"

    @abc.abstractmethod
    async def _listen(self) -> Any:
        """Start listening; the library's server (``.sockets``, ``.close()``,
        ``await .wait_closed()``)."""

    def _stop_listening(self, server: Any) -> None:
        server.close()

    async def start(self) -> "ListeningServer":
        self._server = await self._listen()
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("serving Telnyx media streams on %s (%s)", self.url, self.transport_name)
        return self

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        await self._server.serve_forever()

    async def close(self, timeout: float = 5.0) -> None:
        """Stop listening, close every call with 1001 (their applications
        get ``timeout`` seconds to finish) and wait for their summaries."""
        if self._server is not None:
            server, self._server = self._server, None
            self._stop_listening(server)
            await self.shutdown(timeout)
            await server.wait_closed()

    async def __aenter__(self) -> "ListeningServer":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
