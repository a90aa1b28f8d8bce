"""Running a server as ``streamcodec serve`` does: the fastest transport
installed, uvloop when installed, TLS, several worker processes on one
port, and a clean stop on SIGTERM/SIGINT (every call closed with 1001 and
its counters logged)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
import socket
import ssl as _ssl
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

from .transport import log

if TYPE_CHECKING:
    from .listening import ListeningServer

#: Transports, fastest first.
TRANSPORTS = ("picows", "websockets", "asgi")
_NEEDS = {"picows": ("picows",), "websockets": ("websockets",), "asgi": ("uvicorn", "websockets")}


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def available_transports() -> list[str]:
    """The transports whose libraries are installed, fastest first."""
    return [name for name in TRANSPORTS if all(installed(m) for m in _NEEDS[name])]


def pick_transport(name: str = "auto") -> str:
    """``name``, checked, or the fastest installed transport for ``"auto"``."""
    available = available_transports()
    if name == "auto":
        if not available:
            raise ValueError("no WebSocket library installed: pip install 'streamcodec[fast]' "
                             "(picows + uvloop) or 'streamcodec[server]' (websockets)")
        return available[0]
    if name not in TRANSPORTS:
        raise ValueError(f"--transport must be one of {', '.join(TRANSPORTS)} or auto, got {name!r}")
    if name not in available:
        extra = {"picows": "fast", "websockets": "server", "asgi": "asgi"}[name]
        raise ValueError(f"transport {name} needs {' and '.join(_NEEDS[name])}: "
                         f"pip install 'streamcodec[{extra}]'")
    return name


def pick_loop(name: str = "auto") -> str:
    """``"uvloop"`` when asked for or (``"auto"``) installed, else ``"asyncio"``."""
    if name == "auto":
        return "uvloop" if installed("uvloop") else "asyncio"
    if name not in ("asyncio", "uvloop"):
        raise ValueError(f"--loop must be auto, asyncio or uvloop, got {name!r}")
    if name == "uvloop" and not installed("uvloop"):
        raise ValueError("uvloop is not installed: pip install 'streamcodec[fast]'")
    return name


def run_loop(coro: Any, loop: str = "auto") -> Any:
    """Run ``coro`` on a new event loop of kind ``loop``."""
    if pick_loop(loop) == "uvloop":
        import uvloop
        new_loop: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    else:
        new_loop = asyncio.new_event_loop
    event_loop = new_loop()
    try:
        asyncio.set_event_loop(event_loop)
        return event_loop.run_until_complete(coro)
    finally:
        asyncio.set_event_loop(None)
        event_loop.close()


def tls_context(certfile: Optional[str], keyfile: Optional[str]) -> Optional[_ssl.SSLContext]:
    """A server TLS context for ``wss://`` from PEM files (None without a
    certificate)."""
    if certfile is None:
        if keyfile is not None:
            raise ValueError("--keyfile needs --certfile")
        return None
    context = _ssl.SSLContext(_ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return context


@dataclass
class ServeOptions:
    """What ``streamcodec serve`` was asked for."""

    app: Any
    app_name: str = "echo"
    transport: str = "auto"
    loop: str = "auto"
    host: str = "127.0.0.1"
    port: int = 8765
    workers: int = 1
    certfile: Optional[str] = None
    keyfile: Optional[str] = None
    duration: Optional[float] = None
    handler_options: dict = field(default_factory=dict)


def _bind_reusable(host: str, port: int) -> socket.socket:
    """A socket bound with SO_REUSEPORT, not listening: it holds the port
    (an ephemeral one picked here when ``port`` is 0) for the workers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


async def _serve_one(options: ServeOptions, transport: str, port: int, reuse_port: bool,
                     announce: Optional[Callable[[str], object]]) -> int:
    """One process's server until SIGTERM/SIGINT or ``duration``; the number
    of streams it served."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not on this platform
            pass
    context = tls_context(options.certfile, options.keyfile)
    if transport == "asgi":
        handler, url, finish = await _start_uvicorn(options, port, reuse_port, context)
    else:
        Server: type[ListeningServer]
        if transport == "picows":
            from .picows_server import PicowsServer as Server
        else:
            from .websockets_server import StreamServer as Server
        server = Server(options.app, host=options.host, port=port, ssl=context,
                        reuse_port=reuse_port, **options.handler_options)
        await server.start()
        handler, url, finish = server, server.url, server.close
    if announce is not None:
        announce(url)
    try:
        await asyncio.wait_for(stop.wait(), options.duration)
    except asyncio.TimeoutError:
        pass
    log.info("stopping: closing %d open calls", handler.active)
    await finish()
    return len(handler.finished)


async def _start_uvicorn(options: ServeOptions, port: int, reuse_port: bool,
                         context: Optional[_ssl.SSLContext]) -> tuple[Any, str, Any]:
    import uvicorn

    from .asgi import ASGIStreamApp

    handler = ASGIStreamApp(options.app, **options.handler_options)
    sock = _bind_reusable(options.host, port) if reuse_port else None
    from uvicorn.config import WS_PROTOCOLS
    config = uvicorn.Config(handler, host=options.host, port=port, lifespan="on",
                            log_level="warning", ws_max_size=handler.max_message_bytes,
                            # the sans-I/O implementation where this uvicorn has it
                            ws="websockets-sansio" if "websockets-sansio" in WS_PROTOCOLS
                            else "auto",
                            ssl_certfile=options.certfile, ssl_keyfile=options.keyfile)
    server = uvicorn.Server(config)
    # SIGTERM/SIGINT are _serve_one's: it closes every call with 1001, then
    # stops uvicorn.  uvicorn's own handlers (installed for the length of
    # serve()) would start its shutdown at the same time and close whatever
    # had not yet been closed with 1012.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign, assignment]
    task = asyncio.get_running_loop().create_task(
        server.serve(sockets=[sock] if sock is not None else None))
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped while starting")
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    host = f"[{options.host}]" if ":" in options.host else options.host
    url = f"{'wss' if context else 'ws'}://{host}:{bound}"

    async def finish() -> None:
        await handler.shutdown()
        server.should_exit = True
        await task

    return handler, url, finish


def serve(options: ServeOptions, announce: Callable[[str, str], None]) -> int:
    """Serve until stopped; ``announce(url, description)`` once listening.
    With ``workers`` > 1, forks that many processes sharing the port
    (SO_REUSEPORT: the kernel spreads connections over them); SIGTERM or
    SIGINT to this process stops them all cleanly.  Returns an exit code."""
    transport = pick_transport(options.transport)
    loop = pick_loop(options.loop)
    workers = options.workers
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    description = transport + (" + uvloop" if loop == "uvloop" else "")
    if workers == 1:
        run_loop(_serve_one(options, transport, options.port, False,
                            lambda url: announce(url, description)), loop)
        return 0
    if not hasattr(os, "fork") or not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("--workers needs fork and SO_REUSEPORT (Linux, BSD, macOS)")
    holder = _bind_reusable(options.host, options.port)
    port = holder.getsockname()[1]
    ready_r, ready_w = os.pipe()            # each worker writes a byte once listening
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:                                   # a worker
            holder.close()
            os.close(ready_r)
            code = 0
            try:
                run_loop(_serve_one(options, transport, port, True,
                                    lambda url: os.write(ready_w, b"1")), loop)
            except BaseException:
                log.exception("worker %d failed", os.getpid())
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)

    def forward(signum: int, _frame: Any) -> None:
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    os.close(ready_w)
    ready = 0
    while ready < workers:
        got = os.read(ready_r, workers - ready)
        if not got:                                    # a worker died before listening
            break
        ready += len(got)
    os.close(ready_r)
    host = f"[{options.host}]" if ":" in options.host else options.host
    scheme = "wss" if options.certfile else "ws"
    announce(f"{scheme}://{host}:{port}",
             f"{description}, {workers} workers (pids {' '.join(map(str, children))})")
    failed = 0
    for child in children:
        while True:
            try:
                _, status = os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
        failed += os.waitstatus_to_exitcode(status) != 0
    holder.close()
    return 1 if failed else 0
