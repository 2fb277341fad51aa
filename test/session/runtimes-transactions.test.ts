// Transactions and the Kysely dialect (runtimes/transactions-smoke.ts) under Node (in this
// process), Deno and Bun (child processes, each with its own TCP transport and the kysely
// package from node_modules), against one real node.

import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_RELEASES, NODE_TYPESCRIPT_ARGS, nodeReleaseBinary, runScript, runtimeBinary } from "../support/runtime-script.ts";
import { transactionsSmoke } from "./runtimes/transactions-smoke.ts";
import { startNode, type DqliteNode } from "./helpers.ts";

const SMOKE = fileURLToPath(new URL("./runtimes/transactions-smoke.ts", import.meta.url));
const SUMMARY = "transactions and Kysely: 3 rows";

let node: DqliteNode;
beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node?.stop();
});

describe("transactions and Kysely under Node (20 here, 22 and 24), Deno and Bun", () => {
  it("Node", async () => {
    expect(await transactionsSmoke(node.address)).toBe(SUMMARY);
  });

  it("Deno prints ok (Deno.connect)", async () => {
    const result = await runScript(runtimeBinary("deno"), ["run", "-A", SMOKE], { DQLITE_ADDRESS: node.address });
    expect(result.stderr).toContain(`transactions-smoke (deno): ${SUMMARY}`);
    expect(result.stdout.trim()).toBe("ok");
    expect(result.code).toBe(0);
  });

  it("Bun prints ok (Bun.connect)", async () => {
    const result = await runScript(runtimeBinary("bun"), [SMOKE], { DQLITE_ADDRESS: node.address });
    expect(result.stderr).toContain(`transactions-smoke (bun): ${SUMMARY}`);
    expect(result.stdout.trim()).toBe("ok");
    expect(result.code).toBe(0);
  });

  it.each(NODE_RELEASES)("Node %s prints ok (node:net)", async (release) => {
    const result = await runScript(nodeReleaseBinary(release), [...NODE_TYPESCRIPT_ARGS, SMOKE], { DQLITE_ADDRESS: node.address });
    expect(result.stderr).toContain(`transactions-smoke (node): ${SUMMARY}`);
    expect(result.stdout.trim()).toBe("ok");
    expect(result.code).toBe(0);
  });
});
