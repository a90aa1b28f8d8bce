"""One behavioural suite that every transport passes: the server on
``websockets``, on ``picows`` and the ASGI adapter under uvicorn.

The streaming auth token (header, connected frame, a duplicated header),
oversize messages (1009), malformed frames counted and survived, marks,
clear, dtmf and stop in order, both tracks, clients that vanish, the
health check, a peer that stops reading (write timeout) and a stream that
goes silent (idle timeout).  Calls come from the simulator and from raw
websockets / socket clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from typing import Any, AsyncIterator

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed

from streamcodec import telnyx
from streamcodec.server import AUTH_HEADER, ASGIStreamApp, PicowsServer, StreamServer, echo_app
from streamcodec.signals import speech_like
from streamcodec.simulate import connected_frame, media_frame, simulate_call, start_frame, stop_frame

import g711_reference as g711
from streamtest import run, uvicorn_on_loopback

TRANSPORTS = ["websockets", "picows", "asgi"]
TOKEN = "s3cret-token"


@contextlib.asynccontextmanager
async def serving(kind: str, app: Any, **options: Any) -> AsyncIterator[tuple[Any, str]]:
    """The handler and its ``ws://`` URL, on transport ``kind``."""
    if kind == "websockets":
        async with StreamServer(app, **options) as server:
            yield server, server.url
    elif kind == "picows":
        async with PicowsServer(app, **options) as server:
            yield server, server.url
    else:
        handler = ASGIStreamApp(app, **options)
        async with uvicorn_on_loopback(handler) as port:
            yield handler, f"ws://127.0.0.1:{port}"


def _connect(url, **kwargs):
    from websockets.asyncio.client import connect
    return connect(url, compression=None, proxy=None, open_timeout=5, close_timeout=2, **kwargs)


@pytest.fixture(params=TRANSPORTS)
def kind(request):
    if request.param == "picows":
        pytest.importorskip("picows", reason="extra 'fast' not installed")
    return request.param


# --------------------------------------------------------------------------
# Echo, events in order, both tracks
# --------------------------------------------------------------------------


def test_pcmu_echo_is_bit_exact_with_the_reference(kind):
    pcm = speech_like(0.6, 8000, seed=5)
    once = np.array([g711.ulaw_decode(g711.ulaw_encode(int(x))) for x in pcm], dtype=np.int16)
    twice = np.array([g711.ulaw_decode(g711.ulaw_encode(int(x))) for x in once], dtype=np.int16)

    async def main():
        async with serving(kind, echo_app, rate=8000) as (server, url):
            result = await simulate_call(url, pcm, 8000, codec="PCMU", linger_idle=0.05)
            return result, await server.wait_finished(result.stream_id)

    result, stats = run(main(), 60)
    np.testing.assert_array_equal(result.heard, twice)
    assert result.close_code == 1000 and stats.close_code == 1000 and stats.stop_received
    assert stats.media_in == 30 and stats.media_out == 30 and stats.rejected == 0


def test_marks_dtmf_clear_and_stop_arrive_in_order(kind):
    seen = []

    async def app(call):
        async for event in call:
            if isinstance(event, telnyx.Media):
                if event.chunk == 10:
                    await call.play(bytes(32000), call.rate)   # 1 s: still playing at the clear
                    await call.mark("after-10")
                seen.append(("media", event.chunk))
            elif isinstance(event, telnyx.Dtmf):
                seen.append(("dtmf", event.digit))
                await call.clear()
            elif isinstance(event, telnyx.Mark):
                seen.append(("mark", event.name, event.played_ms, event.cleared))
            else:
                seen.append((type(event).__name__,))

    async def main():
        async with serving(kind, app, rate=16000) as (server, url):
            result = await simulate_call(url, codec="PCMU", seconds=0.6, dtmf="7#",
                                         stream_id="ordered", linger_idle=0.05)
            return result, await server.wait_finished("ordered")

    result, stats = run(main(), 60)
    assert [s[1] for s in seen if s[0] == "media"] == list(range(1, 31))
    assert [s[1] for s in seen if s[0] == "dtmf"] == ["7", "#"]
    # The clear came while the mark's second of audio was playing: the mark
    # comes back cleared, not played.
    assert [s for s in seen if s[0] == "mark"] == [("mark", "after-10", None, True)]
    assert seen.index(("dtmf", "7")) < seen.index(("mark", "after-10", None, True))
    assert seen[-1] == ("Stop",)
    assert result.clears == 2 and result.marks == ["after-10"]
    assert stats.dtmf == 2 and stats.marks_echoed == 1 and stats.marks_sent == 1


def test_both_tracks_reach_the_app_on_separate_decoders(kind):
    got = {"inbound": [], "outbound": []}

    async def app(call):
        async for event in call:
            if isinstance(event, telnyx.Media):
                got[event.track].append(event.pcm)

    a = speech_like(0.4, 8000, seed=1)
    b = speech_like(0.4, 8000, seed=2)

    async def main():
        async with serving(kind, app, rate=8000) as (server, url):
            return await simulate_call(url, a, 8000, codec="PCMA", track="both_tracks",
                                       outbound_pcm=b, linger_idle=0.05)

    run(main(), 60)
    for track, pcm in (("inbound", a), ("outbound", b)):
        heard = np.frombuffer(b"".join(got[track]), dtype=np.int16)
        expected = np.array([g711.alaw_decode(g711.alaw_encode(int(x))) for x in pcm], np.int16)
        np.testing.assert_array_equal(heard, expected)


# --------------------------------------------------------------------------
# Auth token
# --------------------------------------------------------------------------


@pytest.mark.parametrize("token,token_in,allowed", [
    (TOKEN, "header", True),
    (TOKEN, "connected", True),
    ("wrong", "header", False),
    ("wrong", "connected", False),
    (None, "both", False),
])
def test_streaming_auth_token(kind, token, token_in, allowed):
    calls = []

    async def app(call):
        calls.append(call.stream_id)
        await echo_app(call)

    async def main():
        async with serving(kind, app, rate=8000, auth_token=TOKEN) as (server, url):
            result = await simulate_call(url, codec="PCMU", seconds=0.3, auth_token=token,
                                         token_in=token_in, linger_idle=0.05)
            for _ in range(100):
                if server.finished:
                    break
                await asyncio.sleep(0.01)
            return result, list(server.finished)

    result, finished = run(main(), 60)
    if allowed:
        assert result.close_code == 1000 and calls == [result.stream_id]
        assert result.received_media == 15
    else:
        assert result.close_code == 1008 and calls == [] and result.received_media == 0
        assert finished[-1].close_code == 1008 and finished[-1].stream_id is None


def test_duplicated_auth_header_is_refused_with_1008_and_one_log_line(kind, caplog):
    async def main():
        async with serving(kind, echo_app, rate=8000, auth_token=TOKEN) as (server, url):
            async with _connect(url, additional_headers=[(AUTH_HEADER, TOKEN),
                                                         (AUTH_HEADER, TOKEN)]) as ws:
                # The server may refuse before these frames go out (it can
                # decide on the headers alone): then sending finds it closed.
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(connected_frame(TOKEN))
                    await ws.send(start_frame("dup", 1, "PCMU", 8000))
                await asyncio.wait_for(ws.wait_closed(), 5)
            for _ in range(100):
                if server.finished:
                    break
                await asyncio.sleep(0.01)
            return ws.close_code, list(server.finished)

    with caplog.at_level(logging.INFO, logger="streamcodec.server"):
        code, finished = run(main(), 60)
    assert code == 1008
    assert finished[-1].close_code == 1008 and finished[-1].error is None
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1 and "2 x-telnyx-streaming-auth-token headers" in refusals[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --------------------------------------------------------------------------
# Hostile and vanishing clients
# --------------------------------------------------------------------------


HOSTILE = [
    "not json at all",
    "[1, 2, 3]",
    "{}",
    '{"event": 5}',
    '{"event": "media"}',
    '{"event": "start", "start": {"media_format": {"encoding": "PCMU"}}}',
    "[" * 20000 + "]" * 20000,                        # deeper than Python's recursion limit
    b"\xff\xfe\x00binary garbage",
    json.dumps({"event": "media", "stream_id": "x", "media": {"chunk": "1", "payload": "@@@"}}),
    json.dumps({"event": "media", "stream_id": "x",
                "media": {"chunk": "-4", "payload": "AAAA"}}),
    json.dumps({"event": "media", "stream_id": "x",
                "media": {"chunk": "1" * 40, "payload": "AAAA"}}),
    json.dumps({"event": "dtmf", "dtmf": {}}),
    json.dumps({"event": "mark", "mark": {"name": 7}}),
    json.dumps({"event": "whatever-comes-next", "x": 1}),
]


def test_malformed_frames_are_counted_and_survived(kind):
    async def main():
        async with serving(kind, echo_app, rate=8000) as (server, url):
            async with _connect(url) as ws:
                await ws.send(connected_frame())
                for junk in HOSTILE:                 # before start
                    await ws.send(junk)
                await ws.send(start_frame("hostile", 1, "PCMU", 8000))
                for junk in HOSTILE:                 # and during the stream
                    await ws.send(junk)
                await ws.send(media_frame("hostile", 2, "inbound", 1, 0, bytes(160)))
                await ws.send(stop_frame("hostile", 3))
                await asyncio.wait_for(ws.wait_closed(), 5)
            stats = await server.wait_finished("hostile")
            good = await simulate_call(url, codec="PCMU", seconds=0.4, linger_idle=0.05)
            return ws.close_code, stats, good

    code, stats, good = run(main(), 60)
    assert code == 1000 and stats.error is None and stats.stop_received
    assert stats.rejected >= 2 * 8 and stats.media_in == 1
    assert good.close_code == 1000 and good.received_media == 20


def test_oversize_message_closes_with_1009_and_the_server_keeps_serving(kind):
    async def main():
        async with serving(kind, echo_app, rate=8000, max_message_bytes=4096) as (server, url):
            async with _connect(url) as ws:
                await ws.send(start_frame("big", 1, "PCMU", 8000))
                await ws.send(media_frame("big", 2, "inbound", 1, 0, bytes(8000)))
                await asyncio.wait_for(ws.wait_closed(), 5)
            good = await simulate_call(url, codec="PCMU", seconds=0.2, linger_idle=0.05)
            return ws.close_code, good

    code, good = run(main(), 60)
    assert code == 1009
    assert good.close_code == 1000 and good.received_media == 10


def test_clients_vanishing_mid_stream_do_not_hurt_the_server(kind):
    ended = []

    async def app(call):
        try:
            async for event in call:
                if isinstance(event, telnyx.Media):
                    await call.play(event.pcm, call.rate)
            if call.stream_id.startswith("gone"):
                # The connection is gone: playing sends nothing, raises nothing.
                assert call.closed
                assert await call.play(bytes(320), call.rate) == 0
        finally:
            ended.append(call.stream_id)

    async def vanish(url, sid):
        async with _connect(url) as ws:
            await ws.send(connected_frame())
            await ws.send(start_frame(sid, 1, "PCMU", 8000))
            for k in range(1, 30):
                await ws.send(media_frame(sid, k + 1, "inbound", k, 20 * (k - 1), bytes(160)))
            ws.transport.abort()               # no close frame, no stop: the TCP link just dies

    async def main():
        async with serving(kind, app, rate=8000) as (server, url):
            await asyncio.gather(*(vanish(url, f"gone-{i}") for i in range(5)))
            stats = [await server.wait_finished(f"gone-{i}") for i in range(5)]
            good = await simulate_call(url, codec="PCMU", seconds=0.3, linger_idle=0.05)
            await server.wait_finished(good.stream_id)
            return stats, good, server.active

    stats, good, active = run(main(), 60)
    assert sorted(ended) == sorted([f"gone-{i}" for i in range(5)] + [good.stream_id])
    for s in stats:
        # No close frame: 1006 (uvicorn reports such a link as 1005, "no status").
        assert not s.stop_received and s.error is None and s.close_code in (1005, 1006)
    assert good.close_code == 1000 and good.received_media == 15
    assert active == 0


def test_health_check_answers_200_on_the_stream_port(kind):
    import urllib.request

    async def main():
        async with serving(kind, echo_app, rate=8000) as (server, url):
            def get(path):
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                try:
                    with opener.open("http" + url[2:] + path, timeout=5) as response:
                        return response.status, response.read()
                except urllib.error.HTTPError as exc:
                    return exc.code, b""
            status = await asyncio.get_running_loop().run_in_executor(None, get, "/healthz")
            call = await simulate_call(url, codec="PCMU", seconds=0.2, linger_idle=0.05)
            return status, call

    (status, body), call = run(main(), 60)
    assert status == 200 and body == b"ok\n"
    assert call.close_code == 1000 and call.received_media == 10


# --------------------------------------------------------------------------
# Timeouts: a peer that stops reading, a stream that goes silent
# --------------------------------------------------------------------------


def _client_frame(text: str) -> bytes:
    """A masked text frame (mask key 0: the payload reads as is)."""
    data = text.encode()
    n = len(data)
    if n < 126:
        head = bytes((0x81, 0x80 | n))
    else:
        head = bytes((0x81, 0x80 | 126)) + n.to_bytes(2, "big")
    return head + bytes(4) + data


async def _raw_client(url: str, sid: str) -> socket.socket:
    """A TCP client with a tiny receive buffer that completes the opening
    handshake, sends connected + start, and then never reads again."""
    loop = asyncio.get_running_loop()
    host, port = url[len("ws://"):].split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, (host, int(port)))
    await loop.sock_sendall(sock, (
        f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = await loop.sock_recv(sock, 1)        # byte by byte: read nothing more
        assert chunk, "the server closed during the handshake"
        reply += chunk
    assert reply.startswith(b"HTTP/1.1 101"), reply
    await loop.sock_sendall(sock, _client_frame(connected_frame()))
    await loop.sock_sendall(sock, _client_frame(start_frame(sid, 1, "PCMU", 8000)))
    await loop.sock_sendall(sock, _client_frame(media_frame(sid, 2, "inbound", 1, 0, bytes(160))))
    return sock


def test_a_peer_that_stops_reading_is_dropped_after_the_write_timeout(kind, caplog):
    second = bytes(16000)

    async def flood(call):
        # A bot that speaks far ahead of real time: the writes back up.
        while not call.closed:
            await call.play(second, 8000)

    async def main():
        async with serving(kind, flood, rate=8000, write_timeout=0.5,
                           app_grace=0.5) as (server, url):
            sock = await _raw_client(url, "deaf")
            try:
                stats = await server.wait_finished("deaf", timeout=30)
            finally:
                sock.close()
            good = await simulate_call(url, codec="PCMU", seconds=0.2, linger_idle=0.05,
                                       linger_max=0.3)
            return stats, good

    with caplog.at_level(logging.INFO, logger="streamcodec.server"):
        stats, good = run(main(), 60)
    assert stats.error.startswith("write timeout") and stats.close_code == 1006
    assert stats.messages_out > 100
    line = next(r.getMessage() for r in caplog.records
                if r.getMessage().startswith("stream deaf from"))
    assert "write timeout" in line and "out " in line
    assert good.received_media > 0


def test_a_stream_without_media_is_closed_after_the_idle_timeout(kind):
    async def main():
        async with serving(kind, echo_app, rate=8000, idle_timeout=0.4) as (server, url):
            async with _connect(url) as ws:
                await ws.send(connected_frame())
                await ws.send(start_frame("quiet", 1, "PCMU", 8000))
                for k in range(1, 6):
                    await ws.send(media_frame("quiet", k + 1, "inbound", k, 20 * k, bytes(160)))
                await asyncio.wait_for(ws.wait_closed(), 10)   # then silence
            return ws.close_code, await server.wait_finished("quiet")

    code, stats = run(main(), 60)
    assert code == 1000 and stats.close_code == 1000
    assert stats.error == "idle: no media for 0.4 s" and stats.media_in == 5
