// `npm run bench [-- flags]` (flags: bench/main.ts): builds the WASM row core if it is missing,
// compiles src/ and bench/ with tsc into .tmp/bench-build (Node 20 cannot run .ts), then runs the
// bench in a child Node with --expose-gc, so that each case starts from a collected heap.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const quiet = { cwd: root, stdio: ["ignore", "ignore", "inherit"] };
if (!existsSync(`${root}src/generated/rows-wasm-scalar.ts`)) execFileSync(process.execPath, ["scripts/asbuild.mjs"], quiet);
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "bench/tsconfig.json"], quiet);
const run = spawnSync(process.execPath, ["--expose-gc", `${root}.tmp/bench-build/bench/main.js`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
process.exitCode = run.status ?? 1;
