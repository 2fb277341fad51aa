// Backpressure through the bridge, against a real node: when the client stops reading, the bridge
// stops reading the node (its buffer toward the client stays under the cap plus one TCP chunk);
// when the node stops reading, the bridge stops reading the client. Nothing is lost either way.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import type { Bridge, BridgeConnectionStats } from "../../src/bridge/index.ts";
import {
  TestClient,
  concat,
  decodeResponses,
  openingScript,
  request,
  sleep,
  startTestBridge,
  waitFor,
  waitForQuiet,
} from "./bridge-helpers.ts";

const TOKEN = "backpressure-test-token-01234567";
const KiB = 1024;
const MAX_BUFFERED = 256 * KiB;
/** Node sockets hand over at most 64 KiB per read: the bridge can overshoot the cap by one read. */
const ONE_TCP_READ = 64 * KiB;
/** WebSocket frame headers and the like. */
const SLACK = 1 * KiB;
const ROWS = 20_000;
const BIG_QUERY = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${ROWS}) SELECT x, zeroblob(1000) FROM c`;

let node: DqliteNode;
let bridge: Bridge;

function onlyConnection(): BridgeConnectionStats {
  const [stats] = bridge.stats().connections;
  if (stats === undefined) throw new Error("no bridged connection");
  return stats;
}

beforeAll(async () => {
  node = await startNode();
  ({ bridge } = await startTestBridge({ targets: [node.address], token: TOKEN, maxBufferedBytes: MAX_BUFFERED }));
});

afterAll(async () => {
  await bridge?.close();
  await node?.stop();
});

describe("bridge backpressure", () => {
  it("stops reading the node while the client does not read, then delivers the whole result", async () => {
    const client = new TestClient(bridge, { token: TOKEN });
    await client.opened;
    client.ws.pause();
    client.send(concat([openingScript(), request({ type: "QUERY_SQL", db: 0n, sql: BIG_QUERY })]));

    await waitFor(() => bridge.stats().connections[0]?.targetPaused === true, "the bridge to pause the node side", 15_000);
    // Paused: nothing more is read from the node while the client reads nothing. The kernel
    // buffers toward the client may take a few more bytes first (each lets the bridge resume
    // for one read); then the count stays still, node side paused, for a whole second.
    await waitForQuiet(() => [onlyConnection().bytesToClient, onlyConnection().targetPaused], "the node side to stay paused", 1_000);
    const later = onlyConnection();
    expect(later.targetPaused).toBe(true);
    expect(later.peakBufferedToClient).toBeLessThanOrEqual(MAX_BUFFERED + ONE_TCP_READ + SLACK);
    expect(later.bufferedToClient).toBeGreaterThan(0);
    // The result is ~20 MB; far less has left the node.
    expect(later.bytesToClient).toBeLessThan(ROWS * 1000);

    client.ws.resume();
    const deadline = Date.now() + 30_000;
    let rows = 0;
    let lastMarker: string | undefined;
    while (lastMarker !== "DONE") {
      if (Date.now() > deadline) throw new Error(`result incomplete: ${rows} rows`);
      await sleep(100);
      const messages = decodeResponses(client.received()).slice(3) as unknown as { type: string; rows: unknown[]; marker: string }[];
      rows = messages.reduce((sum, message) => sum + message.rows.length, 0);
      lastMarker = messages.at(-1)?.marker;
    }
    expect(rows).toBe(ROWS);
    const final = onlyConnection();
    expect(final.peakBufferedToClient).toBeLessThanOrEqual(MAX_BUFFERED + ONE_TCP_READ + SLACK);
    expect(final.bytesToClient).toBe(client.receivedBytes);
    client.close();
    await client.closed;
  });

  it("stops reading the client while the node does not read (SIGSTOP), and forwards everything after", async () => {
    const stalled = await startNode();
    const started = await startTestBridge({ targets: [stalled.address], token: TOKEN, maxBufferedBytes: MAX_BUFFERED });
    try {
      const client = new TestClient(started.bridge, { token: TOKEN });
      await client.opened;
      client.send(openingScript());
      await client.frames(3);
      stalled.pause();
      // 24 requests of ~1 MiB each: more than the kernel buffers between bridge and node hold.
      const padding = "-".repeat(1000 * KiB);
      const requests = Array.from({ length: 24 }, (_, i) => request({ type: "QUERY_SQL", db: 0n, sql: `SELECT ${i} AS v -- ${padding}` }));
      for (const frame of requests) client.send(frame);
      const stats = () => started.bridge.stats().connections[0];
      await waitFor(() => stats()?.clientPaused === true, "the bridge to pause the client side", 15_000);
      // Nothing more is forwarded to the stopped node: once the kernel buffers toward it are
      // full, the count stays still, client side paused, for a whole second.
      await waitForQuiet(() => [stats()?.bytesToTarget, stats()?.clientPaused], "the client side to stay paused", 1_000);
      const paused = stats()!;
      expect(paused.clientPaused).toBe(true);
      // The cap, plus what one client message can release at once (one frame here).
      expect(paused.peakBufferedToTarget).toBeLessThanOrEqual(MAX_BUFFERED + requests[0]!.length + SLACK);
      expect(paused.bytesToTarget).toBeLessThan(requests.reduce((sum, frame) => sum + frame.length, 0));

      stalled.resume();
      const replies = await client.frames(3 + requests.length, 30_000);
      const values = (decodeResponses(replies).slice(3) as unknown as { rows: { values: unknown[] }[] }[]).map((m) => m.rows[0]?.values[0]);
      expect(values).toEqual(requests.map((_, i) => i));
      client.close();
      await client.closed;
    } finally {
      stalled.resume();
      await started.bridge.close();
      await stalled.stop();
    }
  });
});
