"""The reference server over loopback: every available codec end to end
(bit-exact with the same pipeline run in-process, and G.711 against the
independent reference), impairments counted, the auth token's corner
cases, bounded queues, 100 concurrent real-time calls, and the ASGI
adapter under uvicorn.  What every transport must do alike (auth, 1009,
malformed and vanishing clients, marks, clear, both tracks, timeouts) is
in test_transports.py."""

from __future__ import annotations

import asyncio
import logging

import numpy as np
import pytest

from streamcodec import telnyx
from streamcodec.server.transport import QueuedTransport
from streamcodec.server import (
    ASGIStreamApp,
    CallHandler,
    EchoApp,
    StreamServer,
    echo_app,
    load_app,
    playback_from_parameters,
)
from streamcodec.signals import snr_db, speech_like
from streamcodec.simulate import connected_frame, simulate_call, start_frame

import g711_reference as g711
from streamtest import available_codecs, local_echo, run, uvicorn_on_loopback, wire

CODECS = available_codecs()
TOKEN = "s3cret-token"


def _connect(url, **kwargs):
    from websockets.asyncio.client import connect
    return connect(url, compression=None, proxy=None, open_timeout=5, close_timeout=2, **kwargs)


# --------------------------------------------------------------------------
# End to end, every codec
# --------------------------------------------------------------------------


@pytest.mark.parametrize("codec", CODECS)
def test_echo_every_codec_matches_the_in_process_pipeline(codec):
    w = wire(codec)
    pcm = speech_like(1.0, w, seed=3)

    async def main():
        async with StreamServer(echo_app, rate=16000, playback_codec=codec,
                                playback_rate=w) as server:
            result = await simulate_call(server.url, pcm, w, codec=codec, codec_rate=w,
                                         playback_codec=codec, playback_rate=w,
                                         custom_parameters={"customer_id": "42"},
                                         linger_idle=0.05)
            return result, await server.wait_finished(result.stream_id)

    result, stats = run(main())
    assert result.close_code == 1000 and stats.close_code == 1000
    assert stats.error is None and stats.stop_received
    assert stats.codec == codec and stats.rate == 16000
    assert result.frames == 50
    assert stats.media_in == 50 and stats.tracks["inbound"].received == 50
    assert stats.tracks["inbound"].lost == 0 and stats.rejected == 0
    assert result.received_media == stats.media_out == 50
    assert result.bad_frames == 0
    expected = local_echo(pcm, w, codec, 16000)
    np.testing.assert_array_equal(result.heard, expected)
    # And it is the audio that was sent, through two codec passes.
    floor = {"L16": 80, "PCMU": 30, "PCMA": 30, "G722": 15, "AMR-WB": 5, "OPUS": 5}[codec]
    assert snr_db(pcm, result.heard, max_lag=w // 10) > floor


@pytest.mark.parametrize("codec", [c for c in ("PCMU", "PCMA") if c in CODECS])
def test_g711_echo_equals_independent_reference(codec):
    pcm = speech_like(0.6, 8000, seed=5)
    enc, dec = ((g711.ulaw_encode, g711.ulaw_decode) if codec == "PCMU"
                else (g711.alaw_encode, g711.alaw_decode))
    once = np.array([dec(enc(int(x))) for x in pcm], dtype=np.int16)
    twice = np.array([dec(enc(int(x))) for x in once], dtype=np.int16)

    async def main():
        async with StreamServer(echo_app, rate=8000, playback_codec=codec) as server:
            return await simulate_call(server.url, pcm, 8000, codec=codec,
                                       playback_codec=codec, linger_idle=0.05)

    result = run(main())
    np.testing.assert_array_equal(result.heard, twice)


def test_app_sees_start_custom_parameters_dtmf_marks_and_stop_in_order():
    seen = []

    async def app(call):
        seen.append(("start", call.stream_id, dict(call.custom_parameters), call.codec, call.rate))
        async for event in call:
            if isinstance(event, telnyx.Media):
                if event.chunk == 10:
                    await call.play(event.pcm, call.rate)
                    await call.mark("after-10")
                seen.append(("media", event.chunk, len(event.pcm)))
            else:
                seen.append((type(event).__name__,
                             getattr(event, "digit", None) or getattr(event, "name", None),
                             getattr(event, "played_ms", None)))

    async def main():
        async with StreamServer(app, rate=16000) as server:
            result = await simulate_call(server.url, codec="PCMU", seconds=0.6, dtmf="7#",
                                         stream_id="stream-1", linger_idle=0.05,
                                         custom_parameters={"customer_id": "c-9"})
            return result, await server.wait_finished("stream-1")

    result, stats = run(main())
    assert seen[0] == ("start", "stream-1", {"customer_id": "c-9"}, "PCMU", 16000)
    media = [s for s in seen if s[0] == "media"]
    assert [m[1] for m in media] == list(range(1, 31))
    assert all(m[2] == 640 for m in media)          # 20 ms at 16 kHz, 2 bytes a sample
    names = [s[0] for s in seen]
    assert names.count("Dtmf") == 2 and names[-1] == "Stop"
    digits = [s[1] for s in seen if s[0] == "Dtmf"]
    assert digits == ["7", "#"]
    marks = [s for s in seen if s[0] == "Mark"]
    assert marks == [("Mark", "after-10", 20)]      # one 20 ms message played before it
    assert result.marks == ["after-10"] and stats.marks_echoed == 1 and stats.dtmf == 2


def test_loss_duplicates_and_reordering_are_counted_and_concealed():
    async def main():
        async with StreamServer(echo_app, rate=8000) as server:
            result = await simulate_call(server.url, codec="PCMU", seconds=4.0, loss=0.05,
                                         duplicate=0.05, reorder=0.05, seed=11,
                                         linger_idle=0.05)
            return result, await server.wait_finished(result.stream_id)

    result, stats = run(main())
    inbound = stats.tracks["inbound"]
    assert result.lost > 0 and result.duplicated > 0 and result.reordered > 0
    last_sent = max(c for c in range(1, result.frames + 1) if c not in result.lost_chunks)
    lost_inside = sum(1 for c in result.lost_chunks if c < last_sent)
    assert inbound.lost == lost_inside
    assert inbound.concealed == lost_inside          # short gaps: every one concealed
    assert inbound.duplicate == result.duplicated
    assert inbound.late == result.reordered
    assert stats.media_in == last_sent               # a frame (or its stand-in) per chunk
    assert result.received_media == last_sent


def test_per_call_playback_codec_from_custom_parameters():
    codec = "L16"

    async def main():
        async with StreamServer(echo_app, rate=16000,
                                session_options=playback_from_parameters) as server:
            result = await simulate_call(
                server.url, codec="PCMU", seconds=0.5, playback_codec=codec, playback_rate=24000,
                heard_rate=24000, linger_idle=0.05,
                custom_parameters={"playback_codec": codec, "playback_rate": "24000",
                                   "echo_rate": "24000"})
            return result, await server.wait_finished(result.stream_id)

    result, stats = run(main())
    assert stats.playback_codec == "L16" and stats.playback_rate == 24000
    assert result.received_media >= 25 and result.bad_frames == 0
    assert len(result.heard) == 480 * result.received_media   # 20 ms at 24 kHz per message


# --------------------------------------------------------------------------
# Auth token
# --------------------------------------------------------------------------


def test_header_right_but_connected_token_wrong_is_refused():
    async def main():
        async with StreamServer(echo_app, auth_token=TOKEN) as server:
            async with _connect(server.url,
                                additional_headers={"x-telnyx-streaming-auth-token": TOKEN}) as ws:
                await ws.send(connected_frame("not-it"))
                await asyncio.wait_for(ws.wait_closed(), 5)
                return ws.close_code

    assert run(main()) == 1008


# --------------------------------------------------------------------------
# Hostile and vanishing clients
# --------------------------------------------------------------------------




def test_too_many_malformed_frames_close_with_1002():
    async def main():
        async with StreamServer(echo_app, rate=8000, max_rejected=5) as server:
            async with _connect(server.url) as ws:
                await ws.send(start_frame("junk", 1, "PCMU", 8000))
                for _ in range(20):
                    try:
                        await ws.send("{oops")
                    except Exception:
                        break
                await asyncio.wait_for(ws.wait_closed(), 5)
            return ws.close_code, await server.wait_finished("junk")

    code, stats = run(main())
    assert code == 1002 and stats.rejected == 6


def test_unknown_codec_in_start_closes_with_1003():
    async def main():
        async with StreamServer(echo_app) as server:
            async with _connect(server.url) as ws:
                await ws.send(start_frame("odd", 1, "SPEEX", 8000))
                await asyncio.wait_for(ws.wait_closed(), 5)
            return ws.close_code, await server.wait_finished("odd")

    code, stats = run(main())
    assert code == 1003 and "SPEEX" in stats.error


def test_no_start_in_time_is_closed():
    async def main():
        async with StreamServer(echo_app, start_timeout=0.3) as server:
            async with _connect(server.url) as ws:
                await ws.send(connected_frame())
                await asyncio.wait_for(ws.wait_closed(), 5)
            return ws.close_code

    assert run(main()) == 1002


def test_application_errors_close_with_1011_and_are_logged(caplog):
    async def broken(call):
        async for event in call:
            raise RuntimeError("bug in the bot")

    async def main():
        async with StreamServer(broken, rate=8000) as server:
            result = await simulate_call(server.url, codec="PCMU", seconds=0.3, linger_idle=0.05)
            return result, await server.wait_finished(result.stream_id)

    with caplog.at_level(logging.INFO, logger="streamcodec.server"):
        result, stats = run(main())
    assert result.close_code == 1011
    assert "bug in the bot" in stats.error
    assert any("application raised" in r.getMessage() for r in caplog.records)
    # The stop-time summary line carries the counters.
    assert any(r.getMessage().startswith(f"stream {result.stream_id}") for r in caplog.records)


def test_slow_application_bounded_queue_then_counted_overflow():
    hold = asyncio.Event()
    counted = []

    async def stuck(call):
        await hold.wait()                       # never reads until released
        async for event in call:
            if isinstance(event, telnyx.Media):
                counted.append(event.chunk)

    async def main():
        async with StreamServer(stuck, rate=8000, queue_size=20, overflow_wait=0.2) as server:
            task = asyncio.create_task(
                simulate_call(server.url, codec="PCMU", seconds=2.0, linger_idle=0.3))
            await asyncio.sleep(1.0)
            hold.set()
            result = await task
            return result, await server.wait_finished(result.stream_id)

    result, stats = run(main())
    assert stats.overflow > 0
    assert stats.media_in == 100
    assert len(counted) == 100 - stats.overflow
    assert len(counted) >= 20
    assert counted == sorted(counted)


def test_stats_summary_line_is_logged_at_stop(caplog):
    async def main():
        async with StreamServer(echo_app, rate=8000) as server:
            return await simulate_call(server.url, codec="PCMU", seconds=0.2, dtmf="5",
                                       linger_idle=0.05, stream_id="logged")

    with caplog.at_level(logging.INFO, logger="streamcodec.server"):
        run(main())
    line = next(r.getMessage() for r in caplog.records
                if r.getMessage().startswith("stream logged"))
    assert "inbound: 10 received, 0 lost, 0 concealed" in line
    assert "1 dtmf" in line and "close 1000" in line and "us CPU/msg" in line


# --------------------------------------------------------------------------
# 100 concurrent calls, real time
# --------------------------------------------------------------------------


def test_100_concurrent_real_time_calls_lose_nothing():
    async def main():
        async with StreamServer(echo_app, rate=16000) as server:
            results = await asyncio.gather(*(
                simulate_call(server.url, codec="PCMU", seconds=2.0, realtime=True, seed=i,
                              stream_id=f"load-{i}", timeout=70,
                              # The echo of 100 frames and its two marks
                              # (after 1 s and 2 s): waited for, however
                              # late a loaded machine makes them.
                              expect_media=100, expect_marks=2, linger_max=45)
                for i in range(100)))
            stats = [await server.wait_finished(f"load-{i}") for i in range(100)]
            return results, stats

    results, stats = run(main(), timeout=85)
    for r, s in zip(results, stats):
        assert r.close_code == 1000 and not r.errors, r.errors
        assert s.tracks["inbound"].received == 100
        assert s.tracks["inbound"].lost == 0 and s.overflow == 0 and s.rejected == 0
        assert s.media_in == 100 and r.received_media == 100
        assert r.marks_echoed == 2


# --------------------------------------------------------------------------
# ASGI under uvicorn
# --------------------------------------------------------------------------


def test_asgi_adapter_under_uvicorn_with_starlette():
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    stream_app = ASGIStreamApp(echo_app, rate=16000, auth_token=TOKEN)
    endpoint_handler = ASGIStreamApp(echo_app, rate=8000)

    async def endpoint(websocket):         # the FastAPI/Starlette-route way
        await endpoint_handler.handle(websocket)

    web = Starlette(routes=[WebSocketRoute("/stream", stream_app),
                            WebSocketRoute("/route", endpoint)])
    pcm = speech_like(0.6, 8000, seed=9)

    async def main():
        async with uvicorn_on_loopback(web) as port:
            base = f"ws://127.0.0.1:{port}"
            ok = await simulate_call(base + "/stream", pcm, 8000, codec="PCMU",
                                     auth_token=TOKEN, linger_idle=0.05)
            refused = await simulate_call(base + "/stream", pcm, 8000, codec="PCMU",
                                          auth_token="nope", linger_idle=0.05)
            routed = await simulate_call(base + "/route", pcm, 8000, codec="PCMU",
                                         linger_idle=0.05)
            stats = await stream_app.wait_finished(ok.stream_id)
            return ok, refused, routed, stats

    ok, refused, routed, stats = run(main())
    expected = local_echo(pcm, 8000, "PCMU", 16000)
    assert ok.close_code == 1000 and stats.media_in == 30 and stats.stop_received
    np.testing.assert_array_equal(ok.heard, expected)
    assert refused.close_code == 1008 and refused.received_media == 0
    assert routed.close_code == 1000
    np.testing.assert_array_equal(routed.heard, local_echo(pcm, 8000, "PCMU", 8000))


def test_raw_asgi_app_under_uvicorn_answers_http_with_426():
    import urllib.request

    async def main():
        async with uvicorn_on_loopback(ASGIStreamApp(echo_app, rate=8000)) as port:
            def get():
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                try:
                    opener.open(f"http://127.0.0.1:{port}/", timeout=5)
                except urllib.error.HTTPError as exc:
                    return exc.code
                return 200
            status = await asyncio.get_running_loop().run_in_executor(None, get)
            call = await simulate_call(f"ws://127.0.0.1:{port}/", codec="PCMU", seconds=0.2,
                                       linger_idle=0.05)
            return status, call

    status, call = run(main())
    assert status == 426
    assert call.close_code == 1000 and call.received_media == 10


# --------------------------------------------------------------------------
# Construction
# --------------------------------------------------------------------------


def test_bad_server_settings_fail_at_construction():
    with pytest.raises(ValueError, match="PCMU carries audio at 8000"):
        StreamServer(echo_app, playback_codec="PCMU", playback_rate=16000)
    with pytest.raises(ValueError, match="unknown codec"):
        CallHandler(echo_app, playback_codec="MP4")
    with pytest.raises(TypeError, match="async function"):
        StreamServer("not an app")
    with pytest.raises(ValueError, match="auth_token"):
        StreamServer(echo_app, auth_token="")


def test_load_app():
    app = load_app("streamcodec.server:echo_app")
    assert isinstance(app, EchoApp)
    assert load_app("streamtest.run") is run
    with pytest.raises(ValueError, match="module:function"):
        load_app("nothing")
    with pytest.raises(ValueError, match="no attribute"):
        load_app("streamcodec.server:nope")
    with pytest.raises(ValueError, match="cannot import"):
        load_app("no_such_module_here:app")


class _SlowDrainTransport(QueuedTransport):
    """A transport whose drain takes a while, as a loaded ASGI server's does:
    records when the close reaches it."""

    def __init__(self):
        super().__init__()
        self.closes = []
        self._gone = False

    def headers(self, name):
        return []

    async def _send_one(self, message):
        pass

    async def drain(self):
        await asyncio.sleep(0.2)

    async def close(self, code, reason):
        self.closes.append(code)
        self._gone = True

    def abort(self):
        self._gone = True

    def backlog(self):
        return 0

    @property
    def gone(self):
        return self._gone


def test_shutdown_returns_only_after_every_close_frame_reached_the_transport():
    # serve stops uvicorn, which closes whatever is still open with 1012,
    # once the handler's shutdown returns: the 1001 must have been handed
    # over by then, even when the application ends before the transport
    # has drained.
    async def app(call):
        async for _ in call:
            pass

    async def main():
        handler = CallHandler(app)
        transport = _SlowDrainTransport()
        connection = handler.connect(transport)
        connection.on_message(connected_frame())
        connection.on_message(start_frame("slow-drain", 1, "PCMU", 8000))
        await asyncio.sleep(0.05)
        assert handler.active == 1
        await handler.shutdown(timeout=2)
        return transport.closes, handler.finished

    closes, finished = run(main(), 10)
    assert closes == [1001]
    assert [s.close_code for s in finished] == [1001]


def test_asgi_reads_what_the_peer_sent_before_it_left():
    # The peer sends its last media and its stop, then leaves; the echo's
    # send fails on the way (the ASGI server says the client is gone).  The
    # messages queued ahead of the disconnect are still the call's.
    from streamcodec.simulate import media_frame, stop_frame

    class ClientDisconnected(Exception):      # what uvicorn raises, by name
        pass

    sid = "left-early"
    incoming = [{"type": "websocket.connect"},
                {"type": "websocket.receive", "text": connected_frame()},
                {"type": "websocket.receive", "text": start_frame(sid, 1, "PCMU", 8000)}]
    incoming += [{"type": "websocket.receive",
                  "text": media_frame(sid, k + 1, "inbound", k, 20 * (k - 1), bytes(160))}
                 for k in range(1, 6)]
    incoming += [{"type": "websocket.receive", "text": stop_frame(sid, 7)},
                 {"type": "websocket.disconnect", "code": 1000}]
    sent = []

    async def receive():
        await asyncio.sleep(0)
        return incoming.pop(0)

    async def send(message):
        if message["type"] == "websocket.send":
            raise ClientDisconnected()
        sent.append(message["type"])

    async def main():
        app = ASGIStreamApp(echo_app)
        await app({"type": "websocket", "path": "/", "headers": [], "client": ("127.0.0.1", 9)},
                  receive, send)
        return app.finished

    (stats,) = run(main(), 10)
    assert sent == ["websocket.accept"]
    assert stats.media_in == 5 and stats.stop_received
    assert not incoming
