#!/usr/bin/env bash
# Build streamcodec's C core with AddressSanitizer + UBSan into its own
# virtual environment and run tests and a fuzz pass under it.
#
#   bash scripts/sanitize.sh            # the whole unit suite + fuzz.sh 60 s per target
#   bash scripts/sanitize.sh --quick    # the test command's form (about 1.5 min with the
#                                       # build): fast C-facing tests + a fuzz sweep
#   bash scripts/sanitize.sh -- ARGS    # pytest ARGS instead of the default selection
#
# Any UB aborts (-fno-sanitize-recover=undefined), any memory error aborts
# (ASan), and the script exits non-zero.  Leak detection is off: the Python
# interpreter itself "leaks" at exit.  The build reads CFLAGS/LDFLAGS as
# setuptools does (streamcodec/_build.py adds its own flags after them); it
# runs in a copy of the checkout so the normal build's objects in build/ are
# never reused.  Environment: SANITIZE_VENV (default .venv-asan),
# SANITIZE_FUZZ_SECONDS (per target, default 60; --quick: none, the short
# tests run instead).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SANITIZE_VENV:-$ROOT/.venv-asan}"
PYTHON="${PYTHON:-python3}"
QUICK=0
PYTEST_ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1; shift ;;
        --) shift; PYTEST_ARGS=("$@"); break ;;
        *) echo "sanitize.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
LIBASAN="$(${CC:-gcc} -print-file-name=libasan.so)"
if [ ! -e "$LIBASAN" ]; then
    echo "sanitize.sh: no libasan.so for ${CC:-gcc} (apt-get install libasan8 / gcc)" >&2
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
fi
# Test dependencies once (the package itself is rebuilt every run).
if ! "$VENV/bin/python" -c "import pytest, hypothesis, websockets, cffi, setuptools" 2>/dev/null; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "setuptools>=77" wheel \
        "cffi>=1.16" 2>&1 | grep -v "^WARNING: Location" >&2 || true
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$ROOT[test]" 2>&1 \
        | grep -v "^WARNING: Location" >&2 || true
fi

SRC="$(mktemp -d /tmp/streamcodec-asan-src.XXXXXX)"
trap 'rm -rf "$SRC" "$SRC.log"' EXIT
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard --exclude=".venv*" | grep -zv '^tests/fuzz/corpus/' \
    | xargs -0 cp --parents -t "$SRC")
echo "sanitize.sh: building with $SAN" >&2
"$VENV/bin/python" -m pip uninstall -q -y streamcodec >/dev/null 2>&1 || true   # never test a stale build
if ! CFLAGS="$SAN" LDFLAGS="-fsanitize=address,undefined" \
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
        --no-build-isolation "$SRC" > "$SRC.log" 2>&1; then
    grep -v "^WARNING: Location" "$SRC.log" | tail -30 >&2
    echo "sanitize.sh: the sanitizer build failed" >&2
    exit 1
fi
# (found by path: importing it before LD_PRELOAD is set would abort)
CORE="$(ls "$VENV"/lib/python*/site-packages/streamcodec/_core*.so 2>/dev/null | head -1)"
if [ -z "$CORE" ] || ! nm -D "$CORE" | grep __asan_init >/dev/null; then   # no -q: SIGPIPE under pipefail
    echo "sanitize.sh: the installed extension is not instrumented (build failed?)" >&2
    exit 1
fi

# The interpreter is not instrumented: ASan's runtime must be loaded first.
export LD_PRELOAD="$LIBASAN"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export PYTHONMALLOC=malloc   # every Python allocation visible to ASan
cd "$ROOT"

if [ ${#PYTEST_ARGS[@]} -gt 0 ]; then
    exec "$VENV/bin/pytest" -q "${PYTEST_ARGS[@]}"
fi
status=0
if [ "$QUICK" = 1 ]; then
    # A minute or so: the C-facing unit tests that run in seconds, then every
    # fuzz target over its seeds plus seeded mutations.  Here only memory
    # errors and UB fail (the sanitizer aborts); the targets' own findings
    # are printed and fail tests/test_fuzz_short.py in the normal suite.
    "$VENV/bin/pytest" -q -x tests/test_g711.py tests/test_resample.py \
        tests/test_telnyx_session.py tests/test_stream_fast_path.py tests/test_opus.py || status=$?
    "$VENV/bin/python" tests/fuzz/run.py all --sweep 150 || status=$?
    [ "$status" = 0 ] && echo "sanitize.sh --quick: no memory error or UB found" >&2
    exit $status
fi
"$VENV/bin/pytest" -q tests || status=$?
if [ "$status" = 0 ]; then
    SECONDS_PER="${SANITIZE_FUZZ_SECONDS:-60}"
    if "$VENV/bin/python" -m pip install -q --disable-pip-version-check atheris >/dev/null 2>&1; then
        PYTHON_FOR_FUZZ="$VENV/bin/python" bash "$ROOT/scripts/fuzz.sh" "$SECONDS_PER" || status=$?
    else
        echo "sanitize.sh: atheris does not install here; mutation pass with tests/fuzz/run.py --no-atheris" >&2
        PYTHON_FOR_FUZZ="$VENV/bin/python" FUZZ_NO_ATHERIS=1 bash "$ROOT/scripts/fuzz.sh" "$SECONDS_PER" \
            || status=$?
    fi
fi
exit $status
