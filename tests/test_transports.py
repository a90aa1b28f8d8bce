"""One behavioural suite that every transport passes: the server on
``websockets``, on ``picows`` and the ASGI adapter under uvicorn.

The streaming auth token (header, connected frame, a duplicated header),
oversize messages (1009), malformed frames counted and survived, marks,
clear, dtmf and stop in order, both tracks, clients that vanish, the
health check, a peer that stops reading (write timeout) and a stream that
goes silent (idle timeout).  Calls come from the simulator and from raw
websockets / socket clients.

The protocol-facing checks (echo, events in order, both tracks, malformed
frames, oversize, vanishing clients, idle timeout) run for every carrier on
every transport, with each carrier's messages as its session tests write
them (from the carrier's documentation).  What does not depend on the
carrier runs on Telnyx only, to keep the suite fast: the Telnyx streaming
token and its duplicated header (the other carriers' proofs are in
test_server_auth.py), the health check (HTTP, before any carrier speaks)
and the write timeout (a peer that stops reading: the transport's
backpressure, two seconds a run).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import uuid
from typing import Any, AsyncIterator, Callable, NamedTuple, Optional

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed

from streamcodec import telnyx
from streamcodec.server import AUTH_HEADER, ASGIStreamApp, PicowsServer, StreamServer, echo_app
from streamcodec.signals import speech_like
from streamcodec.simulate import CARRIERS as SIMULATED
from streamcodec.simulate import connected_frame, media_frame, simulate_call, start_frame, stop_frame

import g711_reference as g711
import test_exotel_session as exo
import test_plivo_session as plv
import test_signalwire_session as sw
import test_twilio_session as twl
from streamtest import run, uvicorn_on_loopback

TRANSPORTS = ["websockets", "picows", "asgi"]
TOKEN = "s3cret-token"


class Wire(NamedTuple):
    """How one carrier opens, feeds and ends a stream, written as its
    session tests write it: ``start(sid)``, ``media(sid, seq, chunk)`` (20 ms
    of silence at 8 kHz, binary for Vonage), ``stop(sid)`` or None when the
    carrier just closes, and ``sid(name)``, the stream id to send for a test's
    name (None: Vonage names no stream)."""

    start: Callable[[str], str]
    media: Callable[[str, int, int], Any]
    stop: Optional[Callable[[str], str]]
    sid: Callable[[str], Optional[str]] = lambda name: name


def _renamed(message: str, old: str, new: str) -> str:
    return message.replace(json.dumps(old), json.dumps(new))


WIRES = {
    "telnyx": Wire(lambda sid: start_frame(sid, 1, "PCMU", 8000),
                   lambda sid, seq, chunk: media_frame(sid, seq, "inbound", chunk,
                                                       20 * (chunk - 1), bytes(160)),
                   lambda sid: stop_frame(sid, 99)),
    "twilio": Wire(lambda sid: _renamed(twl.start_msg(), twl.SID, sid),
                   lambda sid, seq, chunk: _renamed(twl.media_msg(chunk, b"\xff" * 160, seq),
                                                    twl.SID, sid),
                   lambda sid: _renamed(twl.WIRE.stop, twl.SID, sid)),
    # SignalWire's stream ids are UUIDs: that is what tells its μ-law from Twilio's
    "signalwire": Wire(lambda sid: _renamed(sw.start_msg(), sw.SID, sid),
                       lambda sid, seq, chunk: _renamed(sw.media_msg(chunk, b"\xff" * 160, seq),
                                                        sw.SID, sid),
                       lambda sid: _renamed(twl.WIRE.stop, twl.SID, sid),
                       lambda name: str(uuid.uuid5(uuid.NAMESPACE_URL, name))),
    "plivo": Wire(lambda sid: _renamed(plv.start_msg(), plv.STREAM, sid),
                  lambda sid, seq, chunk: _renamed(plv.media_msg(chunk, b"\xff" * 160, seq),
                                                   plv.STREAM, sid),
                  None),
    "exotel": Wire(lambda sid: _renamed(exo.start_msg("PCMU", 8000), exo.SID, sid),
                   lambda sid, seq, chunk: _renamed(exo.media_msg(chunk, b"\xff" * 800, seq),
                                                    exo.SID, sid),
                   lambda sid: _renamed(exo.WIRE.stop, exo.SID, sid)),
    "vonage": Wire(lambda sid: json.dumps({"event": "websocket:connected",
                                           "content-type": "audio/l16;rate=8000"}),
                   lambda sid, seq, chunk: bytes(320), None, lambda name: None),
}
CARRIER_NAMES = list(WIRES)
#: The codec each carrier's simulated calls use at 8 kHz in the echo checks.
ECHO_CODEC = {"vonage": "L16"}


async def finished(server: Any, sid: Optional[str], before: int = 0) -> Any:
    """The counters of stream ``sid``; for Vonage (no stream id), of the
    first stream to end after the ``before`` already ended."""
    if sid is not None:
        return await server.wait_finished(sid)
    for _ in range(500):
        if len(server.finished) > before:
            return server.finished[before]
        await asyncio.sleep(0.01)
    raise TimeoutError("no stream ended")


async def end(ws: Any, wire: Wire, sid: Optional[str]) -> None:
    """End the stream as the carrier does: its stop (the server then closes),
    or a close."""
    if wire.stop is None:
        await ws.close()
    else:
        await ws.send(wire.stop(sid))
        await asyncio.wait_for(ws.wait_closed(), 5)


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


@pytest.fixture(params=CARRIER_NAMES)
def carrier(request):
    return request.param


# --------------------------------------------------------------------------
# Echo, events in order, both tracks
# --------------------------------------------------------------------------


def _g711_twice(pcm: np.ndarray, codec: str) -> np.ndarray:
    """``pcm`` through G.711 twice (the caller's encode, the echo's), by the
    reference; L16 comes back unchanged."""
    if codec == "L16":
        return pcm
    enc, dec = ((g711.ulaw_encode, g711.ulaw_decode) if codec == "PCMU"
                else (g711.alaw_encode, g711.alaw_decode))
    once = np.array([dec(enc(int(x))) for x in pcm], dtype=np.int16)
    return np.array([dec(enc(int(x))) for x in once], dtype=np.int16)


def test_echo_is_bit_exact_with_the_reference(kind, carrier):
    codec = ECHO_CODEC.get(carrier, "PCMU")
    pcm = speech_like(0.6, 8000, seed=5)
    n = 600 // SIMULATED[carrier].message_ms

    async def main():
        async with serving(kind, echo_app, rate=8000) as (server, url):
            result = await simulate_call(url, pcm, 8000, carrier=carrier, codec=codec,
                                         codec_rate=8000, linger_idle=0.05)
            sid = None if carrier == "vonage" else result.stream_id
            return result, await finished(server, sid)

    result, stats = run(main(), 60)
    expected = _g711_twice(pcm, codec)
    np.testing.assert_array_equal(result.heard[:len(expected)], expected)
    if carrier == "exotel":
        # Exotel takes 3.2 KB or more a message: the last is padded with silence
        assert len(result.heard) == 2 * 3200 and not result.heard[len(expected):].any()
    else:
        assert len(result.heard) == len(expected)
    assert result.close_code == 1000 and stats.close_code == 1000 and stats.carrier == carrier
    assert stats.stop_received == (WIRES[carrier].stop is not None)
    assert stats.media_in == n and stats.rejected == 0 and not result.errors


def test_marks_dtmf_clear_and_stop_arrive_in_order(kind, carrier):
    seen = []
    n = 600 // SIMULATED[carrier].message_ms
    at = n // 3

    async def app(call):
        async for event in call:
            if isinstance(event, telnyx.Media):
                if event.chunk == at:
                    await call.play(bytes(32000), call.rate)   # 1 s: still playing at the clear
                    await call.mark("after-at")
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
            result = await simulate_call(url, carrier=carrier, codec=ECHO_CODEC.get(carrier),
                                         seconds=0.6, dtmf="7#", linger_idle=0.05)
            sid = None if carrier == "vonage" else result.stream_id
            return result, await finished(server, sid)

    result, stats = run(main(), 60)
    assert [s[1] for s in seen if s[0] == "media"] == list(range(1, n + 1))
    assert [s[1] for s in seen if s[0] == "dtmf"] == ["7", "#"]
    # The clear came while the mark's second of audio was playing: the mark
    # comes back cleared, not played.
    assert [s for s in seen if s[0] == "mark"] == [("mark", "after-at", None, True)]
    assert seen.index(("dtmf", "7")) < seen.index(("mark", "after-at", None, True))
    if WIRES[carrier].stop is not None:
        assert seen[-1] == ("Stop",)
    assert result.clears == 2 and not result.errors
    assert stats.dtmf == 2 and stats.marks_sent == 1


#: The carriers that stream both tracks (Exotel and Vonage send the caller only),
#: with a codec each offers at 8 kHz.
BOTH_TRACKS = {"telnyx": "PCMA", "twilio": "PCMU", "signalwire": "PCMA", "plivo": "PCMU"}


@pytest.mark.parametrize("carrier", list(BOTH_TRACKS))
def test_both_tracks_reach_the_app_on_separate_decoders(kind, carrier):
    codec = BOTH_TRACKS[carrier]
    got = {"inbound": [], "outbound": []}

    async def app(call):
        async for event in call:
            if isinstance(event, telnyx.Media):
                got[event.track].append(event.pcm)

    a = speech_like(0.4, 8000, seed=1)
    b = speech_like(0.4, 8000, seed=2)

    async def main():
        async with serving(kind, app, rate=8000) as (server, url):
            return await simulate_call(url, a, 8000, carrier=carrier, codec=codec,
                                       track="both_tracks", outbound_pcm=b, linger_idle=0.05)

    run(main(), 60)
    enc, dec = ((g711.ulaw_encode, g711.ulaw_decode) if codec == "PCMU"
                else (g711.alaw_encode, g711.alaw_decode))
    for track, pcm in (("inbound", a), ("outbound", b)):
        heard = np.frombuffer(b"".join(got[track]), dtype=np.int16)
        expected = np.array([dec(enc(int(x))) for x in pcm], np.int16)
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


def test_malformed_frames_are_counted_and_survived(kind, carrier):
    wire = WIRES[carrier]
    sid = wire.sid("hostile")

    async def main():
        async with serving(kind, echo_app, rate=8000) as (server, url):
            async with _connect(url) as ws:
                if carrier == "telnyx":
                    await ws.send(connected_frame())
                    for junk in HOSTILE:             # before start
                        await ws.send(junk)
                await ws.send(wire.start(sid))
                for junk in HOSTILE:                 # and during the stream
                    await ws.send(junk)
                await ws.send(wire.media(sid, 2, 1))
                await end(ws, wire, sid)
            stats = await finished(server, sid)
            good = await simulate_call(url, carrier=carrier, codec=ECHO_CODEC.get(carrier),
                                       codec_rate=8000, seconds=0.4, linger_idle=0.05)
            return ws.close_code, stats, good

    code, stats, good = run(main(), 60)
    assert code == 1000 and stats.error is None and stats.carrier == carrier
    assert stats.stop_received == (wire.stop is not None)
    assert stats.rejected >= 8
    if carrier == "vonage":     # binary garbage is audio to Vonage: an odd-sized frame, refused
        assert stats.media_in == 2 and stats.tracks["inbound"].bad == 1
    else:
        assert stats.media_in == 1
    assert good.close_code == 1000 and good.received_media > 0 and not good.errors


def test_oversize_message_closes_with_1009_and_the_server_keeps_serving(kind, carrier):
    wire = WIRES[carrier]
    sid = wire.sid("big")
    big = wire.media(sid, 2, 1)
    big = big * 30 if isinstance(big, bytes) else big[:-2] + " " * 8000 + big[-2:]

    async def main():
        async with serving(kind, echo_app, rate=8000, max_message_bytes=4096) as (server, url):
            async with _connect(url) as ws:
                await ws.send(wire.start(sid))
                await ws.send(big)
                await asyncio.wait_for(ws.wait_closed(), 5)
            good = await simulate_call(url, carrier=carrier, codec=ECHO_CODEC.get(carrier),
                                       codec_rate=8000, seconds=0.2, linger_idle=0.05)
            return ws.close_code, good

    code, good = run(main(), 60)
    assert code == 1009
    assert good.close_code == 1000 and good.received_media > 0 and not good.errors


def test_clients_vanishing_mid_stream_do_not_hurt_the_server(kind, carrier):
    wire = WIRES[carrier]
    ended = []

    async def app(call):
        async for event in call:
            if isinstance(event, telnyx.Media):
                await call.play(event.pcm, call.rate)
        # Once the connection is gone, playing sends nothing and raises nothing.
        ended.append((call.closed, await call.play(bytes(320), call.rate)))

    async def vanish(url, sid):
        async with _connect(url) as ws:
            if carrier == "telnyx":
                await ws.send(connected_frame())
            await ws.send(wire.start(sid))
            for k in range(1, 30):
                await ws.send(wire.media(sid, k + 1, k))
            ws.transport.abort()               # no close frame, no stop: the TCP link just dies

    async def main():
        async with serving(kind, app, rate=8000) as (server, url):
            sids = [wire.sid(f"gone-{i}") for i in range(5)]
            await asyncio.gather(*(vanish(url, sid) for sid in sids))
            for _ in range(500):
                if len(server.finished) == 5:
                    break
                await asyncio.sleep(0.01)
            stats = list(server.finished)
            good = await simulate_call(url, carrier=carrier, codec=ECHO_CODEC.get(carrier),
                                       codec_rate=8000, seconds=0.3, linger_idle=0.05)
            await finished(server, None, before=5)
            return sids, stats, good, server.active

    sids, stats, good, active = run(main(), 60)
    assert len(stats) == 5 and len(ended) == 6 and ended[:5] == [(True, 0)] * 5
    if carrier != "vonage":
        assert sorted(s.stream_id for s in stats) == sorted(sids)
    for s in stats:
        # No close frame: 1006 (uvicorn reports such a link as 1005, "no status").
        assert not s.stop_received and s.error is None and s.close_code in (1005, 1006)
    assert good.close_code == 1000 and good.received_media > 0 and not good.errors
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


def test_a_stream_without_media_is_closed_after_the_idle_timeout(kind, carrier):
    wire = WIRES[carrier]
    sid = wire.sid("quiet")

    async def main():
        async with serving(kind, echo_app, rate=8000, idle_timeout=0.4) as (server, url):
            async with _connect(url) as ws:
                await ws.send(wire.start(sid))
                for k in range(1, 6):
                    await ws.send(wire.media(sid, k + 1, k))
                await asyncio.wait_for(ws.wait_closed(), 10)   # then silence
            return ws.close_code, await finished(server, sid)

    code, stats = run(main(), 60)
    assert code == 1000 and stats.close_code == 1000 and stats.carrier == carrier
    assert stats.error == "idle: no media for 0.4 s" and stats.media_in == 5
