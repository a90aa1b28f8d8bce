"""Outputs of the installed streamcodec on fixed inputs, to compare two
builds (the x86-64 one against the aarch64 wheel under qemu: see
scripts/test-aarch64.sh).  Run by whichever interpreter is to be probed:

    python platform_probe.py inputs INPUTS.npz         # make the inputs (once)
    python platform_probe.py run INPUTS.npz OUT.npz    # this build's outputs
    python platform_probe.py compare A.npz B.npz       # the differences, exit 1 if any is wrong

The inputs are made once and handed to both builds, so no difference in a
platform's random numbers or libm can pass for a codec's.  ``run`` also
records the files mapped into the process after every codec has run
(/proc/self/maps), so a caller can check that no codec library came from
outside the package, and the SIMD level each kernel family runs
(simd_info().kernels), so that it can check that none fell back to a lower
level than the CPU has (as G.722 did on aarch64 before its NEON kernel).
G.722 also runs with the kernels of level baseline, whose bits must be the
same (on aarch64 the scalar code against the NEON kernel).
"""

from __future__ import annotations

import base64
import json
import sys

import numpy as np

# Every output must be equal byte for byte between builds (integer codecs,
# L16, base64 and JSON framing, the AMR-WB decoder), except: the resampler's,
# which is floating-point (a difference up to RESAMPLE_BOUND is accepted and
# reported), and the encoders of the codec libraries, reported only: Opus is
# libopus's float build (its SSE and NEON kernels round differently) and
# vo-amrwbenc relies on behaviour C leaves undefined (issue 19), so different
# compilers may give different payloads.
REPORTED_ONLY = ("opus_encode", "opus_decode", "amrwb_encode", "amrwb_silence_encode")
RESAMPLED = ("resample", "decode_pcmu_to")
#: the largest resampler difference, in int16 steps, accepted between builds
RESAMPLE_BOUND = 1
RESAMPLE_PAIRS = ((8000, 16000), (16000, 8000), (8000, 24000), (24000, 8000), (16000, 48000),
                  (48000, 16000), (22050, 16000))


def make_inputs(path: str) -> None:
    import streamcodec as sc

    rng = np.random.default_rng(19)
    t = np.arange(48000 * 2) / 48000.0
    # a voiced-like tone mix with noise, -12 dBFS-ish, and a clipped stretch
    wave = 0.25 * np.sin(2 * np.pi * 220 * t) + 0.12 * np.sin(2 * np.pi * 1330 * t)
    wave += 0.05 * rng.standard_normal(t.size)
    wave[20000:24000] *= 8.0
    pcm48 = np.clip(wave * 32767, -32768, 32767).astype(np.int16)
    # an AMR-WB stream for both builds' decoders (their encoders may differ)
    amrwb = sc.Encoder("AMR-WB", mode=8).packetize(pcm48[::3][:16000].copy())
    np.savez(path, pcm48=pcm48, noise=rng.integers(-32768, 32768, 32000, dtype=np.int16),
             codes=rng.integers(0, 256, 4000, dtype=np.uint8),
             amrwb=np.frombuffer(b"".join(amrwb), np.uint8),
             amrwb_sizes=np.array([len(p) for p in amrwb]))


def _g722(sc, pcm: np.ndarray) -> tuple[bytes, bytes]:
    enc = sc.Encoder("G722")
    payloads = enc.packetize(pcm) + enc.flush()
    dec = sc.Decoder("G722")
    return b"".join(payloads), b"".join(dec.decode(p) for p in payloads)


def run(inputs_path: str, out_path: str) -> None:
    import streamcodec as sc
    from streamcodec import _simd, telnyx

    inputs = np.load(inputs_path)
    pcm48 = inputs["pcm48"]
    pcm16 = pcm48[::3].copy()  # plain decimation: an input, not a resampling under test
    pcm8 = pcm48[::6].copy()
    every = np.arange(-32768, 32768, dtype=np.int16)
    codes = bytes(range(256)) + inputs["codes"].tobytes()
    out: dict[str, bytes] = {}

    out["ulaw_encode"] = sc.Encoder("PCMU").encode(np.resize(every, 65600))
    out["ulaw_decode"] = sc.Decoder("PCMU").decode(codes)
    out["alaw_encode"] = sc.Encoder("PCMA").encode(np.resize(every, 65600))
    out["alaw_decode"] = sc.Decoder("PCMA").decode(codes)
    out["ulaw_to_alaw"] = sc.transcode(codes[:4000], "PCMU", "PCMA")
    for name, pcm in (("g722", pcm16), ("g722_noise", inputs["noise"])):
        out[f"{name}_encode"], out[f"{name}_decode"] = _g722(sc, pcm)
    out["g722_decode_codes"] = sc.Decoder("G722").decode(codes[:3840])
    kernels = sc.simd_info().kernels
    _simd._select("baseline")
    try:
        out["g722_baseline_encode"], out["g722_baseline_decode"] = _g722(sc, pcm16)
        out["g722_baseline_decode_codes"] = sc.Decoder("G722").decode(codes[:3840])
    finally:
        _simd._select(_simd._REQUESTED)
    out["l16_encode"] = sc.Encoder("L16", rate=16000).encode(pcm16[:16000])
    out["l16_decode"] = sc.Decoder("L16", rate=16000).decode(out["l16_encode"])
    for a, b in RESAMPLE_PAIRS:
        # (22050 Hz: made by the build itself, and compared too)
        src = pcm48[::48000 // a].copy() if 48000 % a == 0 else \
            np.frombuffer(sc.resample(pcm48, 48000, a), np.int16)
        out[f"resample_{a}_{b}"] = sc.resample(src, a, b)
        stream = sc.Resampler(a, b)
        chunks = [stream.process(src[i:i + a // 50]) for i in range(0, len(src), a // 50)]
        out[f"resampler_{a}_{b}_20ms"] = b"".join(chunks) + stream.flush()
    out["decode_pcmu_to_16k"] = b"".join(
        sc.Decoder("PCMU", rate=16000).decode(codes[i:i + 160]) for i in range(0, 3840, 160))

    # the Telnyx path: JSON + base64 in, decode; PCM out, encode, base64 + JSON
    stream = telnyx.MediaStream(rate=8000)
    stream.feed('{"event":"connected","version":"1.0.0"}')
    stream.feed(json.dumps({"event": "start", "sequence_number": "1", "stream_id": "S", "start": {
        "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1}}}))
    pcm_in = []
    for chunk, i in enumerate(range(0, 3840, 160)):
        msg = json.dumps({"event": "media", "sequence_number": str(chunk + 2), "stream_id": "S",
                          "media": {"track": "inbound", "chunk": str(chunk + 1),
                                    "timestamp": str(20 * chunk),
                                    "payload": base64.b64encode(codes[i:i + 160]).decode()}})
        pcm_in += [e.pcm for e in stream.feed(msg) if isinstance(e, telnyx.Media)]
    out["telnyx_feed_pcmu"] = b"".join(pcm_in)
    out["telnyx_play_pcmu"] = "\n".join(stream.play(pcm8[:8000], rate=8000)).encode()

    enc, dec = sc.Encoder("OPUS", rate=16000), sc.Decoder("OPUS", rate=16000)
    payloads = enc.packetize(pcm16[:16000])
    out["opus_encode"] = b"".join(payloads)
    out["opus_decode"] = b"".join(dec.decode(p) for p in payloads)
    for name, pcm in (("amrwb", pcm16[:16000]), ("amrwb_silence", np.zeros(6400, np.int16))):
        enc = sc.Encoder("AMR-WB", mode=8)
        payloads = enc.packetize(pcm)
        out[f"{name}_encode"] = b"".join(payloads)
    stream_bytes, ends = inputs["amrwb"].tobytes(), np.cumsum(inputs["amrwb_sizes"])
    dec = sc.Decoder("AMR-WB")
    out["amrwb_decode"] = b"".join(dec.decode(stream_bytes[end - size:end])
                                   for end, size in zip(ends, inputs["amrwb_sizes"]))

    with open("/proc/self/maps") as f:
        mapped = sorted({line.split()[-1] for line in f if len(line.split()) >= 6})
    np.savez(out_path, mapped=np.array(mapped),
             kernels=np.array([f"{family} {level}" for family, level in kernels.items()]),
             **{k: np.frombuffer(v, np.uint8) for k, v in out.items()})


def compare(a_path: str, b_path: str) -> int:
    a, b = np.load(a_path), np.load(b_path)
    not_outputs = ("mapped", "kernels")
    keys = sorted(k for k in a.files if k not in not_outputs)
    assert keys == sorted(k for k in b.files if k not in not_outputs), "different cases"
    wrong = 0
    for key in keys:
        x, y = a[key].tobytes(), b[key].tobytes()
        if x == y:
            verdict = "bit-exact"
        elif key.startswith(RESAMPLED) and len(x) == len(y):
            diff = np.abs(np.frombuffer(x, np.int16).astype(np.int32)
                          - np.frombuffer(y, np.int16).astype(np.int32))
            verdict = (f"differs: {np.count_nonzero(diff)} of {diff.size} samples, "
                       f"at most {diff.max()} (bound {RESAMPLE_BOUND})")
            wrong += int(diff.max() > RESAMPLE_BOUND)
        else:
            same = sum(p == q for p, q in zip(x, y))
            verdict = f"differs ({len(x)} vs {len(y)} bytes, {same} equal)"
            if key not in REPORTED_ONLY:
                verdict, wrong = "WRONG: " + verdict, wrong + 1
        print(f"{key:28s} {verdict}")
    return 1 if wrong else 0


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "inputs":
        make_inputs(*args)
    elif command == "run":
        run(*args)
    elif command == "compare":
        sys.exit(compare(*args))
    else:
        sys.exit(__doc__)
