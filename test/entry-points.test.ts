// The package's public surface, pinned: what each entry point exports at run time (a new export
// is a deliberate change of test/package/entry-exports.json and CHANGELOG.md), each name from
// exactly one entry point, and what each entry point loads when it is imported. The static import graph of src/ is walked from
// each entry (import and export … from, not `import type`, not dynamic `import()`): what it
// reaches is what `import("dqlite-wire/…")` loads before any function is called. Heavy or
// Node-only parts load at their point of use instead: the certificate reader (asn1js), the YAML
// node store (yaml), the capture reader, the proxy and the bridge.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(".");
const manifest = JSON.parse(readFileSync("package.json", "utf8")) as {
  exports: Record<string, string | { types: string; node: string; default: string }>;
};

/**
 * The module entry points of the exports map, each with its source file: the one its declarations
 * were written from (runtimes get the entry bundled, in dist/bundle/; bundlers the module beside
 * the declarations).
 */
const ENTRIES: Record<string, string> = Object.fromEntries(
  Object.entries(manifest.exports)
    .filter((entry): entry is [string, { types: string; node: string; default: string }] => typeof entry[1] === "object")
    .map(([key, target]) => [
      key === "." ? "dqlite-wire" : `dqlite-wire/${key.slice(2)}`,
      target.types.replace(/^\.\/dist\//, "").replace(/\.d\.ts$/, ".ts"),
    ]),
);

/**
 * What each entry point exports at run time, sorted (types are not listed: they cost nothing at
 * run time). test/package/entry-exports.json holds the list once: this file checks the sources
 * against it, scripts/test-package.mjs the installed package.
 */
const RUNTIME_EXPORTS = JSON.parse(readFileSync("test/package/entry-exports.json", "utf8")) as Record<string, string[]>;

// ---- The static import graph of src/.

const STATEMENT = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?(?:[^;'"`]*?\sfrom\s*)?["']([^"']+)["']/g;

function staticImports(file: string): string[] {
  const text = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  // `import type`/`export type` statements are erased; `import { type A }` stays (as `import {}`).
  return [...text.matchAll(STATEMENT)].filter((match) => match[2] === undefined).map((match) => match[3]!);
}

/** Every module `entry` loads statically: source files relative to the root, packages by name. */
function reach(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [resolve(entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    const name = relative(root, file);
    if (seen.has(name)) continue;
    seen.add(name);
    for (const specifier of staticImports(file)) {
      if (!specifier.startsWith(".")) {
        seen.add(specifier);
        continue;
      }
      const target = join(dirname(file), specifier);
      if (!existsSync(target)) throw new Error(`${name} imports ${specifier}, which does not exist`);
      stack.push(target);
    }
  }
  return seen;
}

const sourcesIn = (graph: Set<string>, folder: string) => [...graph].filter((module) => module.startsWith(folder));
const packagesIn = (graph: Set<string>, names: readonly string[]) => [...graph].filter((module) => names.includes(module.split("/")[0]!));
const nodeModulesIn = (graph: Set<string>) => [...graph].filter((module) => module.startsWith("node:"));

describe("the public surface", () => {
  it("the exports map has the entry points this file pins, each with an index.ts", () => {
    expect(Object.keys(ENTRIES).sort()).toEqual(Object.keys(RUNTIME_EXPORTS).sort());
    for (const source of Object.values(ENTRIES)) expect(source).toMatch(/(^src\/index|\/index)\.ts$/);
  });

  it("each entry gives runtimes its bundle and bundlers the module its declarations describe", () => {
    for (const [key, target] of Object.entries(manifest.exports)) {
      if (typeof target !== "object") continue;
      expect(Object.keys(target), key).toEqual(["types", "node", "default"]);
      expect(target.default, key).toBe(target.types.replace(/\.d\.ts$/, ".js"));
      expect(target.node, key).toMatch(/^\.\/dist\/bundle\/[\w-]+\.js$/);
    }
  });

  for (const [entry, expected] of Object.entries(RUNTIME_EXPORTS)) {
    it(`${entry} exports at run time exactly what is pinned here`, async () => {
      const module = (await import(/* @vite-ignore */ resolve(ENTRIES[entry]!))) as Record<string, unknown>;
      expect(Object.keys(module).sort()).toEqual([...expected].sort());
    });
  }

  it("each name comes from exactly one entry point", () => {
    const owners = new Map<string, string[]>();
    for (const [entry, names] of Object.entries(RUNTIME_EXPORTS))
      for (const name of names) owners.set(name, [...(owners.get(name) ?? []), entry]);
    expect([...owners].filter(([, entries]) => entries.length > 1)).toEqual([]);
  });

  it("no alias, tuning constant or internal of the session, the row engine or the transports is exported", () => {
    const everything = Object.values(RUNTIME_EXPORTS).flat();
    const internal = [
      "init",
      "initSync",
      "createWasmEngineSync",
      "resetRowEngine",
      "readyWasmEngine",
      "ASCII_FAST_PATH_MAX_BYTES",
      "Connection",
      "Turn",
      "hasReturningClause",
      "jsonSafe",
      "DEFAULT_CALL_TIMEOUT_MS",
      "DEFAULT_CONNECT_TIMEOUT_MS",
      "DEFAULT_READ_HIGH_WATER_MARK_BYTES",
      "connectToLeader",
      "parseAddresses",
      "needsNewLeader",
      "resolveLimits",
      "describeField",
      "SCHEMA_SAMPLE_ROWS",
    ];
    expect(everything.filter((name) => internal.includes(name))).toEqual([]);
  });
});

describe("what an import loads", () => {
  const heavy = ["asn1js", "yaml"];

  for (const entry of [
    "dqlite-wire",
    "dqlite-wire/client",
    "dqlite-wire/rows",
    "dqlite-wire/transport",
    "dqlite-wire/arrow",
    "dqlite-wire/capture",
  ]) {
    it(`${entry} loads no node:* module, no asn1js or yaml, and neither the bridge nor the proxy`, () => {
      const graph = reach(ENTRIES[entry]!);
      expect(nodeModulesIn(graph)).toEqual([]);
      expect(packagesIn(graph, heavy)).toEqual([]);
      expect([...sourcesIn(graph, "src/bridge/"), ...sourcesIn(graph, "src/proxy/"), ...sourcesIn(graph, "src/cli/")]).toEqual([]);
    });
  }

  it("the protocol entry (dqlite-wire) loads neither the session, the row engine nor a transport", () => {
    const graph = reach(ENTRIES["dqlite-wire"]!);
    expect([
      ...sourcesIn(graph, "src/client/"),
      ...sourcesIn(graph, "src/rows/"),
      ...sourcesIn(graph, "src/transport/"),
      ...sourcesIn(graph, "src/capture/"),
    ]).toEqual([]);
  });

  it("dqlite-wire/client loads no TCP transport and no certificate reader until a connection needs them", () => {
    const graph = reach(ENTRIES["dqlite-wire/client"]!);
    expect(sourcesIn(graph, "src/transport/").filter((file) => /-tcp\.ts$|tls-certificate\.ts$/.test(file))).toEqual([]);
    expect(sourcesIn(graph, "src/capture/")).toEqual([]);
  });

  it("the TCP transports load the certificate reader only for TLS", () => {
    for (const transport of ["node-tcp", "deno-tcp", "bun-tcp"]) {
      expect(packagesIn(reach(`src/transport/${transport}.ts`), heavy)).toEqual([]);
    }
    expect(packagesIn(reach("src/transport/tls-certificate.ts"), heavy)).toEqual(["asn1js"]);
  });

  it("the command line loads only the command it runs; `decode` of frames loads no session, capture, proxy, bridge, asn1js or yaml", () => {
    const main = reach("src/cli/main.ts");
    expect(
      [...main].filter((module) => module.startsWith("src/") && !["src/cli/main.ts", "src/cli/io.ts", "src/errors.ts"].includes(module)),
    ).toEqual([]);
    const decode = reach("src/cli/codec-commands.ts");
    for (const folder of ["src/client/", "src/capture/", "src/proxy/", "src/bridge/", "src/rows/", "src/transport/"])
      expect(sourcesIn(decode, folder)).toEqual([]);
    expect(packagesIn(decode, heavy)).toEqual([]);
  });

  it("the shell loads the YAML node store only for -s file://, and certificates only for -c/-k", () => {
    const shell = reach("src/cli/shell-command.ts");
    expect(packagesIn(shell, heavy)).toEqual([]);
    expect(sourcesIn(shell, "src/cli/").filter((file) => file === "src/cli/node-store.ts")).toEqual([]);
  });
});

describe("what a user's compiler reads", () => {
  // The declarations of src/, as the build emits them, walked from each entry point's index.d.ts.
  const outDir = resolve(".tmp/entry-points-dts");
  const declarations = (): Map<string, string[]> => {
    const tsc = spawnSync(
      process.execPath,
      [
        "node_modules/typescript/bin/tsc",
        "-p",
        "tsconfig.json",
        "--emitDeclarationOnly",
        "--declarationMap",
        "false",
        "--sourceMap",
        "false",
        "--outDir",
        outDir,
      ],
      { encoding: "utf8" },
    );
    if (tsc.status !== 0) throw new Error(`tsc: ${tsc.stdout}${tsc.stderr}`);
    const packagesOf = new Map<string, string[]>();
    for (const [entry, source] of Object.entries(ENTRIES)) {
      const seen = new Set<string>();
      const packages = new Set<string>();
      const stack = [join(outDir, source.replace(/\.ts$/, ".d.ts"))];
      while (stack.length > 0) {
        const file = stack.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        const text = readFileSync(file, "utf8");
        for (const [, specifier] of text.matchAll(/(?:from\s*|import\(\s*)["']([^"']+)["']/g)) {
          if (specifier!.startsWith(".")) stack.push(join(dirname(file), specifier!.replace(/\.ts$/, ".d.ts")));
          else packages.add(specifier!);
        }
        for (const [, types] of text.matchAll(/\/\/\/\s*<reference types="([^"]+)"/g)) packages.add(types!);
      }
      packagesOf.set(entry, [...packages].sort());
    }
    return packagesOf;
  };

  it("no entry point's declarations name ws, yaml or asn1js (their types are no dependency of the package); only the Node entries name Node's", () => {
    const packagesOf = declarations();
    const nodeOnly = ["dqlite-wire/bridge", "dqlite-wire/testing"];
    for (const [entry, packages] of packagesOf) {
      const allowed = (name: string) => name === "kysely" || (nodeOnly.includes(entry) && (name === "node" || name.startsWith("node:")));
      expect({ entry, packages: packages.filter((name) => !allowed(name)) }).toEqual({ entry, packages: [] });
    }
  });
});
