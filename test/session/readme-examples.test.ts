// README's "A bulk job", "Many callers", "Transactions" and "Query builders" examples, run as written against a real node:
// each ```ts block of those sections, with the package's entry points pointed at src/ and the
// node's address in place of 127.0.0.1:9001. Every `// → OUTPUT` comment must be what the line
// before it prints, in order.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { format } from "node:util";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startNode, type DqliteNode } from "./helpers.ts";

const ENTRY_POINTS: Record<string, string> = {
  "dqlite-wire/client": resolve("src/client/index.ts"),
  "dqlite-wire/kysely": resolve("src/kysely/index.ts"),
};
const OUTPUT = /\/\/ → (.*)$/;

/** Where the section starting at `start` ends: the next heading of its level or above. */
function nextHeading(markdown: string, start: number, level: number): number {
  const heading = new RegExp(`\\n#{2,${level}} `, "g");
  heading.lastIndex = start + 1;
  return heading.exec(markdown)?.index ?? -1;
}

/** The ```ts blocks of the README section titled `title` ("## …" or "### …"). */
function tsBlocks(markdown: string, title: string): string[] {
  const level = title.startsWith("#") ? "" : "## ";
  const start = markdown.indexOf(`\n${level}${title}\n`);
  if (start < 0) throw new Error(`README has no section "${level}${title}"`);
  const end = nextHeading(markdown, start, title.startsWith("### ") ? 3 : 2);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

let node: DqliteNode;
beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node?.stop();
});

async function runExample(code: string, name: string): Promise<{ printed: string[]; expected: string[] }> {
  let runnable = code.replaceAll("127.0.0.1:9001", node.address);
  for (const [specifier, path] of Object.entries(ENTRY_POINTS)) runnable = runnable.replaceAll(`"${specifier}"`, JSON.stringify(path));
  const dir = resolve(".tmp/readme-examples");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${process.pid}.ts`);
  writeFileSync(file, `${runnable}\nexport {};\n`);
  const printed: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(format(...args)));
  try {
    await import(pathToFileURL(file).href);
  } finally {
    log.mockRestore();
  }
  const expected = code.split("\n").flatMap((line) => OUTPUT.exec(line)?.[1] ?? []);
  return { printed, expected };
}

describe("README examples", () => {
  const readme = readFileSync("README.md", "utf8");
  for (const title of ["### A bulk job", "Many callers: the pool", "Transactions", "Query builders"]) {
    it(`${title.startsWith("#") ? title : `## ${title}`}: prints what its comments say`, async () => {
      const blocks = tsBlocks(readme, title);
      expect(blocks.length).toBeGreaterThan(0);
      for (const [index, block] of blocks.entries()) {
        const { printed, expected } = await runExample(block, `${title.replace(/\W+/g, "-")}-${index}`);
        expect(expected.length).toBeGreaterThan(0);
        expect(printed).toEqual(expected);
      }
    });
  }
});
