"""CPU per concurrent call through an echo server on loopback, and where it
goes: streamcodec's reference server (StreamServer, MediaStream) against
the same echo written on plain ``websockets`` with the per-message path of
DESIGN.md (json + base64 + audioop + soxr VHQ).

Each server runs alone in its own process (bench/server_worker.py) on
127.0.0.1; this process places N simulated PCMU calls at real-time pace
(streamcodec.simulate) against it.  The server process's CPU time over the
calls, divided by calls x seconds of audio, is the figure; the codec path's
own CPU (thread time around MediaStream.feed/play, or around the peer's
json/base64/audioop/soxr calls) gives its share, and the rest is the
WebSocket library, asyncio and the application.  A third run of our server
under cProfile splits its own time by package (cProfile inflates Python
code more than C calls; the unprofiled split is the one to quote).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from report import Row

HERE = os.path.dirname(os.path.abspath(__file__))


def _serve_and_call(kind: str, calls: int, seconds: float, profile: bool = False) -> dict:
    from streamcodec.simulate import simulate_call

    args = [sys.executable, os.path.join(HERE, "server_worker.py"), kind, str(calls)]
    if profile:
        args.append("--profile")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if line.startswith("{"):               # the worker cannot run this kind
            return json.loads(line)
        if not line.startswith("PORT"):
            out, err = proc.communicate(timeout=10)
            raise RuntimeError(f"{kind} server did not start: {line}{out}{err}")
        url = f"ws://127.0.0.1:{int(line.split()[1])}"

        async def place_calls():
            return await asyncio.gather(*(
                simulate_call(url, codec="PCMU", seconds=seconds, realtime=True, seed=i,
                              playback_codec="PCMU", linger_idle=0.3, timeout=60 + 2 * seconds)
                for i in range(calls)))

        results = asyncio.run(asyncio.wait_for(place_calls(), 120 + 3 * seconds))
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    report = json.loads(out.strip().splitlines()[-1])
    report["heard"] = sum(r.received_media for r in results)
    report["sent"] = sum(r.sent for r in results)
    report["closed_ok"] = all(r.close_code == 1000 for r in results)
    return report


def rows(quick: bool) -> list[Row]:
    calls, seconds = (20, 3.0) if quick else (50, 10.0)
    group = f"Echo server, {calls} concurrent PCMU calls x {seconds:g} s, real time, loopback"
    call_seconds = calls * seconds
    ours = _serve_and_call("streamcodec", calls, seconds)
    peer = _serve_and_call("peer", calls, seconds)
    out = []
    peer_name = f"ws+json+audioop+{'soxr' if peer.get('resampler', '').startswith('soxr') else 'ratecv'}"
    if "error" in peer:
        peer = None
    per_call = lambda r: 1000 * r["cpu_s"] / call_seconds       # ms of CPU per call-second
    codec_per_call = lambda r: r["codec_ns"] / 1e6 / call_seconds
    out.append(Row(group, "server CPU per call", peer_name,
                   per_call(peer) if peer else None, per_call(ours), "ms CPU/call-s",
                   higher_is_better=False,
                   note=f"ours: {ours['messages_in']} msgs in, {ours['messages_out']} out, "
                        f"{ours['lost']} lost"))
    out.append(Row(group, "codec path CPU per call", peer_name,
                   codec_per_call(peer) if peer else None, codec_per_call(ours),
                   "ms CPU/call-s", higher_is_better=False,
                   note="ours: MediaStream.feed + play; peer: json+base64+audioop+soxr"))
    out.append(Row(group, "per message, codec path", peer_name,
                   peer["codec_ns"] / 1000 / (peer["messages_in"] + peer["messages_out"])
                   if peer else None,
                   ours["codec_ns"] / 1000 / (ours["messages_in"] + ours["messages_out"]),
                   "us/msg", higher_is_better=False))
    share = lambda r: 100 * r["codec_ns"] / 1e9 / r["cpu_s"]
    out.append(Row(group, "codec path share of server CPU", peer_name, None, None, "%",
                   note=f"ours {share(ours):.0f}% in streamcodec, {100 - share(ours):.0f}% "
                        f"websockets+asyncio+app"
                        + (f"; peer {share(peer):.0f}% in json/base64/audioop/soxr" if peer else "")))
    profiled = _serve_and_call("streamcodec", calls, seconds, profile=True)
    parts = ", ".join(f"{k} {v:.0f}%" for k, v in profiled["profile"].items() if v >= 1)
    out.append(Row(group, "cProfile own time, ours", "-", None, None, "%", note=parts))
    return out


if __name__ == "__main__":
    from report import print_rows
    print_rows(rows("--quick" in sys.argv))
