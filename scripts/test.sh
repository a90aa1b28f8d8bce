#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite against the installed package.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
# --- sanitizer pass (fuzz harness; self-contained): the C core built with ASan+UBSan in
# .venv-asan, fast C-facing tests and a fuzz sweep under it, about 1.5 minutes.  Only on a
# whole-suite run (no pytest arguments); STREAMCODEC_SKIP_SANITIZE=1 skips it.
if [ $# -eq 0 ] && [ "${STREAMCODEC_SKIP_SANITIZE:-0}" != 1 ]; then bash "$ROOT/scripts/sanitize.sh" --quick; fi
# --- end of sanitizer pass
# The pytest script, not "python -m pytest": -m would put this checkout first
# on sys.path and shadow the installed package.
exec "$VENV/bin/pytest" -q "$@"
