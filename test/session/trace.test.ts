// The tracing hook (ClientOptions.trace) against a real node: every kind of call is told when it
// starts and how it ended (outcome, wait, run time, rows, node), a write that waited for a
// transaction says so in its wait, a result left early ends "closed", and a tracer that throws
// changes nothing.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallEnd, CallStart } from "../../src/client/call-trace.ts";
import type { Client } from "../../src/client/client.ts";
import { ServerError } from "../../src/errors.ts";
import { NODE_RELEASE } from "../support/nodes.ts";
import { client, startNode, uniqueTable, type DqliteNode } from "./helpers.ts";

let node: DqliteNode;
const clients: Client[] = [];
const traces: (CallStart & Partial<CallEnd>)[] = [];

beforeAll(async () => {
  node = await startNode();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await node?.stop();
});

async function traced() {
  traces.length = 0;
  const session = await client(node.address, {
    trace: (call) => {
      const entry: CallStart & Partial<CallEnd> = { ...call };
      traces.push(entry);
      return (end) => Object.assign(entry, end);
    },
  });
  clients.push(session);
  const db = await session.open("demo");
  return { session, db };
}

describe(`the tracing hook (dqlite ${NODE_RELEASE})`, () => {
  it("tells each call's start and end: kind, SQL, lane, outcome, rows, node", async () => {
    const { session, db } = await traced();
    const table = uniqueTable("traced");
    await db.exec(`CREATE TABLE ${table} (a INTEGER)`);
    await db.exec(`INSERT INTO ${table} VALUES (1), (2), (3)`);
    expect((await db.query(`SELECT a FROM ${table}`).all()).rows).toHaveLength(3);
    const statement = await db.prepare(`SELECT a FROM ${table} WHERE a > ?`);
    await statement.query([1]).all();
    await statement.finalize();
    await db.transaction((tx) => tx.exec(`INSERT INTO ${table} VALUES (4)`));
    await session.cluster();
    const failed = await db.exec("INSERT INTO nowhere VALUES (1)").catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ServerError);

    const byKind = traces.filter((t) => t.kind !== "request" || t.request === "CLUSTER");
    expect(byKind.map((t) => [t.kind, t.lane, t.outcome])).toEqual([
      ["exec", "write", "ok"],
      ["exec", "write", "ok"],
      ["query", "read", "ok"],
      ["prepare", "read", "ok"],
      ["statement query", "read", "ok"],
      ["transaction", "write", "ok"],
      ["request", "read", "ok"],
      ["exec", "write", "error"],
    ]);
    const query = traces.find((t) => t.kind === "query")!;
    expect(query).toMatchObject({ sql: `SELECT a FROM ${table}`, rows: 3, address: node.address, attempts: 1 });
    expect(traces.find((t) => t.kind === "statement query")).toMatchObject({ rows: 2 });
    expect(traces.at(-1)!.error).toBe(failed);
    for (const t of traces) {
      expect(t.waitMs).toBeGreaterThanOrEqual(0);
      expect(t.runMs).toBeGreaterThanOrEqual(0);
    }
  });

  it("a write issued while a transaction runs shows the wait in waitMs; a result left early ends closed", async () => {
    const { db } = await traced();
    const table = uniqueTable("waited");
    await db.exec(`CREATE TABLE ${table} (a INTEGER)`);
    let write: Promise<unknown> | undefined;
    // The transaction holds the write lane for a known time (the sleep is what is measured, not
    // a wait for something); waitMs may only come out longer on a loaded machine.
    const holdMs = 150;
    await db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${table} VALUES (1)`);
      write = db.exec(`INSERT INTO ${table} VALUES (2)`);
      await new Promise((resolve) => setTimeout(resolve, holdMs));
    });
    await write;
    const waited = traces.filter((t) => t.kind === "exec").at(-1)!;
    expect(waited.outcome).toBe("ok");
    expect(waited.waitMs).toBeGreaterThanOrEqual(holdMs * 0.9);
    const long = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n";
    for await (const batch of db.query(long)) {
      expect(batch.rowCount).toBeGreaterThan(0);
      break;
    }
    const left = traces.at(-1)!;
    expect(left).toMatchObject({ kind: "query", outcome: "closed" });
    expect(left.rows).toBeGreaterThan(0);
    expect(left.rows).toBeLessThan(20_000);
  });

  it("a tracer that throws, or returns nothing, changes nothing", async () => {
    let starts = 0;
    const throwing = await client(node.address, {
      trace: () => {
        throw new Error("tracer bug");
      },
    });
    const silent = await client(node.address, {
      trace: () => {
        starts++;
      },
    });
    clients.push(throwing, silent);
    for (const session of [throwing, silent]) {
      const db = await session.open("demo");
      expect((await db.query("SELECT 1").all()).rows).toEqual([[1]]);
      expect((await db.exec("SELECT 1 WHERE 0")).rowsAffected).toBe(0);
    }
    expect(starts).toBe(2);
  });
});
