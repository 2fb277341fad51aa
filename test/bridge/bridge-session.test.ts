// The library's own client, through the bridge, against a real node: the WebSocket transport and
// the bridge agree on the token, the target and the close codes, and a session works end to end
// (writes, a streamed result, cluster listing); an admin call is refused with the bridge's reason.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { connect, type Client } from "../../src/client/index.ts";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import type { Bridge } from "../../src/bridge/index.ts";
import { ConnectionError } from "../../src/errors.ts";
import { connectWebSocket, webSocketConnector, type WebSocketConstructor } from "../../src/transport/websocket.ts";
import { startTestBridge } from "./bridge-helpers.ts";

const TOKEN = "session-test-token-0123456789abc";
const WS = WebSocket as unknown as WebSocketConstructor;

let node: DqliteNode;
let bridge: Bridge;
let client: Client | undefined;

beforeAll(async () => {
  node = await startNode();
  ({ bridge } = await startTestBridge({ targets: [node.address], token: TOKEN }));
});

afterAll(async () => {
  await client?.close();
  await bridge?.close();
  await node?.stop();
});

describe("client session through the bridge", () => {
  it("creates, fills and reads back a table, streaming 5 000 rows", async () => {
    client = await connect({
      addresses: [node.address],
      connector: webSocketConnector(bridge.url, { token: TOKEN, WebSocket: WS }),
      timeoutMs: 10_000,
    });
    const db = await client.open("demo");
    const table = `bridge_session_${process.pid}`;
    await db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name TEXT)`);
    await db.exec(
      `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) INSERT INTO ${table} SELECT x, 'row ' || x FROM c`,
    );
    const result = await db.query(`SELECT id, name FROM ${table} ORDER BY id`).all();
    expect(result.columns).toEqual(["id", "name"]);
    expect(result.rows).toHaveLength(5000);
    expect(result.rows[4999]).toEqual([5000, "row 5000"]);
    // 64-bit extremes pass the bridge's frame check as they are (no rounding, no refusal).
    await db.exec(`INSERT INTO ${table} (id, name) VALUES (?, 'max'), (?, 'min')`, [2n ** 63n - 1n, -(2n ** 63n)]);
    const extremes = await db.query(`SELECT CAST(id AS TEXT) FROM ${table} WHERE name IN ('max', 'min') ORDER BY id`).all();
    expect(extremes.rows).toEqual([["-9223372036854775808"], ["9223372036854775807"]]);
    const members = await client.cluster();
    expect(members.map((m) => m.address)).toEqual([node.address]);
    expect(bridge.stats().connections.length).toBeGreaterThanOrEqual(1);
  });

  it("an admin call fails with the bridge's refusal, and a new session still works", async () => {
    const admin = await connect({
      addresses: [node.address],
      connector: webSocketConnector(bridge.url, { token: TOKEN, WebSocket: WS }),
      timeoutMs: 10_000,
    });
    try {
      const error = await admin.dump("demo").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(String((error as Error).message)).toMatch(/4012.*DUMP refused: the bridge was started without allowAdmin/);
    } finally {
      await admin.close();
    }
    const again = await connect({
      addresses: [node.address],
      connector: webSocketConnector(bridge.url, { token: TOKEN, WebSocket: WS }),
      timeoutMs: 10_000,
    });
    try {
      const rows = await (await again.open("demo")).query("SELECT 7").all();
      expect(rows.rows).toEqual([[7]]);
    } finally {
      await again.close();
    }
  });

  it("a wrong token reaches the transport's reader as the bridge's close code and reason", async () => {
    const url = `${bridge.url}?target=${encodeURIComponent(node.address)}`;
    const transport = await connectWebSocket(url, { token: "not-the-right-token-000", WebSocket: WS });
    const error = await transport.readable
      .getReader()
      .read()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).message).toMatch(/closed with code 4001: wrong token/);
    await transport.close();
  });
});

describe("a pooled client through the bridge", () => {
  it("opens a WebSocket per connection, up to the bridge's per-client cap; a refused one caps the pool, says why, and no call fails", async () => {
    const capped = await startTestBridge({ targets: [node.address], token: TOKEN, maxConnectionsPerClient: 2 });
    const pooled = await connect({
      addresses: [node.address],
      connector: webSocketConnector(capped.bridge.url, { token: TOKEN, WebSocket: WS }),
      pool: { max: 4 },
      timeoutMs: 10_000,
    });
    try {
      const db = await pooled.open("demo");
      const long = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n";
      const results = await Promise.all(Array.from({ length: 4 }, () => db.query(long).all()));
      expect(results.map((result) => result.rows.length)).toEqual([20000, 20000, 20000, 20000]);
      const stats = pooled.stats();
      expect(stats.max).toBe(2);
      expect(stats.open).toBe(2);
      expect(stats.limitedBy).toMatch(
        /the bridge refused connection 3 \(close code 4009: its per-client cap, --max-per-client\); the pool keeps 2/,
      );
      expect(capped.bridge.stats().connections.length).toBe(2);
    } finally {
      await pooled.close();
      await capped.bridge.close();
    }
  });
});
