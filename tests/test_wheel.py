"""The distributable wheel, as scripts/build-wheel.sh makes it: one
cp310-abi3 manylinux file with libopus, opencore-amrwb and vo-amrwbenc
linked in.  Installed into fresh virtual environments under CPython 3.10, this
interpreter and 3.13, OPUS and AMR-WB encode and decode with no system codec
library mapped into the process.

The first run on a machine builds the codec libraries and the wheel (a few
minutes); later runs reuse build-wheel.sh's cache (seconds) unless the
sources changed.  Installing into the three venvs takes a minute or so."""

from __future__ import annotations

import glob
import json
import os
import pathlib
import platform
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
ARCH = platform.machine()
CODEC_LIBRARIES = ("libopus", "libopencore-amrwb", "libvo-amrwbenc")

PROBE = r"""
import json, sys
import numpy as np
import streamcodec as sc
from streamcodec import _core
from streamcodec.signals import speech_like

def similarity(ref, out):
    # best normalised correlation over the codec's delay (up to 20 ms)
    ref = ref.astype(np.float64); out = out.astype(np.float64)
    best = 0.0
    for lag in range(0, 321):
        a, b = ref[:len(ref) - lag], out[lag:len(ref)]
        best = max(best, float(a @ b / np.sqrt((a @ a) * (b @ b))))
    return best

pcm = speech_like(seconds=1.0, rate=16000, seed=3)
enc, dec = sc.Encoder("OPUS", rate=16000), sc.Decoder("OPUS", rate=16000)
opus = np.frombuffer(b"".join(dec.decode(p) for p in enc.packetize(pcm)), np.int16)
enc, dec = sc.Encoder("AMR-WB", mode=8), sc.Decoder("AMR-WB")
amrwb = np.frombuffer(b"".join(dec.decode(p) for p in enc.packetize(pcm)), np.int16)
# loss concealment of a 16 kHz stream: the decoder's default complexity (5)
# against 0, which never runs deep PLC; equal when the classic PLC runs at both
packets = sc.Encoder("OPUS", rate=16000).packetize(speech_like(seconds=0.5, rate=16000, seed=5))
plc = {}
for complexity in (0, None):
    dec = sc.Decoder("OPUS", rate=16000, **({} if complexity is None else {"complexity": 0}))
    for p in packets[:20]:
        dec.decode(p)
    plc[complexity] = dec.conceal(960)
with open("/proc/self/maps") as f:
    mapped = sorted({line.split()[-1] for line in f if len(line.split()) >= 6})
print(json.dumps({
    "python": list(sys.version_info[:2]), "package": sc.__file__, "core": _core.__file__,
    "mapped": mapped, "opus_samples": len(opus), "amrwb_samples": len(amrwb),
    "opus_similarity": similarity(pcm, opus), "amrwb_similarity": similarity(pcm, amrwb),
    "available": {k: v.available for k, v in sc.codecs().items()},
    "deep_plc": plc[0] != plc[None],
}))
"""


def run(cmd, **kwargs):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    run(["bash", ROOT / "scripts" / "build-wheel.sh", out], timeout=3600)
    (built,) = out.glob("streamcodec-*.whl")
    return built


def test_one_stable_abi_manylinux_wheel(wheel):
    assert re.fullmatch(rf"streamcodec-[\d.]+-cp310-abi3-manylinux_2_28_{ARCH}\.whl",
                        wheel.name), wheel.name
    names = set(zipfile.ZipFile(wheel).namelist())
    info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/WHEEL"))
    assert "streamcodec/py.typed" in names
    assert "streamcodec/_fast.pyi" in names   # the C extension's types
    assert "streamcodec/_build.py" not in names  # the build script stays in the sdist
    assert f"{info}/licenses/LICENSE" in names
    for text in ("opus/COPYING", "opencore-amr/LICENSE", "vo-amrwbenc/COPYING",
                 "vo-amrwbenc/NOTICE"):
        assert f"streamcodec/codec-licenses/{text}" in names, text
    # linked in, not grafted beside the extension by auditwheel
    assert not [n for n in names if n.startswith("streamcodec.libs/")]


def test_auditwheel_show_reports_manylinux(wheel):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    # -v: without it auditwheel stops before the external-libraries line when
    # a libc symbol version (memcpy@GLIBC_2.14, __stack_chk_fail@GLIBC_2.4,
    # referenced by the codec libraries' objects) narrows the tag below 2_28's.
    shown = run([sys.executable, "-m", "auditwheel", "-v", "show", wheel], env=env,
                timeout=300).stdout
    shown = " ".join(shown.split())
    match = re.search(rf'consistent with the following platform tag: "manylinux_(\d+)_(\d+)_{ARCH}"',
                      shown)
    assert match, shown
    assert (int(match[1]), int(match[2])) <= (2, 28), shown
    assert "requires no external shared libraries" in shown, shown


def test_extension_exports_only_its_init_and_needs_only_libc(wheel, tmp_path):
    with zipfile.ZipFile(wheel) as z:
        (core,) = [n for n in z.namelist() if re.fullmatch(r"streamcodec/_core\..*so", n)]
        z.extract(core, tmp_path)
    with open(tmp_path / core, "rb") as f:
        elf = ELFFile(f)
        dynsym = elf.get_section_by_name(".dynsym")
        assert isinstance(dynsym, SymbolTableSection)
        exported = {s.name for s in dynsym.iter_symbols()
                    if s.entry.st_shndx != "SHN_UNDEF" and s.entry.st_info.bind == "STB_GLOBAL"}
        dynamic = next(s for s in elf.iter_sections() if isinstance(s, DynamicSection))
        needed = {t.needed for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED"}
    assert core.endswith(".abi3.so")
    # opus_encode and friends stay private: no clash with another libopus in the process
    assert exported == {"PyInit__core"}, sorted(exported)[:20]
    assert needed <= {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2"}, needed


def _interpreter(version: str) -> str:
    """CPython `version` from PATH or pyenv's versions (as the python-native
    machine image ships them); a clear failure when it is missing, unless
    STREAMCODEC_ALLOW_MISSING_PYTHON=1 turns that into a skip that says so."""
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        return sys.executable
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"))
    candidates += [c for c in [shutil.which(f"python{version}")] if c]
    for candidate in candidates:  # a pyenv shim on PATH may lead nowhere: ask it
        probe = subprocess.run([candidate, "-c", "import sys; print(*sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.split() == version.split("."):
            return candidate
    message = (f"CPython {version} not found (PATH, {root}/versions): the wheel's install "
               f"under {version} is NOT tested here; install it (pyenv install {version}) "
               f"or set STREAMCODEC_ALLOW_MISSING_PYTHON=1 to skip")
    if os.environ.get("STREAMCODEC_ALLOW_MISSING_PYTHON") == "1":
        pytest.skip(message)
    pytest.fail(message)


@pytest.mark.parametrize("version", ["3.10", f"{sys.version_info[0]}.{sys.version_info[1]}",
                                     "3.13"])
def test_fresh_venv_runs_codecs_without_system_libraries(wheel, tmp_path, version):
    python_exe = _interpreter(version)
    venv = tmp_path / "venv"
    run([python_exe, "-m", "venv", venv], timeout=300)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel],
        timeout=900)
    out = json.loads(run([python, "-c", PROBE], cwd=tmp_path, timeout=300).stdout)

    assert out["python"] == [int(x) for x in version.split(".")]
    assert pathlib.Path(out["package"]).is_relative_to(venv)  # the wheel's copy
    assert out["available"]["OPUS"] and out["available"]["AMR-WB"]
    assert out["opus_samples"] == 16000 and out["amrwb_samples"] == 16000
    # decoded audio follows the input (a broken codec gives noise or silence, ~0)
    assert out["opus_similarity"] > 0.8, out["opus_similarity"]
    assert out["amrwb_similarity"] > 0.8, out["amrwb_similarity"]
    # libopus 1.5.2 is built with deep PLC and the decoder runs it by default
    assert out["deep_plc"], "the OPUS decoder ran the classic PLC"
    # nothing of the system's codec libraries in the process
    loaded = [m for m in out["mapped"]
              if any(pathlib.PurePath(m).name.startswith(lib) for lib in CODEC_LIBRARIES)]
    assert loaded == [], loaded
    assert any(m == out["core"] for m in out["mapped"])  # the probe saw real mappings


# Tests whose references do not depend on the codec library versions (the
# OPUS tests compare bits with opuslib over the system's libopus 1.3.1, the
# wheel carries 1.5.2).
KERNEL_TESTS = ["tests/test_g711.py", "tests/test_g722.py", "tests/test_resample.py",
                "tests/test_amrwb.py", "tests/test_telnyx_frame.py", "tests/test_simd.py",
                "tests/test_g711_plc.py"]


def test_zig_built_kernels_pass_the_codec_tests(wheel, tmp_path):
    """The wheel's C core is compiled by zig cc (clang), the rest of the
    suite runs gcc's build: its SIMD kernels at every level, its own CPU
    detection (test_simd.py: the best level runs by default) and the
    statically linked AMR-WB libraries pass the same tests."""
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp_path / "site")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    where = run([sys.executable, "-c", "import streamcodec; print(streamcodec.__file__)"],
                env=env, cwd=tmp_path, timeout=60).stdout.strip()
    assert where.startswith(str(tmp_path / "site")), where
    done = run([BIN / "pytest", "-q", "-p", "no:cacheprovider", *KERNEL_TESTS],
               env=env, cwd=ROOT, timeout=900)
    passed = re.search(r"\b(\d+) passed\b", done.stdout)
    assert passed and int(passed[1]) > 300 and " failed" not in done.stdout, done.stdout[-2000:]


def _compare_builds():
    import importlib.util
    spec = importlib.util.spec_from_file_location("compare_builds",
                                                  ROOT / "bench" / "compare_builds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wheel_gives_the_gcc_build_s_bytes(wheel, tmp_path):
    """The same pinned codec libraries and C core built by gcc (the libraries
    by scripts/build-codec-libs.sh, into STREAMCODEC_CACHE) and by zig cc
    (the wheel): Opus (16 and 48 kHz) and AMR-WB (modes 0, 2, 8) payloads of
    speech, hard-clipped speech and speech after digital silence are the same
    bytes, and so is the Opus decoder's output of them with a fifth of the
    packets lost; so are G.711, L16, G.722 and the resampler at every SIMD level
    (digests from bench/compare_builds.py's probe)."""
    cb = _compare_builds()
    prefix = os.path.join(cb.cache_dir(), "codec-libs", "gcc")
    env = dict(os.environ, CC="gcc")
    run(["bash", ROOT / "scripts" / "build-codec-libs.sh", prefix], env=env, timeout=1800)
    src = cb.clean_copy(str(tmp_path / "src"))
    run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
         "--no-build-isolation", "--target", tmp_path / "gcc", src],
        env=dict(env, STREAMCODEC_CODEC_PREFIX=prefix), timeout=900)
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp_path / "zig")
    bits = {}
    for build in ("gcc", "zig"):
        env = {k: v for k, v in os.environ.items() if k != "STREAMCODEC_SIMD"}
        env["PYTHONPATH"] = str(tmp_path / build)
        out = run([sys.executable, "-c", cb.CHILD, "bits"], env=env, cwd=tmp_path, timeout=300)
        bits[build] = json.loads(out.stdout)
    assert len(bits["gcc"]["encoders"]) == 2 * 2 * 3 + 3 * 3
    assert bits["zig"]["encoders"] == bits["gcc"]["encoders"]
    assert bits["zig"]["levels"] == bits["gcc"]["levels"]
    assert bits["zig"]["info"] == bits["gcc"]["info"]


@pytest.mark.skipif(ARCH != "x86_64", reason="libopus's x86 kernels")
def test_wheel_s_libopus_detects_the_cpu_itself_and_has_its_avx2_kernels(wheel):
    """libopus's own run-time CPU detection (RTCD: x86cpu.o, which asks CPUID)
    is built into the wheel's libopus with every kernel it chooses among,
    AVX2 included (zig cc once failed configure's AVX2 probe, leaving the
    AVX2 kernels to gcc builds only)."""
    cb = _compare_builds()
    (archive,) = sorted(glob.glob(os.path.join(cb.cache_dir(), "codec-libs",
                                               f"{ARCH}-linux-gnu.2.28-zig*", "lib", "libopus.a")),
                        key=os.path.getmtime)[-1:]
    members = set(run(["ar", "t", archive], timeout=60).stdout.split())
    for member in ("x86cpu.o", "x86_celt_map.o", "x86_silk_map.o", "pitch_sse4_1.o",
                   "NSQ_del_dec_sse4_1.o", "pitch_avx.o", "NSQ_del_dec_avx2.o",
                   "inner_product_FLP_avx2.o"):
        assert member in members, member
