// Part of `npm run build`: the package's entry points bundled into dist/bundle/, which package.json's
// exports point at (the declarations stay in dist/src). A cold import pays for every file it
// loads (resolution, a read and a compile each): `dqlite-wire/client` is 64 modules as tsc writes
// them. Every entry is bundled in one pass, so a module two entries share (the error classes, the
// codec) is in one chunk both import: a program that imports several entries still has one copy
// of each class. Packages and `node:` modules stay imports; dynamic imports (the runtimes'
// transports, TLS, the WebAssembly bytes) stay chunks loaded on first use.
//
// The shared modules are cut in layers, not by the set of entries that share each one (the
// bundler's default, which made 14 files of `/client`): the root entry's modules are one chunk,
// the rows entry's others a second, the client's others a third. `/client` then loads four files,
// the root two; measured cold, this took `/client` from +21 to +14 ms over bare `node`, and the
// root from +12 to +9 (`npm run bench -- --import-cost`). A page bundler still tree-shakes within
// each chunk, so a page pays only for what it uses.

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

/**
 * The layers of shared code, lowest first: each takes the modules its entry imports statically
 * that no lower layer took. Entry modules themselves stay out, so each entry's file keeps exactly
 * its exports.
 */
const LAYERS = [
  ["core", "index"],
  ["rows-core", "rows"],
  ["client-core", "client"],
];

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
    // The layers below take no entry module, so no entry's exports grow; said explicitly because
    // grouping without each group's dependencies requires it.
    preserveEntrySignatures: "allow-extension",
  });
  const entryIds = new Set(Object.values(input));
  let layers;
  const layerOf = (id, ctx) => {
    if (entryIds.has(id)) return null;
    layers ??= LAYERS.map(([name, entry]) => [name, staticImports(ctx, input[entry])]);
    return layers.find(([, modules]) => modules.has(id))?.[0] ?? null;
  };
  await bundle.write({
    dir: outDir,
    format: "esm",
    chunkFileNames: "chunks/[name]-[hash].js",
    sourcemap: false,
    // A layer's modules' dependencies are in its own or a lower layer already (each layer holds
    // a whole static import graph less the lower ones), so they need not be pulled in.
    codeSplitting: { includeDependenciesRecursively: false, groups: [{ debugName: "layers", name: layerOf }] },
  });
  await bundle.close();
}

/** Every module `entry` imports statically, itself included, as the bundler's graph has them. */
function staticImports(ctx, entry) {
  const seen = new Set();
  const visit = (id) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const imported of ctx.getModuleInfo(id)?.importedIds ?? []) visit(imported);
  };
  visit(entry);
  return seen;
}
