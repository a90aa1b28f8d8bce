"""The zig-built wheel against the gcc source build: the same figures, side by
side, measured in one run on the same machine.

Builds (each into its own virtual environment under WORKDIR):

- ``gcc``: ``pip install`` of this checkout compiled by the system's gcc and
  linked to the codec libraries that ``scripts/build-codec-libs.sh`` builds
  with gcc (the same pinned versions as the wheel's), so the Opus and AMR-WB
  rows compare compilers, not library versions;
- ``gcc-debian`` (``--debian``): ``pip install`` against Debian's shared codec
  libraries (older libopus and vo-amrwbenc), what a source install on Debian
  gets;
- ``wheel``: the file ``bash scripts/build-wheel.sh`` makes (zig cc).

Figures (the table of issue 19): ``sc.resample`` of 60 s of noise 8k -> 16k
in one call, PCMU bulk decode / encode of 60 s in one call, G.722 bulk
encode / decode of 60 s, both in input samples per second (M/s); one 20 ms
``Decoder("PCMU", rate=16000).decode`` and one 20 ms
``Resampler(8000, 16000).process`` in ns; 20 ms of Opus decode / encode and
AMR-WB encode in us.  Each figure is the best of several timed repeats, and
the builds are measured in alternation (``--rounds``), keeping each
build's best: the figures least disturbed by a shared machine.  The last
column is wheel / gcc (for rates, > 1 is the wheel faster; for times, < 1).

Then, per SIMD level, whether the two builds give the same bits: a digest
of G.711, G.722, L16 and resampler (int16 and float32) outputs at every level
each build can run, and of the Opus and AMR-WB payloads encoded from speech,
clipped speech and silence, and of the Opus decoder's output of those
with a fifth of the packets lost.

With ``--callgrind``, the same figures again as instruction counts under
valgrind (per input sample for the bulk rows, per call for the others),
which a loaded machine does not disturb.

Run:  python bench/compare_builds.py [--workdir DIR] [--debian] [--rounds N] [--callgrind]
(first run: a few minutes to build; STREAMCODEC_CACHE keeps the codec
libraries and the wheel between runs).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

#: (key, label, unit, higher is better)
FIGURES = [
    ("resample", "sc.resample 60 s noise 8k->16k, one call", "M samples/s", True),
    ("pcmu_decode", "PCMU bulk decode, 60 s, one call", "M samples/s", True),
    ("pcmu_encode", "PCMU bulk encode, 60 s, one call", "M samples/s", True),
    ("g722_encode", "G.722 bulk encode, 60 s", "M samples/s", True),
    ("g722_decode", "G.722 bulk decode, 60 s", "M samples/s", True),
    ("pcmu16k_call", "20 ms Decoder('PCMU', rate=16000).decode", "ns", False),
    ("resampler_call", "20 ms Resampler(8000, 16000).process", "ns", False),
    ("opus_decode", "Opus decode 20 ms", "us", False),
    ("opus_encode", "Opus encode 20 ms", "us", False),
    ("amrwb_encode", "AMR-WB encode 20 ms", "us", False),
]

# Runs inside each build's venv; prints one JSON object.
CHILD = r'''
import hashlib, json, sys, timeit
import numpy as np
import streamcodec as sc
from streamcodec import _simd

def best(fn, number, repeat):
    fn()
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number

mode = sys.argv[1]
rng = np.random.default_rng(1)
if mode in ("time", "count"):
    repeat = int(sys.argv[2]) if mode == "time" else 0
    n8, n16 = 60 * 8000, 60 * 16000
    if mode == "count":
        # under callgrind: each call n times between two markers (os.getppid,
        # whose libc entry callgrind dumps before), after one warm-up call;
        # the parent turns the parts into instructions per unit
        import os
        NUMBERS = []
        def best(fn, number, repeat):
            number = max(1, number // 40)
            NUMBERS.append(number)
            fn()
            os.getppid()
            for _ in range(number):
                fn()
            os.getppid()
            return 1.0
    noise8 = rng.integers(-16384, 16384, n8, dtype=np.int16)
    noise16 = rng.integers(-16384, 16384, n16, dtype=np.int16)
    ulaw = sc.Encoder("PCMU").encode(noise8)
    g722 = sc.Encoder("G722").encode(noise16)
    frame_u = ulaw[:160]
    frame_pcm = noise8[:160].tobytes()
    speech = (np.sin(np.arange(320) * 0.07) * 8000).astype(np.int16).tobytes()
    out = {}
    out["resample"] = n8 / best(lambda: sc.resample(noise8, 8000, 16000), 1, repeat) / 1e6
    dec, enc = sc.Decoder("PCMU"), sc.Encoder("PCMU")
    out["pcmu_decode"] = n8 / best(lambda: dec.decode(ulaw), 5, repeat) / 1e6
    out["pcmu_encode"] = n8 / best(lambda: enc.encode(noise8), 5, repeat) / 1e6
    genc, gdec = sc.Encoder("G722"), sc.Decoder("G722")
    out["g722_encode"] = n16 / best(lambda: genc.encode(noise16), 1, repeat) / 1e6
    out["g722_decode"] = n16 / best(lambda: gdec.decode(g722), 1, repeat) / 1e6
    d16 = sc.Decoder("PCMU", rate=16000)
    out["pcmu16k_call"] = best(lambda: d16.decode(frame_u), 20000, repeat) * 1e9
    r = sc.Resampler(8000, 16000)
    out["resampler_call"] = best(lambda: r.process(frame_pcm), 20000, repeat) * 1e9
    codecs = sc.codecs()
    if codecs["OPUS"].available:
        oenc, odec = sc.Encoder("OPUS", rate=16000), sc.Decoder("OPUS", rate=16000)
        packets = [oenc.encode(speech) for _ in range(50)]
        it = iter(range(10 ** 9))
        out["opus_decode"] = best(lambda: odec.decode(packets[next(it) % 50]), 500, repeat) * 1e6
        out["opus_encode"] = best(lambda: oenc.encode(speech), 200, repeat) * 1e6
    if codecs["AMR-WB"].available:
        aenc = sc.Encoder("AMR-WB")
        out["amrwb_encode"] = best(lambda: aenc.encode(speech), 200, repeat) * 1e6
    if mode == "count":
        out = {"keys": list(out), "numbers": NUMBERS}
    print(json.dumps(out))
else:
    def digest(chunks):
        h = hashlib.sha256()
        for c in chunks:
            h.update(bytes(c) if not isinstance(c, np.ndarray) else c.tobytes())
        return h.hexdigest()[:16]
    t = np.arange(3 * 16000) / 16000
    voiced = np.sin(2 * np.pi * 140 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    speech16 = (voiced * 9000 + rng.normal(0, 600, len(t))).astype(np.int16)
    clipped16 = np.clip(speech16.astype(np.int32) * 8, -32768, 32767).astype(np.int16)
    silence_then16 = np.concatenate([np.zeros(16000, np.int16), speech16[:16000]])
    noise = rng.integers(-32768, 32768, 48000, dtype=np.int16)
    info = sc.simd_info()
    out = {"info": str(info), "levels": {}}
    for level in info.levels[: info.levels.index(info.detected) + 1]:
        _simd._select(level)
        d = {}
        d["g711"] = digest([sc.Encoder(c).encode(noise) for c in ("PCMU", "PCMA", "L16")]
                           + [sc.Decoder(c).decode(bytes(range(256)) * 4) for c in ("PCMU", "PCMA")])
        g = sc.Encoder("G722").encode(noise)
        d["g722"] = digest([g, sc.Decoder("G722").decode(g)])
        res = []
        for a, b in ((8000, 16000), (16000, 8000), (8000, 24000), (44100, 48000)):
            res.append(sc.resample(noise[: a], a, b))
            res.append(sc.Resampler(a, b).process((noise[: a] / 32768).astype(np.float32)))
        d["resample"] = digest(res)
        out["levels"][level] = d
    _simd._select(_simd._REQUESTED)
    codecs = sc.codecs()
    enc = {}
    for name, pcm in (("speech", speech16), ("clipped", clipped16), ("silence", silence_then16)):
        if codecs["OPUS"].available:
            for rate in (16000, 48000):
                x = pcm if rate == 16000 else sc.resample(pcm, 16000, 48000)
                e = sc.Encoder("OPUS", rate=rate)
                packets = e.packetize(x) + e.flush()
                enc[f"opus {rate // 1000}k {name}"] = digest(packets)
                # decoded with every fifth packet lost (libopus's concealment)
                d, n = sc.Decoder("OPUS", rate=rate), rate // 50
                enc[f"opus {rate // 1000}k {name} decoded, 20 % lost"] = digest(
                    [d.conceal(n) if i % 5 == 4 else d.decode(p) for i, p in enumerate(packets)])
        if codecs["AMR-WB"].available:
            for mode_ in (0, 2, 8):
                e = sc.Encoder("AMR-WB", mode=mode_)
                enc[f"amr-wb mode {mode_} {name}"] = digest(e.packetize(pcm) + e.flush())
    out["encoders"] = enc
    print(json.dumps(out))
'''


def run(cmd, **kwargs) -> str:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{done.stdout[-2000:]}"
                         f"{done.stderr[-4000:]}")
    return done.stdout


def cache_dir() -> str:
    return os.environ.get("STREAMCODEC_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "streamcodec")


def clean_copy(dest: str) -> str:
    """A copy of the checkout's sources at dest, without build/ and venvs:
    setuptools reuses the objects in an in-tree build/ directory even when
    they were compiled against other codec headers (another prefix)."""
    import shutil
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        "build", ".venv*", ".git", "*.egg-info", "__pycache__", "dist", "demo-out"))
    return dest


def make_venv(path: str, install: list[str], env: dict | None = None) -> str:
    """A venv at path with numpy and `install` (pip arguments); its python."""
    python = os.path.join(path, "bin", "python")
    if not os.path.exists(python):
        run([sys.executable, "-m", "venv", path])
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run(pip + ["numpy"])
    run(pip + ["--force-reinstall", "--no-deps", "--no-cache-dir"] + install,
        env=dict(os.environ, **(env or {})))
    run(pip + install)  # its dependencies
    return python


def build_all(workdir: str, debian: bool) -> dict[str, str]:
    """{build name: its venv's python}."""
    builds = {}
    gcc_prefix = os.path.join(cache_dir(), "codec-libs", "gcc")
    print("building the codec libraries with gcc ...", file=sys.stderr, flush=True)
    run(["bash", os.path.join(ROOT, "scripts", "build-codec-libs.sh"), gcc_prefix],
        env=dict(os.environ, CC="gcc"))
    print("installing the gcc build ...", file=sys.stderr, flush=True)
    src = clean_copy(os.path.join(workdir, "src"))
    builds["gcc"] = make_venv(os.path.join(workdir, "gcc"), [src],
                              {"CC": "gcc", "STREAMCODEC_CODEC_PREFIX": gcc_prefix})
    if debian:
        print("installing the gcc build on Debian's libraries ...", file=sys.stderr, flush=True)
        src = clean_copy(os.path.join(workdir, "src"))
        builds["gcc-debian"] = make_venv(os.path.join(workdir, "gcc-debian"), [src],
                                         {"CC": "gcc", "STREAMCODEC_CODEC_PREFIX": "system"})
    print("building the wheel (zig cc) ...", file=sys.stderr, flush=True)
    wheelhouse = os.path.join(workdir, "wheelhouse")
    run(["bash", os.path.join(ROOT, "scripts", "build-wheel.sh"), wheelhouse])
    (wheel,) = glob.glob(os.path.join(wheelhouse, "streamcodec-*.whl"))
    builds["wheel"] = make_venv(os.path.join(workdir, "wheel"), [wheel])
    return builds


def child(python: str, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "STREAMCODEC_SIMD"}
    with tempfile.TemporaryDirectory() as cwd:  # never the checkout's sources
        return json.loads(run([python, "-c", CHILD, *args], env=env, cwd=cwd))


#: samples one call of each bulk figure processes
BULK_SAMPLES = {"resample": 60 * 8000, "pcmu_decode": 60 * 8000, "pcmu_encode": 60 * 8000,
                "g722_encode": 60 * 16000, "g722_decode": 60 * 16000}


def count(python: str) -> dict[str, float]:
    """Instructions (valgrind's callgrind) per input sample for the bulk
    figures and per call for the others; valgrind's CPU has AVX2 but not
    AVX-512, so these are the avx2 kernels."""
    import re
    env = {k: v for k, v in os.environ.items() if k != "STREAMCODEC_SIMD"}
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "cg.out")
        meta = json.loads(run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}",
                               "--dump-before=getppid", python, "-c", CHILD, "count"],
                              env=env, cwd=tmp))
        parts = {}
        for path in glob.glob(prefix + ".*"):
            with open(path) as f:
                text = f.read()
            part = int(re.search(r"^part: (\d+)", text, re.M).group(1))
            parts[part] = int(re.search(r"^summary: (\d+)", text, re.M).group(1))
    totals = [parts[k] for k in sorted(parts)]
    loops = totals[1::2]   # part 1: start-up; then per figure: its loop, the gap to the next
    out = {}
    for key, number, total in zip(meta["keys"], meta["numbers"], loops):
        out[key] = total / number / BULK_SAMPLES.get(key, 1)
    return out


def measure(builds: dict[str, str], rounds: int, repeat: int) -> dict[str, dict]:
    best: dict[str, dict] = {name: {} for name in builds}
    for r in range(rounds):
        for name, python in builds.items():
            print(f"round {r + 1}/{rounds}: {name} ...", file=sys.stderr, flush=True)
            for key, value in child(python, "time", str(repeat)).items():
                higher = next(f[3] for f in FIGURES if f[0] == key)
                old = best[name].get(key)
                if old is None or (value > old if higher else value < old):
                    best[name][key] = value
    return best


def fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="where the venvs go (default: a temporary directory)")
    parser.add_argument("--debian", action="store_true",
                        help="also the gcc build against Debian's codec libraries")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the builds")
    parser.add_argument("--repeat", type=int, default=5, help="timed repeats per figure")
    parser.add_argument("--callgrind", action="store_true",
                        help="also count instructions per figure under valgrind (AVX2 kernels)")
    args = parser.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="compare-builds-")
    builds = build_all(os.path.abspath(workdir), args.debian)
    results = measure(builds, args.rounds, args.repeat)
    bits = {name: child(python, "bits") for name, python in builds.items()}

    names = list(builds)
    for name in names:
        print(f"{name}: {bits[name]['info']}")
    print()
    header = f"{'figure':<44} {'unit':<12}" + "".join(f" {n:>11}" for n in names) + \
        f" {'wheel/gcc':>10}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for key, label, unit, higher in FIGURES:
        values = [results[n].get(key) for n in names]
        line = f"{label:<44} {unit:<12}" + "".join(f" {fmt(v):>11}" for v in values)
        g, w = results["gcc"].get(key), results["wheel"].get(key)
        if g and w:
            line += f" {w / g:9.2f}x"
            slower = g / w if higher else w / g   # > 1: the wheel is slower
            worst = max(worst, slower - 1)
        print(line)
    print(f"\nthe wheel is at most {100 * worst:.1f}% slower than the gcc build on any figure")

    if args.callgrind:
        counts = {name: count(python) for name, python in builds.items()}
        print("\ninstructions (callgrind; valgrind's CPU has no AVX-512: the avx2 kernels)")
        print(header.replace("unit        ", "unit        "))
        print("-" * len(header))
        for key, label, unit, _ in FIGURES:
            unit = "instr/sample" if key in BULK_SAMPLES else "instr/call"
            values = [counts[n].get(key) for n in names]
            line = f"{label:<44} {unit:<12}" + "".join(
                f" {'-' if v is None else f'{v:,.2f}' if v < 100 else f'{v:,.0f}':>11}"
                for v in values)
            g, w = counts["gcc"].get(key), counts["wheel"].get(key)
            if g and w:
                line += f" {w / g:9.2f}x"
            print(line)

    print("\nsame bits, wheel vs gcc (digests of outputs):")
    for level, digests in bits["gcc"]["levels"].items():
        other = bits["wheel"]["levels"].get(level, {})
        for family, value in digests.items():
            print(f"  {level:<9} {family:<9} {'same' if other.get(family) == value else 'DIFFERENT'}")
    for key, value in bits["gcc"]["encoders"].items():
        other = bits["wheel"]["encoders"].get(key)
        print(f"  {key:<32} {'same' if other == value else 'DIFFERENT'}")
    return 0


def rows(quick: bool) -> list:
    """bench/report.py collects rows from every compare_*.py: this comparison
    installs builds of its own and prints its own table (run it directly)."""
    return []


if __name__ == "__main__":
    sys.exit(main())
