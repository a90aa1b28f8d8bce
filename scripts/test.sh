#!/usr/bin/env bash
# Set up (idempotent) and run the test suite against the installed package:
#   1. the whole suite in .venv (the machine's python3), arguments passed on;
#   2. the suite again under each of OTHER_PYTHONS, each in its own venv
#      (.venv-3.13: no stdlib audioop there; .venv-3.10: the oldest supported),
#      built from this checkout the same way.  The packaging tests are left to
#      step 1: they are the same whichever Python runs them (tests/test_wheel.py
#      itself installs the wheel under 3.10, this Python and 3.13; tests/test_platforms.py
#      compiles and runs C; the sdist and build-configuration tests build C).  So
#      are the documentation site's build and the end-to-end pipecat bots, whose
#      serializers tests/test_pipecat*.py check under each Python
#      (STREAMCODEC_OTHER_FULL=1 runs those two under the other Pythons too).
# An interpreter that is missing fails the run, saying so, unless
# STREAMCODEC_ALLOW_MISSING_PYTHON=1 (then it is reported and left out).
# STREAMCODEC_OTHER_PYTHONS="" runs step 1 only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
# --- sanitizer pass (fuzz harness; self-contained): the C core built with ASan+UBSan in
# .venv-asan, fast C-facing tests and a fuzz sweep under it, about 1.5 minutes.  Only on a
# whole-suite run (no pytest arguments); STREAMCODEC_SKIP_SANITIZE=1 skips it.
if [ $# -eq 0 ] && [ "${STREAMCODEC_SKIP_SANITIZE:-0}" != 1 ]; then bash "$ROOT/scripts/sanitize.sh" --quick; fi
# --- end of sanitizer pass
# --- aarch64 under qemu-user (scripts/test-aarch64.sh --quick): the cross-built wheel's outputs
# against the x86-64 builds', its /proc/self/maps and test_g711.py under emulation; 22 s with
# its cache warm, 4.5 min the first time (the aarch64 codec libraries and wheel, qemu, the arm64
# packages; the x86-64 wheel it shares with tests/test_wheel.py).  Only on a whole-suite run;
# STREAMCODEC_SKIP_AARCH64=1 skips it.
if [ $# -eq 0 ] && [ "${STREAMCODEC_SKIP_AARCH64:-0}" != 1 ]; then bash "$ROOT/scripts/test-aarch64.sh" --quick; fi
# --- end of aarch64 pass

OTHER_PYTHONS="${STREAMCODEC_OTHER_PYTHONS-3.13 3.10}"
# Not repeated under the other Pythons (see 2. above).
OTHER_PYTHON_ARGS=(--ignore=tests/test_wheel.py --ignore=tests/test_platforms.py
                   --deselect tests/test_package.py::test_sdist_builds_and_passes_tests_on_its_own
                   --deselect tests/test_package.py::test_a_changed_build_configuration_rebuilds_the_extensions)
if [ "${STREAMCODEC_OTHER_FULL:-0}" != 1 ]; then
    OTHER_PYTHON_ARGS+=(--ignore=tests/test_docs.py --ignore=tests/test_pipecat_bots.py)
fi

# CPython VERSION: pyenv's (as the machine image ships them) or on PATH.
find_python() {
    local version="$1" candidate
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python"$version" \
                     "$(command -v "python$version" || true)"; do
        [ -n "$candidate" ] && [ -x "$candidate" ] || continue
        [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" \
            = "$version" ] && { echo "$candidate"; return 0; }
    done
    return 1
}

status=0
# The pytest script, not "python -m pytest": -m would put this checkout first
# on sys.path and shadow the installed package.
"$VENV/bin/pytest" -q "$@" || status=$?

for version in $OTHER_PYTHONS; do
    if ! python="$(find_python "$version")"; then
        echo "test: CPython $version not found (pyenv versions, PATH): the suite was NOT run under it" >&2
        [ "${STREAMCODEC_ALLOW_MISSING_PYTHON:-}" = 1 ] || status=1
        continue
    fi
    echo "test: the suite under CPython $version ($python)" >&2
    venv="$ROOT/.venv-$version"
    STREAMCODEC_VENV="$venv" PYTHON="$python" bash "$ROOT/scripts/setup.sh"
    "$venv/bin/pytest" -q "${OTHER_PYTHON_ARGS[@]}" "$@" || status=$?
done
exit "$status"
