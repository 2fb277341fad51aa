#!/usr/bin/env bash
# Prints the folder shared by every checkout (dqlite's source archive, the CLI contract): ../shared
# beside this checkout, or, for a local clone made elsewhere (git clone /path/to/checkout /tmp/x),
# the one beside the checkout it was cloned from. Prints ../shared when neither exists, so that
# what looks for a file there says where it looked.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d ../shared ]; then
  echo ../shared
  exit 0
fi
origin=$(git config --get remote.origin.url 2>/dev/null || true)
if [ -n "$origin" ] && [ -d "$origin/../shared" ]; then
  (cd "$origin/../shared" && pwd)
  exit 0
fi
echo ../shared
