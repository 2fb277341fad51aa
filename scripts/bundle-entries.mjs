// Part of `npm run build`: the package's entry points bundled into dist/bundle/, which package.json's
// exports point at (the declarations stay in dist/src). A cold import pays for every module it
// loads (resolution, a file read and a compile each): `dqlite-wire/client` is 64 modules as
// tsc writes them, a handful of chunks here, which measured 95 → 74 ms cold against 58 ms for
// bare `node` (`npm run bench -- --import-cost`). Every entry is bundled in one pass, so a module
// two entries share (the error classes, the codec) is one chunk both import: a program that
// imports several entries still has one copy of each class. Packages and `node:` modules stay
// imports; dynamic imports (the runtimes' transports, TLS, the WebAssembly bytes) stay chunks
// loaded on first use.

import { rmSync } from "node:fs";
import { join } from "node:path";
import { rolldown } from "rolldown";

/** Entry name → module under dist/src: one per package.json export that is code. */
export const BUNDLED_ENTRIES = {
  index: "index.js",
  client: "client/index.js",
  rows: "rows/index.js",
  transport: "transport/index.js",
  bridge: "bridge/index.js",
  testing: "testing/index.js",
  kysely: "kysely/index.js",
  capture: "capture/index.js",
  arrow: "arrow/index.js",
};

/** Bundles the entries of `distSrc` into `outDir` (emptied first). */
export async function bundleEntries(distSrc, outDir) {
  rmSync(outDir, { recursive: true, force: true });
  const input = Object.fromEntries(Object.entries(BUNDLED_ENTRIES).map(([name, path]) => [name, join(distSrc, path)]));
  const bundle = await rolldown({
    input,
    // Packages (ws, yaml, asn1js, kysely) and node: modules are the runtime's to resolve.
    external: (id) => !id.startsWith(".") && !id.startsWith("/"),
    platform: "neutral",
    logLevel: "warn",
  });
  await bundle.write({ dir: outDir, format: "esm", chunkFileNames: "chunks/[name]-[hash].js", sourcemap: false });
  await bundle.close();
}
