// Arrow output under Node (in this process), Deno and Bun (child processes, each with its own
// TCP transport and its own import of apache-arrow and flechette), against one real node.

import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNode, type DqliteNode } from "../../src/testing/dqlite-node.ts";
import { runScript, runtimeBinary } from "../support/runtime-script.ts";
import { arrowSmoke } from "./runtimes/arrow-smoke.ts";

const SMOKE = fileURLToPath(new URL("./runtimes/arrow-smoke.ts", import.meta.url));
const SUMMARY = /every type read back by apache-arrow and flechette in 3 intModes; 30000 rows in \d+ chunks, sum 450015000/;

let node: DqliteNode;
beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node?.stop();
});

describe("Arrow output under Node, Deno and Bun", () => {
  it("Node", async () => {
    expect(await arrowSmoke(node.address)).toMatch(SUMMARY);
  });

  for (const runtime of ["deno", "bun"] as const) {
    it(`${runtime} prints ok`, async () => {
      const args = runtime === "deno" ? ["run", "-A", SMOKE] : [SMOKE];
      const result = await runScript(runtimeBinary(runtime), args, { DQLITE_ADDRESS: node.address });
      expect(result.stdout.trim(), result.stderr).toBe("ok");
      expect(result.stderr).toMatch(SUMMARY);
      expect(result.stderr).toContain(`arrow-smoke (${runtime})`);
      expect(result.code).toBe(0);
    });
  }
});
