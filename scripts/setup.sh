#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine (root, Python >= 3.10, gcc):
# the codec libraries from Debian, a virtual environment in .venv, and
# streamcodec built from this checkout with the EXTRAS below.
# PYTHON picks the interpreter, STREAMCODEC_VENV the venv (scripts/test.sh
# makes .venv-3.13 and .venv-3.10 this way).
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${STREAMCODEC_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
# The package's extras the venv gets (pyproject.toml [project.optional-dependencies]).
EXTRAS="test,bench,server,asgi,demo,fast,docs"

# Libraries streamcodec links (OPUS, AMR-WB) and tools its tests compare with.
DEBIAN_PACKAGES=(gcc python3-dev python3-venv libopus-dev libopencore-amrwb-dev
                 libvo-amrwbenc-dev libspandsp-dev espeak-ng)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
# Build and install from this checkout (not editable: tests use what users get).
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "$ROOT[$EXTRAS]"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$ROOT"
