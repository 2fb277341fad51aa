#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, then runs every step and ends with one
# line "N passed, N failed". Extra arguments go to the step runner (e.g. --only vitest).
# A failed setup still ends with that line (one failure), so nothing reads a broken set-up as
# a run without results.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
bash scripts/setup.sh || status=$?
if [ "$status" -ne 0 ]; then
  echo "setup: FAILED (exit $status); no step ran"
  echo "0 passed, 1 failed"
  exit "$status"
fi
exec node scripts/run-tests.mjs "$@"
