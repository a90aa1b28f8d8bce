"""What a slow caller sees when ``streamcodec serve`` ends a call: the
server sends its close frame, waits a while for the caller's (2 s on
picows, 5 s on websockets), then drops the TCP link.

    python bench/slow_close.py                      # stalls 0, 1, 1.9, 2.5, 4, 8 s
    python bench/slow_close.py --stall 3 --transport websockets

Each run is one call from a raw-socket caller: handshake, ``connected`` and
``start``, ``--seconds`` of media in real time (the server's echo plays it
back), ``stop``; then the caller stalls without reading for ``--stall``
seconds (a process starved of CPU), optionally still writing a mark echo
in the middle of the stall as a busy client would (``--write-during``), and
only then reads what is there.  Printed per stall: the close code the
caller finds (or how its read ended), the close the server logged, and
whether the caller's kernel saw a reset.  Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from soak import SUMMARY, TOKEN, _call_start, _handshake, _media, _ws_frame  # noqa: E402


def start_server(transport: str) -> tuple[subprocess.Popen, str, list[str]]:
    cmd = [sys.executable, "-m", "streamcodec", "serve", "--host", "127.0.0.1", "--port", "0",
           "--auth-token", TOKEN, "--transport", transport]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            bufsize=1, cwd=os.path.dirname(os.path.abspath(__file__)))
    lines: list[str] = []
    ready = threading.Event()
    url: list[str] = []

    def out() -> None:
        for line in proc.stdout:
            m = re.search(r"listening on (ws://\S+)", line)
            if m:
                url.append(m.group(1))
                ready.set()

    def err() -> None:
        for line in proc.stderr:
            lines.append(line)

    threading.Thread(target=out, daemon=True).start()
    threading.Thread(target=err, daemon=True).start()
    if not ready.wait(30):
        proc.kill()
        raise RuntimeError("server did not start")
    return proc, url[0], lines


def read_frames(data: bytes) -> tuple[int, Optional[int]]:
    """(number of data frames, close code or None) in a server byte stream."""
    n, close, i = 0, None, 0
    while i + 2 <= len(data):
        b0, b1 = data[i], data[i + 1]
        size, i = b1 & 0x7F, i + 2
        if size == 126:
            size, i = struct.unpack("!H", data[i:i + 2])[0], i + 2
        elif size == 127:
            size, i = struct.unpack("!Q", data[i:i + 8])[0], i + 8
        body, i = data[i:i + size], i + size
        if len(body) < size:
            break
        if b0 & 0x0F == 8:
            close = struct.unpack("!H", body[:2])[0] if size >= 2 else 1005
        else:
            n += 1
    return n, close


def one_call(url: str, sid: str, seconds: float, stall: float, write_during: bool) -> dict:
    host, port = re.match(r"ws://([^:/]+):(\d+)", url).groups()
    sock = socket.create_connection((host, int(port)))
    sock.sendall(_handshake(host, int(port)))
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    data = head.split(b"\r\n\r\n", 1)[1]
    for text in _call_start(sid):
        sock.sendall(_ws_frame(text))
    t0 = time.monotonic()
    k = 0
    while k < seconds * 50:
        k += 1
        sock.sendall(_ws_frame(_media(sid, k)))
        time.sleep(max(0.0, t0 + k * 0.02 - time.monotonic()))
    sock.sendall(_ws_frame(json.dumps({"event": "stop", "sequence_number": str(k + 3),
                                       "stream_id": sid, "stop": {}})))
    reset = False
    try:
        if write_during:
            time.sleep(stall / 2)
            sock.sendall(_ws_frame(json.dumps({"event": "mark", "stream_id": sid,
                                               "mark": {"name": "late"}})))
            time.sleep(stall / 2)
        else:
            time.sleep(stall)
        sock.settimeout(10)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        reset = True
    except OSError as exc:
        reset = "reset" in str(exc).lower()
    finally:
        sock.close()
    frames, close = read_frames(data)
    return {"frames_read": frames, "close_seen": close, "reset": reset}


def one_call_websockets(url: str, sid: str, seconds: float, stall: float,
                        write_during: bool) -> dict:
    """The same call from the ``websockets`` client library (what
    ``streamcodec.simulate`` uses): after ``stop`` its event loop is blocked
    for ``stall`` seconds, then (with ``write_during``) it writes two mark
    echoes before its reader runs, as a starved caller's mark pump would."""
    import asyncio

    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async def call() -> dict:
        async with connect(url, additional_headers={"x-telnyx-streaming-auth-token": TOKEN},
                           compression=None) as ws:
            for text in _call_start(sid):
                await ws.send(text)
            t0 = time.monotonic()
            for k in range(1, int(seconds * 50) + 1):
                await ws.send(_media(sid, k))
                await asyncio.sleep(max(0.0, t0 + k * 0.02 - time.monotonic()))
            await ws.send(json.dumps({"event": "stop", "sequence_number": "9999",
                                      "stream_id": sid, "stop": {}}))
            time.sleep(stall)                      # the loop is starved
            error = None
            try:
                if write_during:
                    for name in ("late-1", "late-2"):
                        await ws.send(json.dumps({"event": "mark", "stream_id": sid,
                                                  "mark": {"name": name}}))
                        await asyncio.sleep(0)
                frames = 0
                async for _ in ws:
                    frames += 1
            except ConnectionClosed as exc:
                error = type(exc).__name__
            return {"frames_read": None, "close_seen": ws.close_code, "reset": bool(error)}

    return asyncio.run(call())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--stall", type=float, nargs="*", default=[0, 1, 1.9, 2.5, 4, 8])
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--transport", default="picows", choices=["picows", "websockets"])
    p.add_argument("--client", default="raw", choices=["raw", "websockets"],
                   help="raw sockets, or the websockets library as streamcodec.simulate uses")
    p.add_argument("--write-during", action="store_true",
                   help="the stalled caller still writes one message half-way")
    args = p.parse_args()
    proc, url, lines = start_server(args.transport)
    try:
        for n, stall in enumerate(args.stall):
            sid = f"slow-{n}"
            caller = one_call if args.client == "raw" else one_call_websockets
            seen = caller(url, sid, args.seconds, stall, args.write_during)
            time.sleep(1.0)
            logged = next((m.group("close") for m in map(SUMMARY.search, lines)
                           if m and m.group("id") == sid), None)
            print(f"{args.transport}, {args.client} caller: stall {stall:4.1f} s -> caller "
                  f"close {seen['close_seen'] or 'none (would be 1006)'}"
                  f"{', read ended in an error' if seen['reset'] else ''}; server logged close "
                  f"{logged}", flush=True)
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
