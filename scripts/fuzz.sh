#!/usr/bin/env bash
# Fuzz every target of tests/fuzz/ for SECONDS each (default 180), bounded.
#
#   bash scripts/fuzz.sh            # 180 s per target, atheris (coverage-guided)
#   bash scripts/fuzz.sh 30 feed diff   # 30 s, only these targets
#
# Starts from the seed corpus in tests/fuzz/corpus/ and grows a working corpus
# in $FUZZ_WORK (default $TMPDIR/streamcodec-fuzz); findings (crash-*, timeout-*,
# oom-* inputs) go to $FUZZ_OUT (default ./fuzz-findings).  Replay one with
# python tests/fuzz/run.py TARGET FILE.  Exits non-zero when any target found
# something.  atheris is installed into the venv on first use; where it cannot
# be (FUZZ_NO_ATHERIS=1 forces this), the targets run under the seeded
# mutator of tests/fuzz/harness.py for the same time instead.
# PYTHON_FOR_FUZZ picks the interpreter (default .venv/bin/python; the
# sanitizer build passes its own).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER="${1:-180}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(feed diff carriers decode encode resample amrwb simd)
PY="${PYTHON_FOR_FUZZ:-$ROOT/.venv/bin/python}"
if [ ! -x "$PY" ]; then
    source "$ROOT/scripts/setup.sh"
    PY="$VENV/bin/python"
fi
OUT="${FUZZ_OUT:-$PWD/fuzz-findings}"
WORK="${FUZZ_WORK:-${TMPDIR:-/tmp}/streamcodec-fuzz}"
mkdir -p "$OUT" "$WORK"

MODE=atheris
if [ "${FUZZ_NO_ATHERIS:-0}" = 1 ]; then
    MODE=plain
elif ! "$PY" -c "import atheris" 2>/dev/null; then
    "$PY" -m pip install -q --disable-pip-version-check atheris >/dev/null 2>&1 || MODE=plain
    "$PY" -c "import atheris" 2>/dev/null || MODE=plain
fi
echo "fuzz.sh: ${#TARGETS[@]} targets x ${SECONDS_PER} s ($MODE); findings -> $OUT" >&2

failed=()
cd "$OUT"   # libFuzzer writes its artifacts to the current directory too
for target in "${TARGETS[@]}"; do
    echo "=== $target" >&2
    if [ "$MODE" = atheris ]; then
        # -timeout: a hang; -rss_limit_mb: a leak; timeout(1): a wedged run
        rc=0
        timeout --signal=KILL "$((SECONDS_PER + 120))" "$PY" "$ROOT/tests/fuzz/run.py" "$target" \
            --fuzz "$SECONDS_PER" --work "$WORK/$target" --artifacts "$OUT" \
            > "$OUT/$target.log" 2>&1 || rc=$?
        grep -E "^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|==[0-9]+== ERROR|SUMMARY|=== Uncaught)" \
            "$OUT/$target.log" | tail -4 >&2 || true
    else
        rc=0
        timeout --signal=KILL "$((SECONDS_PER + 120))" "$PY" "$ROOT/tests/fuzz/run.py" "$target" \
            --fuzz "$SECONDS_PER" --no-atheris > "$OUT/$target.log" 2>&1 || rc=$?
        head -20 "$OUT/$target.log" >&2
    fi
    if [ "$rc" = 0 ] && [ -d "$WORK/$target" ] && [[ "${LD_PRELOAD:-}" != *asan* ]]; then
        # a leak too slow for -rss_limit_mb: replay what the run grew, watching RSS
        # (not under ASan, whose quarantine of freed memory grows RSS by design)
        "$PY" "$ROOT/tests/fuzz/run.py" "$target" --leak-check "$WORK/$target" >&2 || rc=$?
    fi
    if [ "$rc" != 0 ]; then
        failed+=("$target")
        echo "fuzz.sh: $target FOUND something (exit $rc); log $OUT/$target.log" >&2
        grep -A30 -E "Uncaught Python exception|ERROR: AddressSanitizer|runtime error|Finding" \
            "$OUT/$target.log" | head -40 >&2 || true
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: findings in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz.sh: nothing found" >&2
