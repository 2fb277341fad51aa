// go-dqlite's decoder as a peer in the same run: bench/go-peer/main.go built beside copies of
// go-dqlite's internal/protocol sources from Debian's golang-github-canonical-go-dqlite-dev
// (an internal package cannot be imported from outside its module), offline, in GOPATH mode.
// Nothing of go-dqlite is committed; the build goes to .tmp/go-peer/.

import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const GO_DQLITE = "/usr/share/gocode/src/github.com/canonical/go-dqlite";
const PROTOCOL_FILES = ["message.go", "buffer.go", "constants.go", "errors.go", "response.go", "store.go"];

export interface GoPeerResult {
  case: "streaming" | "kept";
  rows: number;
  bestSeconds: number;
  medianSeconds: number;
}

/** Why go-dqlite cannot be measured here, or undefined when it can. */
function missing(): string | undefined {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
  } catch {
    return "no Go toolchain (apt-get install golang-go)";
  }
  if (!existsSync(join(GO_DQLITE, "internal/protocol/message.go"))) {
    return "no go-dqlite sources (apt-get install golang-github-canonical-go-dqlite-dev)";
  }
  return undefined;
}

/** Builds the peer (when its sources are newer than the binary); returns its path or why not. */
export function buildGoPeer(root: string): { binary: string } | { skipped: string } {
  const why = missing();
  if (why !== undefined) return { skipped: why };
  const dir = join(root, ".tmp/go-peer");
  const binary = join(dir, "go-peer");
  const main = join(root, "bench/go-peer/main.go");
  if (existsSync(binary) && statSync(binary).mtimeMs > statSync(main).mtimeMs) return { binary };
  mkdirSync(dir, { recursive: true });
  for (const file of PROTOCOL_FILES) {
    const source = readFileSync(join(GO_DQLITE, "internal/protocol", file), "utf8");
    writeFileSync(join(dir, file), source.replace(/^package protocol$/m, "package main"));
  }
  copyFileSync(main, join(dir, "main.go"));
  execFileSync("go", ["build", "-o", binary, "."], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CGO_ENABLED: "0", GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOCACHE: join(root, ".tmp/go-cache") },
  });
  return { binary };
}

/** Runs the peer on a file of frames: go-dqlite streaming (one reused row) and keeping every row. */
export function runGoPeer(binary: string, framesFile: string, repeats: number): GoPeerResult[] {
  const output = execFileSync(binary, [framesFile, String(repeats)], { encoding: "utf8" });
  return output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as GoPeerResult);
}
