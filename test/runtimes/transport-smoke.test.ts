// Runs test/runtimes/transport-smoke.ts under Deno and Bun (the runtimes whose TCP transports
// Node cannot load) against a real node, so the suite covers all three transports.

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNode, type DqliteNode } from "../../src/testing/dqlite-node.ts";

const bin = (name: string) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));
const SMOKE = fileURLToPath(new URL("./transport-smoke.ts", import.meta.url));

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

describe("transport smoke under other runtimes", () => {
  it("Deno (Deno.connect) prints ok", async () => {
    const result = await run(bin("deno"), ["run", "--allow-net", "--allow-env", SMOKE], { DQLITE_ADDRESS: node.address });
    expect(result.stderr).toContain("transport-smoke (deno)");
    expect(result.stdout.trim()).toBe("ok");
    expect(result.code).toBe(0);
  });

  it("Bun (Bun.connect) prints ok", async () => {
    const result = await run(bin("bun"), [SMOKE], { DQLITE_ADDRESS: node.address });
    expect(result.stderr).toContain("transport-smoke (bun)");
    expect(result.stdout.trim()).toBe("ok");
    expect(result.code).toBe(0);
  });

  it("fails with a message and a non-zero status when the node is unreachable", async () => {
    const result = await run(bin("bun"), [SMOKE], { DQLITE_ADDRESS: "127.0.0.1:1" });
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain("ok");
    expect(result.stderr).toContain("cannot connect to tcp://127.0.0.1:1");
  });
});
