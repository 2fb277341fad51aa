// `npm run build`: compiles src/ into dist/src (from scratch, so a module whose source was moved
// or deleted cannot linger in dist and ship in the package) and copies the WebAssembly builds
// to dist/wasm, where the package exports them for runtimes that take a precompiled module. The
// wire format's numbers are then written into the modules as literals (inline-layout.mjs), and
// the entry points bundled into dist/bundle (bundle-entries.mjs), which the package exports.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleEntries } from "./bundle-entries.mjs";
import { inlineLayout } from "./inline-layout.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
rmSync(`${root}dist/src`, { recursive: true, force: true });
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
await inlineLayout(`${root}dist/src`);
await bundleEntries(`${root}dist/src`, `${root}dist/bundle`);
mkdirSync(`${root}dist/wasm`, { recursive: true });
for (const file of ["rows.wasm", "rows-simd.wasm"]) copyFileSync(`${root}build/${file}`, `${root}dist/wasm/${file}`);
