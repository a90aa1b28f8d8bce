"""Speech quality under packet loss, for every codec: PESQ (ITU-T P.862,
narrowband for PCMU/PCMA at 8 kHz, wideband for the 16 kHz codecs) of real
speech (espeak-ng, or ``--file``) sent as 20 ms payloads, with 0..10 % of
them lost at random or in bursts (Gilbert-Elliott, mean burst 2.5 frames),
received three ways:

* streamcodec: the decoder's default concealment (G.711 Appendix I for
  PCMU/PCMA/L16, the codec's own for G722/AMR-WB, libopus's PLC for OPUS,
  deep PLC where libopus is built with it; OPUS also shows the classic PLC,
  decoder complexity 0, for comparison);
* silence: ``concealment="silence"``, zeros in place of each lost frame;
* gap dropped: what pipecat's stock serializer delivers; it ignores sequence
  numbers, so a lost frame is simply missing and the audio comes out shorter
  (PCMU/PCMA through pipecat's own TelnyxFrameSerializer when pipecat is
  installed; it refuses the other codecs, which are shown as if dropped the
  same way).  Scored as heard, against the full-length original.

Each figure is the mean over ``--seeds`` loss patterns.  Also the CPU time
per concealed 20 ms frame of each concealment.

Run:  python bench/compare_loss.py [--file speech.wav] [--seeds 3] [--out DIR]
      python bench/compare_loss.py --opus-defaults   # the OPUS encoder sweep
``--out`` writes loss.md (the tables) and loss.png (the plot).  Through
bench/report.py (``rows``) it gives the 5 % loss figures against silence.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import shutil
import subprocess
import sys
import time
import types
import wave

import numpy as np

import streamcodec as sc

FRAME_MS = 20
LOSSES = (0, 1, 3, 5, 10)
PATTERNS = ("random", "bursty")
MEAN_BURST = 2.5
#: codec -> (rate it runs at here, PESQ mode)
CODECS = {"PCMU": (8000, "nb"), "PCMA": (8000, "nb"), "G722": (16000, "wb"),
          "OPUS": (16000, "wb"), "AMR-WB": (16000, "wb"), "L16": (16000, "wb")}
SENTENCES = [
    ("en-us", "Thank you for calling. Your appointment is confirmed for Tuesday at three thirty."),
    ("en-gb", "Please say or enter your account number, followed by the pound key."),
    ("en-us+f3", "I'm sorry, I didn't catch that. Could you repeat the last four digits?"),
    ("en-us+m3", "The quick brown fox jumps over the lazy dog, and then it runs away."),
]


def _wav_pcm(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as w:
        if w.getsampwidth() != 2:
            raise SystemExit("--file must be 16-bit PCM WAV")
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16)
        if w.getnchannels() > 1:
            pcm = pcm.reshape(-1, w.getnchannels())[:, 0].copy()
        return pcm, w.getframerate()


def speech(path: str | None = None) -> np.ndarray:
    """16 kHz int16 speech: the WAV at ``path``, or espeak-ng's voices
    reading a few sentences with short pauses (about 17 s)."""
    if path:
        with open(path, "rb") as f:
            pcm, rate = _wav_pcm(f.read())
        parts = [np.frombuffer(sc.resample(pcm.tobytes(), rate, 16000), np.int16)]
    else:
        if not shutil.which("espeak-ng"):
            raise SystemExit("espeak-ng is not installed (apt-get install espeak-ng), "
                             "or give --file speech.wav")
        parts = []
        for voice, text in SENTENCES:
            wav = subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], check=True,
                                 capture_output=True).stdout
            pcm, rate = _wav_pcm(wav)
            parts += [np.frombuffer(sc.resample(pcm.tobytes(), rate, 16000), np.int16),
                      np.zeros(3200, np.int16)]
    pcm = np.concatenate(parts)
    return pcm[:len(pcm) // 320 * 320]


def loss_pattern(frames: int, percent: float, pattern: str, rng) -> np.ndarray:
    """Which frames are lost: independently (random), or by a two-state
    Gilbert-Elliott chain that loses every frame in its bad state and none in
    its good one, staying bad MEAN_BURST frames on average (bursty)."""
    p = percent / 100
    if p == 0:
        return np.zeros(frames, bool)
    if pattern == "random":
        return rng.random(frames) < p
    leave_bad = 1 / MEAN_BURST
    enter_bad = p * leave_bad / (1 - p)   # stationary loss = p
    lost, bad = np.zeros(frames, bool), False
    for i, u in enumerate(rng.random(frames)):
        bad = u >= leave_bad if bad else u < enter_bad
        lost[i] = bad
    return lost


def _pipecat_serializer(codec: str, rate: int):
    """pipecat's own Telnyx serializer for PCMU/PCMA, or None."""
    try:
        from pipecat.serializers.telnyx import TelnyxFrameSerializer
    except ImportError:
        return None
    s = TelnyxFrameSerializer("S", codec, codec,
                              params=TelnyxFrameSerializer.InputParams(auto_hang_up=False))
    asyncio.run(s.setup(types.SimpleNamespace(audio_in_sample_rate=rate)))
    return s


def receive(codec: str, rate: int, payloads: list[bytes], lost: np.ndarray, method: str):
    """(PCM as heard, CPU seconds spent concealing, frames concealed)."""
    frame = rate * FRAME_MS // 1000
    if method == "gap dropped":
        kept = [p for p, gone in zip(payloads, lost) if not gone]
        serializer = _pipecat_serializer(codec, rate) if codec in ("PCMU", "PCMA") else None
        if serializer is not None:
            async def run() -> bytes:
                out = b""
                for p in kept:
                    msg = json.dumps({"event": "media", "media": {
                        "track": "inbound", "payload": base64.b64encode(p).decode()}})
                    f = await serializer.deserialize(msg)
                    out += f.audio if f is not None else b""
                return out
            return asyncio.run(run()), 0.0, 0
        d = sc.Decoder(codec, rate=rate)
        return b"".join(d.decode(p) for p in kept), 0.0, 0
    options = {"silence": {"concealment": "silence"}, "classic PLC": {"complexity": 0}}
    d = sc.Decoder(codec, rate=rate, **options.get(method, {}))
    out, spent, count = [], 0.0, 0
    for p, gone in zip(payloads, lost):
        if gone:
            t = time.process_time()
            out.append(d.conceal(frame))
            spent += time.process_time() - t
            count += 1
        else:
            out.append(d.decode(p))
    return b"".join(out), spent, count


def score(ref: np.ndarray, heard: bytes, rate: int, mode: str) -> float:
    from pesq import PesqError, pesq
    deg = np.frombuffer(heard, np.int16).astype(np.float64)
    value = pesq(rate, ref.astype(np.float64), deg, mode, on_error=PesqError.RETURN_VALUES)
    return float("nan") if value < 0 else float(value)


def methods_for(codec: str) -> list[str]:
    return ["streamcodec", "silence", "gap dropped"] + (["classic PLC"] if codec == "OPUS" else [])


def measure(pcm16: np.ndarray, seeds: int, codecs=CODECS, losses=LOSSES, progress=True):
    """{(codec, pattern, method, loss): PESQ} and {(codec, method): us per concealed frame}."""
    results: dict = {}
    cpu: dict = {}
    for codec, (rate, mode) in codecs.items():
        ref = pcm16 if rate == 16000 else np.frombuffer(sc.resample(pcm16.tobytes(), 16000, rate),
                                                         np.int16)
        payloads = sc.Encoder(codec, rate=rate).packetize(ref.tobytes())
        for pattern in PATTERNS:
            for loss in losses:
                runs = 1 if loss == 0 else seeds
                for method in methods_for(codec):
                    values = []
                    for seed in range(runs):
                        rng = np.random.default_rng(1000 * seed + int(loss * 10))
                        lost = loss_pattern(len(payloads), loss, pattern, rng)
                        heard, spent, count = receive(codec, rate, payloads, lost, method)
                        values.append(score(ref, heard, rate, mode))
                        if count and method != "gap dropped":
                            total = cpu.setdefault((codec, method), [0.0, 0])
                            total[0] += spent
                            total[1] += count
                    results[(codec, pattern, method, loss)] = float(np.nanmean(values))
            if progress:
                print(f"  {codec} {pattern} done", file=sys.stderr, flush=True)
    per_frame = {k: v[0] / v[1] * 1e6 for k, v in cpu.items()}
    return results, per_frame


def tables(results: dict, per_frame: dict, codecs=CODECS, losses=LOSSES) -> str:
    lines = ["| codec (PESQ) | loss | method | " + " | ".join(f"{x:g} %" for x in losses) + " |",
             "|---|---|---|" + "---|" * len(losses)]
    for codec, (rate, mode) in codecs.items():
        for pattern in PATTERNS:
            for method in methods_for(codec):
                cells = [f"{results[(codec, pattern, method, x)]:.2f}" for x in losses]
                lines.append(f"| {codec} ({mode.upper()}) | {pattern} | {method} | "
                             + " | ".join(cells) + " |")
    lines += ["", "CPU per concealed 20 ms frame (us, process time; `silence` is the "
              "call overhead of a concealment that computes nothing):", "",
              "| codec | " + " | ".join(m for m in ("streamcodec", "classic PLC", "silence")) + " |",
              "|---|---|---|---|"]
    for codec in codecs:
        cells = [f"{per_frame[(codec, m)]:.1f}" if (codec, m) in per_frame else "-"
                 for m in ("streamcodec", "classic PLC", "silence")]
        lines.append(f"| {codec} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results: dict, path: str, title_source: str, codecs=CODECS, losses=LOSSES) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 3, figsize=(12, 7), sharex=True)
    colors = {"streamcodec": "tab:blue", "classic PLC": "tab:purple", "silence": "tab:orange",
              "gap dropped": "tab:red"}
    for ax, (codec, (rate, mode)) in zip(axes.flat, codecs.items()):
        for method in methods_for(codec):
            for pattern, style in (("random", "-"), ("bursty", "--")):
                ax.plot(losses, [results[(codec, pattern, method, x)] for x in losses],
                        style, marker="o", markersize=3, color=colors[method],
                        label=f"{method}, {pattern}")
        ax.set_title(f"{codec} ({rate // 1000} kHz)")
        ax.set_xlabel("frames lost (%)")
        ax.set_ylabel(f"PESQ-{mode.upper()} (MOS-LQO)")
        ax.set_ylim(1, 4.7)
        ax.grid(alpha=0.3)
    handles, labels = axes.flat[3].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
    fig.suptitle(f"Speech quality vs packet loss, 20 ms frames ({title_source}); "
                 "solid: random loss, dashed: bursty (mean burst 2.5 frames)", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 0.96))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    from PIL import Image   # matplotlib's own dependency
    # a 64-colour palette: a quarter of the bytes, the same picture
    Image.open(buf).convert("RGB").quantize(colors=64).save(path, optimize=True)


def opus_defaults(pcm16: np.ndarray) -> str:
    """PESQ-WB and CPU of OPUS encoder settings at 16 kHz, and opuslib at
    24 kbit/s (its libopus's default complexity, 9)."""
    lines = ["| encoder | kbit/s (measured) | PESQ-WB | CPU us per 20 ms frame |", "|---|---|---|---|"]

    def row(name, packets, decode, seconds):
        heard = b"".join(decode(p) for p in packets)
        rate = sum(map(len, packets)) * 8 / (len(pcm16) / 16000) / 1000
        lines.append(f"| {name} | {rate:.1f} | {score(pcm16, heard, 16000, 'wb'):.2f} | "
                     f"{seconds / len(packets) * 1e6:.0f} |")

    try:
        import opuslib
        enc = opuslib.Encoder(16000, 1, "voip")
        enc.bitrate = 24000
        t = time.process_time()
        packets = [enc.encode(pcm16[i:i + 320].tobytes(), 320) for i in range(0, len(pcm16), 320)]
        spent = time.process_time() - t
        dec = opuslib.Decoder(16000, 1)
        row("opuslib, 24 kbit/s", packets, lambda p: dec.decode(p, 320), spent)
    except ImportError:
        lines.append("| opuslib, 24 kbit/s | (opuslib not installed) | | |")
    for bitrate, complexity in ((0, None), (24000, 5), (24000, 9), (28000, 6), (32000, 5),
                                (32000, 9)):
        opts = {"bitrate": bitrate} if bitrate else {}
        if complexity is not None:
            opts["complexity"] = complexity
        enc = sc.Encoder("OPUS", rate=16000, **opts)
        t = time.process_time()
        packets = enc.packetize(pcm16.tobytes())
        spent = time.process_time() - t
        dec = sc.Decoder("OPUS", rate=16000)
        name = f"streamcodec {opts or 'default'}"
        row(name, packets, dec.decode, spent)
    return "\n".join(lines)


def rows(quick: bool):
    """bench/report.py: PESQ at 5 % random loss, streamcodec's default
    concealment against silence insertion."""
    from report import Row
    pcm = speech()
    if quick:
        pcm = pcm[:16000 * 6]
    codecs = {k: v for k, v in CODECS.items() if sc.codec_info(k).available}
    results, _ = measure(pcm, 1 if quick else 2, codecs=codecs, losses=(5,), progress=False)
    return [Row("PESQ, espeak-ng speech, 5 % random loss (20 ms frames)", codec,
                "silence insertion", results[(codec, "random", "silence", 5)],
                results[(codec, "random", "streamcodec", 5)], "MOS-LQO")
            for codec in codecs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", help="16-bit PCM WAV of speech to use instead of espeak-ng")
    parser.add_argument("--seeds", type=int, default=3, help="loss patterns per figure")
    parser.add_argument("--out", help="directory for loss.md and loss.png")
    parser.add_argument("--opus-defaults", action="store_true",
                        help="only the OPUS encoder settings sweep")
    args = parser.parse_args(argv)
    pcm = speech(args.file)
    source = os.path.basename(args.file) if args.file else "espeak-ng speech"
    print(f"{len(pcm) / 16000:.1f} s of {source}; streamcodec {sc.__version__}", flush=True)
    if args.opus_defaults:
        print(opus_defaults(pcm))
        return 0
    codecs = {k: v for k, v in CODECS.items() if sc.codec_info(k).available}
    results, per_frame = measure(pcm, args.seeds, codecs=codecs)
    text = tables(results, per_frame, codecs=codecs)
    print(text)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "loss.md"), "w") as f:
            f.write(f"{len(pcm) / 16000:.1f} s of {source}, mean of {args.seeds} loss patterns"
                    f" per figure.\n\n{text}\n")
        plot(results, os.path.join(args.out, "loss.png"), source, codecs=codecs)
        print(f"wrote {args.out}/loss.md and loss.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
