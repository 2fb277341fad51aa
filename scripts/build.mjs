// `npm run build`: compiles src/ into dist/src (from scratch, so a module whose source was moved
// or deleted cannot linger in dist and ship in the package) and copies the WebAssembly builds
// to dist/wasm, where the package exports them for runtimes that take a precompiled module.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
rmSync(`${root}dist/src`, { recursive: true, force: true });
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
mkdirSync(`${root}dist/wasm`, { recursive: true });
for (const file of ["rows.wasm", "rows-simd.wasm"]) copyFileSync(`${root}build/${file}`, `${root}dist/wasm/${file}`);
