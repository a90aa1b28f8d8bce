#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite against the installed package.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
# The pytest script, not "python -m pytest": -m would put this checkout first
# on sys.path and shadow the installed package.
exec "$VENV/bin/pytest" -q "$@"
