// The portability rule: one source runs in Node, Deno, Bun and browsers, so only the modules
// that must talk to Node (its TCP transport, the bridge, the test rig, the CLI) import node:*.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";

const NODE_ONLY = [/^src\/cli\//, /^src\/testing\//, /^src\/transport\/node-tcp\.ts$/, /^src\/bridge\//];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

test("only Node-specific modules import node:* (and nothing imports Node's globals by name)", () => {
  const offenders = sources("src")
    .filter((path) => !NODE_ONLY.some((pattern) => pattern.test(path)))
    .filter((path) => /from\s+["']node:|import\(\s*["']node:|require\(/.test(readFileSync(path, "utf8")));
  expect(offenders).toEqual([]);
});

test("portable modules do not use Node's globals (Buffer, process, __dirname)", () => {
  const offenders = sources("src")
    .filter((path) => !NODE_ONLY.some((pattern) => pattern.test(path)))
    .filter((path) => {
      const code = readFileSync(path, "utf8").replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
      return /\bBuffer\.|\bprocess\.|\b__dirname\b|\brequire\(/.test(code);
    });
  expect(offenders).toEqual([]);
});

test("the portable entry point does not reach a Node-only module", () => {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const text = readFileSync(path, "utf8");
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
      visit(join(path, "..", match[1]!));
    }
  };
  visit("src/index.ts");
  const reached = [...seen].filter((path) => NODE_ONLY.some((pattern) => pattern.test(path)));
  expect(reached).toEqual([]);
  expect(seen.size).toBeGreaterThan(10);
});
