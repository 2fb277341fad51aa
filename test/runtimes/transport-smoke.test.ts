// Runs test/runtimes/transport-smoke.ts under Deno and Bun (the runtimes whose TCP transports
// Node cannot load) against a real node, so the suite covers all three transports.

import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScript, runtimeBinary } from "../support/runtime-script.ts";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import { RELAY_FIXTURE_TOKEN, startRelayFixture, type RelayFixture } from "../transport/relay-fixture.ts";

const SMOKE = fileURLToPath(new URL("./transport-smoke.ts", import.meta.url));
const run = runScript;
const bin = runtimeBinary;

let node: DqliteNode;
let relay: RelayFixture;
let env: Record<string, string>;
beforeAll(async () => {
  node = await startNode();
  relay = await startRelayFixture([node.address]);
  // TCP with the runtime's own sockets, then WebSocket with its global WebSocket through the
  // relay test fixture.
  env = { DQLITE_ADDRESS: node.address, DQLITE_BRIDGE_URL: relay.url, DQLITE_BRIDGE_TOKEN: RELAY_FIXTURE_TOKEN };
});
afterAll(async () => {
  await relay?.close();
  await node?.stop();
});

describe("transport smoke under other runtimes", () => {
  it("Deno (Deno.connect, global WebSocket) prints ok", async () => {
    const result = await run(bin("deno"), ["run", "--allow-net", "--allow-env", SMOKE], env);
    expect(result.stderr).toMatch(/transport-smoke \(deno\): tcp: .*sum 20000100000; websocket: .*sum 20000100000/);
    expect(result.stdout.trim()).toBe("ok");
    expect(result.code).toBe(0);
  });

  it("Bun (Bun.connect, global WebSocket) prints ok", async () => {
    const result = await run(bin("bun"), [SMOKE], env);
    expect(result.stderr).toMatch(/transport-smoke \(bun\): tcp: .*sum 20000100000; websocket: .*sum 20000100000/);
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
