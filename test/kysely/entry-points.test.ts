// Kysely is an optional peer dependency: only the "dqlite-wire/kysely" entry point may import
// it, so every other entry point loads without it installed.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

const IMPORTS_KYSELY = /(?:from\s+|import\s*\(\s*)["']kysely(?:\/[^"']*)?["']/;

test("no module outside src/kysely imports kysely", () => {
  const all = sources("src");
  const importers = all.filter((path) => IMPORTS_KYSELY.test(readFileSync(path, "utf8")));
  expect(importers.length).toBeGreaterThan(0);
  expect(importers.filter((path) => !path.startsWith(join("src", "kysely")))).toEqual([]);
});

test("package.json: ./kysely is exported and kysely is an optional peer dependency", () => {
  const pkg = JSON.parse(readFileSync("package.json", "utf8"));
  expect(pkg.exports["./kysely"]).toEqual({
    types: "./dist/src/kysely/index.d.ts",
    node: "./dist/bundle/kysely.js",
    default: "./dist/src/kysely/index.js",
  });
  expect(pkg.peerDependencies.kysely).toBe("^0.28.0");
  expect(pkg.peerDependenciesMeta.kysely).toEqual({ optional: true });
  expect(pkg.dependencies?.kysely).toBeUndefined();
});

test("in the built bundles (npm run build), only the kysely entry imports kysely: no shared chunk carries it", () => {
  const bundles = [
    ...readdirSync("dist/bundle").filter((name) => name.endsWith(".js")),
    ...readdirSync("dist/bundle/chunks").map((name) => `chunks/${name}`),
  ];
  expect(bundles).toContain("kysely.js");
  expect(bundles.filter((name) => IMPORTS_KYSELY.test(readFileSync(join("dist/bundle", name), "utf8")))).toEqual(["kysely.js"]);
});
