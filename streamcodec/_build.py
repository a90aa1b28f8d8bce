"""cffi build script for streamcodec._core (API, out-of-line mode).

The cdef is the text between ``cffi:begin`` and ``cffi:end`` in each header
of csrc/, so the binding mirrors the C headers one to one; every ``.c`` file
in csrc/ is compiled into the one extension.

The codec libraries (libopus, libopencore-amrwb, libvo-amrwbenc) come from
one of two places, chosen by :func:`codec_prefix`:

- static archives that ``scripts/build-codec-libs.sh`` built from pinned
  release tarballs (the distributable wheel): linked into the extension
  itself, their symbols kept private to it;
- the system's shared libraries (distributions, ``pip install .`` on a
  machine with Debian's -dev packages): each is probed by compiling and
  linking a tiny program; where one is missing the package still builds, the
  codec reports itself unavailable, and constructing it names the Debian
  package to install.
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

# macro -> (static archive, header) that scripts/build-codec-libs.sh installs
STATIC_LIBRARIES = {
    "SC_HAVE_OPUS": ("libopus.a", "opus/opus.h"),
    "SC_HAVE_AMRWB_DEC": ("libopencore-amrwb.a", "opencore-amrwb/dec_if.h"),
    "SC_HAVE_AMRWB_ENC": ("libvo-amrwbenc.a", "vo-amrwbenc/enc_if.h"),
}
# where scripts/build-codec-libs.sh installs when given no PREFIX
DEFAULT_CODEC_PREFIX = os.path.join(ROOT, "build", "codec-libs")

CFLAGS = ["-O3", "-std=c11", "-Wall", "-Wextra", "-fno-strict-aliasing"]


def _static_complete(prefix: str) -> bool:
    return all(os.path.isfile(os.path.join(prefix, "lib", archive))
               and os.path.isfile(os.path.join(prefix, "include", header))
               for archive, header in STATIC_LIBRARIES.values())


def codec_prefix() -> str | None:
    """The prefix whose static codec libraries to link, or None for the
    system's shared ones.

    ``STREAMCODEC_CODEC_PREFIX=DIR`` names it (it must hold all three, else
    the build stops); ``STREAMCODEC_CODEC_PREFIX=system`` asks for the system
    libraries; unset, :data:`DEFAULT_CODEC_PREFIX` is used once
    ``scripts/build-codec-libs.sh`` has filled it, the system otherwise.
    """
    asked = os.environ.get("STREAMCODEC_CODEC_PREFIX", "")
    if asked == "system":
        return None
    if asked:
        prefix = os.path.abspath(asked)
        if not _static_complete(prefix):
            raise RuntimeError(
                f"STREAMCODEC_CODEC_PREFIX={asked}: expected lib/ "
                f"{', '.join(a for a, _ in STATIC_LIBRARIES.values())} and their headers "
                f"there; run scripts/build-codec-libs.sh {asked}")
        return prefix
    return DEFAULT_CODEC_PREFIX if _static_complete(DEFAULT_CODEC_PREFIX) else None


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


def _static_link(prefix: str) -> dict:
    """Extension arguments that link the prefix's archives by full path (so
    no -l search can pick a shared copy) and export nothing but the module's
    init function: the codec libraries' symbols stay local to _core, so
    another libopus in the same process (PyAV's, a ctypes binding's) can
    neither take over ours nor be taken over.  (A version script rather than
    --exclude-libs, which zig cc does not pass on.)"""
    print(f"streamcodec: linking the static codec libraries in {prefix}", file=sys.stderr)
    if sys.platform == "darwin":  # Apple's linker: an export list (Mach-O names start with _)
        only_init = ["-Wl,-exported_symbol,_PyInit__core"]
    else:
        exports = os.path.join(tempfile.mkdtemp(prefix="streamcodec-build-"), "exports.map")
        with open(exports, "w") as f:
            f.write("{ global: PyInit__core; local: *; };\n")
        only_init = [f"-Wl,--version-script={exports}"]
    return dict(
        define_macros=[(macro, "1") for macro in STATIC_LIBRARIES],
        include_dirs=[os.path.join(prefix, "include")],
        extra_objects=[os.path.join(prefix, "lib", a) for a, _ in STATIC_LIBRARIES.values()],
        libraries=["m"],
        extra_link_args=only_init,
    )


def make_builder() -> FFI:
    """The FFI for streamcodec._core (setup.py's cffi_modules calls this)."""
    builder = FFI()
    builder.cdef(_cdef_text())
    prefix = codec_prefix()
    if prefix is not None:
        link = _static_link(prefix)
    else:
        defines, libraries = _probe_optional()
        link = dict(define_macros=defines, include_dirs=[], extra_objects=[],
                    libraries=libraries + ["m"], extra_link_args=[])
    headers = sorted(os.path.basename(h) for h in glob.glob(os.path.join(CSRC, "*.h")))
    builder.set_source(
        "streamcodec._core",
        "\n".join(f'#include "{h}"' for h in headers),
        sources=[_rel(c) for c in sorted(glob.glob(os.path.join(CSRC, "*.c")))],
        include_dirs=link.pop("include_dirs") + [_rel(CSRC)],
        extra_compile_args=CFLAGS,
        **link,
    )
    return builder


if __name__ == "__main__":
    make_builder().compile(verbose=True)
