"""Echo server in its own process for bench/compare_server.py.

    python server_worker.py KIND CALLS [--profile]

KIND is ``streamcodec`` (StreamServer, app at 16 kHz, playback PCMU 8 kHz)
or ``peer`` (plain websockets with json + base64 + audioop + soxr, the
per-message path of DESIGN.md, same echo).  Prints ``PORT <n>`` once
listening; after CALLS streams have ended (or 300 s) prints one JSON line:
the process CPU seconds from the first connection to the last stream's end,
the CPU nanoseconds spent in the codec path (streamcodec's MediaStream, or
the peer's json/base64/audioop/soxr calls), message counts, and with
``--profile`` a cProfile breakdown of own time by package.  Listens on
127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import base64
import cProfile
import json
import pstats
import sys
import time

from peers import audioop, soxr

APP_RATE = 16000
LIMIT_S = 300.0


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


async def run_streamcodec(tally: Tally):
    from streamcodec import telnyx
    from streamcodec.server import StreamServer

    async def app(call):
        tally.begin()
        async for event in call:
            if isinstance(event, telnyx.Media) and event.track == "inbound":
                await call.play(event.pcm, call.rate)

    server = StreamServer(app, rate=APP_RATE, playback_codec="PCMU", playback_rate=8000)
    await server.start()
    print("PORT", server.port, flush=True)
    tally.begin()
    seen = 0
    deadline = time.monotonic() + LIMIT_S
    try:
        while len(server.finished) < tally.calls and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        tally.cpu = time.process_time() - tally.cpu_start
    finally:
        await server.close()
    for stats in list(server.finished):
        seen += 1
        tally.codec_ns += stats.cpu_in_ns + stats.cpu_out_ns
        tally.messages_in += stats.cpu_in_messages
        tally.messages_out += stats.cpu_out_messages
        tally.lost += sum(t.lost for t in stats.tracks.values())
    return seen


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
    tally.begin()
    try:
        await asyncio.wait_for(tally.done.wait(), LIMIT_S)
    finally:
        server.close()
        await server.wait_closed()
    return tally.ended


def main(argv: list[str]) -> int:
    kind, calls = argv[0], int(argv[1])
    # CPU time, not wall time: waiting in epoll must not count.
    profile = cProfile.Profile(time.process_time) if "--profile" in argv else None
    tally = Tally(calls)
    if kind == "streamcodec":
        coro = run_streamcodec(tally)
    elif kind == "peer":
        if audioop is None:
            print(json.dumps({"error": "audioop is not installed"}), flush=True)
            return 1
        coro = run_peer(tally)
    else:
        raise SystemExit(f"unknown kind {kind!r}")
    if profile is not None:
        profile.enable()
    seen = asyncio.run(coro)
    if profile is not None:
        profile.disable()
    report = {"kind": kind, "calls": seen, "cpu_s": getattr(tally, "cpu", None),
              "codec_ns": tally.codec_ns, "messages_in": tally.messages_in,
              "messages_out": tally.messages_out, "lost": tally.lost,
              "resampler": "soxr VHQ" if soxr else "audioop.ratecv"}
    if profile is not None:
        report["profile"] = breakdown(profile)
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
