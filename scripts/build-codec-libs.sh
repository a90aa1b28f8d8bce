#!/usr/bin/env bash
# scripts/build-codec-libs.sh [PREFIX]
#
# Builds static, position-independent libopus, libopencore-amrwb and
# libvo-amrwbenc from their upstream release tarballs into PREFIX
# (default: build/codec-libs in this checkout), for streamcodec's _build.py
# to link into the extension (STREAMCODEC_CODEC_PREFIX=PREFIX).
#
# Each tarball is pinned by version and SHA-256.  Where it comes from
# (STREAMCODEC_CODEC_SOURCE):
#   debian    Debian's source archive: `apt-get source --download-only` with a
#             private deb-src list made from this machine's own Debian mirror;
#             a source package's .orig.tar.gz is the upstream release, byte for
#             byte (same SHA-256 as the upstream download).
#   upstream  the projects' own download URLs (a build machine with internet,
#             such as cibuildwheel's manylinux containers, which have no apt).
#   auto      (default) debian where apt-get is present, upstream elsewhere.
# Downloads are kept in STREAMCODEC_CACHE (default ~/.cache/streamcodec).
#
# Idempotent: a library whose stamp in PREFIX records the same version,
# digest, compiler and flags is not built again.  CC picks the compiler (for
# the distributable wheel scripts/build-wheel.sh passes zig cc targeting
# glibc 2.28); CODEC_CFLAGS adds flags; CODEC_HOST (a configure --host
# triplet such as aarch64-linux-gnu) makes it a cross build for CC's target.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="$(mkdir -p "${1:-$ROOT/build/codec-libs}" && cd "${1:-$ROOT/build/codec-libs}" && pwd)"
CACHE="${STREAMCODEC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/streamcodec}"
SOURCE="${STREAMCODEC_CODEC_SOURCE:-auto}"
CC="${CC:-cc}"
# The same arithmetic from every compiler: the libraries' fixed-point code
# relies on signed overflow and on left shifts of negative values wrapping
# (vo-amrwbenc's basic_op.h: L_shl2, L_add's overflow test), which C leaves
# undefined and gcc and clang (zig cc) optimise differently: -fwrapv defines
# them as two's complement.  -ffp-contract=off: libopus's float code is
# rounded the same whether or not a compiler would fuse a * b + c (gcc fuses
# across statements by default, clang within one expression).
# -Wno-error=incompatible-pointer-types: libopus's configure probes AVX2
# intrinsics with a program that clang >= 16 (zig cc) rejects by default, so
# its AVX2 kernels (run-time selected) were left out of zig builds only.
CFLAGS_ALL="-O2 -fPIC -fwrapv -fno-strict-aliasing -ffp-contract=off"
CFLAGS_ALL="$CFLAGS_ALL -Wno-error=incompatible-pointer-types ${CODEC_CFLAGS:-}"
HOST_OPTION="${CODEC_HOST:+--host=$CODEC_HOST}"
# (macOS has no nproc: sysctl; Alpine's busybox has nproc)
JOBS="$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)"
# macOS: the libraries' minimum macOS must be the wheel's (cibuildwheel tags
# the wheel from MACOSX_DEPLOYMENT_TARGET; clang reads it as well, and the
# flag makes it explicit and part of the stamp).  Unset: 11.0 on arm64 (the
# first macOS there), 10.13 on x86-64.
if [ "$(uname -s)" = Darwin ]; then
    if [ -z "${MACOSX_DEPLOYMENT_TARGET:-}" ]; then
        MACOSX_DEPLOYMENT_TARGET=10.13
        [ "$(uname -m)" = arm64 ] && MACOSX_DEPLOYMENT_TARGET=11.0
    fi
    export MACOSX_DEPLOYMENT_TARGET
    CFLAGS_ALL="$CFLAGS_ALL -mmacosx-version-min=$MACOSX_DEPLOYMENT_TARGET"
fi

# name | version | SHA-256 of the release tarball | upstream URL | Debian source package
# | the part of the tree to build ("." for all) | configure options.  libopus 1.5.2 over bookworm's 1.3.1: see README "How it is
# built" for the PESQ and concealment figures that chose it.  --enable-deep-plc
# builds its neural loss concealment; the model weights (dnn/*_data.c) are in
# the release tarball, so nothing is downloaded (docs/concealment.md).
LIBRARIES=(
"opus|1.5.2|65c1d2f78b9f2fb20082c38cbe47c951ad5839345876e46941612ee87f9a7ce1|https://downloads.xiph.org/releases/opus/opus-1.5.2.tar.gz|opus|.|--disable-doc --disable-extra-programs --enable-deep-plc"
"opencore-amr|0.1.6|483eb4061088e2b34b358e47540b5d495a96cd468e361050fae615b1809dc4a1|https://downloads.sourceforge.net/project/opencore-amr/opencore-amr/opencore-amr-0.1.6.tar.gz|opencore-amr|amrwb|"
"vo-amrwbenc|0.1.3|5652b391e0f0e296417b841b02987d3fd33e6c0af342c69542cbb016a71d9d4e|https://downloads.sourceforge.net/project/opencore-amr/vo-amrwbenc/vo-amrwbenc-0.1.3.tar.gz|vo-amrwbenc|.|"
)
# the suite whose source packages carry those versions (Debian 13)
DEBIAN_SUITE=trixie
# license texts each library asks binary distributions to carry
# (a function, not an associative array: macOS's /bin/bash is 3.2)
license_files() {
    case "$1" in
        opus) echo COPYING ;;
        opencore-amr) echo LICENSE ;;
        vo-amrwbenc) echo COPYING NOTICE ;;
    esac
}

log() { echo "build-codec-libs: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -n "${OPUS_VERSION_OVERRIDE:-}" ]; then
    # Only for the libopus comparison (scripts/compare-libopus.py): bookworm's 1.3.1.
    [ "$OPUS_VERSION_OVERRIDE" = 1.3.1 ] || die "OPUS_VERSION_OVERRIDE knows only 1.3.1"
    LIBRARIES[0]="opus|1.3.1|65b58e1e25b2a114157014736a3d9dfeaad8d41be1c8179866f144a2fb44ff9d|https://downloads.xiph.org/releases/opus/opus-1.3.1.tar.gz|opus|.|--disable-doc --disable-extra-programs"
    DEBIAN_SUITE_OPUS=bookworm
fi

# sha256sum (GNU, busybox) or shasum (macOS)
sha256_of() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi; }
sha256_ok() { [ -f "$1" ] && [ "$(sha256_of "$1" | cut -d' ' -f1)" = "$2" ]; }

# The URI of this machine's Debian mirror (the one apt already uses for the
# installed release), from either sources format.
debian_mirror() {
    local codename
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
    [ -n "$codename" ] || return 1
    {
        [ -f /etc/apt/sources.list ] && awk -v c="$codename" '
            $1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                          if ($(i + 1) == c) { print $i; exit } }' /etc/apt/sources.list
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] && awk -v c="$codename" 'BEGIN { RS = "" } {
                uri = ""; ok = 0; n = split($0, line, "\n")
                for (j = 1; j <= n; j++) {
                    if (line[j] ~ /^URIs:/) { split(line[j], a, " "); uri = a[2] }
                    if (line[j] ~ /^Suites:/) { m = split(line[j], s, " ")
                        for (k = 2; k <= m; k++) if (s[k] == c) ok = 1 }
                }
                if (ok && uri != "") { print uri; exit } }' "$f"
        done
    } | head -n 1
}

# apt-get with a private source list and state, so the machine's apt setup is
# not touched: only deb-src lines, only for this script.
APT_DIR="$CACHE/apt"
apt_private() {
    apt-get -q -o Dir::Etc::SourceList="$APT_DIR/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
        -o Dir::State::Lists="$APT_DIR/lists" -o Dir::Cache="$APT_DIR/cache" \
        -o APT::Sandbox::User=root "$@"
}
APT_UPDATED=""
fetch_debian() {  # fetch_debian PACKAGE VERSION SUITE DEST
    local package="$1" version="$2" suite="$3" dest="$4" mirror tmp orig
    mirror="$(debian_mirror)" || true
    [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt (set STREAMCODEC_CODEC_SOURCE=upstream)"
    mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache"
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    printf 'deb-src [signed-by=%s] %s %s main\n' "$keyring" "$mirror" trixie >"$APT_DIR/sources.list.new"
    printf 'deb-src [signed-by=%s] %s %s main\n' "$keyring" "$mirror" bookworm >>"$APT_DIR/sources.list.new"
    mv "$APT_DIR/sources.list.new" "$APT_DIR/sources.list"
    if [ -z "$APT_UPDATED" ]; then
        log "reading Debian's source index ($mirror)"
        apt_private update >/dev/null
        APT_UPDATED=1
    fi
    tmp="$(mktemp -d)"
    (cd "$tmp" && apt_private source --download-only "$package/$suite" >/dev/null 2>&1) \
        || { rm -rf "$tmp"; die "apt-get source $package/$suite failed"; }
    orig="$tmp/${package}_${version}.orig.tar.gz"
    [ -f "$orig" ] || { ls "$tmp" >&2; rm -rf "$tmp"; die "$package/$suite has no ${package}_${version}.orig.tar.gz"; }
    mv "$orig" "$dest"
    rm -rf "$tmp"
}

fetch_upstream() {  # fetch_upstream URL DEST
    command -v curl >/dev/null || die "curl is needed to download $1"
    curl -fsSL --retry 3 --connect-timeout 20 --max-time 300 -o "$2.part" "$1" && mv "$2.part" "$2"
}

tarball() {  # tarball NAME VERSION SHA URL PACKAGE SUITE -> sets TARBALL to the verified path
    local name="$1" version="$2" sha="$3" url="$4" package="$5" suite="$6"
    local file="$CACHE/sources/$name-$version.tar.gz" how="$SOURCE"
    mkdir -p "$CACHE/sources"
    if ! sha256_ok "$file" "$sha"; then
        rm -f "$file"
        if [ "$how" = auto ]; then command -v apt-get >/dev/null && how=debian || how=upstream; fi
        case "$how" in
            debian) log "$name $version: Debian source package $package ($suite)"
                    fetch_debian "$package" "$version" "$suite" "$file" ;;
            upstream) log "$name $version: $url"
                      fetch_upstream "$url" "$file" || { rm -f "$file.part"; die "could not download $url"; } ;;
            *) die "STREAMCODEC_CODEC_SOURCE must be auto, debian or upstream, not '$how'" ;;
        esac
        sha256_ok "$file" "$sha" || { rm -f "$file"; die "$name $version: SHA-256 differs from the pin $sha"; }
    fi
    TARBALL="$file"
}

mkdir -p "$PREFIX/.stamps" "$PREFIX/share/licenses"
for entry in "${LIBRARIES[@]}"; do
    IFS='|' read -r name version sha url package subdir options <<<"$entry"
    suite="$DEBIAN_SUITE"
    [ "$name" = opus ] && suite="${DEBIAN_SUITE_OPUS:-$DEBIAN_SUITE}"
    stamp_text="$name $version $sha | CC=$CC${CXX:+ CXX=$CXX} | CFLAGS=$CFLAGS_ALL | $subdir $options${HOST_OPTION:+ $HOST_OPTION}"
    stamp="$PREFIX/.stamps/$name"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_text" ]; then
        log "$name $version: already built in $PREFIX"
        continue
    fi
    tarball "$name" "$version" "$sha" "$url" "$package" "$suite"
    src="$TARBALL"
    work="$(mktemp -d "$PREFIX/.build-$name.XXXXXX")"
    log "$name $version: building (CC=$CC)"
    start=$SECONDS
    tar -xzf "$src" -C "$work"
    (
        cd "$work/$name-$version"
        # shellcheck disable=SC2086  # options are words
        ./configure --prefix="$PREFIX" --libdir="$PREFIX/lib" --disable-shared --enable-static \
            --with-pic --disable-dependency-tracking $HOST_OPTION CC="$CC" CFLAGS="$CFLAGS_ALL" \
            CXX="${CXX:-c++}" CXXFLAGS="$CFLAGS_ALL" $options >"$work/configure.log" 2>&1 \
            || { tail -n 30 "$work/configure.log" config.log >&2; exit 1; }
        # (opencore-amr: only its AMR-WB decoder, not the AMR-NB codec beside it)
        make -C "$subdir" -j"$JOBS" >"$work/make.log" 2>&1 || { tail -n 40 "$work/make.log" >&2; exit 1; }
        make -C "$subdir" install >>"$work/make.log" 2>&1 || { tail -n 20 "$work/make.log" >&2; exit 1; }
        mkdir -p "$PREFIX/share/licenses/$name"
        for f in $(license_files "$name"); do cp "$f" "$PREFIX/share/licenses/$name/$f"; done
    )
    rm -rf "$work"
    echo "$stamp_text" >"$stamp"
    log "$name $version: built in $((SECONDS - start)) s"
done
log "done: $PREFIX/lib has $(cd "$PREFIX/lib" && echo lib*.a)"
