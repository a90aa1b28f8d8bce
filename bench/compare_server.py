"""Server CPU per real-time call, measured as a user would: each server in
its own process, the load generator in another (bench/server_worker.py
load: picows client on uvloop, real-time pace), PCMU calls echoed back.

Servers, all in one run:

- the peer glue: plain websockets + json + base64 + audioop + soxr VHQ
  (DESIGN.md's per-message path), app at 16 kHz, PCMU 8 kHz back;
- ours: ``streamcodec serve`` (echo app at 16 kHz, PCMU 8 kHz playback,
  marks every second) on websockets, on picows + uvloop, under uvicorn
  (ASGI), and picows + uvloop with ``--workers 2`` (CPU of both workers);
  and picows + uvloop answering Twilio calls (the same load in Twilio's
  messages; ``--carrier auto`` tells them apart);
- the floor: a picows + uvloop echo that parses no JSON and copies the
  payload text into its reply.

Per server: CPU seconds of the server's processes (utime + stime from
/proc, children included) over the load, per call-second of audio; calls
per core (1000 / that); p50/p99 time from a media message sent to its echo
received; frames not echoed.  Linux only (/proc).

    python bench/compare_server.py [--quick] [--calls 100,300] [--seconds 10]
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

from report import Row

HERE = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")

#: name -> command line of the server process.
SERVERS = {
    "peer glue (ws+json+audioop+soxr)": [sys.executable, os.path.join(HERE, "server_worker.py"),
                                         "peer"],
    "ours, websockets": [sys.executable, "-m", "streamcodec", "serve", "--transport", "websockets",
                         "--loop", "asyncio"],
    "ours, picows + uvloop": [sys.executable, "-m", "streamcodec", "serve", "--transport",
                              "picows", "--loop", "uvloop"],
    "ours, uvicorn (ASGI)": [sys.executable, "-m", "streamcodec", "serve", "--transport", "asgi",
                             "--loop", "uvloop"],
    "ours, picows + uvloop, Twilio calls": [sys.executable, "-m", "streamcodec", "serve",
                                            "--transport", "picows", "--loop", "uvloop"],
    "ours, picows + uvloop, --workers 2": [sys.executable, "-m", "streamcodec", "serve",
                                           "--transport", "picows", "--loop", "uvloop",
                                           "--workers", "2"],
    "floor (picows+uvloop, no JSON)": [sys.executable, os.path.join(HERE, "server_worker.py"),
                                       "floor"],
}
SERVE_ARGS = ["--port", "0", "--rate", "16000", "--playback-codec", "PCMU",
              "--playback-rate", "8000", "--quiet"]


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    out = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            for child in f.read().split():
                out += _tree(int(child))
    except OSError:
        pass
    return out


def _cpu(pids: list[int]) -> float:
    """utime + stime of ``pids``, seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / TICK


def measure(name: str, calls: int, seconds: float) -> dict:
    """Start server ``name``, load it, stop it; the figures."""
    args = SERVERS[name] + (SERVE_ARGS if "streamcodec" in SERVERS[name] else [])
    # From bench/, not the checkout's root: ``-m streamcodec`` there would
    # import the source tree (no compiled core) instead of the installed package.
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=HERE)
    try:
        line = proc.stdout.readline()
        if line.startswith("{"):                       # the peer cannot run here
            return {"name": name, "error": json.loads(line).get("error")}
        m = re.search(r"PORT (\d+)|listening on ws://127\.0\.0\.1:(\d+)", line)
        if not m:
            return {"name": name, "error": f"did not start: {line.strip()!r}"}
        url = f"ws://127.0.0.1:{m.group(1) or m.group(2)}"
        time.sleep(0.5)                                # workers settle
        pids = _tree(proc.pid)
        cpu0, t0 = _cpu(pids), time.monotonic()
        carrier = "twilio" if "Twilio" in name else "telnyx"
        load = subprocess.run([sys.executable, os.path.join(HERE, "server_worker.py"), "load",
                               url, str(calls), str(seconds), carrier], cwd=HERE,
                              capture_output=True, text=True, timeout=seconds + 180)
        cpu = _cpu(pids) - cpu0
        wall = time.monotonic() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if load.returncode != 0:
        return {"name": name, "error": load.stderr.strip().splitlines()[-1:]}
    report = json.loads(load.stdout.strip().splitlines()[-1])
    report.update(name=name, cpu_s=cpu, wall_s=wall, processes=len(pids),
                  ms_per_call_s=1000 * cpu / (calls * seconds))
    report["calls_per_core"] = 1000 / report["ms_per_call_s"] if cpu > 0 else None
    return report


def run_all(calls_list: list[int], seconds: float, only: tuple[str, ...] = ()) -> list[dict]:
    """Each server (those whose name contains one of ``only``, when given)
    at each load in turn."""
    results = []
    names = [n for n in SERVERS if not only or any(o in n for o in only)]
    for calls in calls_list:
        for name in names:
            results.append(measure(name, calls, seconds))
            r = results[-1]
            if "error" in r:
                print(f"{calls:>4} calls  {name:<38} {r['error']}", file=sys.stderr, flush=True)
            else:
                print(f"{calls:>4} calls  {name:<38} {r['ms_per_call_s']:6.2f} ms CPU/call-s  "
                      f"{r['calls_per_core']:6.0f} calls/core  p50 {r['p50_ms']:6.1f} ms  "
                      f"p99 {r['p99_ms']:6.1f} ms  lost {r['lost']}/{r['sent']}  "
                      f"generator late p99 {r['send_late_p99_ms']:.1f} ms",
                      file=sys.stderr, flush=True)
    return results


def table(results: list[dict]) -> str:
    """The README's table: one line per server and load."""
    peer = {r["calls"]: r for r in results if r["name"].startswith("peer") and "error" not in r}
    lines = ["| calls | server | ms CPU per call-second | calls per core | vs peer glue "
             "| p50 / p99 echo latency | frames not echoed |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r.get('calls', '?')} | {r['name']} | {r['error']} | | | | |")
            continue
        base = peer.get(r["calls"])
        ratio = f"{base['ms_per_call_s'] / r['ms_per_call_s']:.2f}x" if base else "-"
        lines.append(f"| {r['calls']} | {r['name']} | {r['ms_per_call_s']:.2f} | "
                     f"{r['calls_per_core']:.0f} | {ratio} | {r['p50_ms']:.1f} / "
                     f"{r['p99_ms']:.1f} ms | {r['lost']} of {r['sent']} |")
    return "\n".join(lines)


def rows(quick: bool) -> list[Row]:
    """For bench/report.py: one row per server at one load."""
    calls, seconds = (20, 3.0) if quick else (100, 10.0)
    group = f"Echo server, {calls} real-time PCMU calls x {seconds:g} s, own process"
    results = run_all([calls], seconds)
    peer = next((r for r in results if r["name"].startswith("peer") and "error" not in r), None)
    out = []
    for r in results[1:]:
        if "error" in r:
            out.append(Row(group, r["name"], "peer glue", None, None, "ms CPU/call-s",
                           note=str(r["error"])))
            continue
        out.append(Row(group, r["name"], "peer glue", peer["ms_per_call_s"] if peer else None,
                       r["ms_per_call_s"], "ms CPU/call-s", higher_is_better=False,
                       note=f"p50/p99 {r['p50_ms']:.1f}/{r['p99_ms']:.1f} ms, "
                            f"{r['lost']} of {r['sent']} not echoed"))
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 calls x 3 s")
    parser.add_argument("--calls", default="100,300", help="concurrent calls, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="audio per call")
    parser.add_argument("--only", nargs="*", default=(),
                        help="just the servers whose name contains one of these words")
    args = parser.parse_args()
    if args.quick:
        calls_list, seconds = [20], 3.0
    else:
        calls_list, seconds = [int(c) for c in args.calls.split(",")], args.seconds
    print(table(run_all(calls_list, seconds, tuple(args.only))))
