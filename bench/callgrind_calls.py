"""Instructions per call, counted by valgrind's callgrind: streamcodec's
per-frame calls against audioop (the standard library's, or audioop-lts on
Python 3.13+) on the same 20 ms input, in the same process.

Instruction counts do not depend on what else the machine is doing, so this
is the figure to trust on a shared machine when timings are noisy.  Each
case runs N calls in a plain loop between two calls of a marker function
(os.getppid, whose libc entry ``getppid`` callgrind is told to dump on);
the count of the same loop around ``None`` is subtracted, so the figures
are the call alone: argument passing, the work, the result object.

Run:  python bench/callgrind_calls.py [--calls N]   (needs valgrind; ~1 min)
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

#: (case, peer's call, our call); names are bound in _namespace().
CASES = [
    ("mu-law decode 160 B: Decoder.decode", "audioop.ulaw2lin(ulaw, 2)", "dec_u.decode(ulaw)"),
    ("A-law decode 160 B: Decoder.decode", "audioop.alaw2lin(alaw, 2)", "dec_a.decode(alaw)"),
    ("mu-law encode 160: Encoder.encode", "audioop.lin2ulaw(pcm, 2)", "enc_u.encode(pcm)"),
    ("A-law encode 160: Encoder.encode", "audioop.lin2alaw(pcm, 2)", "enc_a.encode(pcm)"),
    ("mu-law decode_into bytearray", "audioop.ulaw2lin(ulaw, 2)", "dec_u.decode_into(ulaw, out16)"),
    ("A-law encode_into bytearray", "audioop.lin2alaw(pcm, 2)", "enc_a.encode_into(pcm, out8)"),
    ("drop-in ulaw2lin", "audioop.ulaw2lin(ulaw, 2)", "sa.ulaw2lin(ulaw, 2)"),
    ("drop-in alaw2lin", "audioop.alaw2lin(alaw, 2)", "sa.alaw2lin(alaw, 2)"),
    ("drop-in lin2ulaw", "audioop.lin2ulaw(pcm, 2)", "sa.lin2ulaw(pcm, 2)"),
    ("drop-in lin2alaw", "audioop.lin2alaw(pcm, 2)", "sa.lin2alaw(pcm, 2)"),
    ("transcode PCMU->PCMA (peer: 2 calls)", "audioop.lin2alaw(audioop.ulaw2lin(ulaw, 2), 2)",
     "transcode(ulaw, 'PCMU', 'PCMA')"),
    ("L16 decode 320 B (peer: byteswap)", "audioop.byteswap(l16, 2)", "dec_l.decode(l16)"),
    ("L16 encode 160 (peer: byteswap)", "audioop.byteswap(pcm, 2)", "enc_l.encode(pcm)"),
    # the per-call cut elsewhere: the same C function through the C-API
    # method against the cffi path the Python layer keeps for other inputs
    ("G.722 decode 20 ms (peer: cffi path)", "dec_g._decode_other(g722)", "dec_g.decode(g722)"),
    ("G.722 encode 20 ms (peer: cffi path)", "enc_g._encode_other(pcm16k)", "enc_g.encode(pcm16k)"),
    ("resample 8k->16k 20 ms (peer: cffi path)", "res._process_other(pcm)", "res.process(pcm)"),
]

BASELINE = "None"
MARKER = "getppid"


def _namespace() -> dict:
    import warnings

    import numpy as np

    import streamcodec as sc
    from streamcodec import audioop as sa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

    rng = np.random.default_rng(1)
    pcm = rng.integers(-32768, 32768, 160, dtype=np.int16).tobytes()
    pcm16k = rng.integers(-16384, 16384, 320, dtype=np.int16).tobytes()
    return dict(
        audioop=audioop, sa=sa, transcode=sc.transcode, pcm=pcm, pcm16k=pcm16k,
        ulaw=audioop.lin2ulaw(pcm, 2), alaw=audioop.lin2alaw(pcm, 2),
        l16=sc.Encoder("L16").encode(pcm), g722=sc.Encoder("G722").encode(pcm16k),
        dec_u=sc.Decoder("PCMU"), dec_a=sc.Decoder("PCMA"), dec_l=sc.Decoder("L16"),
        enc_u=sc.Encoder("PCMU"), enc_a=sc.Encoder("PCMA"), enc_l=sc.Encoder("L16"),
        dec_g=sc.Decoder("G722"), enc_g=sc.Encoder("G722"), res=sc.Resampler(8000, 16000),
        out16=bytearray(320), out8=bytearray(160),
    )


def _loop(expr: str, namespace: dict):
    code = f"def loop(n):\n    for _ in range(n):\n        {expr}\n"
    scope = dict(namespace)
    exec(code, scope)
    return scope["loop"]


def child(calls: int) -> None:
    """Runs under callgrind: marker, N calls, marker, for the baseline and
    each expression in CASES order (two parts per loop)."""
    namespace = _namespace()
    marker = os.getppid
    for expr in [BASELINE] + [e for _, peer, ours in CASES for e in (peer, ours)]:
        loop = _loop(expr, namespace)
        loop(200)  # warm up: specialisation, caches, lazy set-up
        marker()
        loop(calls)
        marker()


def _part_totals(prefix: str) -> list[int]:
    parts = {}
    for path in glob.glob(prefix + ".*"):
        with open(path) as f:
            text = f.read()
        part = int(re.search(r"^part: (\d+)", text, re.M).group(1))
        parts[part] = int(re.search(r"^summary: (\d+)", text, re.M).group(1))
    return [parts[k] for k in sorted(parts)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per loop (default 2000)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.calls)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "cg.out")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}",
               f"--dump-before={MARKER}", sys.executable, os.path.abspath(__file__),
               "--child", "--calls", str(args.calls)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        totals = _part_totals(prefix)
    # part 1 is start-up; then per loop: [its N calls], [the gap to the next marker]
    loops = totals[1::2]
    per_call = [t / args.calls for t in loops]
    base = per_call[0]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    peer_name = "audioop-lts" if "site-packages" in (getattr(audioop, "__file__", "") or "") \
        else "audioop (stdlib)"
    print(f"instructions per call (callgrind; loop overhead of {base:.0f} subtracted), "
          f"Python {sys.version.split()[0]}, peer {peer_name}")
    print(f"{'case':<42} {'peer':>9} {'ours':>9} {'ratio':>7}")
    for i, (case, _, _) in enumerate(CASES):
        peer, ours = per_call[1 + 2 * i] - base, per_call[2 + 2 * i] - base
        print(f"{case:<42} {peer:9.0f} {ours:9.0f} {peer / ours:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
