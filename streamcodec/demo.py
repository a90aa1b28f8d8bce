"""``streamcodec demo``: simulated phone calls through the reference server.

No network and no carrier account: the demo starts
:class:`~streamcodec.server.StreamServer` on 127.0.0.1 (an ephemeral port)
with an echo application, and for each codec this build has it places
simulated calls (:func:`~streamcodec.simulate.simulate_call`) the way Telnyx
would.  The caller says a few seconds of synthesized speech-like audio in
the codec; the application hears it decoded to 16 kHz and plays it back
handing PCM to the session at 8, 16 and 24 kHz (as text-to-speech engines
produce), which the session encodes in the call's playback codec.  The
caller decodes what it hears.

It prints a line per call while it runs and a table at the end: frames,
lost and concealed, microseconds of CPU per message in each direction,
round-trip SNR and PESQ (when the ``pesq`` package is installed), and
writes WAV files of what the application and the caller heard plus a PNG of
waveforms and spectrograms to the output folder.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from dataclasses import dataclass
from typing import Optional, Sequence, TextIO

import numpy as np

from . import codecs as _codecs
from .server import EchoApp, StreamServer, playback_from_parameters
from .signals import snr_db, speech_like
from .simulate import simulate_call, wire_rate
from .wavio import write_wav

__all__ = ["DemoRow", "run_demo", "main"]

APP_RATE = 16000
PLAY_RATES = (8000, 16000, 24000)
ORDER = ("PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16")


@dataclass
class DemoRow:
    """One simulated call of the demo."""

    codec: str
    play_rate: int
    """Rate of the PCM the application played."""
    in_wire: int
    out_wire: int
    frames_sent: int = 0
    frames_in: int = 0
    """Media events the application received (concealed ones included)."""
    lost: int = 0
    concealed: int = 0
    frames_out: int = 0
    """Media messages the caller received back."""
    us_in: float = 0.0
    us_out: float = 0.0
    marks: str = ""
    snr: Optional[float] = None
    pesq: Optional[float] = None
    pesq_mode: str = ""
    quality_rate: int = 0
    seconds: float = 0.0
    error: str = ""
    app_heard: Optional[np.ndarray] = None
    caller_heard: Optional[np.ndarray] = None

    @property
    def name(self) -> str:
        return f"{self.codec}_play{self.play_rate // 1000}k"


def _align(ref: np.ndarray, deg: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """``ref`` and ``deg`` with ``deg``'s delay (0..max_lag samples, found by
    FFT cross-correlation, refined to a fraction of a sample by parabolic
    interpolation) removed; float64, equal lengths.  Resamplers and codecs
    delay the audio by fractions of a sample at the analysis rate; left in,
    that misalignment would count as noise."""
    n = min(len(ref), len(deg))
    a_sig, b_sig = ref[:n].astype(np.float64), deg[:n].astype(np.float64)
    if n < 8:
        return a_sig, b_sig
    size = 1 << int(np.ceil(np.log2(2 * n)))
    a = np.fft.rfft(a_sig, size)
    b = np.fft.rfft(deg.astype(np.float64), size)
    corr = np.fft.irfft(np.conj(a) * b, size)[:max_lag + 2]
    lag = int(np.argmax(corr[:max_lag + 1]))
    frac = 0.0
    if 0 < lag <= max_lag:
        y0, y1, y2 = corr[lag - 1], corr[lag], corr[lag + 1]
        denom = y0 - 2 * y1 + y2
        if denom < 0:
            frac = float(np.clip(0.5 * (y0 - y2) / denom, -0.5, 0.5))
    # Advance deg by lag + frac samples: a linear phase in the frequency domain.
    freqs = np.fft.rfftfreq(size)
    shifted = np.fft.irfft(b * np.exp(2j * np.pi * freqs * (lag + frac)), size)
    m = min(n, len(deg) - lag)
    return a_sig[:m], shifted[:m]


def _quality(ref: np.ndarray, deg: np.ndarray, rate: int) -> tuple[float, Optional[float], str]:
    """SNR (best gain, delay removed) and PESQ of ``deg`` against ``ref``."""
    a, b = _align(ref, deg, max_lag=rate // 10)
    edge = rate // 50              # skip 20 ms at each end (filter edges)
    snr = snr_db(a[edge:-edge], b[edge:-edge])
    try:
        from pesq import pesq as _pesq
    except ImportError:
        return snr, None, ""
    mode = "nb" if rate == 8000 else "wb"
    try:
        score: Optional[float] = float(_pesq(rate, a, b, mode))
    except Exception:  # silence or too short for PESQ
        score = None
    return snr, score, mode


def format_table(rows: Sequence[DemoRow]) -> str:
    """The final table as text."""
    head = (f"{'codec':<7} {'app plays':>9} {'playback':>13} {'frames in':>10} {'lost':>5} "
            f"{'concealed':>9} {'frames out':>10} {'us/msg in':>9} {'us/msg out':>10} "
            f"{'marks':>5} {'SNR dB':>7} {'PESQ':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.error:
            lines.append(f"{r.codec:<7} {r.play_rate // 1000:>7}k  failed: {r.error}")
            continue
        pesq = "-" if r.pesq is None else f"{r.pesq:.2f} {r.pesq_mode}"
        snr = "-" if r.snr is None else (">99" if r.snr > 99 else f"{r.snr:.1f}")
        lines.append(
            f"{r.codec:<7} {r.play_rate // 1000:>7} k {r.codec:>7}@{r.out_wire // 1000:>2}k "
            f"{r.frames_in:>4}/{r.frames_sent:<5} {r.lost:>5} {r.concealed:>9} {r.frames_out:>10} "
            f"{r.us_in:>9.1f} {r.us_out:>10.1f} {r.marks:>5} {snr:>7} {pesq:>8}")
    return "\n".join(lines)


def _plot(path: str, reference: np.ndarray, rows: Sequence[DemoRow]) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    shown = [r for r in rows if not r.error and r.caller_heard is not None]
    # One call per codec: the one that played at 16 kHz when there is one.
    by_codec: dict[str, DemoRow] = {}
    for r in shown:
        if r.codec not in by_codec or r.play_rate == APP_RATE:
            by_codec[r.codec] = r
    panels = [("caller says (input)", reference)] + [
        (f"{r.codec}: caller hears (app played {r.play_rate // 1000} kHz)", r.caller_heard)
        for r in by_codec.values()]
    fig, axes = plt.subplots(len(panels), 2, figsize=(13, 1.9 * len(panels)), squeeze=False)
    t_ref = np.arange(len(reference)) / APP_RATE
    for i, (title, pcm) in enumerate(panels):
        wave_ax, spec_ax = axes[i]
        t = np.arange(len(pcm)) / APP_RATE
        if i:
            wave_ax.plot(t_ref, reference, color="0.75", linewidth=0.5, label="input")
        wave_ax.plot(t, pcm, linewidth=0.5, color="C0" if i == 0 else "C1", label=title)
        wave_ax.set_ylim(-32768, 32767)
        wave_ax.set_title(title, fontsize=9, loc="left")
        wave_ax.tick_params(labelsize=7)
        if len(pcm) > 512:
            # Relative to full scale, with a floor 1 LSB below so digital
            # silence shows as the floor rather than as a hole.
            x = pcm.astype(np.float64) / 32768 + np.random.default_rng(0).normal(0, 2 ** -16, len(pcm))
            spectrum, _, _, image = spec_ax.specgram(x, NFFT=512, Fs=APP_RATE, noverlap=384,
                                                     cmap="magma")
            top = 10 * np.log10(max(float(spectrum.max()), 1e-30))
            image.set_clim(top - 90, top)
        spec_ax.set_ylim(0, APP_RATE / 2)
        spec_ax.set_title("spectrogram (Hz)", fontsize=9, loc="left")
        spec_ax.tick_params(labelsize=7)
    axes[-1][0].set_xlabel("s", fontsize=8)
    axes[-1][1].set_xlabel("s", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


async def _run(out_dir: str, seconds: float, realtime: bool, codec_names: Sequence[str],
               rates: Sequence[int], loss: float, seed: int, png: bool,
               out: TextIO) -> list[DemoRow]:
    infos = _codecs()
    available = [c for c in codec_names if infos[c].available]
    missing = [c for c in codec_names if not infos[c].available]
    print(f"codecs in this build: {', '.join(available) or 'none'}"
          + (f"; unavailable: {', '.join(missing)}" if missing else ""), file=out)
    reference = speech_like(seconds, APP_RATE, seed=seed)
    os.makedirs(out_dir, exist_ok=True)
    write_wav(os.path.join(out_dir, "input.wav"), reference, APP_RATE)

    app = EchoApp(record=True)
    server = StreamServer(app, host="127.0.0.1", port=0, rate=APP_RATE,
                          session_options=playback_from_parameters)
    rows: list[DemoRow] = []
    total = len(available) * len(rates)
    async with server:
        print(f"server listening on {server.url} (loopback only); {total} calls of "
              f"{seconds:g} s, {'real time' if realtime else 'as fast as possible'}", file=out)
        for codec in available:
            for play_rate in rates:
                in_wire = wire_rate(codec, APP_RATE)
                out_wire = wire_rate(codec, play_rate)
                row = DemoRow(codec=codec, play_rate=play_rate, in_wire=in_wire,
                              out_wire=out_wire)
                rows.append(row)
                label = (f"[{len(rows):>2}/{total}] {codec:<6} {in_wire // 1000:>2} kHz -> app "
                         f"{APP_RATE // 1000} kHz, app plays {play_rate // 1000:>2} kHz -> "
                         f"{codec} {out_wire // 1000} kHz")
                print(label + " ...", end="", file=out, flush=True)
                began = time.monotonic()
                try:
                    result = await simulate_call(
                        server.url, reference, APP_RATE, codec=codec, codec_rate=in_wire,
                        realtime=realtime, loss=loss, seed=seed, playback_codec=codec,
                        playback_rate=out_wire, heard_rate=APP_RATE,
                        custom_parameters={"echo_rate": play_rate, "playback_codec": codec,
                                           "playback_rate": out_wire, "demo": "streamcodec"},
                        linger_idle=0.5 if realtime else 0.05, timeout=30 + 3 * seconds)
                    stats = await server.wait_finished(result.stream_id, timeout=10)
                except Exception as exc:  # report the call, go on with the others
                    row.error = f"{type(exc).__name__}: {exc}"
                    print(f" failed: {row.error}", file=out, flush=True)
                    continue
                if stats.error or stats.close_code not in (1000, None):
                    row.error = stats.error or f"server closed with {stats.close_code}"
                    print(f" failed: {row.error}", file=out, flush=True)
                    continue
                inbound = stats.tracks.get("inbound")
                row.frames_sent = result.frames
                row.frames_in = stats.media_in
                row.lost = inbound.lost if inbound else 0
                row.concealed = inbound.concealed if inbound else 0
                row.frames_out = result.received_media
                row.us_in, row.us_out = stats.us_per_message_in, stats.us_per_message_out
                row.marks = f"{result.marks_echoed}/{stats.marks_sent}"
                row.seconds = time.monotonic() - began
                row.app_heard = np.frombuffer(app.recordings.pop(result.stream_id, b""),
                                              dtype=np.int16)
                row.caller_heard = result.heard
                # Judge quality in the band the whole path carries.
                band = min(in_wire, APP_RATE, play_rate, out_wire)
                row.quality_rate = 8000 if band <= 8000 else APP_RATE
                ref, deg = reference, result.heard
                if row.quality_rate != APP_RATE:
                    from ._resample import resample
                    ref = np.frombuffer(resample(ref, APP_RATE, row.quality_rate), np.int16)
                    deg = np.frombuffer(resample(deg, APP_RATE, row.quality_rate), np.int16)
                row.snr, row.pesq, row.pesq_mode = _quality(ref, deg, row.quality_rate)
                write_wav(os.path.join(out_dir, f"{row.name}_app.wav"), row.app_heard, APP_RATE)
                write_wav(os.path.join(out_dir, f"{row.name}_caller.wav"), row.caller_heard,
                          APP_RATE)
                snr = ">99" if row.snr > 99 else f"{row.snr:.1f}"
                print(f" {row.frames_in} frames in, {row.frames_out} out, "
                      f"SNR {snr} dB, {row.seconds:.2f} s", file=out, flush=True)
    if png:
        if _plot(os.path.join(out_dir, "demo.png"), reference, rows):
            print(f"wrote {os.path.join(out_dir, 'demo.png')}", file=out)
        else:
            print("no PNG: matplotlib is not installed (pip install 'streamcodec[demo]')",
                  file=out)
    return rows


def run_demo(out_dir: str = "demo-out", seconds: float = 3.0, realtime: bool = False,
             codecs: Optional[Sequence[str]] = None, rates: Sequence[int] = PLAY_RATES,
             loss: float = 0.0, seed: int = 0, png: bool = True,
             out: TextIO = sys.stdout) -> list[DemoRow]:
    """Run the demo; prints progress and the table to ``out``; returns the rows.

    Parameters
    ----------
    out_dir : str
        Folder for ``input.wav``, ``<codec>_play<k>k_app.wav`` (what the
        application heard, 16 kHz), ``<codec>_play<k>k_caller.wav`` (what the
        caller heard, 16 kHz), ``demo.png`` and ``table.txt``.
    seconds : float
        Length of each call's audio.
    realtime : bool
        Send media at real-time pace instead of as fast as possible.
    codecs : sequence of str, optional
        Codecs to call with (default all six; those this build lacks are
        listed as unavailable).
    rates : sequence of int
        Rates at which the application plays back (default 8, 16, 24 kHz).
    loss : float
        Probability of losing each inbound media frame.
    """
    if seconds <= 0 or seconds > 60:
        raise ValueError(f"seconds must be in (0, 60], got {seconds}")
    for rate in rates:
        if rate not in PLAY_RATES:
            raise ValueError(f"playback rates must be among {PLAY_RATES}, got {rate}")
    from . import normalize_codec
    names = [normalize_codec(c) for c in (codecs or ORDER)]
    began = time.monotonic()
    rows = asyncio.run(_run(out_dir, seconds, realtime, names, list(rates), loss, seed, png, out))
    table = format_table(rows)
    infos = _codecs()
    missing = [c for c in names if not infos[c].available]
    notes = [f"unavailable in this build: {c}" for c in missing]
    text = "\n".join([
        "",
        f"Round trip: caller -> {'/'.join(sorted({r.codec for r in rows}, key=ORDER.index))} -> "
        f"server (app at {APP_RATE // 1000} kHz, echo) -> playback codec -> caller.",
        "us/msg: CPU microseconds in streamcodec per WebSocket message (in: JSON, base64, "
        "decode, resample; out: resample, encode, base64, JSON).",
        "SNR and PESQ (nb at 8 kHz, wb at 16 kHz) compare what the caller heard with what it "
        "said, in the band of the narrowest part of the path. OPUS and AMR-WB keep how speech "
        "sounds, not its waveform: judge them by PESQ, not SNR. PESQ of a synthetic signal: "
        "compare rows, not with published MOS figures.",
        "",
        table,
        *notes,
        f"{len([r for r in rows if not r.error])} calls in {time.monotonic() - began:.1f} s; "
        f"WAV files, PNG and table in {out_dir.rstrip('/')}/",
    ])
    print(text, file=out)
    with open(os.path.join(out_dir, "table.txt"), "w", encoding="utf-8") as f:
        f.write(text.lstrip("\n") + "\n")
    return rows


def main(argv: Optional[Sequence[str]] = None) -> int:
    from .cli import main as cli_main
    return cli_main(["demo", *(argv or [])])


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main(sys.argv[1:]))
