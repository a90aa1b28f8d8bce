"""Helpers shared by the server, simulator and CLI tests: run coroutines
with a hard time limit, the codecs this build has, the local pipeline a
call's audio goes through, and uvicorn on loopback."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterator

import numpy as np

import streamcodec as sc

#: Every test coroutine stops by itself within this many seconds.
HARD_LIMIT = 90.0


def run(coro: Any, timeout: float = HARD_LIMIT) -> Any:
    """Run ``coro`` to completion, failing after ``timeout`` seconds."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def available_codecs() -> list[str]:
    return [name for name, info in sc.codecs().items() if info.available]


def wire(codec: str) -> int:
    """Rate each codec runs at on the wire in these tests."""
    return {"PCMU": 8000, "PCMA": 8000}.get(codec, 16000)


def _opts(codec: str, rate: int) -> dict:
    return {"codec_rate": rate} if codec in ("L16", "OPUS") else {}


def local_echo(pcm: np.ndarray, rate: int, codec: str, app_rate: int) -> np.ndarray:
    """What the caller hears from the echo application, computed in-process
    with the same codec objects and settings the simulator and the session
    use (caller encode -> session decode at ``app_rate`` -> session encode
    in the same codec -> caller decode at the wire rate), frame by frame."""
    w = wire(codec)
    enc1 = sc.Encoder(codec, rate=rate, **_opts(codec, w))
    payloads = enc1.packetize(pcm) + enc1.flush()
    dec1 = sc.Decoder(codec, rate=app_rate, **({"codec_rate": w} if codec == "L16" else {}))
    enc2 = sc.Encoder(codec, rate=app_rate, ptime=20, **_opts(codec, w))
    dec2 = sc.Decoder(codec, rate=w, **_opts(codec, w))
    heard = []
    for p in payloads:
        for q in enc2.packetize(dec1.decode(p)):
            heard.append(dec2.decode(q))
    for q in enc2.flush():
        heard.append(dec2.decode(q))
    return np.frombuffer(b"".join(heard), dtype=np.int16)


@contextlib.asynccontextmanager
async def uvicorn_on_loopback(asgi_app: Any) -> AsyncIterator[int]:
    """Serve ``asgi_app`` with uvicorn on 127.0.0.1 (ephemeral port) inside
    the running event loop; yields the port."""
    import uvicorn
    from uvicorn.config import WS_PROTOCOLS

    # The sans-I/O implementation on current websockets (the legacy one is
    # deprecated there); "auto" on older uvicorn.
    ws = "websockets-sansio" if "websockets-sansio" in WS_PROTOCOLS else "auto"
    config = uvicorn.Config(asgi_app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="off", ws=ws)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):                     # up to 5 s to start
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
