// README's "Arrow" example, run as written against a real node: its ```ts block with the
// package's entry points pointed at src/ and the node's address in place of 127.0.0.1:9001.
// Every `// → OUTPUT` comment must be what the line before it prints, in order.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startNode, type DqliteNode } from "../../src/testing/dqlite-node.ts";

const ENTRY_POINTS: Record<string, string> = {
  "dqlite-wire/client": resolve("src/client/index.ts"),
  "dqlite-wire/arrow": resolve("src/arrow/index.ts"),
};
const OUTPUT = /\/\/ → (.*)$/;

let node: DqliteNode;
beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node?.stop();
});

/** The ```ts blocks of the README section titled `title`. */
function tsBlocks(markdown: string, title: string): string[] {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "## ${title}"`);
  const end = markdown.indexOf("\n## ", start + 1);
  return [...markdown.slice(start, end < 0 ? undefined : end).matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

describe("README's Arrow example", () => {
  it("prints what its comments say", async () => {
    const blocks = tsBlocks(readFileSync("README.md", "utf8"), "Arrow");
    expect(blocks).toHaveLength(1);
    let code = blocks[0]!.replaceAll("127.0.0.1:9001", node.address);
    for (const [specifier, path] of Object.entries(ENTRY_POINTS)) code = code.replaceAll(`"${specifier}"`, JSON.stringify(path));
    const dir = resolve(".tmp/readme-examples");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `arrow-${process.pid}.ts`);
    writeFileSync(file, `${code}\nexport {};\n`);
    const printed: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(format(...args)));
    try {
      await import(pathToFileURL(file).href);
    } finally {
      log.mockRestore();
    }
    const expected = blocks[0]!.split("\n").flatMap((line) => OUTPUT.exec(line)?.[1] ?? []);
    expect(expected).toHaveLength(2);
    expect(printed).toEqual(expected);
  });
});
