"""Run-time SIMD dispatch (csrc/cpu.c): every level this machine can run gives
the same results, the level is detected from the CPU itself and can be
capped with STREAMCODEC_SIMD, and simd_info() names what runs.

Levels are switched in this process through the private selector the
package calls on import (streamcodec._simd._select), and restored after.
The integer codecs (G.711, L16, float to int16, G.722, base64 and the JSON
fast path) must give the same bits at every level.  The resampler's
guarantee: avx2 and avx512 give the same bits (same fused multiply-adds in
the same order per output); baseline has no FMA, so its float outputs
differ from theirs by rounding only (bounded below) and its int16 outputs by
at most one unit; at every level the output does not depend on how the
input is split into calls.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest

import streamcodec as sc
from streamcodec import _simd
from streamcodec._core import ffi, lib

import g711_reference as ref

INFO = sc.simd_info()
# the levels this machine can run, lowest first
RUNNABLE = INFO.levels[: INFO.levels.index(INFO.detected) + 1]


@contextmanager
def level(name: str):
    _simd._select(name)
    try:
        assert sc.simd_info().chosen == name
        yield
    finally:
        _simd._select(_simd._REQUESTED)


def at_every_level(fn):
    """{level: fn()} for every level this machine can run."""
    out = {}
    for name in RUNNABLE:
        with level(name):
            out[name] = fn()
    return out


def assert_all_equal(results: dict):
    base = results[RUNNABLE[0]]
    for name, got in results.items():
        if isinstance(base, np.ndarray):
            assert np.array_equal(got, base), name
        else:
            assert got == base, name


ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = np.arange(256, dtype=np.uint8)


CTYPES = {np.dtype(np.int16): "int16_t[]", np.dtype(np.uint8): "uint8_t[]",
          np.dtype(np.float32): "float[]"}


def cbuf(a: np.ndarray):
    """A C pointer of the array's element type."""
    return ffi.from_buffer(CTYPES[a.dtype], a)


def _call(fn, src: np.ndarray, out_dtype, count=None):
    n = len(src) if count is None else count
    out = np.zeros(n, dtype=out_dtype)
    fn(cbuf(src), n, cbuf(out))
    return out


# ------------------------------------------------------------ detection and report

def _cpuinfo_flags() -> set:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


@pytest.mark.skipif(INFO.arch != "x86_64" or not os.path.exists("/proc/cpuinfo"),
                    reason="x86-64 Linux: /proc/cpuinfo is the independent witness")
def test_detected_level_agrees_with_the_kernel_s_cpu_flags():
    """The core's own CPUID + XGETBV detection against what Linux reports
    (Linux lists avx2 / avx512* only where it also saves their registers)."""
    flags = _cpuinfo_flags()
    v3 = {"avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "popcnt", "abm"} <= flags
    v4 = v3 and {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"} <= flags
    expected = "avx512" if v4 else "avx2" if v3 else "baseline"
    assert INFO.detected == expected


_ALL_BASELINE = {"g711": "baseline", "resample": "baseline", "g722": "baseline",
                 "base64": "baseline"}
#: (architecture, level) -> the level whose kernels each family runs there
KERNELS_AT = {
    ("x86_64", "baseline"): _ALL_BASELINE,
    ("x86_64", "avx2"): {"g711": "avx2", "resample": "avx2", "g722": "avx2", "base64": "avx2"},
    # G.722's and base64's best kernels are AVX2 ones
    ("x86_64", "avx512"): {"g711": "avx512", "resample": "avx512", "g722": "avx2",
                           "base64": "avx2"},
    ("aarch64", "baseline"): _ALL_BASELINE,
    ("aarch64", "neon"): {"g711": "neon", "resample": "neon", "g722": "neon", "base64": "neon"},
    ("other", "baseline"): _ALL_BASELINE,
}


def test_without_the_variable_the_detected_level_runs_in_every_family():
    """What a user gets by default: the best kernels, never silently the
    baseline (the zig-built wheel once ran baseline everywhere)."""
    if _simd._REQUESTED is not None:
        pytest.skip(f"{_simd.ENV_VAR} is set for this run")
    assert INFO.chosen == INFO.detected
    assert INFO.kernels == KERNELS_AT[(INFO.arch, INFO.detected)]


def test_simd_info_reports_each_level_and_the_kernels_it_installs():
    expected_levels = {"x86_64": ("baseline", "avx2", "avx512"),
                       "aarch64": ("baseline", "neon"), "other": ("baseline",)}
    assert INFO.levels == expected_levels[INFO.arch]
    for name in RUNNABLE:
        with level(name):
            info = sc.simd_info()
            assert (info.chosen, info.kernels) == (name, KERNELS_AT[(INFO.arch, name)])
            assert lib.sc_cpu_level() == RUNNABLE.index(name)


def _run_with_env(value: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, **{_simd.ENV_VAR: value})
    code = "import streamcodec as sc; i = sc.simd_info(); print(i.chosen, i.requested); print(i)"
    return subprocess.run([sys.executable, "-W", "always", "-c", code], env=env,
                          capture_output=True, text=True, check=True, cwd=os.path.dirname(__file__))


def test_environment_variable_caps_the_level():
    for name in INFO.levels:
        proc = _run_with_env(name.upper())
        chosen, requested = proc.stdout.split("\n")[0].split()
        # capped at the request, or at what the CPU has
        expected = min(INFO.levels.index(name), INFO.levels.index(INFO.detected))
        assert (chosen, requested) == (INFO.levels[expected], name.upper())
        assert proc.stderr == ""


def test_unknown_level_warns_and_uses_the_detected_one():
    proc = _run_with_env("avx1024")
    chosen, requested = proc.stdout.split("\n")[0].split()
    assert (chosen, requested) == (INFO.detected, "avx1024")
    assert "RuntimeWarning: STREAMCODEC_SIMD='avx1024' is not a SIMD level" in proc.stderr
    assert ", ".join(INFO.levels) in proc.stderr
    assert "'avx1024' ignored" in proc.stdout


def test_version_names_the_level_and_the_kernels():
    env = dict(os.environ)
    env.pop(_simd.ENV_VAR, None)
    proc = subprocess.run([sys.executable, "-m", "streamcodec", "--version"], env=env,
                          capture_output=True, text=True, check=True,
                          cwd=os.path.dirname(__file__))
    version, simd = proc.stdout.splitlines()
    assert version == f"streamcodec {sc.__version__}"
    kernels = ", ".join(f"{family} {lvl}" for family, lvl in INFO.kernels.items())
    assert simd == (f"SIMD: {INFO.detected} on {INFO.arch} (CPU supports {INFO.detected}); "
                    f"kernels: {kernels}")
    capped = subprocess.run([sys.executable, "-m", "streamcodec", "--version"],
                            env=dict(env, **{_simd.ENV_VAR: "baseline"}), capture_output=True,
                            text=True, check=True, cwd=os.path.dirname(__file__)).stdout
    assert "SIMD: baseline on" in capped and "STREAMCODEC_SIMD='baseline'" in capped
    assert "g711 baseline, resample baseline, g722 baseline, base64 baseline" in capped


def test_level_names_round_trip_and_bad_ones_are_refused():
    for i, name in enumerate(INFO.levels):
        assert ffi.string(lib.sc_cpu_level_name(i)).decode() == name
        assert lib.sc_cpu_level_from_name(name.encode()) == i
    assert lib.sc_cpu_level_name(len(INFO.levels)) == ffi.NULL
    assert lib.sc_cpu_level_name(-1) == ffi.NULL
    assert lib.sc_cpu_level_from_name(b"sse9") == lib.SC_EARG
    assert lib.sc_cpu_level_from_name(ffi.NULL) == lib.SC_EARG
    assert lib.sc_cpu_family_name(99) == ffi.NULL and lib.sc_cpu_family_kernel(-1) == ffi.NULL


@pytest.mark.skipif(INFO.arch != "x86_64" or shutil.which("objdump") is None,
                    reason="x86-64 disassembly")
def test_the_installed_extension_holds_avx2_and_avx512_code():
    """The kernels really are compiled for their level (zig cc once built
    target("arch=x86-64-v4") functions as baseline SSE code)."""
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", sc._core.__file__],
                          capture_output=True, text=True, check=True).stdout
    assert text.count("%zmm") > 500
    assert text.count("vfmadd") > 100
    assert text.count("%ymm") > 1000


# ------------------------------------------------------------ integer codecs: same bits

def test_g711_encoders_exhaustive_at_every_level():
    def run():
        return (_call(lib.sc_ulaw_encode, ALL_INT16, np.uint8),
                _call(lib.sc_ulaw_encode_audioop, ALL_INT16, np.uint8),
                _call(lib.sc_alaw_encode, ALL_INT16, np.uint8))
    results = at_every_level(run)
    expected = (np.array([ref.ulaw_encode(int(x)) for x in ALL_INT16], np.uint8), None,
                np.array([ref.alaw_encode(int(x)) for x in ALL_INT16], np.uint8))
    for name, (ulaw, ulaw_audioop, alaw) in results.items():
        assert np.array_equal(ulaw, expected[0]), name
        assert np.array_equal(alaw, expected[2]), name
        assert np.array_equal(ulaw_audioop, results[RUNNABLE[0]][1]), name


def test_g711_decoders_exhaustive_at_every_level():
    results = at_every_level(lambda: (_call(lib.sc_ulaw_decode, ALL_CODES, np.int16),
                                      _call(lib.sc_alaw_decode, ALL_CODES, np.int16)))
    for name, (ulaw, alaw) in results.items():
        assert ulaw.tolist() == [ref.ulaw_decode(c) for c in range(256)], name
        assert alaw.tolist() == [ref.alaw_decode(c) for c in range(256)], name


def test_g711_every_length_and_alignment_at_every_level():
    """Vector bodies and scalar tails: every length to 130 at every byte
    offset of a 64-byte line, against the baseline's results."""
    rng = np.random.default_rng(5)
    pcm = rng.integers(-32768, 32768, 200, dtype=np.int16)
    codes = rng.integers(0, 256, 200, dtype=np.uint8)

    def run():
        out = []
        for offset in (0, 1, 3, 7):
            for n in range(131):
                src = pcm[offset:offset + n]
                out.append(_call(lib.sc_ulaw_encode, src, np.uint8).tobytes())
                out.append(_call(lib.sc_alaw_encode, src, np.uint8).tobytes())
                c = codes[offset:offset + n]
                out.append(_call(lib.sc_ulaw_decode, c, np.int16).tobytes())
                out.append(_call(lib.sc_alaw_decode, c, np.int16).tobytes())
        return out
    assert_all_equal(at_every_level(run))


def test_l16_exhaustive_at_every_level():
    wire = ALL_INT16.astype(">i2").view(np.uint8)

    def run():
        out = {}
        for name in ("l16", "l16le"):
            to_host = getattr(lib, f"sc_{name}_to_host")
            to_wire = getattr(lib, f"sc_host_to_{name}")
            host = np.zeros(65536, np.int16)
            to_host(cbuf(wire), 65536, cbuf(host))
            back = np.zeros(131072, np.uint8)
            to_wire(cbuf(ALL_INT16), 65536, cbuf(back))
            out[name] = (host.tobytes(), back.tobytes())
        return out
    results = at_every_level(run)
    assert_all_equal(results)
    base = results[RUNNABLE[0]]
    assert base["l16"] == (ALL_INT16.tobytes(), wire.tobytes())
    assert base["l16le"][1] == ALL_INT16.astype("<i2").tobytes()


def test_float_to_int16_at_every_level():
    """Every float that rounds into range near each int16 boundary, ties,
    clipping, and non-finite values."""
    grid = np.arange(-32770, 32770, dtype=np.float64)
    values = np.concatenate([grid, grid + 0.5, grid - 0.5, grid + 0.25]) / 32768.0
    special = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 0.0, -0.0, 1.0, -1.0])
    x = np.concatenate([values, special]).astype(np.float32)

    def run():
        out = np.zeros(len(x), np.int16)
        rc = lib.sc_pcm16_from_float(cbuf(x), len(x), cbuf(out))
        finite = np.zeros(len(values), np.int16)
        rc2 = lib.sc_pcm16_from_float(cbuf(x[:len(values)]), len(values), cbuf(finite))
        return rc, rc2, out.tobytes()
    results = at_every_level(run)
    assert_all_equal(results)
    rc, rc2, out = results[RUNNABLE[0]]
    assert (rc, rc2) == (lib.SC_EARG, lib.SC_OK)
    scaled = np.clip(np.rint(x[:len(values)].astype(np.float64) * 32768.0), -32768, 32767)
    assert np.array_equal(np.frombuffer(out, np.int16)[:len(values)], scaled.astype(np.int16))


def _g722_pcm() -> np.ndarray:
    from speech_signal import speech_like
    rng = np.random.default_rng(3)
    pcm = np.concatenate([
        speech_like(1.0, 16000, seed=2),
        rng.integers(-32768, 32768, 8000, dtype=np.int16),                    # noise, full scale
        np.where(np.sin(np.arange(8000) * 0.05) >= 0, 32767, -32768).astype(np.int16),  # square
        np.zeros(4000, np.int16)])
    return pcm


def test_g722_at_every_level():
    """The same bits from every G.722 kernel this machine can run: on x86-64
    SSE2's (baseline) and AVX2's, on aarch64 the portable C (baseline) and
    NEON's; each level reports the kernel it ran."""
    pcm = _g722_pcm()
    codes = np.random.default_rng(11).integers(0, 256, 12000, dtype=np.uint8).tobytes()

    def run():
        enc = sc.Encoder("G722")
        cuts, done, out, i = [2, 320, 4002, 6, 1000, 318], 0, [], 0
        while done < len(pcm):
            k = min(cuts[i % 6], len(pcm) - done)
            out.append(enc.encode(pcm[done:done + k]))
            done, i = done + k, i + 1
        payload = b"".join(out)
        decoded = []
        for bitrate in (64000, 56000, 48000):
            for src in (payload, codes):
                dec = sc.Decoder("G722", bitrate=bitrate)
                for start in range(0, len(src), 161):
                    decoded.append(dec.decode(src[start:start + 161]))
                decoded.append(dec.conceal(640))
        return payload, decoded, sc.simd_info().kernels["g722"]
    results = at_every_level(run)
    ran = {name: results[name][2] for name in RUNNABLE}
    assert ran == {name: KERNELS_AT[(INFO.arch, name)]["g722"] for name in RUNNABLE}
    assert_all_equal({name: result[:2] for name, result in results.items()})
    assert len(results[RUNNABLE[0]][0]) == len(pcm) // 2


def _b64_cases() -> list:
    rng = np.random.default_rng(17)
    cases = []
    for n in list(range(0, 80)) + [159, 160, 161, 480, 960, 4000]:
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        text = base64.b64encode(data)
        cases.append(text)
        if text:
            # one character outside the alphabet (or a misplaced '=') at each
            # position of the first 40
            for pos in range(min(len(text), 40)):
                for bad in (b"=", b"-", b"\x00", b"\xff", b"_"):
                    cases.append(text[:pos] + bad + text[pos + 1:])
    # every byte value in every position of a 16-character block
    block = base64.b64encode(bytes(range(36)))
    for value in range(256):
        cases.append(block[:5] + bytes([value]) + block[6:])
    return cases


def test_base64_decoder_at_every_level():
    cases = _b64_cases()

    def run():
        out = []
        for text in cases:
            buf = ffi.new("uint8_t[]", len(text) + 3)
            n = lib.sc_base64_decode(text, len(text), buf, len(text) + 3)
            out.append((n, bytes(ffi.buffer(buf, max(n, 0)))))
        return out
    results = at_every_level(run)
    assert_all_equal(results)
    for text, (n, data) in zip(cases, results[RUNNABLE[0]]):
        try:
            expected = base64.b64decode(text, validate=True)
            canonical = base64.b64encode(expected) == text
        except ValueError:
            canonical = False
        if canonical:
            assert (n, data) == (len(expected), expected)
        else:
            assert n == lib.SC_ECORRUPT, text


def test_json_media_fast_path_at_every_level():
    """Telnyx media messages through the C fast path (JSON scan, base64,
    G.711, resampling to 16 kHz) at every level."""
    from streamcodec import telnyx
    rng = np.random.default_rng(23)
    frames = [bytes(rng.integers(0, 256, size, dtype=np.uint8)) for size in (160, 160, 80, 320, 160)]

    def run():
        s = telnyx.MediaStream(rate=16000)
        start = {"media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1}}
        s.feed(json.dumps({"event": "start", "sequence_number": "1", "stream_id": "S",
                           "start": start}))
        pcm = []
        for chunk, frame in enumerate(frames, 1):
            msg = json.dumps({"event": "media", "sequence_number": str(chunk + 1),
                              "stream_id": "S",
                              "media": {"track": "inbound", "chunk": str(chunk),
                                        "timestamp": str(20 * chunk),
                                        "payload": base64.b64encode(frame).decode()}})
            (event,) = s.feed(msg)
            pcm.append(event.pcm)
        return pcm
    results = at_every_level(run)
    assert_all_equal(results)
    assert sum(map(len, results[RUNNABLE[0]])) == 2 * 2 * sum(map(len, frames))


# ------------------------------------------------------------ the resampler

PAIRS = [(8000, 16000), (16000, 8000), (8000, 24000), (24000, 8000), (16000, 24000),
         (24000, 16000), (44100, 48000), (48000, 8000)]


def _signal(rate: int, seconds: float = 0.5) -> np.ndarray:
    from speech_signal import speech_like
    return speech_like(seconds, rate, seed=rate)


def _stream(r: sc.Resampler, x, cuts) -> bytes | np.ndarray:
    out, done = [], 0
    for k in cuts:
        out.append(r.process(x[done:done + k]))
        done += k
    out.append(r.process(x[done:]))
    out.append(r.flush())
    if isinstance(out[0], np.ndarray):
        return np.concatenate(out)
    return b"".join(out)


CUTS = [[], [1, 159, 160, 7, 321], [3] * 40, [1000, 1, 1, 2000]]


@pytest.mark.parametrize("pair", PAIRS)
def test_resampler_chunking_never_changes_the_output_at_any_level(pair):
    x = _signal(pair[0])
    xf = (x / 32768.0).astype(np.float32)

    def run():
        whole_i = _stream(sc.Resampler(*pair), x, [])
        whole_f = _stream(sc.Resampler(*pair), xf, [])
        for cuts in CUTS[1:]:
            assert _stream(sc.Resampler(*pair), x, cuts) == whole_i
            assert np.array_equal(_stream(sc.Resampler(*pair), xf, cuts), whole_f)
        return whole_i, whole_f
    at_every_level(run)


@pytest.mark.parametrize("pair", PAIRS)
def test_resampler_levels_agree_bit_exact_with_fma_and_within_rounding_without(pair):
    x = _signal(pair[0])
    xf = (x / 32768.0).astype(np.float32)
    results = at_every_level(lambda: (np.frombuffer(_stream(sc.Resampler(*pair), x, CUTS[1]),
                                                    np.int16),
                                      _stream(sc.Resampler(*pair), xf, CUTS[2])))
    fma = [name for name in RUNNABLE if name != "baseline"]
    for name in fma[1:]:
        # the 16-lane AVX-512 kernel against the 8-lane AVX2 one: same bits
        assert np.array_equal(results[name][0], results[fma[0]][0])
        assert np.array_equal(results[name][1], results[fma[0]][1])
    base_i, base_f = results["baseline"]
    peak = float(np.max(np.abs(xf)))
    for name in fma:
        got_i, got_f = results[name]
        # Separate multiply and add round twice where FMA rounds once: a few
        # units in the last place of the partial sums, far below one int16 step
        # (2^-15 of full scale).  Measured: about 2e-7 of the peak.
        assert np.max(np.abs(got_f - base_f)) <= 4e-6 * peak
        diff = np.abs(got_i.astype(np.int32) - base_i.astype(np.int32))
        assert diff.max() <= 1
        assert np.count_nonzero(diff) <= len(diff) // 100


def test_resampler_wide_kernel_only_at_avx512():
    """The 16-lane kernel is asked for per resampler; it exists at avx512 only."""
    for name in RUNNABLE:
        with level(name):
            r = sc.Resampler(8000, 16000)
            expected = lib.SC_OK if name == "avx512" else lib.SC_EUNSUPPORTED
            assert lib.sc_resampler_set_wide(r._st, 1) == expected
            assert lib.sc_resampler_set_wide(r._st, 0) == lib.SC_OK
