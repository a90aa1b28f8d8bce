"""The processes of bench/compare_server.py other than ``streamcodec serve``.

    python server_worker.py peer [--profile]     # the glue a user would write
    python server_worker.py floor                # the transport's floor
    python server_worker.py load URL CALLS SECONDS   # the load generator

``peer`` is the echo on plain websockets with json + base64 + audioop +
soxr VHQ (the per-message path of DESIGN.md: app at 16 kHz, PCMU 8 kHz
back).  ``floor`` is a bare echo on picows + uvloop that parses no JSON and
decodes nothing: it copies each media message's payload text into a reply,
the kernel's and the event loop's share of any server.  Both print ``PORT
<n>`` once listening on 127.0.0.1 and serve until SIGTERM (``peer
--profile`` then prints its cProfile split as one JSON line).

``load`` places CALLS concurrent PCMU calls of SECONDS at real-time pace
(picows client, uvloop when installed: the cheapest generator, so that it
keeps pace), one timer callback per frame, and prints one JSON line: frames
sent and echoed, the p50/p99 time from a media message sent to its echo
(the i-th media message back answers the i-th sent), and how late the
generator itself sent (p99), which says whether it kept pace.
"""

from __future__ import annotations

import asyncio
import base64
import cProfile
import json
import pstats
import signal
import sys
import time

from peers import audioop, soxr

APP_RATE = 16000


class Tally:
    def __init__(self, calls: int):
        self.calls = calls
        self.ended = 0
        self.cpu_start = None
        self.codec_ns = 0
        self.messages_in = 0
        self.messages_out = 0
        self.lost = 0
        self.done = asyncio.Event()

    def begin(self):
        if self.cpu_start is None:
            self.cpu_start = time.process_time()

    def end(self):
        self.ended += 1
        if self.ended >= self.calls:
            self.cpu = time.process_time() - self.cpu_start
            self.done.set()


def classify(filename: str, name: str) -> str:
    if filename == "~":                      # C functions: tell them apart by name
        if "sc_" in name:
            return "streamcodec C core"
        if any(k in name for k in ("socket", "epoll", "select", "send", "recv")):
            return "kernel I/O (socket, epoll)"
        return "other C builtins (json, base64, ...)"
    if "/streamcodec/" in filename:
        return "streamcodec Python layer"
    if "/websockets/" in filename:
        return "websockets"
    if "asyncio" in filename or "selectors" in filename:
        return "asyncio"
    if "server_worker" in filename:
        return "application / peer glue"
    return "other Python"


def breakdown(profile: cProfile.Profile) -> dict:
    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():
        key = classify(filename, name)
        totals[key] = totals.get(key, 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    return {k: round(100 * v / whole, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


async def run_peer(tally: Tally):
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    clock = time.thread_time_ns

    async def handler(ws):
        tally.begin()
        up = soxr.ResampleStream(8000, APP_RATE, 1, dtype="int16", quality="VHQ") if soxr else None
        down = soxr.ResampleStream(APP_RATE, 8000, 1, dtype="int16", quality="VHQ") if soxr else None
        state_up = state_down = None
        pending = b""
        try:
            async for message in ws:
                t0 = clock()
                frame = json.loads(message)
                tally.messages_in += 1
                if frame.get("event") == "media":
                    ulaw = base64.b64decode(frame["media"]["payload"])
                    pcm8 = audioop.ulaw2lin(ulaw, 2)
                    if up is not None:
                        import numpy as np
                        pcm16 = up.resample_chunk(np.frombuffer(pcm8, np.int16)).tobytes()
                    else:
                        pcm16, state_up = audioop.ratecv(pcm8, 2, 1, 8000, APP_RATE, state_up)
                    t1 = clock()
                    tally.codec_ns += t1 - t0
                    # the application: echo at 16 kHz; back to PCMU 8 kHz
                    t0 = clock()
                    if down is not None:
                        import numpy as np
                        out8 = down.resample_chunk(np.frombuffer(pcm16, np.int16)).tobytes()
                    else:
                        out8, state_down = audioop.ratecv(pcm16, 2, 1, APP_RATE, 8000, state_down)
                    pending += audioop.lin2ulaw(out8, 2)
                    frames = []
                    while len(pending) >= 160:
                        frames.append(json.dumps({"event": "media", "media": {
                            "payload": base64.b64encode(pending[:160]).decode()}}))
                        pending = pending[160:]
                    tally.codec_ns += clock() - t0
                    tally.messages_out += len(frames)
                    for text in frames:
                        await ws.send(text)
                else:
                    tally.codec_ns += clock() - t0
                    if frame.get("event") == "stop":
                        break
        except ConnectionClosed:
            pass
        finally:
            tally.end()

    server = await serve(handler, "127.0.0.1", 0, compression=None, max_size=1 << 16)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    await _until_sigterm()
    server.close()
    await server.wait_closed()
    return tally.ended


async def _until_sigterm() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


# ----------------------------------------------------------------------------
# The floor: picows + uvloop, no JSON, no codec
# ----------------------------------------------------------------------------


async def run_floor() -> None:
    from picows import WSListener, WSMsgType, ws_create_server

    TEXT = WSMsgType.TEXT
    head, tail = b'{"event":"media","media":{"payload":"', b'"}}'

    class Echo(WSListener):
        def on_ws_frame(self, transport, frame):
            if frame.msg_type is not TEXT:
                return
            data = frame.get_payload_as_bytes()
            at = data.find(b'"payload":"')
            if at < 0:                        # connected, start, stop: nothing back
                if b'"stop"' in data:
                    transport.send_close()
                    transport.disconnect()
                return
            at += 11
            transport.send(TEXT, head + data[at:data.index(b'"', at)] + tail)

    server = await ws_create_server(lambda request: Echo(), "127.0.0.1", 0)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    await _until_sigterm()
    server.close()


# ----------------------------------------------------------------------------
# The load generator
# ----------------------------------------------------------------------------


def _twilio_frames():
    """Twilio's connected, start, media and stop messages (its Media Streams
    page), for a Twilio load."""
    import base64

    def start(sid, seq, codec, rate):
        return json.dumps({"event": "start", "sequenceNumber": str(seq), "streamSid": sid,
                           "start": {"streamSid": sid, "accountSid": "AC0", "callSid": "CA0",
                                     "tracks": ["inbound"], "customParameters": {},
                                     "mediaFormat": {"encoding": "audio/x-mulaw",
                                                     "sampleRate": 8000, "channels": 1}}})

    def media(sid, seq, track, chunk, timestamp, payload):
        return json.dumps({"event": "media", "sequenceNumber": str(seq), "streamSid": sid,
                           "media": {"track": track, "chunk": str(chunk),
                                     "timestamp": str(timestamp),
                                     "payload": base64.b64encode(payload).decode()}},
                          separators=(",", ":"))

    def stop(sid, seq):
        return json.dumps({"event": "stop", "sequenceNumber": str(seq), "streamSid": sid,
                           "stop": {"accountSid": "AC0", "callSid": "CA0"}})

    return (lambda: '{"event":"connected","protocol":"Call","version":"1.0.0"}', start, media,
            stop)


async def run_load(url: str, calls: int, seconds: float, carrier: str = "telnyx") -> dict:
    from picows import WSListener, WSMsgType, ws_connect

    from streamcodec import Encoder
    from streamcodec.signals import speech_like
    from streamcodec.simulate import connected_frame, media_frame, start_frame, stop_frame
    if carrier == "twilio":
        connected_frame, start_frame, media_frame, stop_frame = _twilio_frames()

    loop = asyncio.get_running_loop()
    clock = time.perf_counter          # uvloop's loop.time() has 1 ms steps
    n = int(round(seconds / 0.020))
    # One second of speech-like PCMU, its 50 payloads reused round the call.
    payloads = Encoder("PCMU", rate=8000).packetize(speech_like(1.0, 8000, seed=1))
    TEXT = WSMsgType.TEXT
    latencies: list[float] = []
    lateness: list[float] = []
    totals = {"sent": 0, "echoed": 0, "closed_ok": 0}

    class Caller(WSListener):
        def __init__(self, index: int):
            self.sid = f"load-{index}"
            self.sent_at: list[float] = []
            self.echoed = 0
            self.heard_at = loop.time()
            self.done = loop.create_future()

        def on_ws_connected(self, transport):
            self.transport = transport
            transport.send(TEXT, connected_frame().encode())
            transport.send(TEXT, start_frame(self.sid, 1, "PCMU", 8000).encode())
            # Calls start spread over one frame interval, as real calls do.
            self.t0 = loop.time() + 0.020 * (hash(self.sid) % 1000) / 1000
            loop.call_at(self.t0, self.send_next)

        def send_next(self):
            k = len(self.sent_at)
            if self.transport.is_disconnected:
                return
            if k == n:
                self.transport.send(TEXT, stop_frame(self.sid, k + 2).encode())
                self.stopped_at = loop.time()
                loop.call_later(0.5, self.hang_up)
                return
            lateness.append(loop.time() - (self.t0 + 0.020 * k))
            now = clock()
            self.transport.send(TEXT, media_frame(self.sid, k + 2, "inbound", k + 1, 20 * k,
                                                  payloads[k % len(payloads)]).encode())
            self.sent_at.append(now)
            loop.call_at(self.t0 + 0.020 * (k + 1), self.send_next)

        def on_ws_frame(self, transport, frame):
            if frame.msg_type is WSMsgType.CLOSE:
                totals["closed_ok"] += frame.get_close_code().value == 1000
                transport.disconnect()
                return
            self.heard_at = loop.time()
            if frame.msg_type is TEXT and b'"media"' in frame.get_payload_as_bytes()[:20]:
                if self.echoed < len(self.sent_at):
                    latencies.append(clock() - self.sent_at[self.echoed])
                self.echoed += 1

        def hang_up(self):
            # Once every echo is in, or nothing has come for 1 s (a server
            # still working through a backlog gets up to 10 s to finish).
            now = loop.time()
            if (self.echoed >= n or now - self.heard_at >= 1.0
                    or now - self.stopped_at >= 10.0):
                self.transport.disconnect()
            else:
                loop.call_later(0.1, self.hang_up)

        def on_ws_disconnected(self, transport):
            if not self.done.done():
                self.done.set_result(None)

    async def one(index: int) -> Caller:
        await asyncio.sleep(0.005 * index)        # calls arrive over a few seconds
        _, caller = await ws_connect(lambda: Caller(index), url, max_frame_size=1 << 20,
                                     websocket_handshake_timeout=30)
        await asyncio.wait_for(caller.done, seconds + 30)
        return caller

    done = await asyncio.gather(*(one(i) for i in range(calls)))
    for caller in done:
        totals["sent"] += len(caller.sent_at)
        totals["echoed"] += min(caller.echoed, len(caller.sent_at))
    latencies.sort()
    lateness.sort()
    pick = lambda xs, q: 1000 * xs[min(len(xs) - 1, int(q * len(xs)))] if xs else None
    return {"calls": calls, "seconds": seconds, **totals,
            "lost": totals["sent"] - totals["echoed"],
            "p50_ms": pick(latencies, 0.50), "p99_ms": pick(latencies, 0.99),
            "send_late_p99_ms": pick(lateness, 0.99)}


def main(argv: list[str]) -> int:
    kind = argv[0]
    if kind == "load":
        url, calls, seconds = argv[1], int(argv[2]), float(argv[3])
        carrier = argv[4] if len(argv) > 4 else "telnyx"
        report = _run(run_load(url, calls, seconds, carrier))
        print(json.dumps(report), flush=True)
        return 0
    if kind == "floor":
        _run(run_floor())
        return 0
    if kind != "peer":
        raise SystemExit(f"unknown kind {kind!r}")
    if audioop is None:
        print(json.dumps({"error": "audioop is not installed"}), flush=True)
        return 1
    # CPU time, not wall time: waiting in epoll must not count.
    profile = cProfile.Profile(time.process_time) if "--profile" in argv else None
    if profile is not None:
        profile.enable()
    asyncio.run(run_peer(Tally(0)))
    if profile is not None:
        profile.disable()
        print(json.dumps({"profile": breakdown(profile)}), flush=True)
    return 0


def _run(coro):
    """On uvloop when installed (the floor and the generator are meant to be
    as cheap as the machine allows)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


