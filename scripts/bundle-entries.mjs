// Part of `npm run build`: the package's entry points bundled into dist/bundle/, which package.json's
// exports give runtimes (the "node" condition, which Node, Deno and Bun match); bundlers take the
// modules in dist/src ("default"), which they tree-shake one by one, and the declarations stay
// there. A cold import pays for every file it
// loads (resolution, a read and a compile each): `dqlite-wire/client` is 64 modules as tsc writes
// them. Every entry is bundled in one pass, so a module two entries share (the error classes, the
// codec) is in one chunk both import: a program that imports several entries still has one copy
// of each class. Packages and `node:` modules stay imports; dynamic imports (the runtimes'
// transports, TLS, the WebAssembly bytes) stay chunks loaded on first use.
//
// The shared modules are cut in layers, not by the set of entries that share each one (the
// bundler's default, which made 14 files of `/client`): each layer takes the modules its entry
// shares with another entry that no earlier layer took, smallest entry first — the transports,
// the Arrow writer, the root, the rows, the client. A module only one entry uses stays in that
// entry's own file. `/client` then loads six files, the root four; measured cold (the import
// alone, median of 25 processes), `/client` went from 27.6 to 19.8 ms and the root from 17.2 to
// 15.9, with no entry slower. (A page bundler given these chunks keeps every top-level statement
// of a chunk it uses that may have an effect, which grew the package test's pages past their
// budgets: hence the modules for bundlers.)

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
 * The layers of shared code, in the order they take modules. Entry modules themselves stay out,
 * so each entry's file keeps exactly its exports.
 */
const LAYERS = [
  ["transport-core", "transport"],
  ["arrow-core", "arrow"],
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
  let graphs;
  const layerOf = (id, ctx) => {
    if (entryIds.has(id)) return null;
    graphs ??= Object.fromEntries(Object.entries(input).map(([name, entry]) => [name, staticImports(ctx, entry)]));
    const sharedBy = Object.values(graphs).filter((modules) => modules.has(id)).length;
    if (sharedBy < 2) return null;
    return LAYERS.find(([, entry]) => graphs[entry].has(id))?.[0] ?? null;
  };
  await bundle.write({
    dir: outDir,
    format: "esm",
    chunkFileNames: "chunks/[name]-[hash].js",
    sourcemap: false,
    // A shared module's dependencies are shared too, so they are in its layer or an earlier one
    // already: they need not be pulled in.
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
