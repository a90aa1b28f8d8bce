"""The ``streamcodec`` command line."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Sequence

import numpy as np

from . import Decoder, Encoder, codecs, normalize_codec
from .signals import snr_db, speech_like
from .demo import add_arguments as demo_arguments
from .demo import run_from_args as run_demo_from_args
from .simulate import CARRIERS, TRACKS
from .wavio import read_wav, write_wav


def _codec_list(text: str) -> list[str]:
    return [normalize_codec(name) for name in text.split(",") if name.strip()]


#: Inputs at least this long (seconds of audio) get a progress bar on a terminal.
LONG_INPUT_SECONDS = 60.0
#: Audio coded between two updates of the bar, seconds.
_BLOCK_SECONDS = 10


def _progress(seconds: float, desc: str):
    """A tqdm bar counting seconds of audio on stderr, or None: only for long
    inputs, when stderr is a terminal and tqdm is installed."""
    if seconds < LONG_INPUT_SECONDS or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=round(seconds, 1), desc=desc, unit="s", leave=False, file=sys.stderr,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of audio")


def _round_trip(pcm: np.ndarray, rate: int, codec: str) -> tuple[list[bytes], np.ndarray]:
    """Packetize PCM into 20 ms payloads of ``codec`` and decode them back,
    a block at a time (packetize keeps the remainder, so the payloads are
    those of one call) to show progress on long inputs."""
    encoder = Encoder(codec, rate=rate)
    decoder = Decoder(codec, rate=rate)
    payloads: list[bytes] = []
    decoded: list[bytes] = []
    bar = _progress(len(pcm) / rate, codec)
    block = rate * _BLOCK_SECONDS
    try:
        for start in range(0, len(pcm), block):
            piece = pcm[start:start + block]
            new = encoder.packetize(piece)
            payloads += new
            decoded += [decoder.decode(p) for p in new]
            if bar is not None:
                bar.update(min(len(piece) / rate, bar.total - bar.n))
        new = encoder.flush()
        payloads += new
        decoded += [decoder.decode(p) for p in new]
    finally:
        if bar is not None:
            bar.close()
    return payloads, np.frombuffer(b"".join(decoded), dtype=np.int16)[:len(pcm)]


def cmd_transcode(args: argparse.Namespace) -> int:
    if args.input is None:
        rate = args.rate or 8000
        pcm = speech_like(args.seconds, rate)
        source = f"{args.seconds:g} s of synthesized speech-like audio at {rate} Hz"
    elif args.input.lower().endswith(".wav"):
        pcm, rate = read_wav(args.input)
        source = f"{args.input} ({len(pcm) / rate:.2f} s at {rate} Hz)"
    else:
        if not args.source_codec:
            raise SystemExit("a raw input file needs --from CODEC (e.g. --from PCMU)")
        src = normalize_codec(args.source_codec)
        rate = args.rate or codecs()[src].native_rate or 8000
        with open(args.input, "rb") as f:
            raw = f.read()
        pcm = np.frombuffer(Decoder(src, rate=rate).decode(raw), dtype=np.int16)
        source = f"{args.input} ({src}, {len(raw)} bytes)"

    targets = _codec_list(args.to)
    if args.output and len(targets) != 1:
        raise SystemExit("writing an output file needs exactly one --to codec")
    print(f"input: {source}")
    print(f"{'codec':<8} {'payloads':>8} {'bytes':>9} {'kbit/s':>8} {'SNR dB':>8} {'us/payload':>11}")
    for codec in targets:
        t0 = time.perf_counter()
        payloads, decoded = _round_trip(pcm, rate, codec)
        elapsed = time.perf_counter() - t0
        size = sum(len(p) for p in payloads)
        seconds = len(pcm) / rate
        snr = snr_db(pcm, decoded, max_lag=64)
        print(f"{codec:<8} {len(payloads):>8} {size:>9} {8 * size / seconds / 1000:>8.1f} "
              f"{snr:>8.1f} {1e6 * elapsed / max(len(payloads), 1):>11.1f}")
        if args.output:
            if args.output.lower().endswith(".wav"):
                write_wav(args.output, decoded, rate)
            else:
                with open(args.output, "wb") as f:
                    f.write(b"".join(payloads))
            print(f"wrote {args.output}")
    return 0


#: The carriers' verifier options of ``serve``: (carrier, option, its
#: keyword in that carrier's ``auth.from_options``, help).  Each may also
#: come from the environment, STREAMCODEC_ + the option in capitals.
_VERIFIER_OPTIONS = [
    ("twilio", "--twilio-auth-token", "auth_token",
     "check X-Twilio-Signature with this auth token (needs --public-url)"),
    ("signalwire", "--signalwire-bearer-token", "bearer_token",
     "require this Authorization: Bearer token"),
    ("signalwire", "--signalwire-signing-key", "signing_key",
     "check SignalWire's signature with this signing key (needs --public-url)"),
    ("exotel", "--exotel-basic-auth", "basic_auth", "require Basic auth KEY:TOKEN"),
    ("vonage", "--vonage-signature-secret", "signature_secret",
     "check the Vonage-signed JWT with this signature secret"),
    ("vonage", "--vonage-public-key", "public_key",
     "check the Vonage-signed JWT with this public key (file or PEM)"),
    ("vonage", "--vonage-authorization", "custom_authorization",
     "require this Authorization header value (NCCO authorization custom)"),
]


def _verifiers(args: argparse.Namespace) -> list:
    """The verifiers the options configure (the carriers' auth modules)."""
    import importlib

    chosen: dict[str, dict] = {}
    for carrier, option, keyword, _ in _VERIFIER_OPTIONS:
        dest = option[2:].replace("-", "_")
        value = getattr(args, dest, None) or os.environ.get("STREAMCODEC_" + dest.upper())
        if value:
            chosen.setdefault(carrier, {})[keyword] = value
    verifiers = []
    for carrier, kwargs in chosen.items():
        verifier = importlib.import_module(f"streamcodec.{carrier}.auth").from_options(**kwargs)
        if verifier is not None:
            verifiers.append(verifier)
    return verifiers


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    from .server import echo_app, load_app
    from .server.run import ServeOptions, serve

    logging.basicConfig(level=logging.INFO if not args.quiet else logging.WARNING,
                        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    app = load_app(args.app) if args.app else echo_app
    token = args.auth_token or os.environ.get("STREAMCODEC_AUTH_TOKEN")
    verifiers = _verifiers(args)
    options = ServeOptions(
        app=app, app_name=args.app or "echo", transport=args.transport, loop=args.loop,
        host=args.host, port=args.port, workers=args.workers, certfile=args.certfile,
        keyfile=args.keyfile, duration=args.duration,
        handler_options=dict(rate=args.rate, playback_codec=args.playback_codec,
                             playback_rate=args.playback_rate, auth_token=token,
                             carrier=args.carrier, public_url=args.public_url,
                             verifiers=verifiers,
                             max_message_bytes=args.max_message_bytes,
                             write_timeout=args.write_timeout, idle_timeout=args.idle_timeout))
    # Fail here, with a clear message, when the settings are wrong.
    from .server import CallHandler
    CallHandler(app, **options.handler_options)

    def announce(url: str, how: str) -> None:
        print(f"streamcodec serve: listening on {url} ({how}; carrier {args.carrier}; "
              f"app {options.app_name}, PCM at "
              f"{args.rate} Hz, playback {args.playback_codec.upper()} at {args.playback_rate} Hz"
              f"{', auth token required' if token else ''}"
              f"{', callers verified' if verifiers else ''}); GET /healthz answers 200; "
              f"Ctrl-C stops", flush=True)

    try:
        code = serve(options, announce)
    except KeyboardInterrupt:
        code = 0
    print("streamcodec serve: stopped", flush=True)
    return code


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulate import run_call

    kwargs = dict(carrier=args.carrier, codec=args.codec, codec_rate=args.rate,
                  track=args.track, loss=args.loss,
                  duplicate=args.duplicate, reorder=args.reorder, realtime=not args.fast,
                  dtmf=args.dtmf, playback_codec=args.playback_codec,
                  playback_rate=args.playback_rate, signed_url=args.signed_url,
                  auth_token=args.auth_token or os.environ.get("STREAMCODEC_AUTH_TOKEN"),
                  seed=args.seed, timeout=args.timeout)
    if args.param:
        params = {}
        for item in args.param:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ValueError(f"--param takes NAME=VALUE, got {item!r}")
            params[key] = value
        kwargs["custom_parameters"] = params
    if args.file:
        pcm, rate = read_wav(args.file)
        kwargs.update(pcm=pcm, rate=rate)
        source = f"{args.file} ({len(pcm) / rate:.2f} s at {rate} Hz)"
    else:
        kwargs["seconds"] = args.seconds
        source = f"{args.seconds:g} s of synthesized speech-like audio"
    print(f"calling {args.url} as {args.carrier}: {source}"
          f"{' as ' + args.codec.upper() if args.codec else ''}, {args.track}, "
          f"{'real time' if not args.fast else 'as fast as possible'}", flush=True)
    result = run_call(args.url, **kwargs)
    print(f"{result.carrier}: {result.codec} at {result.codec_rate} Hz, "
          f"{result.message_ms} ms per media message")
    print(f"stream {result.stream_id}: {result.frames} frames, {result.sent} sent "
          f"({result.lost} lost, {result.duplicated} duplicated, {result.reordered} reordered, "
          f"{result.dtmf_sent} dtmf)")
    print(f"heard back: {result.received_media} media messages, "
          f"{result.heard_seconds:.2f} s at {result.heard_rate} Hz; marks "
          f"{result.marks_echoed} echoed of {result.marks_received}; {result.clears} clears; "
          f"{result.bad_frames} unreadable")
    for error in result.errors:
        print(f"  error: {error}")
    print(f"closed with {result.close_code} {result.close_reason}".rstrip()
          + f" after {result.elapsed:.2f} s")
    if args.out:
        write_wav(args.out, result.heard, result.heard_rate)
        print(f"wrote {args.out}")
    if result.playback_mismatch:
        told = (f"--playback-codec {normalize_codec(args.playback_codec or 'PCMU')}"
                if args.carrier == "telnyx" else f"the stream's codec {result.codec}")
        print(f"playback does not fit {told}: {result.playback_mismatch}; "
              "what codec does the server play back in?")
    if result.close_code not in (1000, None) or result.playback_mismatch or result.bad_frames \
            or result.overflowed:
        return 1
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import runpy

    candidates = [args.bench_dir] if args.bench_dir else ["bench", os.path.join(os.getcwd(), "bench")]
    for folder in candidates:
        script = os.path.join(folder, "report.py")
        if os.path.isfile(script):
            break
    else:
        raise SystemExit("streamcodec bench: no bench/report.py here; run it from a checkout "
                         "of the streamcodec repository or pass --bench-dir PATH/bench")
    argv = [script] + (["--quick"] if args.quick else []) + (["--only", args.only] if args.only else [])
    old_argv, old_path = sys.argv, list(sys.path)
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        sys.argv, sys.path[:] = old_argv, old_path
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return run_demo_from_args(args)


class _VersionAction(argparse.Action):
    """--version: the version, then the SIMD line (which kernels run, for bug
    reports), unwrapped (argparse's own version action rewraps the text)."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        from . import __version__, simd_info
        print(f"streamcodec {__version__}\n{simd_info()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="streamcodec", description=(
        "Codec core for Telnyx media streams: transcode audio, run the demo call, "
        "serve or simulate streams, benchmark."))
    parser.add_argument("--version", action=_VersionAction, nargs=0,
                        help="print the version and the SIMD kernels in use, then exit")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("transcode", help="encode audio to codecs and back; report size and SNR",
                       description=(
                           "Encode IN (a 16-bit WAV, or a raw codec file with --from) into each "
                           "--to codec in 20 ms payloads, decode it back and print sizes and SNR. "
                           "Without IN, 3 s of speech-like audio is synthesized. With OUT, write "
                           "the decoded audio (OUT.wav) or the concatenated payloads (any other "
                           "name)."))
    p.add_argument("input", nargs="?", help="input WAV, or raw payload bytes with --from")
    p.add_argument("output", nargs="?", help="output: .wav for decoded audio, else raw payloads")
    p.add_argument("--to", default="PCMU,PCMA", help="codec(s), comma-separated (default PCMU,PCMA)")
    p.add_argument("--from", dest="source_codec", help="codec of a raw input file")
    p.add_argument("--rate", type=int, help="PCM rate in Hz (synthesized input, raw input)")
    p.add_argument("--seconds", type=float, default=3.0, help="length of synthesized input")
    p.set_defaults(func=cmd_transcode)

    p = sub.add_parser("demo", help="simulated calls in every codec through the reference server",
                       description=(
                           "Start the reference server on 127.0.0.1 and place a simulated call "
                           "per available codec and playback rate: the caller says speech "
                           "(espeak-ng, your --file, or the built-in speech-like signal), the "
                           "echo application hears it at 16 kHz and plays it back. "
                           "Prints a table (frames, loss, CPU per message, SNR, PESQ) and "
                           "writes WAV files and a PNG to --out."))
    demo_arguments(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="run the reference media-stream server",
                       description=(
                           "Serve Telnyx media streams over WebSocket. The default application "
                           "echoes the caller; --app module:function runs yours "
                           "(async def app(call))."))
    p.add_argument("--app", help="application as module:function (default: echo)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free)")
    p.add_argument("--auth-token", help="require this streaming auth token "
                   "(default $STREAMCODEC_AUTH_TOKEN, else none)")
    p.add_argument("--carrier", default="auto",
                   choices=["auto", "telnyx", "twilio", "signalwire", "plivo", "exotel", "vonage"],
                   help="the carrier's dialect (default auto: told from the first messages)")
    p.add_argument("--public-url", help="the server's URL as the carrier calls it "
                   "(e.g. wss://voice.example.com), for request signatures")
    for _, option, _, help_text in _VERIFIER_OPTIONS:
        p.add_argument(option, help=help_text + " (or STREAMCODEC_"
                       + option[2:].replace("-", "_").upper() + "); a connection no "
                       "configured verifier accepts is closed with 1008")
    p.add_argument("--rate", type=int, default=16000, help="PCM rate the app receives (default 16000)")
    p.add_argument("--playback-codec", default="PCMU", help="bidirectionalCodec (default PCMU)")
    p.add_argument("--playback-rate", type=int, default=8000,
                   help="bidirectionalSamplingRate (default 8000)")
    p.add_argument("--max-message-bytes", type=int, default=1 << 16,
                   help="largest message accepted (default 65536)")
    p.add_argument("--transport", default="auto", choices=["auto", "picows", "websockets", "asgi"],
                   help="WebSocket library (default: the fastest installed: picows, "
                   "then websockets; asgi runs the ASGI adapter under uvicorn)")
    p.add_argument("--loop", default="auto", choices=["auto", "uvloop", "asyncio"],
                   help="event loop (default uvloop when installed)")
    p.add_argument("--workers", type=int, default=1,
                   help="processes sharing the port (SO_REUSEPORT; default 1)")
    p.add_argument("--certfile", help="PEM certificate (chain): serve wss://")
    p.add_argument("--keyfile", help="PEM private key of --certfile (if not in it)")
    p.add_argument("--write-timeout", type=float, default=5.0,
                   help="drop a call whose peer takes nothing written for this long "
                   "(seconds, default 5)")
    p.add_argument("--idle-timeout", type=float, default=30.0,
                   help="close a call without media for this long after start "
                   "(seconds, default 30)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--quiet", action="store_true", help="log warnings only")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("simulate", help="play a call into a media-stream server as a carrier "
                       "would", description=(
                           "Connect to URL and play a WAV (or synthesized speech-like audio) as "
                           "a carrier's media stream (Telnyx by default): its opening messages, "
                           "media at its pace (Exotel 100 ms, Vonage binary 20 ms frames), "
                           "dtmf, stop; decode the audio the server plays back, check it "
                           "against the carrier's rules and acknowledge its marks "
                           "(checkpoints, notifies) as the carrier does."))
    p.add_argument("url", help="ws://host:port[/path] of the server")
    p.add_argument("--carrier", default="telnyx", choices=list(CARRIERS),
                   help="whose media stream to play (default telnyx)")
    p.add_argument("--codec", help="codec of the stream (default PCMU; L16 for exotel and "
                   "vonage)")
    p.add_argument("--rate", type=int, help="its wire rate: Telnyx OPUS/L16 (default 16000); "
                   "for the other carriers one they offer (default the lowest; vonage 16000)")
    p.add_argument("--file", help="16-bit WAV to play (default: synthesized speech-like audio)")
    p.add_argument("--seconds", type=float, default=3.0, help="length of synthesized audio")
    p.add_argument("--track", default="inbound", choices=list(TRACKS),
                   help="media tracks to send: inbound (default), outbound or both_tracks; "
                   "TeXML's inbound_track / outbound_track too")
    p.add_argument("--loss", type=float, default=0.0, help="probability of losing a frame")
    p.add_argument("--duplicate", type=float, default=0.0, help="probability of a duplicate")
    p.add_argument("--reorder", type=float, default=0.0, help="probability of a swap")
    p.add_argument("--dtmf", default="", help="keys to press during the call, e.g. 123#")
    p.add_argument("--fast", action="store_true", help="as fast as possible, not real time")
    p.add_argument("--playback-codec", help="telnyx: codec the server plays back in "
                   "(default PCMU; the other carriers play back in the stream's codec)")
    p.add_argument("--playback-rate", type=int, help="telnyx: its rate (OPUS/L16; default "
                   "16000)")
    p.add_argument("--auth-token", help="credential to present (default "
                   "$STREAMCODEC_AUTH_TOKEN, else none): telnyx's streaming auth token "
                   "(connected frame and header), twilio's auth token (signs the upgrade), "
                   "signalwire's Bearer token, exotel's KEY:TOKEN (Basic), vonage's JWT secret")
    p.add_argument("--signed-url", help="twilio: the public URL the signature covers "
                   "(default URL)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="custom parameter in the start frame (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="random seed (signal, loss)")
    p.add_argument("--timeout", type=float, default=120.0, help="hard limit, seconds")
    p.add_argument("--out", help="write what the caller heard to this WAV")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("bench", help="the peer comparison report (from a checkout)",
                       description="Run bench/report.py of a streamcodec checkout.")
    p.add_argument("--bench-dir", help="folder holding report.py (default ./bench)")
    p.add_argument("--quick", action="store_true", help="shorter inputs, fewer repeats")
    p.add_argument("--only", help="only compare_*.py modules whose name contains this")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"streamcodec {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
