"""streamcodec: the compiled codec core for Python voice servers on phone lines.

Decode and encode every codec Telnyx media streams carry (PCMU, PCMA, G722,
OPUS, AMR-WB, L16) one RTP payload per C call::

    import streamcodec as sc
    d = sc.Decoder("PCMU")
    pcm = d.decode(payload)          # 160 bytes of mu-law -> 320 bytes of PCM
    e = sc.Encoder("PCMA")
    payloads = e.packetize(pcm)      # one payload per 20 ms
    d16 = sc.Decoder("PCMU", rate=16000)   # decodes and resamples in one call
    r = sc.Resampler(8000, 16000)    # streaming, exact lengths, 2.5 ms delay

PCM is signed 16-bit native-endian mono; inputs may be bytes, bytearray,
memoryview or numpy int16 arrays (encoders also take float32 at full scale
+-1.0), outputs are bytes, or your own buffer with ``decode_into`` /
``encode_into``.  ``from streamcodec import audioop`` replaces the standard
library's audioop module, removed in Python 3.13.
"""

try:
    from . import _core  # noqa: F401  (the compiled C core)
except ImportError as exc:  # pragma: no cover - depends on how it was imported
    raise ImportError(
        f"streamcodec's compiled core could not be loaded ({exc}). Importing from a source "
        "checkout finds the uncompiled sources first: install the package "
        "(pip install . or the wheel) and run Python from outside the source tree.") from exc

from ._codecs import CodecInfo, Decoder, Encoder, codec_info, codecs, normalize_codec, transcode
from ._errors import CodecUnavailableError, CorruptPayloadError, StreamcodecError
from ._resample import SUPPORTED_RATES, Resampler, resample
from ._simd import SimdInfo, simd_info

__version__ = "0.1.0"

__all__ = [
    "CodecInfo",
    "CodecUnavailableError",
    "CorruptPayloadError",
    "Decoder",
    "Encoder",
    "Resampler",
    "SUPPORTED_RATES",
    "SimdInfo",
    "StreamcodecError",
    "codec_info",
    "codecs",
    "normalize_codec",
    "resample",
    "simd_info",
    "transcode",
]
