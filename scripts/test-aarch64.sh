#!/usr/bin/env bash
# scripts/test-aarch64.sh [--quick] [WHEEL]
# scripts/test-aarch64.sh --qemu   (only step 2; prints qemu-aarch64's path)
#
# Tests the aarch64 wheel on this x86-64 Debian machine under qemu-user, with
# an arm64 CPython unpacked from Debian's arm64 packages:
#   1. the wheel: WHEEL, or `scripts/build-wheel.sh DIR aarch64` (cached);
#   2. qemu-aarch64 from PATH, else the static one from Debian's
#      qemu-user-static package, unpacked into the cache (nothing installed);
#   3. a sysroot: Debian's arm64 python3 and the libraries it needs, fetched
#      with `apt-get download` through a private apt state (this machine's
#      apt sources, both architectures; dpkg's own state is not touched) and
#      unpacked with `dpkg -x`;
#   4. the test dependencies as PyPI's aarch64 wheels (pip download
#      --platform), and the streamcodec wheel, unpacked into site directories;
#   5. under emulation: tests/platform_probe.py on inputs the x86-64 build made,
#      compared with the outputs of the x86-64 source build and wheel (bit-exact but for the resampler's
#      bound and the codec libraries' encoders: see the probe), the files
#      mapped into the emulated process (no codec library from outside the
#      wheel), and that every kernel family runs its neon kernels, then the
#      test files below with pytest.
# --quick (scripts/test.sh) runs the probe, the comparisons and test_g711.py.
# The emulated CPU is a Neoverse N1 (AWS Graviton2, Ampere Altra: NEON, no
# SVE); QEMU_CPU=NAME picks another (qemu-aarch64 -cpu help).
# STREAMCODEC_X86_PYTHON is the interpreter whose installed streamcodec is the
# x86-64 build to compare with (default .venv/bin/python, scripts/setup.sh's).
# Idempotent: everything fetched or unpacked is kept in
# $STREAMCODEC_CACHE/aarch64 and reused; a warm run spends its time in qemu.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${STREAMCODEC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/streamcodec}"
HERE="$CACHE/aarch64"
X86_PYTHON="${STREAMCODEC_X86_PYTHON:-$ROOT/.venv/bin/python}"
QUICK=0 QEMU_ONLY=0
[ "${1:-}" = --quick ] && { QUICK=1; shift; }
[ "${1:-}" = --qemu ] && { QEMU_ONLY=1; shift; }
log() { echo "test-aarch64: $*" >&2; }
die() { log "error: $*"; exit 1; }
start=$SECONDS
mkdir -p "$HERE"
[ "$(uname -m)" = x86_64 ] || die "this harness runs on x86-64 (it emulates aarch64)"
[ "$QEMU_ONLY" = 1 ] || [ -x "$X86_PYTHON" ] || die "$X86_PYTHON missing: run scripts/setup.sh (the x86-64 build to compare with)"

# The test files run under emulation.
TEST_FILES=(tests/test_g711.py tests/test_g722.py tests/test_resample.py tests/test_codec_inputs.py
            tests/test_opus.py tests/test_amrwb.py tests/test_telnyx_session.py
            tests/test_audioop_dropin.py tests/test_simd.py tests/test_telnyx_frame.py)
# Left out, and why: these compare concealment (PLC, and FEC recovery of a
# packet without FEC data, which conceals) with opuslib's decoder at its
# default complexity 0, but streamcodec's decoder defaults to complexity 5,
# where the wheel's libopus 1.5.2 (built with deep PLC) conceals with its
# neural PLC instead: they differ on any platform with that libopus (the
# x86-64 suite runs them against Debian's 1.3.1, which has no deep PLC).
NOT_HERE="test_decode_plc_fec_identical_to_opuslib or test_conceal_any_length"
NOT_HERE="$NOT_HERE or test_every_packet_duration"
# Guest packages: the tests' imports (G722 and PyAV have aarch64 wheels;
# opuslib is pure Python and loads Debian's arm64 libopus from the sysroot).
GUEST_WHEELS="numpy cffi pytest hypothesis G722 av"
GUEST_PURE="opuslib"

# 1. the wheel
WHEEL_ARG="${1:-}"
if [ "$QEMU_ONLY" = 1 ]; then
    WHEEL=/qemu-only/streamcodec-0-cp310-abi3-manylinux_2_28_aarch64.whl  # not used
elif [ -n "$WHEEL_ARG" ]; then
    WHEEL="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
    bash "$ROOT/scripts/build-wheel.sh" "$HERE/dist" aarch64 >"$HERE/build-wheel.log" 2>&1 \
        || { cat "$HERE/build-wheel.log" >&2; die "the aarch64 wheel did not build"; }
    WHEEL="$(ls "$HERE"/dist/streamcodec-*_aarch64.whl)"
fi
case "$WHEEL" in *-manylinux_2_28_aarch64.whl) ;; *) die "$WHEEL is not a manylinux_2_28_aarch64 wheel" ;; esac
TOOLS_PYTHON="$CACHE/wheel-tools/bin/python"  # build-wheel.sh's venv: pip, for the downloads
[ -x "$TOOLS_PYTHON" ] || TOOLS_PYTHON="$X86_PYTHON"

# 2./3. Debian packages through a private apt state: this machine's sources,
# amd64 (qemu) and arm64 (the sysroot) indexes kept in the cache.
APT="$HERE/apt"
apt_private() {  # apt_private apt-get|apt-cache ARGS...
    local tool="$1"; shift
    "$tool" -q -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" \
        -o Dir::State::status=/dev/null -o APT::Architecture=amd64 \
        -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
        -o APT::Sandbox::User="$(id -un)" "$@"
}
apt_ready=""
apt_index() {
    [ -n "$apt_ready" ] && return
    mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
    if ! ls "$APT"/lists/*_binary-arm64_Packages* >/dev/null 2>&1; then
        log "reading Debian's amd64 and arm64 package indexes"
        apt_private apt-get update >"$HERE/apt-update.log" 2>&1 || { cat "$HERE/apt-update.log" >&2; exit 1; }
    fi
    apt_ready=1
}
fetch_debs() {  # fetch_debs DIR PACKAGE...: apt-get download into DIR (kept)
    local dir="$1"; shift
    mkdir -p "$dir"
    (cd "$dir" && apt_private apt-get download "$@" >"$HERE/apt-download.log" 2>&1) \
        || { cat "$HERE/apt-download.log" >&2; die "apt-get download $* failed"; }
}

QEMU="$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)"
if [ -z "$QEMU" ]; then
    QEMU="$HERE/qemu/qemu-aarch64-static"
    if [ ! -x "$QEMU" ]; then
        apt_index
        log "qemu-aarch64: unpacking Debian's qemu-user-static"
        rm -rf "$HERE/qemu" && fetch_debs "$HERE/qemu/deb" qemu-user-static:amd64
        dpkg-deb --fsys-tarfile "$HERE"/qemu/deb/qemu-user-static_*.deb \
            | tar -x -C "$HERE/qemu" ./usr/bin/qemu-aarch64-static
        mv "$HERE/qemu/usr/bin/qemu-aarch64-static" "$QEMU" && rm -rf "$HERE/qemu/usr" "$HERE/qemu/deb"
    fi
fi
[ "$QEMU_ONLY" = 1 ] && { echo "$QEMU"; exit 0; }
log "qemu: $QEMU ($("$QEMU" --version | head -n 1)), CPU ${QEMU_CPU:-neoverse-n1}"

# python3, libstdc++ (numpy's wheels need it) and spandsp (test_g722.py's
# reference G.722, loaded with ctypes)
SYSROOT_PACKAGES="python3:arm64 libstdc++6:arm64 libspandsp2:arm64"
SYSROOT="$HERE/sysroot"
if [ "$(cat "$SYSROOT/.complete" 2>/dev/null)" != "$SYSROOT_PACKAGES" ]; then
    apt_index
    # with what they depend on, arm64 only (dpkg, tar and perl come along as
    # essentials, unneeded)
    # shellcheck disable=SC2086  # a list of names
    mapfile -t packages < <(apt_private apt-cache --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances depends --recurse $SYSROOT_PACKAGES \
        2>/dev/null | grep -E '^[a-z0-9][^ ]*:arm64$' \
        | grep -vE '^(dpkg|tar|install-info|perl[^:]*):' | sort -u)
    log "sysroot: ${#packages[@]} Debian arm64 packages"
    rm -rf "$SYSROOT" "$HERE/debs"
    fetch_debs "$HERE/debs" "${packages[@]}"
    for deb in "$HERE"/debs/*.deb; do dpkg -x "$deb" "$SYSROOT"; done
    echo "$SYSROOT_PACKAGES" >"$SYSROOT/.complete"
    rm -rf "$HERE/debs"
fi
GUEST_PY="$(cd "$SYSROOT/usr/bin" && ls python3.[0-9]* | grep -E '^python3\.[0-9]+$' | sort -V | tail -n 1)"
PYVER="${GUEST_PY#python}"
GUEST_LIBS="$SYSROOT/lib/aarch64-linux-gnu:$SYSROOT/usr/lib/aarch64-linux-gnu"

# 4. the guest's site-packages: PyPI's aarch64 wheels (unpacked: the wheel
# format is a zip of the installed files) and the pure-Python ones
SITE="$HERE/site-$PYVER"
REQUIREMENTS="$GUEST_WHEELS | $GUEST_PURE"
if [ "$(cat "$SITE/.requirements" 2>/dev/null)" != "$REQUIREMENTS" ]; then
    log "guest packages for CPython $PYVER aarch64: $GUEST_WHEELS $GUEST_PURE"
    rm -rf "$SITE" "$HERE/wheels"
    # shellcheck disable=SC2086  # lists of names
    "$TOOLS_PYTHON" -m pip download -q --disable-pip-version-check --only-binary=:all: \
        --platform manylinux_2_28_aarch64 --platform manylinux_2_17_aarch64 \
        --platform manylinux2014_aarch64 --python-version "$PYVER" --implementation cp \
        -d "$HERE/wheels" $GUEST_WHEELS >"$HERE/pip.log" 2>&1 || { cat "$HERE/pip.log" >&2; exit 1; }
    for w in "$HERE"/wheels/*.whl; do "$TOOLS_PYTHON" -m zipfile -e "$w" "$SITE"; done
    # shellcheck disable=SC2086
    "$TOOLS_PYTHON" -m pip install -q --disable-pip-version-check --no-deps --no-compile \
        --target "$SITE" $GUEST_PURE >>"$HERE/pip.log" 2>&1 || { cat "$HERE/pip.log" >&2; exit 1; }
    echo "$REQUIREMENTS" >"$SITE/.requirements"
    rm -rf "$HERE/wheels"
fi
# tests/test_opus.py compares with opuslib, which must load the libopus the
# wheel has inside (1.5.2; Debian's arm64 libopus is older and decodes
# differently): the same archive build-wheel.sh linked, as a shared library.
OPUS_DIR="$HERE/libopus"
OPUS_ARCHIVE="$(ls "$CACHE"/codec-libs/aarch64-linux-gnu.*/lib/libopus.a 2>/dev/null | tail -n 1 || true)"
ZIGCC="$CACHE/zig-cc/aarch64-linux-gnu.2.28/cc"
rm -rf "$OPUS_DIR"
if [ -z "$WHEEL_ARG" ] && [ -n "$OPUS_ARCHIVE" ] && [ -x "$ZIGCC" ]; then
    mkdir -p "$OPUS_DIR"
    "$ZIGCC" -shared -o "$OPUS_DIR/libopus.so.0" -Wl,-soname,libopus.so.0 \
        -Wl,--whole-archive "$OPUS_ARCHIVE" -Wl,--no-whole-archive -lm
else
    log "tests/test_opus.py left out: no libopus built with this wheel for opuslib to load"
fi
PKG="$HERE/streamcodec-site"
rm -rf "$PKG" && "$TOOLS_PYTHON" -m zipfile -e "$WHEEL" "$PKG"

# The emulated interpreter.  A script beside it starts it under qemu, and is
# its argv[0] (qemu -0): so sys.executable is that script, and tests that
# start `sys.executable` in a subprocess work without binfmt_misc (a
# machine-wide setting this harness does not make).  -s -P keep this checkout
# and any user site off sys.path: the wheel's streamcodec is the one imported.
GUEST="$SYSROOT/usr/bin/python-qemu"
printf '#!/bin/sh\nexec "%s" -0 "$0" "%s" "$@"\n' "$QEMU" "$SYSROOT/usr/bin/$GUEST_PY" >"$GUEST"
chmod +x "$GUEST"
export QEMU_CPU="${QEMU_CPU:-neoverse-n1}"
guest() {
    QEMU_LD_PREFIX="$SYSROOT" PYTHONPATH="$PKG:$SITE:$ROOT/tests" LD_LIBRARY_PATH="$OPUS_DIR:$GUEST_LIBS" \
        PYTHONDONTWRITEBYTECODE=1 "$GUEST" -s -P "$@"
}
log "ready in $((SECONDS - start)) s: $(basename "$WHEEL") under $(guest -c \
    'import platform, sys; print(platform.machine(), "CPython", sys.version.split()[0])')"

# 5. outputs against the x86-64 builds', and what the process mapped: the
# source build in X86_PYTHON (gcc, the codec libraries it found) and the
# x86-64 wheel (zig cc, the same codec library sources and flags as this one)
X86_WHEEL_SITE="$HERE/x86_64-site"
bash "$ROOT/scripts/build-wheel.sh" "$HERE/dist" x86_64 >"$HERE/build-wheel-x86_64.log" 2>&1 \
    || { cat "$HERE/build-wheel-x86_64.log" >&2; die "the x86-64 wheel did not build"; }
rm -rf "$X86_WHEEL_SITE" && "$TOOLS_PYTHON" -m zipfile -e "$(ls "$HERE"/dist/streamcodec-*_x86_64.whl)" \
    "$X86_WHEEL_SITE"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
probe() { "$X86_PYTHON" -s -P "$ROOT/tests/platform_probe.py" "$@"; }
probe inputs "$WORK/inputs.npz"
probe run "$WORK/inputs.npz" "$WORK/x86_64-source.npz"
PYTHONPATH="$X86_WHEEL_SITE" probe run "$WORK/inputs.npz" "$WORK/x86_64-wheel.npz"
guest "$ROOT/tests/platform_probe.py" run "$WORK/inputs.npz" "$WORK/aarch64.npz"
status=0
for build in source wheel; do
    log "the aarch64 wheel under qemu against the x86-64 $build build:"
    probe compare "$WORK/x86_64-$build.npz" "$WORK/aarch64.npz" \
        || { status=1; log "FAILED: outputs differ beyond what the probe allows"; }
done
"$X86_PYTHON" - "$WORK/aarch64.npz" "$PKG" <<'EOF' || status=1
import os, sys
import numpy as np
probed, package = np.load(sys.argv[1]), sys.argv[2]
mapped = [str(m) for m in probed["mapped"]]
codecs = [m for m in mapped if os.path.basename(m).startswith(("libopus", "libopencore", "libvo-amrwb"))]
core = [m for m in mapped if "/_core." in m]
ok = not codecs and len(core) == 1 and core[0].startswith(package + "/streamcodec/")
print(f"test-aarch64: /proc/self/maps of the emulated process: {len(mapped)} files, the core "
      f"{core}, codec libraries from outside the wheel: {codecs or 'none'}", file=sys.stderr)
# every family has NEON kernels, and every AArch64 CPU runs them
kernels = dict(str(k).split() for k in probed["kernels"])
below = {family: level for family, level in kernels.items() if level != "neon"}
print(f"test-aarch64: kernels under emulation: {kernels}", file=sys.stderr)
failed = (["a codec library or core from outside the wheel"] if not ok else []) + \
    ([f"families below level neon: {below}"] if below else [])
sys.exit("test-aarch64: FAILED: " + "; ".join(failed) if failed else 0)
EOF

files=()
for test in "${TEST_FILES[@]}"; do
    [ "$QUICK" = 1 ] && [ "$test" != tests/test_g711.py ] && continue
    [ "$test" = tests/test_opus.py ] && [ ! -d "$OPUS_DIR" ] && continue
    files+=("$ROOT/$test")
done
# Debian's stdlib package leaves out CPython's test suite: test_audioop.py
# comes from the x86-64 interpreter (it is Python; tests/test_audioop_dropin.py)
STREAMCODEC_TEST_AUDIOOP="$("$X86_PYTHON" -c 'import os, sysconfig
path = os.path.join(sysconfig.get_paths()["stdlib"], "test", "test_audioop.py")
print(path if os.path.exists(path) else "")')"
export STREAMCODEC_TEST_AUDIOOP
log "pytest under qemu: ${files[*]#"$ROOT/"}"
log "left out (see NOT_HERE above): $NOT_HERE"
(cd "$WORK" && guest -m pytest -q -p no:cacheprovider --rootdir "$ROOT" -c "$ROOT/pyproject.toml" \
    -k "not ($NOT_HERE)" "${files[@]}") || status=1
log "done in $((SECONDS - start)) s: $([ "$status" = 0 ] && echo passed || echo FAILED)"
exit "$status"
