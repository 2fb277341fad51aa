// Every refusal of the bridge, against a real node: each one closes only the offending connection,
// with a close code and a reason the client can show, while an honest connection opened before
// keeps being served. Nothing of a refused frame reaches the node.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import type { Bridge, BridgeLogEntry } from "../../src/bridge/index.ts";
import { BridgeCloseCode } from "../../src/transport/index.ts";
import {
  HANDSHAKE_V1,
  TestClient,
  concat,
  decodeResponses,
  openingScript,
  request,
  roundTrip,
  startTestBridge,
  waitFor,
  type ClientOptions,
} from "./bridge-helpers.ts";

const TOKEN = "refusals-test-token-0123456789ab";
const PAGE = "http://127.0.0.1:5173";

let node: DqliteNode;
let bridge: Bridge;
let logs: BridgeLogEntry[];
/** An honest client, opened first; every test checks it is still served afterwards. */
let honest: TestClient;
let honestQueries = 0;

async function expectHonestStillServed(): Promise<void> {
  honestQueries++;
  honest.send(request({ type: "QUERY_SQL", db: 0n, sql: `SELECT ${honestQueries}` }));
  const bytes = await honest.frames(3 + honestQueries);
  const last = decodeResponses(bytes).at(-1) as unknown as { type: string; rows: { values: unknown[] }[] };
  expect(last.type).toBe("ROWS");
  expect(last.rows[0]?.values[0]).toBe(honestQueries);
}

/** Opens a client with `options`, sends `bytes` once open, and resolves with how it was closed. */
async function closureOf(options: ClientOptions, bytes?: Uint8Array, on: Bridge = bridge) {
  const client = new TestClient(on, options);
  if (bytes !== undefined) {
    await client.opened;
    client.send(bytes);
  }
  return client.closed;
}

function connectionEntries(): Extract<BridgeLogEntry, { event: "connection" }>[] {
  return logs.flatMap((entry) => (entry.event === "connection" ? [entry] : []));
}

beforeAll(async () => {
  node = await startNode();
  ({ bridge, logs } = await startTestBridge({
    targets: [node.address],
    token: TOKEN,
    origins: [PAGE],
    maxMessageBytes: 4096,
    maxFrameBytes: 1024,
    frameTimeoutMs: 400,
  }));
  honest = new TestClient(bridge, { token: TOKEN, origin: PAGE });
  await honest.opened;
  honest.send(openingScript());
  await honest.frames(3);
});

afterAll(async () => {
  await bridge?.close();
  await node?.stop();
});

describe("bridge admission", () => {
  it("refuses a target outside the allow-list (4004) without naming the allowed ones", async () => {
    const closure = await closureOf({ token: TOKEN, target: "127.0.0.1:22" });
    expect(closure).toEqual({ code: BridgeCloseCode.ForbiddenTarget, reason: 'target "127.0.0.1:22" is not allowed', http: false });
    expect(closure.reason).not.toContain(node.address);
    await expectHonestStillServed();
  });

  it("refuses an Origin outside the allow-list (4003) and serves a listed one", async () => {
    const closure = await closureOf({ token: TOKEN, origin: "http://evil.example" });
    expect(closure.code).toBe(BridgeCloseCode.ForbiddenOrigin);
    expect(closure.reason).toBe('origin "http://evil.example" is not allowed');
    expect((await roundTrip(bridge, TOKEN, { origin: PAGE })).map((m) => m.type)).toEqual(["WELCOME", "LEADER", "DB"]);
    await expectHonestStillServed();
  });

  it("refuses clients without an Origin header when allowMissingOrigin is false", async () => {
    const strict = await startTestBridge({ targets: [node.address], token: TOKEN, origins: [PAGE], allowMissingOrigin: false });
    try {
      const closure = await closureOf({ token: TOKEN }, undefined, strict.bridge);
      expect(closure).toMatchObject({ code: BridgeCloseCode.ForbiddenOrigin, reason: "an Origin header is required" });
      expect((await roundTrip(strict.bridge, TOKEN, { origin: PAGE }))[0]?.type).toBe("WELCOME");
    } finally {
      await strict.bridge.close();
    }
    await expectHonestStillServed();
  });

  it("refuses a missing token and a wrong token (4001), before opening any TCP connection", async () => {
    const accepted = bridge.stats().accepted;
    const none = await closureOf({ origin: PAGE });
    expect(none.code).toBe(BridgeCloseCode.Unauthorized);
    expect(none.reason).toMatch(/^no token offered/);
    const onlyProtocol = await closureOf({ protocols: ["dqlite-wire"] });
    expect(onlyProtocol.code).toBe(BridgeCloseCode.Unauthorized);
    const wrong = await closureOf({ token: TOKEN.slice(0, -1) + "X" });
    expect(wrong).toMatchObject({ code: BridgeCloseCode.Unauthorized, reason: "wrong token" });
    // A wrong token is refused before the target is even looked at.
    const wrongAndBadTarget = await closureOf({ token: "another-token-entirely-000", target: "10.0.0.1:1" });
    expect(wrongAndBadTarget.code).toBe(BridgeCloseCode.Unauthorized);
    expect(bridge.stats().accepted).toBe(accepted);
    const refusals = logs.filter((entry) => entry.event === "refused" && entry.code === BridgeCloseCode.Unauthorized);
    expect(refusals.length).toBeGreaterThanOrEqual(4);
    await expectHonestStillServed();
  });

  it("caps connections in total (4008) and frees the slot when one closes", async () => {
    const capped = await startTestBridge({ targets: [node.address], token: TOKEN, maxConnections: 2 });
    try {
      const first = new TestClient(capped.bridge, { token: TOKEN });
      const second = new TestClient(capped.bridge, { token: TOKEN });
      await Promise.all([first.opened, second.opened]);
      const third = await closureOf({ token: TOKEN }, undefined, capped.bridge);
      expect(third).toMatchObject({ code: BridgeCloseCode.TooManyConnections, reason: "bridge connection limit reached (2)" });
      first.send(openingScript());
      expect(decodeResponses(await first.frames(3))[0]?.type).toBe("WELCOME");
      second.close();
      await second.closed;
      await waitFor(() => capped.bridge.stats().connections.length === 1, "the slot to be freed");
      expect((await roundTrip(capped.bridge, TOKEN))[0]?.type).toBe("WELCOME");
      first.close();
    } finally {
      await capped.bridge.close();
    }
    await expectHonestStillServed();
  });

  it("caps connections per client address (4009) while another address is still served", async () => {
    const capped = await startTestBridge({ targets: [node.address], token: TOKEN, maxConnectionsPerClient: 1 });
    try {
      const first = new TestClient(capped.bridge, { token: TOKEN });
      await first.opened;
      const second = await closureOf({ token: TOKEN }, undefined, capped.bridge);
      expect(second).toMatchObject({
        code: BridgeCloseCode.TooManyConnectionsFromClient,
        reason: "connection limit per client reached (1 from 127.0.0.1)",
      });
      // 127.0.0.2 is loopback too, and a different client address.
      const other = new TestClient(capped.bridge, { token: TOKEN, localAddress: "127.0.0.2" });
      await other.opened;
      other.send(openingScript());
      expect(decodeResponses(await other.frames(3))[0]?.type).toBe("WELCOME");
      other.close();
      first.close();
    } finally {
      await capped.bridge.close();
    }
    await expectHonestStillServed();
  });

  it("answers plain HTTP with 426 and refusals beyond maxPendingRefusals with a bare HTTP status", async () => {
    const response = await fetch(bridge.url.replace("ws:", "http:"));
    expect(response.status).toBe(426);
    const noSlots = await startTestBridge({ targets: [node.address], token: TOKEN, maxPendingRefusals: 0 });
    try {
      const closure = await closureOf({ token: "wrong-token-wrong-token-00" }, undefined, noSlots.bridge);
      expect(closure).toEqual({ code: 401, reason: String(BridgeCloseCode.Unauthorized), http: true });
      expect(noSlots.logs.find((entry) => entry.event === "refused")).toMatchObject({ via: "http", code: 4001 });
    } finally {
      await noSlots.bridge.close();
    }
  });
});

describe("bridge frame gate and limits", () => {
  it("closes an idle connection (4010)", async () => {
    // The idle timeout is what this test exercises, so it is a real wait; it is long enough that
    // the opening exchange before it (which moves bytes, resetting the clock at each step) can
    // never be cut short by it on a loaded machine, and the close is then awaited as an event.
    const IDLE_MS = 2_000;
    const quick = await startTestBridge({ targets: [node.address], token: TOKEN, idleTimeoutMs: IDLE_MS });
    try {
      const client = new TestClient(quick.bridge, { token: TOKEN });
      await client.opened;
      client.send(openingScript());
      await client.frames(3);
      const closure = await client.closed;
      expect(closure).toEqual({ code: BridgeCloseCode.Idle, reason: `nothing moved for ${IDLE_MS} ms`, http: false });
    } finally {
      await quick.bridge.close();
    }
    await expectHonestStillServed();
  });

  it("closes on a WebSocket message over maxMessageBytes (1009)", async () => {
    const closure = await closureOf({ token: TOKEN }, new Uint8Array(4097));
    expect(closure.code).toBe(BridgeCloseCode.MessageTooBig);
    await expectHonestStillServed();
  });

  it("closes on a frame over maxFrameBytes (4016) as soon as its header arrives", async () => {
    // A QUERY_SQL header declaring 2^32-1 words: refused on its 8 header bytes alone.
    const header = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 9, 0, 0, 0);
    const closure = await closureOf({ token: TOKEN }, concat([HANDSHAKE_V1, header]));
    expect(closure.code).toBe(BridgeCloseCode.FrameTooLarge);
    expect(closure.reason).toMatch(/exceeds the cap of 1024/);
    await expectHonestStillServed();
  });

  it("closes on a malformed frame (4011) and forwards only the valid frames before it", async () => {
    const before = connectionEntries().length;
    const valid = concat([HANDSHAKE_V1, request({ type: "CLIENT", id: 7n })]);
    // LEADER's body must be a zero word.
    const badLeader = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0);
    const client = new TestClient(bridge, { token: TOKEN });
    await client.opened;
    client.send(concat([valid, badLeader]));
    const closure = await client.closed;
    expect(closure.code).toBe(BridgeCloseCode.MalformedFrame);
    expect(closure.reason).toMatch(/^BAD_VALUE: /);
    await waitFor(() => connectionEntries().length > before, "the connection log entry");
    const entry = connectionEntries().at(-1);
    expect(entry).toMatchObject({ bytesToTarget: valid.length, frames: 1, code: BridgeCloseCode.MalformedFrame, closedBy: "bridge" });
    await expectHonestStillServed();
  });

  it("closes on a bad handshake and on an unknown request type (4011)", async () => {
    const badHandshake = await closureOf({ token: TOKEN }, Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0));
    expect(badHandshake.code).toBe(BridgeCloseCode.MalformedFrame);
    expect(badHandshake.reason).toMatch(/BAD_HANDSHAKE/);
    const unknownType = await closureOf(
      { token: TOKEN },
      concat([HANDSHAKE_V1, Uint8Array.of(1, 0, 0, 0, 99, 0, 0, 0), new Uint8Array(8)]),
    );
    expect(unknownType.code).toBe(BridgeCloseCode.MalformedFrame);
    expect(unknownType.reason).toMatch(/UNKNOWN_TYPE/);
    await expectHonestStillServed();
  });

  it("refuses cluster-changing requests without allowAdmin (4012), raft-internal ones always", async () => {
    const add = await closureOf({ token: TOKEN }, concat([HANDSHAKE_V1, request({ type: "ADD", id: 9n, address: "127.0.0.1:1" })]));
    expect(add).toMatchObject({ code: BridgeCloseCode.ForbiddenRequest, reason: "ADD refused: the bridge was started without allowAdmin" });
    for (const admin of [
      request({ type: "REMOVE", id: 2n }),
      request({ type: "ASSIGN", id: 2n, role: 1 }),
      request({ type: "TRANSFER", id: 2n }),
      request({ type: "WEIGHT", weight: 3n }),
      request({ type: "DUMP", name: "demo" }),
    ]) {
      const closure = await closureOf({ token: TOKEN }, concat([HANDSHAKE_V1, admin]));
      expect(closure.code).toBe(BridgeCloseCode.ForbiddenRequest);
    }
    // HEARTBEAT (type 2): refused on its header, even before its body arrives.
    const heartbeat = await closureOf({ token: TOKEN }, concat([HANDSHAKE_V1, Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0)]));
    expect(heartbeat).toMatchObject({ code: BridgeCloseCode.ForbiddenRequest, reason: "HEARTBEAT is raft-internal and never forwarded" });
    await expectHonestStillServed();
  });

  it("forwards admin requests with allowAdmin, but still never raft-internal ones", async () => {
    const admin = await startTestBridge({ targets: [node.address], token: TOKEN, allowAdmin: true });
    try {
      const client = new TestClient(admin.bridge, { token: TOKEN });
      await client.opened;
      client.send(concat([openingScript(), request({ type: "DUMP", name: "demo" })]));
      const replies = decodeResponses(await client.frames(4));
      expect(replies.map((m) => m.type)).toEqual(["WELCOME", "LEADER", "DB", "FILES"]);
      client.send(request({ type: "CONNECT", id: 5n, address: "127.0.0.1:1" } as never));
      expect((await client.closed).code).toBe(BridgeCloseCode.ForbiddenRequest);
    } finally {
      await admin.bridge.close();
    }
  });

  it("closes on text messages (1003)", async () => {
    const client = new TestClient(bridge, { token: TOKEN });
    await client.opened;
    client.ws.send("SELECT 1");
    expect((await client.closed).code).toBe(BridgeCloseCode.UnsupportedData);
    await expectHonestStillServed();
  });

  it("closes a connection whose frame does not complete within frameTimeoutMs (4015)", async () => {
    const client = new TestClient(bridge, { token: TOKEN });
    await client.opened;
    const frame = request({ type: "CLIENT", id: 3n });
    client.send(concat([HANDSHAKE_V1, frame.subarray(0, 5)]));
    const started = Date.now();
    const closure = await client.closed;
    expect(closure).toMatchObject({ code: BridgeCloseCode.SlowFrame, reason: "frame not completed within 400 ms" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    await expectHonestStillServed();
  });
});
