// Requests that are valid on the wire but take a dqlite node down, sent through the bridge
// to a real node: each is refused with 4012 and a reason, and the node is still alive after.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import { type BareNode, startBareNode } from "../../src/testing/bare-node.ts";
import type { Bridge } from "../../src/bridge/index.ts";
import { BridgeCloseCode } from "../../src/transport/index.ts";
import { TestClient, concat, decodeResponses, openingScript, request, roundTrip, startTestBridge } from "./bridge-helpers.ts";

const TOKEN = "hazards-test-token-0123456789abcd";
const TABLE = `bridge_hazards_${process.pid}`;

let node: DqliteNode;
let bridge: Bridge;

/** An opened session (handshake, CLIENT, LEADER, OPEN done) and the replies read so far. */
async function session(): Promise<{ client: TestClient; replies: () => Promise<{ type: string }[]>; expect: number }> {
  const client = new TestClient(bridge, { token: TOKEN });
  await client.opened;
  client.send(openingScript());
  const state = { client, expect: 3, replies: async () => decodeResponses(await client.frames(state.expect)) };
  await state.replies();
  return state;
}

/** A write on a fresh connection succeeds: the node is alive and takes writes. */
async function expectNodeTakesWrites(): Promise<void> {
  const { client } = await session();
  client.send(request({ type: "EXEC_SQL", db: 0n, sql: `INSERT INTO ${TABLE} (v) VALUES (1)` }));
  expect(decodeResponses(await client.frames(4))[3]?.type).toBe("RESULT");
  client.close();
  await client.closed;
  expect(node.running).toBe(true);
}

beforeAll(async () => {
  node = await startNode();
  ({ bridge } = await startTestBridge({ targets: [node.address], token: TOKEN }));
  const { client } = await session();
  client.send(request({ type: "EXEC_SQL", db: 0n, sql: `CREATE TABLE ${TABLE} (v INTEGER)` }));
  expect(decodeResponses(await client.frames(4))[3]?.type).toBe("RESULT");
  client.close();
  await client.closed;
});

afterAll(async () => {
  await bridge?.close();
  await node?.stop();
});

describe("bridge refuses node-killing requests", () => {
  it.each([
    ["QUERY_SQL", request({ type: "QUERY_SQL", db: 0n, sql: `INSERT INTO ${TABLE} (v) VALUES (2) RETURNING v` })],
    ["EXEC_SQL", request({ type: "EXEC_SQL", db: 0n, sql: `UPDATE ${TABLE} SET v = 3 RETURNING v` })],
    ["PREPARE", request({ type: "PREPARE", db: 0n, sql: `DELETE FROM ${TABLE} RETURNING v` })],
  ])("%s with RETURNING (4012); the node takes writes after", async (type, frame) => {
    const { client } = await session();
    client.send(frame);
    const closure = await client.closed;
    expect(closure.code).toBe(BridgeCloseCode.ForbiddenRequest);
    expect(closure.reason).toMatch(new RegExp(`^${type} with RETURNING refused`));
    await expectNodeTakesWrites();
  });

  it("EXEC/QUERY of a statement this connection finalized (4012), while a live id still works", async () => {
    const state = await session();
    state.client.send(
      concat([request({ type: "PREPARE", db: 0n, sql: "SELECT 1" }), request({ type: "PREPARE", db: 0n, sql: "SELECT 2" })]),
    );
    state.expect = 5;
    const prepared = (await state.replies()).slice(3) as unknown as { type: string; id: number }[];
    expect(prepared.map((m) => m.type)).toEqual(["STMT", "STMT"]);
    const [first, second] = prepared.map((m) => m.id) as [number, number];
    expect(second).toBeGreaterThan(first);
    state.client.send(request({ type: "FINALIZE", db: 0, stmt: first }));
    state.client.send(request({ type: "QUERY", db: 0, stmt: second }));
    state.expect = 7;
    expect((await state.replies()).slice(5).map((m) => m.type)).toEqual(["EMPTY", "ROWS"]);
    state.client.send(request({ type: "QUERY", db: 0, stmt: first }));
    const closure = await state.client.closed;
    expect(closure).toMatchObject({
      code: BridgeCloseCode.ForbiddenRequest,
      reason: `QUERY of finalized statement ${first} refused: dqlite can crash on it`,
    });
    await expectNodeTakesWrites();
  });

  it("a finalized id handed out again by a later PREPARE is usable", async () => {
    const state = await session();
    state.client.send(
      concat([request({ type: "PREPARE", db: 0n, sql: "SELECT 10" }), request({ type: "PREPARE", db: 0n, sql: "SELECT 20" })]),
    );
    state.expect = 5;
    const [first] = ((await state.replies()).slice(3) as unknown as { id: number }[]).map((m) => m.id) as [number];
    state.client.send(request({ type: "FINALIZE", db: 0, stmt: first }));
    state.client.send(request({ type: "PREPARE", db: 0n, sql: "SELECT 30" }));
    state.expect = 7;
    const reused = (await state.replies())[6] as unknown as { type: string; id: number };
    expect(reused.type).toBe("STMT");
    // dqlite reuses the freed slot; the bridge saw the STMT reply and lets the id through again.
    expect(reused.id).toBe(first);
    state.client.send(request({ type: "QUERY", db: 0, stmt: reused.id }));
    state.expect = 8;
    const rows = (await state.replies())[7] as unknown as { type: string; rows: { values: unknown[] }[] };
    expect(rows.type).toBe("ROWS");
    expect(rows.rows[0]?.values).toEqual([30]);
    state.client.close();
    await state.client.closed;
    expect((await roundTrip(bridge, TOKEN))[0]?.type).toBe("WELCOME");
  });
});

describe("a bridge told its nodes read RETURNING in queries (returningQueries, for dqlite ≥ 1.18.2)", () => {
  let current: BareNode;
  let told: Bridge;

  beforeAll(async () => {
    // The option presupposes a current node whatever this run's version is: a 1.18 node of its own.
    current = await startBareNode();
    ({ bridge: told } = await startTestBridge({ targets: [current.address], token: TOKEN, returningQueries: true }));
  });

  afterAll(async () => {
    await told?.close();
    await current?.stop();
  });

  it("forwards a query with RETURNING and passes its rows back; an exec or a PREPARE of it stays refused (4012)", async () => {
    const client = new TestClient(told, { token: TOKEN });
    await client.opened;
    client.send(openingScript());
    client.send(request({ type: "EXEC_SQL", db: 0n, sql: "CREATE TABLE r (v INTEGER)" }));
    client.send(request({ type: "QUERY_SQL", db: 0n, sql: "INSERT INTO r VALUES (7), (8) RETURNING v * 2" }));
    const replies = decodeResponses(await client.frames(5)) as unknown as { type: string; rows?: { values: unknown[] }[] }[];
    expect(replies[4]?.type).toBe("ROWS");
    expect(replies[4]?.rows?.map((row) => row.values)).toEqual([[14], [16]]);
    for (const refused of [
      request({ type: "EXEC_SQL", db: 0n, sql: "UPDATE r SET v = 3 RETURNING v" }),
      request({ type: "PREPARE", db: 0n, sql: "DELETE FROM r RETURNING v" }),
    ]) {
      const other = new TestClient(told, { token: TOKEN });
      await other.opened;
      other.send(openingScript());
      await other.frames(3);
      other.send(refused);
      const closure = await other.closed;
      expect(closure.code).toBe(BridgeCloseCode.ForbiddenRequest);
      expect(closure.reason).toMatch(/with RETURNING refused: only a query may carry it/);
    }
    client.close();
    await client.closed;
    expect(current.running).toBe(true);
  });
});
