"""``streamcodec demo``: simulated phone calls through the reference server.

No network and no carrier account: the demo starts
:class:`~streamcodec.server.StreamServer` on 127.0.0.1 (an ephemeral port)
with an echo application, and for each codec this build has it places
simulated calls (:func:`~streamcodec.simulate.simulate_call`) the way Telnyx
would.  The caller says a few seconds of speech in the codec: real
synthesized speech from Debian's ``espeak-ng`` when it is installed, your
own recording with ``--file``, else the package's built-in speech-like
signal; the application hears it decoded to 16 kHz and plays it back
handing PCM to the session at 8, 16 and 24 kHz (as text-to-speech engines
produce), which the session encodes in the call's playback codec.  The
caller decodes what it hears.

It prints a line per call while it runs and a table at the end: frames,
lost and concealed, microseconds of CPU per message in each direction,
round-trip SNR and PESQ (when the ``pesq`` package is installed), and
writes WAV files of what the application and the caller heard plus a PNG of
waveforms and spectrograms (when matplotlib is installed) to the output
folder; it says what it skipped and why.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Sequence, TextIO

import numpy as np

from . import codecs as _codecs
from . import normalize_codec, simd_info
from ._resample import resample
from .signals import SPOKEN_TEXT, espeak, fit_length, snr_db, speech_like
from .simulate import CARRIERS, simulate_call, wire_rate
from .wavio import read_wav, write_wav

if TYPE_CHECKING:
    from .server import CallStats, EchoApp, StreamServer

__all__ = ["DemoRow", "add_arguments", "caller_audio", "main", "run_demo", "run_from_args"]

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
    carrier: str = "telnyx"

    @property
    def name(self) -> str:
        if self.carrier != "telnyx":
            return f"{self.carrier}_{self.codec}_{self.in_wire // 1000}k"
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
    """The final table as text: one row per call, every carrier."""
    head = (f"{'carrier':<10} {'codec':<7} {'app plays':>9} {'playback':>13} {'frames in':>10} "
            f"{'lost':>5} {'concealed':>9} {'frames out':>10} {'us/msg in':>9} "
            f"{'us/msg out':>10} {'marks':>5} {'SNR dB':>7} {'PESQ':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.error:
            lines.append(f"{r.carrier:<10} {r.codec:<7} {r.play_rate // 1000:>7}k  "
                         f"failed: {r.error}")
            continue
        pesq = "-" if r.pesq is None else f"{r.pesq:.2f} {r.pesq_mode}"
        snr = "-" if r.snr is None else (">99" if r.snr > 99 else f"{r.snr:.1f}")
        lines.append(
            f"{r.carrier:<10} {r.codec:<7} {r.play_rate // 1000:>7} k "
            f"{r.codec:>7}@{r.out_wire // 1000:>2}k "
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
    shown = [r for r in rows if r.carrier == "telnyx" and not r.error
             and r.caller_heard is not None]
    # One call per codec: the one that played at 16 kHz when there is one.
    by_codec: dict[str, DemoRow] = {}
    for r in shown:
        if r.codec not in by_codec or r.play_rate == APP_RATE:
            by_codec[r.codec] = r
    panels = [("caller says (input)", reference)] + [
        (f"{r.codec}: caller hears (app played {r.play_rate // 1000} kHz)", r.caller_heard)
        for r in by_codec.values() if r.caller_heard is not None]   # all (see shown)
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


def caller_audio(seconds: Optional[float] = None, seed: int = 0,
                 file: Optional[str] = None) -> tuple[np.ndarray, str]:
    """What the demo's caller says, at 16 kHz, and a line saying what it is.

    ``file``: a 16-bit WAV of yours (mixed to mono, resampled to 16 kHz; its
    whole length, at most 60 s, or ``seconds`` of it).  Otherwise
    ``seconds`` (default 3) of speech from espeak-ng
    (:func:`~streamcodec.signals.espeak`), cut or padded to length, or of the built-in
    :func:`~streamcodec.signals.speech_like` signal when espeak-ng is
    missing or fails.
    """
    if file is not None:
        pcm, rate = read_wav(file)
        if rate != APP_RATE:
            try:
                pcm = np.frombuffer(resample(pcm, rate, APP_RATE), dtype=np.int16)
            except ValueError as exc:
                raise ValueError(f"{file}: {exc}") from None
        note = f"{file} ({len(pcm) / APP_RATE:.2f} s at {rate} Hz"
        note += ", resampled to 16 kHz)" if rate != APP_RATE else ")"
        limit = int(APP_RATE * (seconds if seconds is not None else 60.0))
        if len(pcm) > limit:
            note += f", its first {limit / APP_RATE:g} s"
        if len(pcm) == 0:
            raise ValueError(f"{file}: no audio in it")
        if len(pcm) > limit or seconds is not None:
            pcm = fit_length(pcm, limit, APP_RATE)        # cut (faded) or padded
        return pcm, note
    seconds = 3.0 if seconds is None else seconds
    n = int(round(seconds * APP_RATE))
    try:
        speech = espeak(SPOKEN_TEXT, APP_RATE)
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as exc:
        why = str(exc)                         # missing, failed or timed out: fall back
    else:
        return fit_length(speech, n, APP_RATE), (
            f"{seconds:g} s of speech synthesized by espeak-ng (\"{SPOKEN_TEXT[:40]}...\")")
    return speech_like(seconds, APP_RATE, seed=seed), (
        f"{seconds:g} s of the built-in speech-like signal (seed {seed}), not speech: {why}")


def _plan(codecs: Sequence[str], rates: Sequence[int],
          carriers: Sequence[str]) -> list[DemoRow]:
    """The calls to place: Telnyx in every codec with the application
    playing at each rate, then every other carrier in every codec and rate
    it offers (the application plays at 16 kHz)."""
    rows = []
    if "telnyx" in carriers:
        for codec in codecs:
            for play_rate in rates:
                rows.append(DemoRow(codec=codec, play_rate=play_rate,
                                    in_wire=wire_rate(codec, APP_RATE),
                                    out_wire=wire_rate(codec, play_rate)))
    for name in carriers:
        if name == "telnyx":
            continue
        for codec, wires in CARRIERS[name].offers.items():
            if codec not in codecs:
                continue
            for wire in wires:
                rows.append(DemoRow(codec=codec, play_rate=APP_RATE, in_wire=wire,
                                    out_wire=wire, carrier=name))
    return rows


def _carrier_server(app: EchoApp) -> Optional[StreamServer]:
    """The reference server telling each call's carrier from its first
    messages, or None when this build's server speaks Telnyx only."""
    from .server import StreamServer
    try:
        return StreamServer(app, host="127.0.0.1", port=0, rate=APP_RATE, carrier="auto")
    except TypeError:
        return None


async def _finished(server: StreamServer, stream_id: Optional[str], before: set,
                    timeout: float = 10.0) -> CallStats:
    """The counters of the call that ended on ``server`` since ``before`` (the
    ids of its finished calls then) with ``stream_id``: Vonage's calls have
    none on the wire, so a stream id cannot find them."""
    deadline = time.monotonic() + timeout
    while True:
        for stats in reversed(server.finished):
            if id(stats) not in before and stats.stream_id == stream_id:
                return stats
        if time.monotonic() > deadline:
            raise TimeoutError(f"stream {stream_id} has not ended after {timeout:g} s")
        await asyncio.sleep(0.01)


async def _place(row: DemoRow, server: StreamServer, app: EchoApp, reference: np.ndarray,
                 realtime: bool, loss: float, seed: int, out_dir: str) -> None:
    """Place one call of the plan through ``server``; fill ``row`` in (or its error)."""
    seconds = len(reference) / APP_RATE
    began = time.monotonic()
    telnyx = row.carrier == "telnyx"
    options: dict[str, Any]
    if telnyx:
        options = dict(playback_codec=row.codec, playback_rate=row.out_wire,
                       custom_parameters={"echo_rate": row.play_rate,
                                          "playback_codec": row.codec,
                                          "playback_rate": row.out_wire, "demo": "streamcodec"})
    else:
        options = dict(custom_parameters={"demo": "streamcodec"})
    # The echo application marks after every second of audio it echoes: the
    # caller waits for those marks (all the echo before them has come back
    # by then), not for a quiet spell that a busy machine can fake.
    ms = CARRIERS[row.carrier].message_ms
    frames = -(-len(reference) // (APP_RATE * ms // 1000))
    wait: dict[str, Any] = (dict(expect_marks=frames * ms // 1000, linger_max=30)
                            if not loss else {})
    before = {id(stats) for stats in server.finished}
    result = await simulate_call(
        server.url, reference, APP_RATE, carrier=row.carrier, codec=row.codec,
        codec_rate=row.in_wire, realtime=realtime,
        loss=0.0 if row.carrier == "vonage" else loss, seed=seed, heard_rate=APP_RATE,
        linger_idle=0.5 if realtime else 0.05, timeout=60 + 3 * seconds, **wait, **options)
    stats = await _finished(server, None if row.carrier == "vonage" else result.stream_id,
                            before)
    if stats.error or stats.close_code not in (1000, None):
        row.error = stats.error or f"server closed with {stats.close_code}"
        return
    if result.playback_mismatch or result.bad_frames:
        row.error = result.playback_mismatch or (
            f"{result.bad_frames} messages broke {row.carrier}'s rules: {result.errors[0]}")
        return
    inbound = stats.tracks.get("inbound")
    row.frames_sent = result.frames
    row.frames_in = stats.media_in
    row.lost = inbound.lost if inbound else 0
    row.concealed = inbound.concealed if inbound else 0
    row.frames_out = result.received_media
    row.us_in, row.us_out = stats.us_per_message_in, stats.us_per_message_out
    row.marks = f"{result.marks_echoed}/{stats.marks_sent}"
    row.seconds = time.monotonic() - began
    row.app_heard = np.frombuffer(app.recordings.pop(stats.stream_id or "", b""),
                                  dtype=np.int16)
    row.caller_heard = result.heard
    # Judge quality in the band the whole path carries.
    band = min(row.in_wire, APP_RATE, row.play_rate, row.out_wire)
    row.quality_rate = 8000 if band <= 8000 else APP_RATE
    ref, deg = reference, result.heard
    if row.quality_rate != APP_RATE:
        ref = np.frombuffer(resample(ref, APP_RATE, row.quality_rate), np.int16)
        deg = np.frombuffer(resample(deg, APP_RATE, row.quality_rate), np.int16)
    row.snr, row.pesq, row.pesq_mode = _quality(ref, deg, row.quality_rate)
    write_wav(os.path.join(out_dir, f"{row.name}_app.wav"), row.app_heard, APP_RATE)
    write_wav(os.path.join(out_dir, f"{row.name}_caller.wav"), row.caller_heard, APP_RATE)


async def _run(out_dir: str, reference: np.ndarray, realtime: bool, codec_names: Sequence[str],
               rates: Sequence[int], loss: float, seed: int, out: TextIO,
               carriers: Sequence[str] = tuple(CARRIERS)) -> tuple[list[DemoRow], list[str]]:
    from .server import EchoApp, StreamServer, playback_from_parameters

    infos = _codecs()
    available = [c for c in codec_names if infos[c].available]
    missing = [c for c in codec_names if not infos[c].available]
    print(f"codecs in this build: {', '.join(available) or 'none'}"
          + (f"; unavailable: {', '.join(missing)}" if missing else ""), file=out)
    print(simd_info(), file=out)
    seconds = len(reference) / APP_RATE
    notes: list[str] = []

    app = EchoApp(record=True)
    telnyx_server = StreamServer(app, host="127.0.0.1", port=0, rate=APP_RATE,
                                 session_options=playback_from_parameters)
    plan = _plan(available, rates, carriers)
    others = sorted({r.carrier for r in plan if r.carrier != "telnyx"}, key=list(CARRIERS).index)
    carrier_server = _carrier_server(app) if others else None
    if others and carrier_server is None:
        notes.append(f"skipped {', '.join(others)}: this build's server speaks Telnyx only "
                     "(no carrier= option)")
        plan = [r for r in plan if r.carrier == "telnyx"]
    rows: list[DemoRow] = []
    total = len(plan)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(telnyx_server)
        if carrier_server is not None:
            await stack.enter_async_context(carrier_server)
        where = telnyx_server.url + (f" and {carrier_server.url} (every carrier)"
                                     if carrier_server is not None else "")
        print(f"server listening on {where} (loopback only); {total} calls of "
              f"{seconds:g} s, {'real time' if realtime else 'as fast as possible'}", file=out)
        for row in plan:
            rows.append(row)
            who = "" if row.carrier == "telnyx" else f"{row.carrier}: "
            label = (f"[{len(rows):>2}/{total}] {who}{row.codec:<6} {row.in_wire // 1000:>2} kHz "
                     f"-> app {APP_RATE // 1000} kHz, app plays {row.play_rate // 1000:>2} kHz "
                     f"-> {row.codec} {row.out_wire // 1000} kHz")
            print(label + " ...", end="", file=out, flush=True)
            server = telnyx_server if row.carrier == "telnyx" else carrier_server
            assert server is not None   # the plan has other carriers only with their server
            try:
                await _place(row, server, app, reference, realtime, loss, seed, out_dir)
            except Exception as exc:  # report the call, go on with the others
                row.error = f"{type(exc).__name__}: {exc}"
            if row.error:
                print(f" failed: {row.error}", file=out, flush=True)
                continue
            assert row.snr is not None   # _place sets it, or row.error
            snr = ">99" if row.snr > 99 else f"{row.snr:.1f}"
            print(f" {row.frames_in} frames in, {row.frames_out} out, "
                  f"SNR {snr} dB, {row.seconds:.2f} s", file=out, flush=True)
    return rows, notes


def run_demo(out_dir: str = "demo-out", seconds: Optional[float] = None, realtime: bool = False,
             codecs: Optional[Sequence[str]] = None, rates: Sequence[int] = PLAY_RATES,
             loss: float = 0.0, seed: int = 0, png: bool = True, file: Optional[str] = None,
             carriers: Optional[Sequence[str]] = None,
             out: TextIO = sys.stdout) -> list[DemoRow]:
    """Run the demo; prints progress and the table to ``out``; returns the rows.

    Parameters
    ----------
    out_dir : str
        Folder for ``input.wav``, ``<codec>_play<k>k_app.wav`` (what the
        application heard, 16 kHz), ``<codec>_play<k>k_caller.wav`` (what the
        caller heard, 16 kHz), ``<carrier>_<codec>_<k>k_{app,caller}.wav``
        for the other carriers, ``demo.png`` and ``table.txt``.
    seconds : float, optional
        Length of each call's audio (default 3 s, or the whole ``file``).
    realtime : bool
        Send media at real-time pace instead of as fast as possible.
    codecs : sequence of str, optional
        Codecs to call with (default all six; those this build lacks are
        listed as unavailable).
    rates : sequence of int
        Rates at which the application plays back (default 8, 16, 24 kHz).
    loss : float
        Probability of losing each inbound media frame.
    seed : int
        Seed of the loss pattern and of the built-in signal.
    png : bool
        Draw ``demo.png`` (needs matplotlib; skipped with a note without it).
    file : str, optional
        A 16-bit WAV for the caller to say instead of synthesized speech
        (see :func:`caller_audio`).
    carriers : sequence of str, optional
        Carriers to call through (default all: Telnyx in every codec with
        the application playing at each of ``rates``, then Twilio,
        SignalWire, Plivo, Exotel and Vonage in every codec and rate each
        offers, as :mod:`streamcodec.simulate` plays them).
    """
    if seconds is not None and not 0 < seconds <= 60:
        raise ValueError(f"seconds must be in (0, 60], got {seconds}")
    for rate in rates:
        if rate not in PLAY_RATES:
            raise ValueError(f"playback rates must be among {PLAY_RATES}, got {rate}")
    names = [normalize_codec(c) for c in (codecs or ORDER)]
    carriers = list(carriers or CARRIERS)
    for name in carriers:
        if name not in CARRIERS:
            raise ValueError(f"carriers must be among {', '.join(CARRIERS)}, got {name!r}")
    began = time.monotonic()
    reference, source = caller_audio(seconds, seed, file)
    print(f"caller says: {source}", file=out)
    os.makedirs(out_dir, exist_ok=True)
    write_wav(os.path.join(out_dir, "input.wav"), reference, APP_RATE)
    rows, skipped_carriers = asyncio.run(_run(out_dir, reference, realtime, names, list(rates),
                                              loss, seed, out, carriers))

    written = ["input.wav", "WAV files of each call", "table.txt"]
    skipped = []
    if not png:
        skipped.append("demo.png: --no-png")
    elif _plot(os.path.join(out_dir, "demo.png"), reference, rows):
        written.insert(2, "demo.png")
    else:
        skipped.append("demo.png: matplotlib is not installed (pip install 'streamcodec[demo]')")
    if _pesq_missing():
        skipped.append("PESQ: the pesq package is not installed (pip install 'streamcodec[demo]')")
    table = format_table(rows)
    infos = _codecs()
    missing = [c for c in names if not infos[c].available]
    notes = [f"unavailable in this build: {c}" for c in missing] + skipped_carriers
    builtin = source.startswith(f"{len(reference) / APP_RATE:g} s of the built-in")
    judge = ("PESQ of a synthetic signal: compare rows, not with published MOS figures."
             if builtin else "Compare rows; PESQ here scores two codec passes (there and back).")
    text = "\n".join([
        "",
        f"Caller says: {source}.",
        f"Round trip: caller -> {'/'.join(sorted({r.codec for r in rows}, key=ORDER.index))} -> "
        f"server (app at {APP_RATE // 1000} kHz, echo) -> playback codec -> caller.",
        "Other carriers: the stream's codec both ways, the app playing at 16 kHz.",
        "frames: media messages (20 ms; Exotel's 100 ms). us/msg: CPU microseconds in "
        "streamcodec per WebSocket message (in: JSON, base64, decode, resample; out: resample, "
        "encode, base64, JSON; Vonage: binary frames, no JSON or base64).",
        "SNR and PESQ (nb at 8 kHz, wb at 16 kHz) compare what the caller heard with what it "
        "said, in the band of the narrowest part of the path. OPUS and AMR-WB keep how speech "
        "sounds, not its waveform: judge them by PESQ, not SNR. " + judge,
        "",
        table,
        *notes,
        *(f"skipped {what}" for what in skipped),
        f"{len([r for r in rows if not r.error])} calls in {time.monotonic() - began:.1f} s; "
        f"wrote {', '.join(written)} to {out_dir.rstrip('/')}/",
    ])
    print(text, file=out)
    with open(os.path.join(out_dir, "table.txt"), "w", encoding="utf-8") as f:
        f.write(text.lstrip("\n") + "\n")
    return rows


def _pesq_missing() -> bool:
    try:
        import pesq  # noqa: F401
    except ImportError:
        return True
    return False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo's options, for ``streamcodec demo`` and ``python -m streamcodec.demo``."""
    parser.add_argument("--out", default="demo-out", help="output folder (default ./demo-out)")
    parser.add_argument("--file", help="a 16-bit WAV for the caller to say (default: speech "
                        "from espeak-ng, else the built-in speech-like signal)")
    parser.add_argument("--seconds", type=float,
                        help="audio per call (default 3, or the whole --file up to 60)")
    parser.add_argument("--realtime", action="store_true",
                        help="send media at real-time pace (default: as fast as possible)")
    parser.add_argument("--codecs", help="comma-separated codecs (default all six)")
    parser.add_argument("--rates", default="8000,16000,24000",
                        help="rates the application plays back at (default 8000,16000,24000)")
    parser.add_argument("--loss", type=float, default=0.0, help="inbound frame loss probability")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the loss pattern and the built-in signal")
    parser.add_argument("--no-png", action="store_true", help="skip the PNG")
    parser.add_argument("--carriers", help="comma-separated carriers to call through "
                        f"(default all: {','.join(CARRIERS)})")


def run_from_args(args: argparse.Namespace) -> int:
    """Run the demo from parsed :func:`add_arguments` options; 1 when a call failed."""
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    codec_names = [normalize_codec(c) for c in args.codecs.split(",") if c.strip()] \
        if args.codecs else None
    rows = run_demo(out_dir=args.out, seconds=args.seconds, realtime=args.realtime,
                    codecs=codec_names, rates=rates, loss=args.loss, seed=args.seed,
                    png=not args.no_png, file=args.file,
                    carriers=[c.strip().lower() for c in args.carriers.split(",") if c.strip()]
                    if args.carriers else None)
    return 1 if any(r.error for r in rows) else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m streamcodec.demo [options]``: the same as ``streamcodec demo``."""
    parser = argparse.ArgumentParser(prog="python -m streamcodec.demo",
                                     description="streamcodec's demo calls (see streamcodec demo)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_from_args(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"streamcodec demo: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main(sys.argv[1:]))
