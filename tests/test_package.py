"""The package as installed: where it comes from, what it imports, and a C
core that builds without warnings on every SIMD path."""

from __future__ import annotations

import glob
import re
import os
import shutil
import subprocess
import sys

import pytest

import streamcodec

from conftest import REPO


def test_imported_from_installed_package_not_source_tree():
    location = os.path.realpath(os.path.dirname(streamcodec.__file__))
    assert location != os.path.realpath(os.path.join(REPO, "streamcodec")), location
    assert "site-packages" in location, location


def test_does_not_import_stdlib_audioop():
    code = ("import sys, streamcodec, streamcodec.audioop; "
            "assert 'audioop' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True, cwd="/")


CC = shutil.which("gcc") or shutil.which("cc")


@pytest.mark.skipif(CC is None, reason="needs a C compiler")
def test_c_sources_compile_without_warnings(tmp_path):
    for src in sorted(glob.glob(os.path.join(REPO, "csrc", "*.c"))):
        subprocess.run([CC, "-O3", "-std=c11", "-Wall", "-Wextra", "-Werror", "-c", src,
                        "-I", os.path.join(REPO, "csrc"), "-o", str(tmp_path / "x.o")],
                       check=True)


HARNESS = r"""
#include "g711.h"
#include <stdio.h>
int main(void) {
    static int16_t pcm[65536], back[65536]; static uint8_t codes[65536], enc[65536];
    for (int i = 0; i < 65536; i++) { pcm[i] = (int16_t)(i - 32768); codes[i] = (uint8_t)i; }
    sc_ulaw_encode(pcm, 65536, enc);  fwrite(enc, 1, 65536, stdout);
    sc_ulaw_encode_audioop(pcm, 65536, enc);  fwrite(enc, 1, 65536, stdout);
    sc_alaw_encode(pcm, 65536, enc);  fwrite(enc, 1, 65536, stdout);
    sc_ulaw_decode(codes, 65536, back);  fwrite(back, 2, 65536, stdout);
    sc_alaw_decode(codes, 65536, back);  fwrite(back, 2, 65536, stdout);
    return 0;
}
"""


@pytest.mark.skipif(CC is None or os.uname().machine != "x86_64", reason="x86-64 SIMD paths")
def test_every_simd_path_gives_the_same_bits(tmp_path):
    """The installed extension runs only the clone this CPU picks; compile the
    G.711 kernels for each instruction set this machine can run and compare."""
    (tmp_path / "h.c").write_text(HARNESS)
    flags = open("/proc/cpuinfo").read()
    arches = ["x86-64"] + (["x86-64-v3"] if " avx2" in flags else []) + \
             (["x86-64-v4"] if " avx512bw" in flags else [])
    outputs = {}
    for arch in arches:
        exe = tmp_path / f"h-{arch}"
        subprocess.run([CC, "-O3", "-std=c11", f"-march={arch}", "-DSC_NO_CLONES",
                        "-I", os.path.join(REPO, "csrc"), str(tmp_path / "h.c"),
                        os.path.join(REPO, "csrc", "g711.c"), "-o", str(exe)], check=True)
        outputs[arch] = subprocess.run([str(exe)], check=True, capture_output=True).stdout
    assert len(outputs["x86-64"]) == 3 * 65536 + 2 * 131072
    assert all(out == outputs["x86-64"] for out in outputs.values()), list(outputs)


# A subset that needs only the sdist's own files, a compiler and pytest: G.711
# against its reference, the bare build without codec libraries, and where the
# package is imported from.
SDIST_SUBSET = ["tests/test_g711.py", "tests/test_codec_unavailable.py",
                "tests/test_package.py::test_imported_from_installed_package_not_source_tree"]


@pytest.mark.skipif(CC is None, reason="needs a C compiler")
def test_sdist_builds_and_passes_tests_on_its_own(tmp_path):
    """The sdist alone: built from this checkout, installed from the tarball
    into a fresh venv, and its own copy of the tests run against that."""
    import tarfile

    def run(cmd, **kwargs):
        done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
        assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    run([sys.executable, "-m", "build", "--sdist", "--outdir", tmp_path / "dist", REPO],
        timeout=600)
    (sdist,) = (tmp_path / "dist").glob("streamcodec-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        tar.extractall(tmp_path / "src", filter="data")
    for needed in ("LICENSE", "CHANGELOG.md", "README.md", "setup.py", "pyproject.toml",
                   "streamcodec/_build.py", "streamcodec/py.typed", "streamcodec/_fast.pyi",
                   "csrc/codec.c", "tests/conftest.py", "scripts/build-codec-libs.sh"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith((".venv/", "build/", ".git/"))]

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], timeout=300)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", sdist,
         "pytest", "hypothesis"], timeout=900)
    (src,) = (tmp_path / "src").iterdir()
    done = run([venv / "bin" / "pytest", "-q", *SDIST_SUBSET], cwd=src, timeout=900,
               env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    passed = re.search(r"\b(\d+) passed\b", done.stdout)
    # test_g711.py alone has 20 tests: the subset really ran
    assert passed and int(passed[1]) >= 20 and " failed" not in done.stdout, done.stdout[-2000:]


def _build_script():
    import importlib.util
    spec = importlib.util.spec_from_file_location("build_script",
                                                  os.path.join(REPO, "streamcodec", "_build.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_codec_prefix_choice(tmp_path, monkeypatch):
    """STREAMCODEC_CODEC_PREFIX: 'system' forces the shared libraries; a
    directory without the three archives stops the build with a message
    naming the script that fills it; a complete one is used."""
    build = _build_script()
    monkeypatch.setenv("STREAMCODEC_CODEC_PREFIX", "system")
    assert build.codec_prefix() is None
    monkeypatch.setenv("STREAMCODEC_CODEC_PREFIX", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"libopus\.a.*scripts/build-codec-libs\.sh"):
        build.codec_prefix()
    for archive, header in build.STATIC_LIBRARIES.values():
        for path in (tmp_path / "lib" / archive, tmp_path / "include" / header):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
    assert build.codec_prefix() == str(tmp_path)
    link = build._static_link(str(tmp_path))
    assert link["extra_objects"] == [str(tmp_path / "lib" / a)
                                     for a, _ in build.STATIC_LIBRARIES.values()]
    (script,) = [a for a in link["extra_link_args"] if a.startswith("-Wl,--version-script=")]
    with open(script.split("=", 1)[1]) as f:
        assert f.read().split() == ["{", "global:", "PyInit__core;", "local:", "*;", "};"]


@pytest.mark.skipif(CC is None, reason="needs a C compiler")
def test_a_changed_build_configuration_rebuilds_the_extensions(tmp_path):
    """setuptools alone skips an extension whose module is newer than its
    sources, so another compiler or other codec libraries would silently
    reuse the last build.  Here each compiler is a wrapper that logs its
    calls: switching compilers recompiles, building again with the same one
    does not."""
    src = tmp_path / "src"
    src.mkdir()
    for item in ("setup.py", "pyproject.toml", "README.md", "LICENSE", "csrc", "streamcodec"):
        path = os.path.join(REPO, item)
        if os.path.isdir(path):
            shutil.copytree(path, src / item, ignore=shutil.ignore_patterns(
                "*.o", "*.so", "__pycache__", "_core.c"))
        else:
            shutil.copy(path, src / item)
    log = tmp_path / "calls.log"
    wrappers = []
    for name in ("cc-one", "cc-two"):
        wrapper = tmp_path / name
        # logs object compiles (-c), not the link probes of optional libraries
        wrapper.write_text(f'#!/bin/sh\ncase " $* " in *" -c "*) echo {name} >> "{log}";; esac\n'
                           f'exec {CC} "$@"\n')
        wrapper.chmod(0o755)
        wrappers.append(str(wrapper))

    def build(cc):
        before = log.read_text().split() if log.exists() else []
        env = dict(os.environ, CC=cc, STREAMCODEC_CODEC_PREFIX="system")
        done = subprocess.run([sys.executable, "setup.py", "-q", "build_ext",
                               "--build-lib", str(tmp_path / "lib"),
                               "--build-temp", str(tmp_path / "temp")],
                              cwd=src, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return log.read_text().split()[len(before):] if log.exists() else []

    sources = len(glob.glob(os.path.join(REPO, "csrc", "*.c"))) + 2   # + _core.c, _fast.c
    assert build(wrappers[0]) == ["cc-one"] * sources
    assert build(wrappers[1]) == ["cc-two"] * sources
    assert build(wrappers[1]) == []
