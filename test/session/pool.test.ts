// The client's connection pool against a real node: reads in parallel on several connections,
// writes one at a time through the write lane (none fails with SQLITE_BUSY), a read that does not
// wait for an open transaction, callers served in order, a caller that gives up leaving the line,
// idle connections closing, and what stats() reports meanwhile.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import type { Database } from "../../src/client/database.ts";
import type { QueryResult } from "../../src/client/query-result.ts";
import { CancelledError, TimeoutError } from "../../src/errors.ts";
import { NODE_RELEASE } from "../support/nodes.ts";
import { client, startNode, uniqueTable, type DqliteNode } from "./helpers.ts";

let node: DqliteNode;
const clients: Client[] = [];

/** Rows enough that a result holds its connection until it is read (many frames). */
const LONG_SQL = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n";

beforeAll(async () => {
  node = await startNode();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await node?.stop();
});

async function pooled(pool: {
  max?: number;
  min?: number;
  idleTimeoutMs?: number;
  acquireTimeoutMs?: number;
  pipeline?: number;
}): Promise<{ session: Client; db: Database }> {
  const session = await client(node.address, { pool });
  clients.push(session);
  return { session, db: await session.open("demo") };
}

/** Starts `result` and reads its first batch: it then holds its connection until read to the end or closed. */
async function started(result: QueryResult): Promise<AsyncIterator<unknown>> {
  const iterator = result[Symbol.asyncIterator]();
  const first = await iterator.next();
  expect(first.done).toBe(false);
  return iterator;
}

/** A promise with its resolve function. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe(`the connection pool (dqlite ${NODE_RELEASE})`, () => {
  it("reads run at once on as many connections as there are readers, up to max; the next waits for one to be given back", async () => {
    const { session, db } = await pooled({ max: 3 });
    const results = [db.query(LONG_SQL), db.query(LONG_SQL), db.query(LONG_SQL)];
    await Promise.all(results.map(started));
    expect(session.stats()).toMatchObject({ open: 3, inUse: 3, idle: 0, waiting: 0, max: 3, leader: node.address });
    // A fourth reader waits in line…
    const fourth = db.query("SELECT 42").all();
    await until(() => session.stats().waiting === 1);
    // …until one result ends and gives its connection back.
    await results[0]!.close();
    expect((await fourth).rows).toEqual([[42]]);
    await Promise.all(results.slice(1).map((result) => result.close()));
    expect(session.stats()).toMatchObject({ open: 3, inUse: 0, idle: 3, waiting: 0 });
  });

  it("16 concurrent writers: every write succeeds (no SQLITE_BUSY), one at a time through the write lane", async () => {
    const { session, db } = await pooled({ max: 8 });
    const table = uniqueTable("pool_writes");
    await db.exec(`CREATE TABLE ${table} (writer INTEGER, n INTEGER)`);
    let peakWaiting = 0;
    const writers = Array.from({ length: 16 }, async (_, writer) => {
      for (let n = 0; n < 25; n++) {
        await db.exec(`INSERT INTO ${table} VALUES (?, ?)`, [writer, n]);
        peakWaiting = Math.max(peakWaiting, session.stats().writeLane.waiting);
      }
    });
    await Promise.all(writers);
    expect((await db.query(`SELECT count(*), count(DISTINCT writer) FROM ${table}`).all()).rows).toEqual([[400, 16]]);
    expect(peakWaiting).toBeGreaterThan(0);
    expect(session.stats().writeLane).toEqual({ held: false, waiting: 0 });
  });

  it("a read issued while a transaction is open answers at once with committed data; writes wait for the COMMIT, in order", async () => {
    const { session, db } = await pooled({ max: 4 });
    const table = uniqueTable("pool_tx");
    await db.exec(`CREATE TABLE ${table} (tag TEXT)`);
    await db.exec(`INSERT INTO ${table} VALUES ('committed before')`);
    const inside = gate();
    const finish = gate();
    const transaction = db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${table} VALUES ('in the transaction')`);
      inside.open();
      await finish.promise;
    });
    await inside.promise;
    const first = db.exec(`INSERT INTO ${table} VALUES ('first write after')`);
    const second = db.exec(`INSERT INTO ${table} VALUES ('second write after')`);
    await until(() => session.stats().writeLane.waiting === 2);
    // The read runs on another connection while the transaction holds its own.
    expect((await db.query(`SELECT tag FROM ${table} ORDER BY rowid`).all()).rows).toEqual([["committed before"]]);
    expect(session.stats().writeLane).toEqual({ held: true, waiting: 2 });
    finish.open();
    await transaction;
    await Promise.all([first, second]);
    expect((await db.query(`SELECT tag FROM ${table} ORDER BY rowid`).all()).rows).toEqual([
      ["committed before"],
      ["in the transaction"],
      ["first write after"],
      ["second write after"],
    ]);
  });

  it("a read that answered in one frame before queues behind other such reads on one connection (up to pipeline) before another is opened; a read of unknown shape takes a connection of its own", async () => {
    const { session, db } = await pooled({ max: 8, pipeline: 4 });
    const POINT = "SELECT 1 AS one";
    const UNKNOWN = "SELECT 2 AS two";
    // Once: its one frame is remembered.
    expect((await db.query(POINT).all()).rows).toEqual([[1]]);
    // Four at once share the connection that answered it; the next four find a line of their own.
    const points = Array.from({ length: 8 }, () => db.query(POINT).all());
    expect(session.stats()).toMatchObject({ calls: 4, inUse: 1 });
    expect((await Promise.all(points)).map((result) => result.rows)).toEqual(Array.from({ length: 8 }, () => [[1]]));
    // SQL not seen before may stream: each call takes a connection (idle, or opened) of its own.
    const before = session.stats().open;
    const unknown = Array.from({ length: 3 }, (_, i) => db.query(`${UNKNOWN}, ${i} AS i`).all());
    const during = session.stats();
    expect(during.calls).toBe(3);
    expect(during.inUse + during.opening).toBe(3);
    expect((await Promise.all(unknown)).map((result) => result.rows)).toEqual([[[2, 0]], [[2, 1]], [[2, 2]]]);
    expect(session.stats().open).toBeGreaterThanOrEqual(Math.min(3, before));
  });

  it("callers waiting for a connection are served in order; one that gives up (AbortSignal, acquireTimeoutMs) leaves the line harming none", async () => {
    const { session, db } = await pooled({ max: 1, acquireTimeoutMs: 60_000 });
    const holder = db.query(LONG_SQL);
    await started(holder);
    const order: string[] = [];
    const a = db
      .query("SELECT 'a'")
      .all()
      .then(() => order.push("a"));
    const controller = new AbortController();
    const quitter = db
      .query("SELECT 'quitter'", [], { signal: controller.signal })
      .all()
      .catch((e: unknown) => e);
    const b = db
      .query("SELECT 'b'")
      .all()
      .then(() => order.push("b"));
    const impatient = db
      .query("SELECT 'impatient'", [], { timeoutMs: 100 })
      .all()
      .catch((e: unknown) => e);
    await until(() => session.stats().waiting === 4);
    controller.abort();
    expect(await quitter).toBeInstanceOf(CancelledError);
    const timedOut = await impatient;
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect((timedOut as Error).message).toMatch(/waiting for a connection \(all 1 in use\)/);
    expect(session.stats().waiting).toBe(2);
    await holder.close();
    await Promise.all([a, b]);
    expect(order).toEqual(["a", "b"]);
    expect(session.stats()).toMatchObject({ open: 1, waiting: 0 });
  });

  it("max 1 runs every call on one connection, one after another (a read waits behind a streamed result)", async () => {
    const { session, db } = await pooled({ max: 1 });
    const holder = db.query(LONG_SQL);
    const iterator = await started(holder);
    const read = db.query("SELECT 7").all();
    await until(() => session.stats().waiting === 1);
    let rest = 0;
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) rest++;
    expect(rest).toBeGreaterThan(0);
    expect((await read).rows).toEqual([[7]]);
    expect(session.stats().open).toBe(1);
  });

  it("idle connections beyond min close after idleTimeoutMs; min stay open", async () => {
    const { session, db } = await pooled({ max: 4, min: 1, idleTimeoutMs: 200 });
    const results = [db.query(LONG_SQL), db.query(LONG_SQL), db.query(LONG_SQL)];
    await Promise.all(results.map(started));
    await Promise.all(results.map((result) => result.close()));
    expect(session.stats().idle).toBe(3);
    await until(() => session.stats().open === 1, 5_000);
    expect(session.stats()).toMatchObject({ open: 1, idle: 1 });
    expect((await db.query("SELECT 1").all()).rows).toEqual([[1]]);
  });

  it("a prepared statement keeps its connection open past idleTimeoutMs until it is finalized", async () => {
    const { session, db } = await pooled({ max: 2, min: 0, idleTimeoutMs: 100 });
    const results = [db.query(LONG_SQL), db.query(LONG_SQL)];
    await Promise.all(results.map(started));
    await Promise.all(results.map((result) => result.close()));
    const statement = await db.prepare("SELECT ? * 2");
    // The other idle connection closes; the statement's stays.
    await until(() => session.stats().open === 1, 5_000);
    expect((await statement.query([21]).all()).rows).toEqual([[42]]);
    await statement.finalize();
    await until(() => session.stats().open === 0, 5_000);
  });

  it("refuses options that make no pool", async () => {
    await expect(client(node.address, { pool: { max: 0 } })).rejects.toThrow(/pool\.max must be a positive integer/);
    await expect(client(node.address, { pool: { max: 2, min: 3 } })).rejects.toThrow(/pool\.min must be an integer from 0 to max/);
    await expect(client(node.address, { pool: { idleTimeoutMs: -1 } })).rejects.toThrow(/pool\.idleTimeoutMs/);
  });
});

/** Waits until `condition` holds (it is true once the client's own events have run), failing after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
