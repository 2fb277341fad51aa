// The same session scenario (runtimes/session-smoke.ts) under Node (in this process), Deno and
// Bun (as child processes, each with its own TCP transport), against one real node.

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionSmoke } from "./runtimes/session-smoke.ts";
import { startNode, type DqliteNode } from "./helpers.ts";

const bin = (name: string) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));
const SMOKE = fileURLToPath(new URL("./runtimes/session-smoke.ts", import.meta.url));

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

let node: DqliteNode;
beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node?.stop();
});

const SUMMARY = /leader 127\.0\.0\.1:\d+, 30000 rows in \d+ batches, sum 450015000/;

describe("the session under Node, Deno and Bun", () => {
  it("Node", async () => {
    expect(await sessionSmoke(node.address)).toMatch(SUMMARY);
  });

  it("Deno prints ok", async () => {
    const result = await run(bin("deno"), ["run", "-A", SMOKE], { DQLITE_ADDRESS: node.address });
    expect(result.stderr).toMatch(new RegExp(`session-smoke \\(deno\\): ${SUMMARY.source}`));
    expect(result.stdout.trim()).toBe("ok");
    expect(result.code).toBe(0);
  });

  it("Bun prints ok", async () => {
    const result = await run(bin("bun"), [SMOKE], { DQLITE_ADDRESS: node.address });
    expect(result.stderr).toMatch(new RegExp(`session-smoke \\(bun\\): ${SUMMARY.source}`));
    expect(result.stdout.trim()).toBe("ok");
    expect(result.code).toBe(0);
  });
});
