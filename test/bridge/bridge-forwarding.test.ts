// The bridge against a real dqlite node: frames pass byte for byte both ways, targets are chosen
// from the allow-list, and every connection is logged when it ends.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import type { Bridge, BridgeLogEntry } from "../../src/bridge/index.ts";
import {
  TestClient,
  concat,
  decodeResponses,
  directExchange,
  openingScript,
  request,
  roundTrip,
  startTestBridge,
  waitFor,
} from "./bridge-helpers.ts";

const TOKEN = "forwarding-test-token-0123456789";

let node: DqliteNode;
let bridge: Bridge;
let logs: BridgeLogEntry[];

beforeAll(async () => {
  node = await startNode();
  ({ bridge, logs } = await startTestBridge({ targets: [node.address], token: TOKEN }));
});

afterAll(async () => {
  await bridge?.close();
  await node?.stop();
});

describe("bridge forwarding", () => {
  it("listens on loopback on the port it reports", () => {
    expect(bridge.host).toBe("127.0.0.1");
    expect(bridge.port).toBeGreaterThan(0);
    expect(bridge.url).toBe(`ws://127.0.0.1:${bridge.port}/`);
    expect(bridge.token).toBe(TOKEN);
  });

  it("carries handshake, CLIENT, LEADER, OPEN and QUERY_SQL byte for byte, as over direct TCP", async () => {
    // The blob is a whole word: dqlite 1.11 does not zero the padding after a shorter blob, so
    // those bytes differ between two runs of the same query on the node itself.
    const script = concat([openingScript(), request({ type: "QUERY_SQL", db: 0n, sql: "SELECT 1, 2.5, 'x', NULL, x'0102030405060708'" })]);
    const direct = await directExchange(node.address, script, 4);

    const client = new TestClient(bridge, { token: TOKEN });
    await client.opened;
    expect(client.ws.protocol).toBe("dqlite-wire");
    client.send(script);
    const bridged = await client.frames(4);

    expect(bridged.toString("hex")).toBe(direct.toString("hex"));
    expect(decodeResponses(bridged).map((m) => m.type)).toEqual(["WELCOME", "LEADER", "DB", "ROWS"]);
    const stats = bridge.stats().connections.find((c) => c.bytesToTarget > 0);
    expect(stats?.bytesToTarget).toBe(script.length);
    expect(stats?.bytesToClient).toBe(direct.length);
    expect(stats?.frames).toBe(4);
    client.close();
    await client.closed;
  });

  it("reassembles frames split across WebSocket messages, down to one byte per message", async () => {
    const script = concat([openingScript(), request({ type: "QUERY_SQL", db: 0n, sql: "SELECT 42" })]);
    const direct = await directExchange(node.address, script, 4);
    const client = new TestClient(bridge, { token: TOKEN });
    await client.opened;
    for (const byte of script) client.send(Uint8Array.of(byte));
    const bridged = await client.frames(4);
    expect(bridged.equals(direct)).toBe(true);
    client.close();
    await client.closed;
  });

  it("uses the first target by default and an allowed ?target= when asked", async () => {
    const second = await startNode();
    const both = await startTestBridge({ targets: [node.address, second.address], token: TOKEN });
    try {
      const viaDefault = await roundTrip(both.bridge, TOKEN);
      const viaSecond = await roundTrip(both.bridge, TOKEN, { target: second.address });
      const leaderOf = (messages: { type: string }[]) => (messages[1] as unknown as { address: string }).address;
      expect(leaderOf(viaDefault)).toBe(node.address);
      expect(leaderOf(viaSecond)).toBe(second.address);
      await waitFor(() => both.logs.filter((e) => e.event === "connection").length === 2, "two connection log entries");
      const targets = both.logs.flatMap((e) => (e.event === "connection" ? [e.target] : []));
      expect(targets).toEqual([node.address, second.address]);
    } finally {
      await both.bridge.close();
      await second.stop();
    }
  });

  it("logs each connection when it ends: client, origin, target, bytes, duration, why", async () => {
    const before = logs.length;
    const client = new TestClient(bridge, { token: TOKEN });
    await client.opened;
    client.send(openingScript());
    const bytes = await client.frames(3);
    client.ws.close(1000, "done here");
    await client.closed;
    await waitFor(() => logs.slice(before).some((e) => e.event === "connection"), "the connection log entry");
    const entry = logs.slice(before).find((e) => e.event === "connection");
    expect(entry).toMatchObject({
      event: "connection",
      client: "127.0.0.1",
      origin: null,
      target: node.address,
      bytesToTarget: openingScript().length,
      bytesToClient: bytes.length,
      frames: 3,
      code: 1000,
      reason: "done here",
      closedBy: "client",
    });
    expect(entry?.event === "connection" && entry.durationMs >= 0).toBe(true);
  });

  it("closes with 4014 when the node goes away, 4013 when it cannot be reached", async () => {
    const lonely = await startNode();
    const started = await startTestBridge({ targets: [lonely.address], token: TOKEN });
    try {
      const client = new TestClient(started.bridge, { token: TOKEN });
      await client.opened;
      client.send(openingScript());
      await client.frames(3);
      await lonely.stop();
      const closure = await client.closed;
      expect(closure.code).toBe(4014);
      expect(closure.reason).toMatch(/closed the connection/);

      const late = new TestClient(started.bridge, { token: TOKEN });
      const unreachable = await late.closed;
      expect(unreachable.code).toBe(4013);
      expect(unreachable.reason).toContain(lonely.address);
    } finally {
      await started.bridge.close();
      await lonely.stop();
    }
  });

  it("close() ends every connection with 1001 and stops listening", async () => {
    const started = await startTestBridge({ targets: [node.address], token: TOKEN });
    const clients = [new TestClient(started.bridge, { token: TOKEN }), new TestClient(started.bridge, { token: TOKEN })];
    await Promise.all(clients.map((client) => client.opened));
    await waitFor(() => started.bridge.stats().connections.length === 2, "two bridged connections");
    await started.bridge.close();
    for (const client of clients) expect((await client.closed).code).toBe(1001);
    expect(started.bridge.stats().connections).toHaveLength(0);
    const after = new TestClient(started.bridge, { token: TOKEN });
    expect((await after.closed).code).toBe(1006);
  });
});
