// The same session scenario (runtimes/session-smoke.ts) under Node (in this process), Deno and
// Bun (as child processes, each with its own TCP transport), against one real node; and again
// through a WebSocket relay (the transport tests' fixture) with each runtime's WebSocket.

import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_RELEASES, NODE_TYPESCRIPT_ARGS, nodeReleaseBinary, runScript, runtimeBinary } from "../support/runtime-script.ts";
import { WebSocket } from "ws";
import { type WebSocketConstructor, webSocketConnector } from "../../src/transport/websocket.ts";
import { RELAY_FIXTURE_TOKEN, type RelayFixture, startRelayFixture } from "../transport/relay-fixture.ts";
import { sessionSmoke } from "./runtimes/session-smoke.ts";
import { startNode, type DqliteNode } from "./helpers.ts";

const SMOKE = fileURLToPath(new URL("./runtimes/session-smoke.ts", import.meta.url));
const run = runScript;
const bin = runtimeBinary;

let node: DqliteNode;
let relay: RelayFixture;
let env: Record<string, string>;
beforeAll(async () => {
  node = await startNode();
  relay = await startRelayFixture([node.address]);
  env = { DQLITE_ADDRESS: node.address, DQLITE_BRIDGE_URL: relay.url, DQLITE_BRIDGE_TOKEN: RELAY_FIXTURE_TOKEN };
});
afterAll(async () => {
  await relay?.close();
  await node?.stop();
});

const SUMMARY = "leader 127\\.0\\.0\\.1:\\d+, 30000 rows in \\d+ batches, sum 450015000, pool of [2-8] \\(max 8\\)";
const BOTH = new RegExp(`tcp: ${SUMMARY}; websocket: ${SUMMARY}`);

describe("the session under Node (20 here, 22 and 24), Deno and Bun", () => {
  it("Node, over TCP and through the WebSocket relay (the ws package's WebSocket)", async () => {
    expect(await sessionSmoke(node.address)).toMatch(new RegExp(SUMMARY));
    const connector = webSocketConnector(relay.url, {
      token: RELAY_FIXTURE_TOKEN,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    expect(await sessionSmoke(node.address, connector)).toMatch(new RegExp(SUMMARY));
  });

  it("Deno prints ok (Deno.connect, then its global WebSocket)", async () => {
    const result = await run(bin("deno"), ["run", "-A", SMOKE], env);
    expect(result.stderr).toMatch(BOTH);
    expect(result.stderr).toContain("session-smoke (deno)");
    expect(result.stdout.trim()).toBe("ok");
    expect(result.code).toBe(0);
  });

  it("Bun prints ok (Bun.connect, then its global WebSocket)", async () => {
    const result = await run(bin("bun"), [SMOKE], env);
    expect(result.stderr).toMatch(BOTH);
    expect(result.stderr).toContain("session-smoke (bun)");
    expect(result.stdout.trim()).toBe("ok");
    expect(result.code).toBe(0);
  });

  it.each(NODE_RELEASES)("Node %s prints ok (node:net, then its global WebSocket)", async (release) => {
    const result = await run(nodeReleaseBinary(release), [...NODE_TYPESCRIPT_ARGS, SMOKE], env);
    expect(result.stderr).toMatch(BOTH);
    expect(result.stderr).toContain("session-smoke (node)");
    expect(result.stdout.trim()).toBe("ok");
    expect(result.code).toBe(0);
  });
});
