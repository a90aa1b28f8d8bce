"""cffi build script for streamcodec._core (API, out-of-line mode).

The cdef is the text between ``cffi:begin`` and ``cffi:end`` in each header
of csrc/, so the binding mirrors the C headers one to one; every ``.c`` file
in csrc/ is compiled into the one extension.  Optional codec libraries are
probed by compiling and linking a tiny program: where one is missing the
package still builds, the codec reports itself unavailable, and constructing
it names the Debian package to install.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

from cffi import FFI

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSRC = os.path.join(ROOT, "csrc")

# (macro defined when present, header to include, library to link, Debian package)
OPTIONAL_LIBRARIES = [
    ("SC_HAVE_OPUS", "opus/opus.h", "opus", "libopus-dev"),
    ("SC_HAVE_AMRWB_DEC", "opencore-amrwb/dec_if.h", "opencore-amrwb", "libopencore-amrwb-dev"),
    ("SC_HAVE_AMRWB_ENC", "vo-amrwbenc/enc_if.h", "vo-amrwbenc", "libvo-amrwbenc-dev"),
]

CFLAGS = ["-O3", "-std=c11", "-Wall", "-Wextra", "-fno-strict-aliasing"]


def _rel(path: str) -> str:
    """setuptools wants source paths relative to the project root."""
    return os.path.relpath(path, os.getcwd())


def _cdef_text() -> str:
    headers = sorted(glob.glob(os.path.join(CSRC, "*.h")))
    # sc_common.h declares the shared enums every other block uses.
    headers.sort(key=lambda h: os.path.basename(h) != "sc_common.h")
    blocks = []
    for header in headers:
        with open(header, encoding="utf-8") as f:
            text = f.read()
        for block in re.findall(r"/\* cffi:begin \*/(.*?)/\* cffi:end \*/", text, re.S):
            blocks.append(block)
    return "\n".join(blocks)


def _library_present(header: str, library: str) -> bool:
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc.split()[0]):
        return False
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(f"#include <{header}>\nint main(void) {{ return 0; }}\n")
        cmd = cc.split() + [src, "-o", os.path.join(tmp, "probe"), f"-l{library}"]
        return subprocess.run(cmd, capture_output=True).returncode == 0


def _probe_optional():
    defines, libraries = [], []
    for macro, header, library, package in OPTIONAL_LIBRARIES:
        if _library_present(header, library):
            defines.append((macro, "1"))
            libraries.append(library)
        else:
            print(f"streamcodec: {header} / -l{library} not found; building without it "
                  f"(apt-get install {package} to enable)", file=sys.stderr)
    return defines, libraries


def make_builder() -> FFI:
    builder = FFI()
    builder.cdef(_cdef_text())
    defines, libraries = _probe_optional()
    headers = sorted(os.path.basename(h) for h in glob.glob(os.path.join(CSRC, "*.h")))
    builder.set_source(
        "streamcodec._core",
        "\n".join(f'#include "{h}"' for h in headers),
        sources=[_rel(c) for c in sorted(glob.glob(os.path.join(CSRC, "*.c")))],
        include_dirs=[_rel(CSRC)],
        define_macros=defines,
        libraries=libraries + ["m"],
        extra_compile_args=CFLAGS,
    )
    return builder


ffibuilder = make_builder()

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
