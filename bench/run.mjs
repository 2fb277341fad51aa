// `npm run bench [-- flags]` (flags: bench/main.ts): builds the WASM row core if it is missing,
// compiles src/ and bench/ with tsc into .tmp/bench-build (Node 20 cannot run .ts) and inlines the
// layout's numbers as the build does, then runs the bench in a child Node with --expose-gc, so
// that each case starts from a collected heap.
// `--v8=FLAG` passes a V8 flag to that Node (e.g. --v8=--max-semi-space-size=64, to see what a
// larger young generation changes; the library never asks its users for flags).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { inlineLayout } from "../scripts/inline-layout.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const quiet = { cwd: root, stdio: ["ignore", "ignore", "inherit"] };
if (!existsSync(`${root}src/generated/rows-wasm-scalar.ts`)) execFileSync(process.execPath, ["scripts/asbuild.mjs"], quiet);
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "bench/tsconfig.json"], quiet);
// The modules as they ship: the wire format's numbers written in as literals (npm run build does
// the same), not read from the layout enums' objects in every hot loop.
await inlineLayout(`${root}.tmp/bench-build/src`);
const args = process.argv.slice(2);
const v8Flags = args.filter((arg) => arg.startsWith("--v8=")).map((arg) => arg.slice("--v8=".length));
const benchArgs = args.filter((arg) => !arg.startsWith("--v8="));
const run = spawnSync(process.execPath, ["--expose-gc", ...v8Flags, `${root}.tmp/bench-build/bench/main.js`, ...benchArgs], {
  cwd: root,
  stdio: "inherit",
});
process.exitCode = run.status ?? 1;
