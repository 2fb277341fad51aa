#!/usr/bin/env bash
# Installs what the tests and the demo need, only what is missing, so it is fast when all is there:
# Debian's go-dqlite (a real dqlite node, dqlite-demo, and the Go shell), chromium (browser
# tests) and the tools below, npm packages from the lockfile, then the WASM build and the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."

# golang-go with go-dqlite's Go sources (and libdqlite-dev) builds the TLS test node and the
# go-dqlite decoder the benchmark runs beside ours; tcpdump records the captures the capture
# tests decode; sqlite3 opens the files `dump --out` writes; openssl makes test certificates.
missing=()
command -v dqlite-demo >/dev/null 2>&1 || missing+=(go-dqlite)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -d /usr/share/gocode/src/github.com/canonical/go-dqlite ] || missing+=(golang-github-canonical-go-dqlite-dev libdqlite-dev)
command -v tcpdump >/dev/null 2>&1 || [ -x /usr/bin/tcpdump ] || missing+=(tcpdump)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# What building dqlite 1.18 from source needs (toolchain.md §10): autotools, a C compiler, and
# the libraries it links (libuv, SQLite, lz4; gcc's libbacktrace comes with build-essential).
for pkg in autoconf automake libtool pkg-config build-essential libuv1-dev libsqlite3-dev liblz4-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci only when the lockfile changed since the last install.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.lock-hash ] || [ "$(cat node_modules/.lock-hash)" != "$lock_hash" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.lock-hash
fi

# Node 22 and 24 for the runtime smoke tests, from their own lockfile (test/runtimes/node-versions/):
# apart from the project's packages, so their `node` never shadows the project's on npm's PATH.
node_versions=test/runtimes/node-versions
versions_hash=$(sha256sum "$node_versions/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$node_versions/node_modules/.lock-hash" ] || [ "$(cat "$node_versions/node_modules/.lock-hash")" != "$versions_hash" ]; then
  echo "setup: npm ci in $node_versions (Node 22 and 24)"
  npm ci --prefix "$node_versions" --no-audit --no-fund --loglevel=error
  echo "$versions_hash" > "$node_versions/node_modules/.lock-hash"
fi

npm run --silent asbuild
npm run --silent build

# The TLS test node (a go-dqlite `app` node with mutual TLS, src/testing/tls-node/main.go), built
# offline from Debian's go-dqlite sources in GOPATH mode; only when missing or older than its source.
tls_node=build/tls-node/dqlite-tls-node
if [ ! -x "$tls_node" ] || [ src/testing/tls-node/main.go -nt "$tls_node" ]; then
  echo "setup: building $tls_node"
  mkdir -p "$(dirname "$tls_node")"
  CGO_LDFLAGS_ALLOW='-Wl,-z,now' GO111MODULE=off GOPATH=/usr/share/gocode \
    go build -o "$tls_node" src/testing/tls-node/main.go
fi

# A current dqlite (1.18.6) built from its source archive, and the bare node on its C API
# (src/testing/bare-node/main.c): the rig's second dqlite version beside Debian's 1.11. Rebuilt
# only when missing or older than the archive or the node's source.
dqlite_version=1.18.6
dqlite_archive=${DQLITE_ARCHIVE:-$(bash scripts/shared-dir.sh)/vendor/dqlite-$dqlite_version.tar.gz}
dqlite_prefix=$PWD/build/dqlite-$dqlite_version
bare_node=$dqlite_prefix/bin/dqlite-bare-node
if [ ! -f "$dqlite_archive" ]; then
  echo "setup: $dqlite_archive is missing (../shared beside this checkout, or beside the one it was cloned from: scripts/shared-dir.sh): it holds dqlite $dqlite_version's source (set DQLITE_ARCHIVE to its path)" >&2
  exit 1
fi
if [ ! -f "$dqlite_prefix/lib/libdqlite.so" ] || [ "$dqlite_archive" -nt "$dqlite_prefix/lib/libdqlite.so" ]; then
  echo "setup: building dqlite $dqlite_version into $dqlite_prefix (about a minute)"
  rm -rf "build/dqlite-src" "$dqlite_prefix"
  mkdir -p build/dqlite-src
  tar -xzf "$dqlite_archive" -C build/dqlite-src --strip-components=1
  (
    cd build/dqlite-src
    autoreconf -i
    ./configure --prefix="$dqlite_prefix" --enable-build-raft
    make -j"$(nproc)"
    make install
  ) > build/dqlite-build.log 2>&1 || { tail -n 40 build/dqlite-build.log >&2; echo "setup: the dqlite build failed (build/dqlite-build.log)" >&2; exit 1; }
fi
if [ ! -x "$bare_node" ] || [ src/testing/bare-node/main.c -nt "$bare_node" ] || [ "$dqlite_prefix/lib/libdqlite.so" -nt "$bare_node" ]; then
  echo "setup: building $bare_node"
  mkdir -p "$(dirname "$bare_node")"
  gcc -O2 -Wall -Wextra -Werror -I "$dqlite_prefix/include" -o "$bare_node" src/testing/bare-node/main.c \
    -L "$dqlite_prefix/lib" -Wl,-rpath,"$dqlite_prefix/lib" -ldqlite
fi
