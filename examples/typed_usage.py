"""A small, fully annotated use of streamcodec's public API: decode a phone
call's inbound audio for speech-to-text, encode a reply for playback, and
handle Telnyx frames.  tests/test_typing.py runs ``mypy --strict`` over this
file against the installed package, so the package's type hints (shipped
with py.typed) stay usable by type checkers."""

from __future__ import annotations

import base64
import json

import numpy as np
import numpy.typing as npt

import streamcodec as sc
from streamcodec import telnyx


def to_stt(payloads: list[bytes], codec: str = "PCMU") -> bytes:
    """Inbound RTP payloads -> 16 kHz PCM for a speech-to-text engine."""
    decoder: sc.Decoder = sc.Decoder(codec, rate=16000)
    return b"".join(decoder.decode(p) for p in payloads)


def from_tts(pcm_24k: npt.NDArray[np.int16], codec: str = "G722") -> list[bytes]:
    """24 kHz text-to-speech PCM -> 20 ms payloads in the playback codec."""
    encoder = sc.Encoder(codec, rate=24000)
    return encoder.packetize(pcm_24k) + encoder.flush()


def resample_stream(chunks: list[bytes], src: int, dst: int) -> bytes:
    """Exactly dst/src as many samples out as in (flush() would add the
    filter's delay worth at the end of the stream)."""
    resampler = sc.Resampler(src, dst)
    return b"".join(bytes(resampler.process(c)) for c in chunks)


def available_codecs() -> list[str]:
    info: dict[str, sc.CodecInfo] = sc.codecs()
    return sorted(name for name, codec in info.items() if codec.available)


def handle(message: str, stream: telnyx.MediaStream) -> list[bytes]:
    """PCM of every media frame a Telnyx message completes."""
    return [m.pcm for m in stream.feed(message)
            if isinstance(m, telnyx.Media) and m.pcm is not None]


def main() -> None:
    silence: npt.NDArray[np.int16] = np.zeros(24000 // 50 * 5, dtype=np.int16)
    payloads = from_tts(silence, "PCMU")
    pcm16 = to_stt(payloads)
    assert len(pcm16) == 2 * 16000 // 10
    assert len(resample_stream([pcm16], 16000, 8000)) == len(pcm16) // 2
    stream = telnyx.MediaStream(rate=16000)
    start = {"event": "start", "sequence_number": "1", "stream_id": "s",
             "start": {"call_control_id": "c",
                       "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1}}}
    handle(json.dumps(start), stream)
    media = {"event": "media", "sequence_number": "2", "stream_id": "s",
             "media": {"track": "inbound", "chunk": "1", "timestamp": "0",
                       "payload": base64.b64encode(payloads[0]).decode()}}
    heard = handle(json.dumps(media), stream)
    print(f"codecs: {', '.join(available_codecs())}; heard {sum(map(len, heard))} bytes")


if __name__ == "__main__":
    main()
