"""Soak test of the reference server: many concurrent real-time calls plus
hostile clients, against ``streamcodec serve`` in its own process.

    python bench/soak.py                       # 200 calls x 60 s (the issue's figure)
    python bench/soak.py --calls 100 --seconds 30 --procs 2
    python bench/soak.py --calls 20 --seconds 10 --procs 2 --pause-clients 4   # callers frozen 4 s

Healthy calls are :func:`streamcodec.simulate.simulate_call` in real time,
codecs mixed (PCMU PCMA G722 OPUS AMR-WB L16), 3 % loss and 2 % reordering,
spread over ``--procs`` client processes and started over ``--ramp``
seconds.  Alongside them, raw-socket clients that complete the WebSocket
handshake and ``start`` and then misbehave:

- ``--non-reading``: keep sending media, never read what the server plays
  back (its sends block once the socket buffers fill);
- ``--abrupt``: close the TCP connection with a reset in the middle of a call;
- ``--slowloris``: send the HTTP upgrade request one byte per second;
- ``--duplicate-token``: send the auth-token header twice (1008 expected).

The server runs with an auth token; the healthy calls present it.

Reported (one JSON line at the end and a table): for the healthy calls,
frames lost (frames the caller sent, not withheld as "loss", that the server
did not deliver to the application: must be 0; those it dropped as arriving
too late are shown apart: a reordered first frame is one, as the session
starts at the first chunk it sees), the server's counted loss against what
the callers withheld; how long the server took to drop each kind of hostile
client (or that it never did within the run); the server's RSS at start,
peak and end.  The server's counters come from the line it logs per stream
(``CallStats.summary``), matched by stream id.

The load generator is measured too, so that a caller that fell behind is not
taken for a server fault: each client process runs a probe that sleeps 20 ms
at a time and records how late each wake-up came (the event-loop lateness
every real-time send of that process suffers), and its CPU time against the
wall time.  Each call is given the worst and the 99th-percentile lateness of
its process while it ran.  A call counts against the server only for what
the server did: frames not delivered, a close other than 1000 logged by the
server, errors the server logged, or no trace of the call in the server's
log; a call whose caller saw something else (a 1006 close, a time-out) while
the server logged a clean 1000 and delivered every frame is a *caller-side*
anomaly, reported with its lateness but not failed.  A server-side close or
a missing call is put down to the caller only when its process was stalled
for over a second (``--stall``) while it ran.

Sends traffic only to 127.0.0.1.  Exit status 1 when the server lost frames,
closed a healthy call other than with 1000 or logged an error, a non-reading
client was not dropped once the server had written it more than the socket
buffers hold (within that it is "inconclusive": the kernel took it all), or
the duplicated token was answered other than with 1008 (or an HTTP
refusal).  A progress bar (tqdm) is shown when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import Any, Optional

CODECS = ("PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16")
TOKEN = "soak-token"
AUTH_HEADER = "x-telnyx-streaming-auth-token"
OUT_BYTES = re.compile(r"; out \d+ msgs/(\d+) B")
SUMMARY = re.compile(
    r"stream (?P<id>\S+) from .*?inbound: (?P<received>\d+) received, (?P<lost>\d+) lost, "
    r"(?P<concealed>\d+) concealed, (?P<late>\d+) late, (?P<duplicate>\d+) duplicate, "
    r"(?P<too_late>\d+) too late, (?P<bad>\d+) bad;.*close (?P<close>\S+)")


# ----------------------------------------------------------------------------
# Server process
# ----------------------------------------------------------------------------


class Server:
    """``streamcodec serve`` in a child process; its log read in a thread."""

    def __init__(self, args: argparse.Namespace):
        cmd = [sys.executable, "-m", "streamcodec", "serve", "--host", "127.0.0.1", "--port", "0",
               "--rate", "16000", "--playback-codec", "PCMU", "--playback-rate", "8000",
               "--auth-token", TOKEN]
        # From bench/, so that "-m streamcodec" finds the installed package,
        # not the source tree of a checkout run from its top.
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1,
                                     cwd=os.path.dirname(os.path.abspath(__file__)))
        self.url: Optional[str] = None
        self.lines: list[str] = []
        self.summaries: dict[str, dict] = {}
        self.errors: list[str] = []
        self.warnings: dict[str, list[str]] = {}   # stream id -> its first warnings
        ready = threading.Event()

        def read_stdout() -> None:
            for line in self.proc.stdout:
                m = re.search(r"listening on (ws://\S+)", line)
                if m:
                    self.url = m.group(1)
                    ready.set()

        def read_stderr() -> None:
            for line in self.proc.stderr:
                self.lines.append(line)
                m = SUMMARY.search(line)
                if m:
                    out = OUT_BYTES.search(line)
                    self.summaries[m.group("id")] = {
                        **m.groupdict(), "bytes_out": int(out.group(1)) if out else None}
                elif " ERROR " in line or "Traceback" in line:
                    self.errors.append(line.strip())
                w = re.search(r"stream (\S+): (.*)", line)
                if w and " WARNING " in line:
                    seen = self.warnings.setdefault(w.group(1), [])
                    if len(seen) < 2:
                        seen.append(w.group(2)[:200])

        threading.Thread(target=read_stdout, daemon=True).start()
        threading.Thread(target=read_stderr, daemon=True).start()
        if not ready.wait(30):
            self.proc.kill()
            raise RuntimeError("streamcodec serve did not start: " + "".join(self.lines[-20:]))

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def cpu_s(self) -> float:
        """CPU seconds the server process has used (user + system)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ----------------------------------------------------------------------------
# Healthy calls (a worker process runs a share of them)
# ----------------------------------------------------------------------------


class LagProbe:
    """Sleeps ``period`` seconds at a time on the running loop and records
    how late each wake-up came: what every real-time send of this process
    suffers when the process falls behind."""

    def __init__(self, period: float = 0.020):
        self.period = period
        self.samples: list[tuple[float, float]] = []    # (when, seconds late)
        self._stop = False

    async def run(self) -> None:
        while not self._stop:
            t = time.monotonic()
            await asyncio.sleep(self.period)
            now = time.monotonic()
            self.samples.append((now, max(0.0, now - t - self.period)))

    def stop(self) -> None:
        self._stop = True

    def between(self, t0: float, t1: float) -> dict:
        """Worst and 99th-percentile lateness (ms) of the wake-ups in
        [t0, t1], and the share of them over one period late."""
        late = sorted(d for t, d in self.samples if t0 <= t <= t1)
        if not late:
            return {"lag_max_ms": None, "lag_p99_ms": None, "lag_over_20ms": None}
        return {"lag_max_ms": round(late[-1] * 1000, 1),
                "lag_p99_ms": round(late[min(len(late) - 1, int(len(late) * 0.99))] * 1000, 1),
                "lag_over_20ms": round(sum(d > self.period for d in late) / len(late), 3)}


async def _worker_calls(url: str, first: int, count: int, seconds: float, ramp: float,
                        loss: float, reorder: float) -> tuple[list[dict], LagProbe]:
    import numpy as np

    from streamcodec.signals import speech_like
    from streamcodec.simulate import simulate_call, wire_rate

    # The callers' audio, made once up front: speech_like() of a minute takes
    # most of a second, which inside simulate_call would stall every other
    # call of this process (its encode still does; issue 10).
    audio = {rate: np.asarray(speech_like(seconds, rate, seed=first), np.int16)
             for rate in {wire_rate(c) for c in CODECS}}
    probe = LagProbe()                  # from here on: the calls' time
    probe_task = asyncio.create_task(probe.run())
    await asyncio.sleep(0)

    async def one(i: int) -> dict:
        codec = CODECS[i % len(CODECS)]
        await asyncio.sleep(ramp * (i - first) / max(count, 1))
        sid = f"soak-{i}"
        t0 = time.monotonic()
        try:
            rate = wire_rate(codec)
            r = await simulate_call(url, audio[rate], rate, codec=codec, seed=i, realtime=True,
                                    loss=loss, reorder=reorder, stream_id=sid, auth_token=TOKEN,
                                    timeout=seconds + 90)
        except Exception as exc:  # noqa: BLE001 - a failed call is a figure
            out = {"id": sid, "codec": codec, "error": f"{type(exc).__name__}: {exc}",
                   "elapsed": time.monotonic() - t0, "t0": t0, "t1": time.monotonic()}
        else:
            # lost at the very start or end: the server cannot know they existed
            lost = set(r.lost_chunks)
            trailing = 0
            while r.frames - trailing in lost:
                trailing += 1
            leading = 0
            while leading + 1 in lost and leading < r.frames:
                leading += 1
            out = {"id": sid, "codec": codec, "frames": r.frames, "withheld": r.lost,
                   "withheld_unseen": trailing + leading, "sent": r.sent, "close": r.close_code,
                   "errors": r.errors[:3], "received_media": r.received_media,
                   "elapsed": r.elapsed, "t0": t0, "t1": time.monotonic()}
        print("DONE", sid, flush=True)          # the parent's progress bar
        return out

    calls = await asyncio.gather(*(one(i) for i in range(first, first + count)))
    probe.stop()
    await probe_task
    return list(calls), probe


def worker_main(args: argparse.Namespace) -> None:
    wall0, cpu0 = time.monotonic(), time.process_time()
    calls, probe = asyncio.run(_worker_calls(args.url, args.first, args.count, args.seconds,
                                             args.ramp, args.loss, args.reorder))
    for c in calls:
        c.update(probe.between(c["t0"], c["t1"]))
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    whole = probe.between(float("-inf"), float("inf"))
    print(json.dumps({"calls": calls, "worker": {
        "first": args.first, "count": args.count, "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1), "cpu_share": round(cpu / wall, 2) if wall else None, **whole}}))


# ----------------------------------------------------------------------------
# Hostile clients (raw sockets)
# ----------------------------------------------------------------------------


def _ws_frame(text: str) -> bytes:
    """A masked client text frame."""
    data = text.encode()
    head = bytearray([0x81])
    if len(data) < 126:
        head.append(0x80 | len(data))
    else:
        head.append(0x80 | 126)
        head += struct.pack("!H", len(data))
    mask = os.urandom(4)
    return bytes(head) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def _host_port(url: str) -> tuple[str, int]:
    m = re.match(r"ws://([^:/]+):(\d+)", url)
    return m.group(1), int(m.group(2))


def _handshake(host: str, port: int, tokens: int = 1) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    auth = f"{AUTH_HEADER}: {TOKEN}\r\n" * tokens
    return (f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n{auth}"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode()


async def _open(url: str, rcvbuf: Optional[int] = None):
    host, port = _host_port(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    # a tiny read buffer: a client that stops reading backs up at once
    reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
    writer.write(_handshake(host, port))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise RuntimeError(f"handshake refused: {head[:60]!r}")
    return sock, reader, writer


def _call_start(sid: str) -> list[str]:
    from streamcodec.simulate import connected_frame, start_frame
    return [connected_frame(TOKEN), start_frame(sid, 1, "PCMU", 8000)]


def _media(sid: str, k: int) -> str:
    from streamcodec.simulate import media_frame
    return media_frame(sid, k + 1, "inbound", k, (k - 1) * 20, bytes([0xFF]) * 160)


async def non_reading_client(url: str, n: int, seconds: float) -> dict:
    """Sends a call's media in real time and never reads.  Returns when the
    server dropped the connection (seconds after the first media) or None."""
    sid = f"nonreading-{n}"
    sock, reader, writer = await _open(url, rcvbuf=4096)
    for text in _call_start(sid):
        writer.write(_ws_frame(text))
    t0 = time.monotonic()
    dropped = None
    k = 0
    try:
        while time.monotonic() - t0 < seconds:
            k += 1
            writer.write(_ws_frame(_media(sid, k)))
            try:
                await asyncio.wait_for(writer.drain(), 0.5)
            except asyncio.TimeoutError:
                pass                        # the server no longer reads either
            await asyncio.sleep(0.02)
            if writer.is_closing() or reader.at_eof():
                dropped = time.monotonic() - t0
                break
    except (ConnectionError, OSError):
        dropped = time.monotonic() - t0
    finally:
        writer.transport.abort()
    return {"id": sid, "dropped_after": dropped, "frames_sent": k}


async def abrupt_client(url: str, n: int, after: float) -> dict:
    """A call that vanishes with a TCP reset ``after`` seconds in."""
    sid = f"abrupt-{n}"
    try:
        sock, reader, writer = await _open(url)
    except Exception as exc:  # noqa: BLE001
        return {"id": sid, "error": str(exc)}
    for text in _call_start(sid):
        writer.write(_ws_frame(text))
    t0 = time.monotonic()
    k = 0
    while time.monotonic() - t0 < after:
        k += 1
        writer.write(_ws_frame(_media(sid, k)))
        await asyncio.sleep(0.02)
        try:
            await asyncio.wait_for(reader.read(65536), 0.001)
        except asyncio.TimeoutError:
            pass
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
    return {"id": sid, "frames_sent": k}


async def duplicate_token_client(url: str, n: int) -> dict:
    """The auth token header twice (issue 10 item 9): the close code the
    server answers with (1008 wanted), or its HTTP status line."""
    host, port = _host_port(url)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(_handshake(host, port, tokens=2))
    result: dict[str, Any] = {"id": f"duptoken-{n}"}
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
        status = head.split(b"\r\n")[0].decode("latin-1")
        result["status"] = status
        if " 101 " in status:
            for text in _call_start(result["id"]):
                writer.write(_ws_frame(text))
            while True:
                b0, b1 = await asyncio.wait_for(reader.readexactly(2), 15)
                size = b1 & 0x7F
                if size == 126:
                    size = struct.unpack("!H", await reader.readexactly(2))[0]
                elif size == 127:
                    size = struct.unpack("!Q", await reader.readexactly(8))[0]
                body = await reader.readexactly(size)
                if b0 & 0x0F == 8:
                    result["close_code"] = struct.unpack("!H", body[:2])[0] if size >= 2 else None
                    result["close_reason"] = body[2:].decode("utf-8", "replace")
                    break
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
        result["error"] = type(exc).__name__
    finally:
        writer.transport.abort()
    return result


async def slowloris_client(url: str, n: int, seconds: float) -> dict:
    """Sends the upgrade request one byte per second; returns when the server
    gave up on it."""
    host, port = _host_port(url)
    reader, writer = await asyncio.open_connection(host, port)
    request = _handshake(host, port)
    t0 = time.monotonic()
    dropped = None
    try:
        for b in request:
            if time.monotonic() - t0 > seconds:
                break
            writer.write(bytes([b]))
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.read(1024), 1.0)
                if data == b"" or data:
                    dropped = time.monotonic() - t0
                    break
            except asyncio.TimeoutError:
                pass
    except (ConnectionError, OSError):
        dropped = time.monotonic() - t0
    finally:
        writer.transport.abort()
    return {"id": f"slowloris-{n}", "dropped_after": dropped}


# ----------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------


async def _hostile(url: str, args: argparse.Namespace) -> list[dict]:
    tasks = []
    for n in range(args.non_reading):
        tasks.append(non_reading_client(url, n, args.seconds + 20))
    for n in range(args.abrupt):
        tasks.append(abrupt_client(url, n, 1.0 + (n % 10) * args.seconds / 12))
    for n in range(args.slowloris):
        tasks.append(slowloris_client(url, n, args.seconds))
    for n in range(args.duplicate_token):
        tasks.append(duplicate_token_client(url, n))
    return list(await asyncio.gather(*tasks, return_exceptions=True))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--seconds", type=float, default=60.0, help="audio per call")
    p.add_argument("--procs", type=int, default=8, help="client processes for the healthy calls")
    p.add_argument("--ramp", type=float, default=20.0, help="seconds over which calls start")
    p.add_argument("--loss", type=float, default=0.03)
    p.add_argument("--reorder", type=float, default=0.02)
    p.add_argument("--non-reading", type=int, default=5)
    p.add_argument("--abrupt", type=int, default=20)
    p.add_argument("--slowloris", type=int, default=3)
    p.add_argument("--duplicate-token", type=int, default=2,
                   help="clients sending the auth token header twice")
    p.add_argument("--stall", type=float, default=1.0,
                   help="a caller whose process was this many seconds late while its call ran "
                        "is taken to have fallen behind (default 1)")
    p.add_argument("--pause-clients", type=float, default=0.0, metavar="SECONDS",
                   help="freeze the client processes this long as the calls end (to see a "
                        "load generator that falls behind reported as such)")
    p.add_argument("--json", help="also write the report here")
    # worker mode (internal)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker_main(args)
        return 0

    server = Server(args)
    time.sleep(1.0)
    rss_start = server.rss_mb()
    cpu_start = server.cpu_s()
    rss_peak = [rss_start]
    stop_sampling = threading.Event()

    def sample() -> None:
        while not stop_sampling.wait(1.0):
            try:
                rss_peak[0] = max(rss_peak[0], server.rss_mb())
            except OSError:
                return

    threading.Thread(target=sample, daemon=True).start()
    print(f"soak: server {server.url} pid {server.proc.pid}, RSS {rss_start:.1f} MB; "
          f"{args.calls} calls x {args.seconds:g} s in {args.procs} processes, "
          f"{args.non_reading} non-reading, {args.abrupt} abrupt, {args.slowloris} slowloris",
          flush=True)
    t0 = time.monotonic()
    workers = []
    per = -(-args.calls // args.procs)
    for w in range(args.procs):
        first, count = w * per, min(per, args.calls - w * per)
        if count <= 0:
            continue
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--url", server.url,
               "--first", str(first), "--count", str(count), "--seconds", str(args.seconds),
               "--ramp", str(args.ramp), "--loss", str(args.loss), "--reorder", str(args.reorder)]
        workers.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1))
    progress = Progress(args.calls)
    outputs: list[Optional[dict]] = [None] * len(workers)

    def collect(n: int, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            if line.startswith("DONE "):
                progress.update()
            elif line.startswith("{"):
                outputs[n] = json.loads(line)

    readers = [threading.Thread(target=collect, args=(n, p), daemon=True)
               for n, p in enumerate(workers)]
    for r in readers:
        r.start()
    if args.pause_clients:
        threading.Thread(target=_pause_clients, daemon=True,
                         args=(workers, args.ramp + args.seconds + 0.6, args.pause_clients)).start()
    hostile = asyncio.run(_hostile(server.url, args))
    for proc, reader in zip(workers, readers):
        proc.wait(timeout=args.seconds + 300)
        reader.join(10)
    progress.close()
    calls: list[dict] = []
    worker_stats: list[dict] = []
    for out in outputs:
        if out is None:
            raise RuntimeError("a client process ended without its report")
        calls.extend(out["calls"])
        worker_stats.append(out["worker"])
    wall = time.monotonic() - t0
    time.sleep(3.0)                             # let the server log the last calls
    rss_end = server.rss_mb()
    server_cpu = server.cpu_s() - cpu_start
    clients_cpu = sum(getattr(os.times(), k) for k in ("children_user", "children_system"))
    stop_sampling.set()
    summaries = dict(server.summaries)
    server.stop()

    verdicts = judge(calls, summaries, server.warnings, args.stall)
    faults = verdicts["server_faults"]
    hostile_ok = [h for h in hostile if isinstance(h, dict)]
    nonreading = [h for h in hostile_ok if h["id"].startswith("nonreading")]
    slow = [h for h in hostile_ok if h["id"].startswith("slowloris")]
    abrupt_logged = sum(1 for h in hostile_ok if h["id"].startswith("abrupt")
                        and h["id"] in summaries)
    lags = [c["lag_max_ms"] for c in calls if c.get("lag_max_ms") is not None]
    report = {
        "calls": args.calls, "seconds": args.seconds, "procs": args.procs, "wall_s": round(wall, 1),
        "healthy_frames_lost": verdicts["frames_lost"],
        "of_which_too_late": verdicts["too_late"],
        "server_faults": len(faults),
        "server_fault_kinds": _count(f["fault"] for f in faults),
        "caller_side_anomalies": len(verdicts["caller_side"]),
        "caller_side_kinds": _count(c["anomaly"] for c in verdicts["caller_side"]),
        "client_fell_behind": len(verdicts["client_behind"]),
        "calls_without_server_log": verdicts["missing_log"],
        "server_loss_count_mismatch": len(verdicts["mismatches"]),
        "per_codec_calls_lost_frames": verdicts["per_codec"],
        "client_lag_ms": {"calls_p50_of_max": _pct(lags, 0.5), "calls_p99_of_max": _pct(lags, 0.99),
                          "worst": max(lags) if lags else None},
        "client_processes": worker_stats,
        "non_reading_dropped": [h["dropped_after"] for h in nonreading],
        "non_reading_verdicts": [_non_reading_verdict(h, summaries) for h in nonreading],
        "slowloris_dropped": [h["dropped_after"] for h in slow],
        "duplicate_token_answers": [{k: v for k, v in h.items() if k != "id"} for h in hostile_ok
                                    if h["id"].startswith("duptoken")],
        "abrupt_clients": args.abrupt, "abrupt_calls_logged_by_server": abrupt_logged,
        "hostile_errors": [repr(h) for h in hostile if not isinstance(h, dict)][:5],
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_share": round(server_cpu / wall, 2),
        "client_processes_cpu_s": round(clients_cpu, 1),
        "client_processes_cpu_share": round(clients_cpu / wall, 2),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "server_rss_mb": {"start": round(rss_start, 1), "peak": round(rss_peak[0], 1),
                          "end": round(rss_end, 1)},
        "server_errors": server.errors[:5],
        "examples_of_server_faults": faults[:3],
        "examples_of_caller_side": verdicts["caller_side"][:3],
        "examples_of_loss_count_mismatch": verdicts["mismatches"][:3],
    }
    busy = [w for w in worker_stats if (w.get("cpu_share") or 0) > 0.9]
    print(f"healthy calls: {args.calls} x {args.seconds:g} s; server faults {len(faults)}"
          f"{' ' + str(report['server_fault_kinds']) if faults else ''}; "
          f"frames lost {verdicts['frames_lost']} "
          f"({verdicts['too_late']} dropped as too late); server loss count != withheld in "
          f"{len(verdicts['mismatches'])}")
    print(f"caller side (not the server's doing): {len(verdicts['caller_side'])} anomalies"
          f"{' ' + str(report['caller_side_kinds']) if verdicts['caller_side'] else ''}, "
          f"{len(verdicts['client_behind'])} calls put down to a stalled caller")
    print(f"callers' event-loop lateness (ms, worst per call): p50 {_pct(lags, 0.5)}, "
          f"p99 {_pct(lags, 0.99)}, worst {max(lags) if lags else None}; "
          f"{len(busy)} of {len(worker_stats)} client processes at > 90% of a core")
    print(f"non-reading clients dropped after (s): {report['non_reading_dropped']} "
          f"({', '.join(report['non_reading_verdicts'])})")
    print(f"slowloris clients dropped after (s): {report['slowloris_dropped']}")
    print(f"duplicated auth-token header answered with: {report['duplicate_token_answers']}")
    print(f"abrupt closes: {args.abrupt}, ended and logged by the server: {abrupt_logged}")
    print(f"server CPU {server_cpu:.1f} s over {wall:.0f} s wall ({server_cpu / wall:.0%} of one "
          f"core); client processes {clients_cpu:.1f} s ({clients_cpu / wall:.0%}); "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"server RSS MB: start {rss_start:.1f}, peak {rss_peak[0]:.1f}, end {rss_end:.1f}")
    if server.errors:
        print(f"server errors: {server.errors[:3]}")
    print(json.dumps(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**report, "server_fault_calls": faults,
                       "caller_side_calls": verdicts["caller_side"],
                       "client_behind_calls": verdicts["client_behind"],
                       "loss_count_mismatches": verdicts["mismatches"]}, f, indent=1)
    hostile_failed = (any(v == "never dropped" for v in report["non_reading_verdicts"])
                      or any(h.get("close_code") != 1008 and " 101 " in h.get("status", " 101 ")
                             for h in hostile_ok if h["id"].startswith("duptoken")))
    return 1 if faults or server.errors or hostile_failed else 0


def _pause_clients(workers: list[subprocess.Popen], after: float, seconds: float) -> None:
    """Stop every client process for ``seconds`` (SIGSTOP, then SIGCONT),
    ``after`` seconds from now: about when the calls send ``stop`` and the
    server closes them.  A load generator that falls behind, made on
    purpose and without burning CPU."""
    import signal
    time.sleep(after)
    for proc in workers:
        proc.send_signal(signal.SIGSTOP)
    time.sleep(seconds)
    for proc in workers:
        proc.send_signal(signal.SIGCONT)


def judge(calls: list[dict], summaries: dict[str, dict], warnings: dict[str, list[str]],
          stall_s: float) -> dict:
    """Sort each healthy call into: fine, a server fault (what the server
    did: frames not delivered, a close other than 1000 in its log, no log of
    the call), a caller-side anomaly (the caller saw a bad close or timed out
    while the server logged 1000 and delivered every frame) or a call lost
    to a caller stalled over ``stall_s`` seconds."""
    out: dict[str, Any] = {"server_faults": [], "caller_side": [], "client_behind": [],
                           "mismatches": [], "per_codec": {}, "frames_lost": 0, "too_late": 0,
                           "missing_log": 0}
    for c in calls:
        s = summaries.get(c["id"])
        stalled = (c.get("lag_max_ms") or 0) >= stall_s * 1000
        caller_ok = "error" not in c and c.get("close") == 1000 and not any(
            "did not finish" in e for e in c.get("errors", []))
        detail = {**c, "server": s, "server_warnings": warnings.get(c["id"])}
        if s is None:
            out["missing_log"] += 1
            if stalled:
                out["client_behind"].append({**detail, "why": "never reached the server"})
            else:
                out["server_faults"].append({**detail, "fault": "no server log of the call"})
            continue
        if "frames" not in c:                   # the caller failed after the server saw it
            c = {**c, "frames": 0, "withheld": 0, "withheld_unseen": 0}
        delivered = int(s["received"]) - int(s["duplicate"]) - int(s["too_late"]) - int(s["bad"])
        out["too_late"] += int(s["too_late"])
        lost = max(c["frames"] - c["withheld"] - delivered, 0) if c["frames"] else 0
        out["frames_lost"] += lost
        codec = out["per_codec"].setdefault(c["codec"], [0, 0])
        codec[0] += 1
        codec[1] += lost
        if c["frames"] and int(s["lost"]) != c["withheld"] - c["withheld_unseen"]:
            out["mismatches"].append(detail)
        if lost:
            out["server_faults"].append({**detail, "fault": "frames not delivered"})
        elif s["close"] != "1000":
            if stalled:
                out["client_behind"].append({**detail, "why": f"server closed {s['close']}"})
            else:
                out["server_faults"].append({**detail, "fault": f"server closed {s['close']}"})
        elif not caller_ok:
            anomaly = ("caller error" if "error" in c else
                       "caller timed out" if c.get("close") == 1000 else
                       f"caller saw close {c.get('close')}")
            out["caller_side"].append({**detail, "anomaly": anomaly})
    return out


def _socket_buffers() -> int:
    """Bytes a server can write to a peer that reads nothing before its own
    writes back up: the most the kernel's send buffer may grow to, plus the
    non-reading client's small receive buffer and some slack."""
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as f:
            wmem = int(f.read().split()[2])
    except (OSError, ValueError, IndexError):
        wmem = 4 << 20
    return wmem + (256 << 10)


def _non_reading_verdict(h: dict, summaries: dict[str, dict]) -> str:
    """Whether the server failing to drop a non-reading client is its fault:
    only once it has written more than the socket buffers could hold."""
    if h["dropped_after"] is not None:
        return "dropped"
    sent = (summaries.get(h["id"]) or {}).get("bytes_out")
    if sent is None:
        return "inconclusive (no server log)"
    if sent <= _socket_buffers():
        return f"inconclusive (the server wrote {sent >> 10} KiB, the socket buffers hold it)"
    return "never dropped"


def _count(items: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _pct(values: list[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


class Progress:
    """A tqdm bar of finished calls on stderr when it is a terminal (and
    tqdm is installed); nothing otherwise."""

    def __init__(self, total: int):
        self._bar = None
        if sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, unit="call", desc="soak", file=sys.stderr)
        self._lock = threading.Lock()

    def update(self) -> None:
        if self._bar is not None:
            with self._lock:
                self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


if __name__ == "__main__":
    sys.exit(main())
