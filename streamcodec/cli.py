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
from .wavio import read_wav, write_wav


def _codec_list(text: str) -> list[str]:
    return [normalize_codec(name) for name in text.split(",") if name.strip()]


def _round_trip(pcm: np.ndarray, rate: int, codec: str) -> tuple[list[bytes], np.ndarray]:
    """Packetize PCM into 20 ms payloads of ``codec`` and decode them back."""
    encoder = Encoder(codec, rate=rate)
    payloads = encoder.packetize(pcm) + encoder.flush()
    decoder = Decoder(codec, rate=rate)
    decoded = b"".join(decoder.decode(p) for p in payloads)
    return payloads, np.frombuffer(decoded, dtype=np.int16)[:len(pcm)]


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="streamcodec", description=(
        "Codec core for Telnyx media streams: transcode audio, run the demo call, "
        "serve or simulate streams, benchmark."))
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
