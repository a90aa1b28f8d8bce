"""The package as installed: where it comes from, what it imports, and a C
core that builds without warnings on every SIMD path."""

from __future__ import annotations

import glob
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
