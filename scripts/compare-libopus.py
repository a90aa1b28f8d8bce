"""Which libopus the wheel links: bookworm's 1.3.1 or trixie's 1.5.2.

Builds streamcodec's extension twice from this checkout, each against static
libraries from scripts/build-codec-libs.sh with one libopus version, and
measures, with the package's speech-like signal at 16 kHz, PESQ-WB
(ITU-T P.862.2, pip ``pesq``) of

- the clean round trip,
- 5 % random packet loss concealed by ``Decoder.conceal`` (libopus PLC),
- the same losses with in-band FEC (``fec=True``, ``Decoder.recover``).

Usage: .venv/bin/python scripts/compare-libopus.py  (a few minutes; the
library builds are cached under ~/.cache/streamcodec/compare-libopus)
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
CACHE = pathlib.Path(os.environ.get("STREAMCODEC_CACHE",
                                    pathlib.Path.home() / ".cache" / "streamcodec"))
VERSIONS = ("1.3.1", "1.5.2")

MEASURE = r"""
import json, sys
import numpy as np
from pesq import pesq
import streamcodec as sc
from streamcodec.signals import speech_like

RATE, FRAME, LOSS = 16000, 320, 0.05

def run(seed, loss, fec):
    ref = speech_like(seconds=8.0, rate=RATE, seed=seed)
    enc = sc.Encoder("OPUS", rate=RATE, fec=fec)
    packets = [enc.encode(ref[i:i + FRAME]) for i in range(0, len(ref), FRAME)]
    lost = np.random.default_rng(1000 + seed).random(len(packets)) < loss
    lost[0] = lost[-1] = False
    dec = sc.Decoder("OPUS", rate=RATE)
    out = []
    for i, packet in enumerate(packets):
        if not lost[i]:
            out.append(dec.decode(packet))
        elif fec and not lost[i + 1]:
            out.append(dec.recover(packets[i + 1]))
        else:
            out.append(dec.conceal(FRAME))
    deg = np.frombuffer(b"".join(out), dtype=np.int16)
    return pesq(RATE, ref.astype(np.float64), deg.astype(np.float64), "wb"), int(lost.sum())

seeds = range(5)
result = {"library": sc.__file__}
for name, loss, fec in (("clean", 0.0, False), ("loss5_plc", LOSS, False),
                        ("loss5_fec", LOSS, True)):
    scores = [run(s, loss, fec) for s in seeds]
    result[name] = sum(p for p, _ in scores) / len(scores)
    result[name + "_lost"] = sum(n for _, n in scores)
print(json.dumps(result))
"""


def build(version: str, work: pathlib.Path) -> pathlib.Path:
    prefix = CACHE / "compare-libopus" / f"opus-{version}"
    env = dict(os.environ, OPUS_VERSION_OVERRIDE="" if version == "1.5.2" else version)
    subprocess.run(["bash", str(ROOT / "scripts" / "build-codec-libs.sh"), str(prefix)],
                   env=env, check=True)
    # a copy of the checkout: setuptools' build/ must not be shared between builds
    src = work / f"src-{version}"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", "build", ".git", "*.so"))
    target = work / f"site-{version}"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", str(target), str(src)],
                   env=dict(os.environ, STREAMCODEC_CODEC_PREFIX=str(prefix)), check=True)
    return target


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = {}
        for version in VERSIONS:
            site = build(version, pathlib.Path(tmp))
            done = subprocess.run([sys.executable, "-c", MEASURE], cwd=tmp, check=True,
                                  env=dict(os.environ, PYTHONPATH=str(site)),
                                  capture_output=True, text=True)
            rows[version] = json.loads(done.stdout)
    print(f"{'libopus':8} {'PESQ-WB clean':>14} {'5% loss, PLC':>13} {'5% loss, FEC':>13}")
    for version, r in rows.items():
        print(f"{version:8} {r['clean']:14.3f} {r['loss5_plc']:13.3f} {r['loss5_fec']:13.3f}")
    lost = rows[VERSIONS[0]]["loss5_plc_lost"]
    print(f"(16 kHz speech_like, 5 signals x 8 s, {lost} of 2000 packets lost, "
          f"Encoder defaults: complexity 5, automatic bitrate)")


if __name__ == "__main__":
    main()
