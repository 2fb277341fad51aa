#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, then runs every step and ends with one
# line "N passed, N failed". Extra arguments go to the step runner (e.g. --only vitest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node scripts/run-tests.mjs "$@"
