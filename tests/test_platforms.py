"""The C core on the platforms the wheels are built for but this machine is
not: every C source compiles without a warning for musl (x86-64, aarch64)
and macOS (arm64 from 11.0, x86-64 from 10.13) with zig cc, and the kernels'
own driver (tests/c/kernels.c), built as a static musl program, gives the
installed package's outputs natively on x86-64 and under qemu-user on
aarch64 (the NEON kernels).  macOS binaries cannot run here: for macOS this
proves compilation only.

zig comes from PyPI's ziglang (the test extra), qemu-aarch64 from PATH or
from ``scripts/test-aarch64.sh --qemu``, which fetches Debian's static one
into the cache.  The first run builds musl's C library for each target
(zig caches it); later ones take seconds.
"""

from __future__ import annotations

import base64
import os
import pathlib
import re
import platform
import shutil
import subprocess
import sys
import sysconfig

import numpy as np
import pytest

import streamcodec as sc
from streamcodec import audioop as sa

ROOT = pathlib.Path(__file__).resolve().parents[1]
CSRC = ROOT / "csrc"
# the wheel's compile flags (streamcodec/_build.py) and every warning zig cc
# gives with them, as errors
FLAGS = ["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fno-strict-aliasing"]
TARGETS = ["x86_64-linux-musl", "aarch64-linux-musl", "aarch64-macos.11.0", "x86_64-macos.10.13"]
# the codec libraries' headers, for the glue compiled with them (Debian's -dev packages)
CODEC_HEADERS = ("opus", "opencore-amrwb", "vo-amrwbenc")
CODEC_MACROS = ("SC_HAVE_OPUS", "SC_HAVE_AMRWB_DEC", "SC_HAVE_AMRWB_ENC")

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64",
                                reason="the musl programs run natively on x86-64 only")


def zig_cc() -> list[str]:
    try:
        import ziglang  # noqa: F401  (the test extra installs it)
    except ImportError:
        pytest.fail("ziglang is not installed: pip install 'streamcodec[test]'")
    return [sys.executable, "-m", "ziglang", "cc"]


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, **kwargs)
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-2000:]!r}\n{done.stderr[-4000:]!r}"
    return done


@pytest.fixture(scope="module")
def codec_includes(tmp_path_factory) -> pathlib.Path:
    """A directory holding only the codec libraries' headers (not the whole
    of /usr/include, whose glibc headers would stand in for the target's)."""
    where = tmp_path_factory.mktemp("codec-include")
    for name in CODEC_HEADERS:
        found = pathlib.Path("/usr/include") / name
        assert found.is_dir(), f"{found} missing: apt-get install lib{name}-dev (scripts/setup.sh)"
        (where / name).symlink_to(found)
    return where


@pytest.mark.parametrize("target", TARGETS)
def test_every_c_source_compiles_without_warnings(target, codec_includes, tmp_path):
    sources = sorted(CSRC.glob("*.c"))
    assert len(sources) >= 10
    python_include = sysconfig.get_paths()["include"]
    variants = [
        (sources, []),  # without the codec libraries (their glue's fallback)
        ([s for s in sources if s.name in ("opus_glue.c", "amrwb.c", "codec.c", "pcm_codecs.c")],
         [f"-D{m}=1" for m in CODEC_MACROS] + ["-I", codec_includes]),
        # _fast.c against this interpreter's headers (limited API: the same on
        # every platform but for pyconfig.h, which is this machine's)
        ([ROOT / "streamcodec" / "_fast.c"], ["-DPy_LIMITED_API=0x030A0000", "-I", python_include]),
    ]
    for files, extra in variants:  # (objects written into tmp_path)
        run([*zig_cc(), "-target", target, *FLAGS, "-I", CSRC, *extra, "-c", *files],
            cwd=tmp_path, timeout=600)


@pytest.fixture(scope="module")
def qemu() -> str:
    found = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if found:
        return found
    done = run(["bash", ROOT / "scripts" / "test-aarch64.sh", "--qemu"], timeout=900)
    return done.stdout.decode().strip().splitlines()[-1]


@pytest.fixture(scope="module", params=["x86_64", "aarch64"])
def kernels(request, tmp_path_factory, qemu) -> list[str]:
    """The driver as a static musl program, and how to run it."""
    arch = request.param
    exe = tmp_path_factory.mktemp(f"kernels-{arch}") / "kernels"
    run([*zig_cc(), "-target", f"{arch}-linux-musl", "-static", *FLAGS, "-I", CSRC,
         ROOT / "tests" / "c" / "kernels.c", *sorted(CSRC.glob("*.c")), "-lm", "-o", exe],
        timeout=900)
    # qemu's Neoverse N1: NEON, no SVE (as test-aarch64.sh)
    return [str(exe)] if arch == "x86_64" else [qemu, "-cpu", "neoverse-n1", str(exe)]


#: at aarch64's level neon every family runs its NEON kernels
NEON_KERNELS = "ran g711 neon resample neon g722 neon base64 neon"


def drive(kernels, *args, stdin: bytes = b"") -> tuple[bytes, str]:
    done = run([*kernels, *args], input=stdin, timeout=600)
    log = done.stderr.decode()
    # every level ran, and the integer kernels agreed at all of them
    arch = "aarch64" if len(kernels) > 1 else "x86_64"
    assert f"at level baseline ({arch})" in log, log
    if arch == "aarch64":
        neon = [line for line in log.splitlines() if "at level neon (aarch64)" in line]
        assert len(neon) == 1 and neon[0].endswith(NEON_KERNELS), log
    return done.stdout, log


def test_g711_every_sample_and_code(kernels):
    out, _ = drive(kernels, "g711")
    every = np.arange(-32768, 32768, dtype=np.int16)
    codes = bytes(range(256))
    expected = (sc.Encoder("PCMU").encode(np.resize(every, 65600))[:65536]
                + sa.lin2ulaw(every.tobytes(), 2)
                + sc.Encoder("PCMA").encode(np.resize(every, 65600))[:65536]
                + sc.Decoder("PCMU").decode(codes) + sc.Decoder("PCMA").decode(codes))
    assert out == expected


def speech(rate: int, seconds: float = 1.0) -> np.ndarray:
    from streamcodec.signals import speech_like
    return speech_like(seconds=seconds, rate=rate, seed=5)


def test_g722_encode_and_decode(kernels):
    pcm = speech(16000)
    codes = sc.Encoder("G722").encode(pcm)
    decoded = sc.Decoder("G722").decode(codes)
    out, _ = drive(kernels, "g722", stdin=pcm.tobytes())
    assert out[:len(codes)] == codes
    assert out[len(codes):] == decoded


@pytest.mark.parametrize("rates", [(8000, 16000), (16000, 8000), (24000, 8000), (44100, 48000)])
def test_resampler_in_20ms_calls(kernels, rates):
    a, b = rates
    pcm = speech(a)
    stream = sc.Resampler(a, b)
    step = a // 50
    expected = np.frombuffer(b"".join(stream.process(pcm[i:i + step])
                                      for i in range(0, len(pcm), step)) + stream.flush(), np.int16)
    out, _ = drive(kernels, "resample", str(a), str(b), stdin=pcm.tobytes())
    got = np.frombuffer(out, np.int16)
    assert len(got) == len(expected)
    if len(kernels) == 1:  # x86-64: the package's own level, the same kernels
        assert np.array_equal(got, expected)
    else:
        # float arithmetic: NEON fuses each multiply-add like x86's avx2 and
        # avx512 levels; against a baseline (no FMA) package, one int16 step
        diff = np.abs(got.astype(np.int32) - expected)
        assert diff.max() <= 1, (np.count_nonzero(diff), diff.max())


@pytest.mark.parametrize("case", ["valid", "invalid-middle", "invalid-late", "padded"])
def test_base64_decode(kernels, case):
    data = np.random.default_rng(7).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    text = base64.b64encode(data)
    if case == "invalid-middle":
        text = text[:1000] + b"*" + text[1001:]
    elif case == "invalid-late":
        text = text[:-70] + b"\x80" + text[-69:]
    elif case == "padded":
        data = data[:2998]
        text = base64.b64encode(data)
        assert text.endswith(b"=")
    out, _ = drive(kernels, "base64", stdin=text)
    assert out == (data if case in ("valid", "padded") else b"(corrupt)")



def test_the_release_workflow_builds_what_this_file_compiles_for():
    """Every platform has a wheel job in the release workflow, the macOS ones
    with the minimum versions compiled for above, and pyproject no longer
    skips musllinux."""
    workflow = (ROOT / ".github" / "workflows" / "wheels.yml").read_text()
    builds = dict(re.findall(r"build: (cp310-\w+)(?:, macos: \"([\d.]+)\")?", workflow))
    assert builds == {"cp310-manylinux_x86_64": "", "cp310-manylinux_aarch64": "",
                      "cp310-musllinux_x86_64": "", "cp310-musllinux_aarch64": "",
                      "cp310-macosx_arm64": "11.0", "cp310-macosx_x86_64": "10.13"}, builds
    assert f"aarch64-macos.{builds['cp310-macosx_arm64']}" in TARGETS
    assert f"x86_64-macos.{builds['cp310-macosx_x86_64']}" in TARGETS
    assert "MACOSX_DEPLOYMENT_TARGET: ${{ matrix.macos }}" in workflow
    pyproject = (ROOT / "pyproject.toml").read_text()
    section = pyproject[pyproject.index("[tool.cibuildwheel]"):]
    assert "musllinux" in section and "skip" not in section.split("[tool.cibuildwheel.linux]")[0]
