#!/usr/bin/env bash
# `npm run demo`: installs what is missing (go-dqlite, chromium, npm packages, the WASM and
# TypeScript builds; see setup.sh), then runs the demo in the foreground. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# exec: the signal from Ctrl-C goes straight to the demo, which stops what it started.
exec node scripts/demo.mjs "$@"
