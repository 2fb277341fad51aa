// A result of 200,000 rows (thousands of ROWS frames) streamed through a session: every row
// arrives once, in order, with bounded buffering; leaving early interrupts and drains the
// connection back to a usable state.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import type { Database } from "../../src/client/database.ts";
import { client, startNode, type DqliteNode } from "./helpers.ts";

const ROWS = 200_000;
let node: DqliteNode;
let session: Client;
let db: Database;

beforeAll(async () => {
  node = await startNode();
  session = await client(node.address);
  db = await session.open("demo");
  await db.exec("CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, flag INTEGER)");
  await db.exec(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
     INSERT INTO big SELECT i, 'name-' || i || '-' || hex(randomblob(8)), i * 0.5, randomblob(i % 16), i % 3 FROM n`,
    [],
    { timeoutMs: 60_000 },
  );
}, 120_000);

afterAll(async () => {
  await session?.close();
  await node?.stop();
});

/** FNV-1a over the UTF-16 code units of a string, folded into a running 32-bit hash. */
function fnv(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

describe("streaming a large result", () => {
  it("streams 200,000 rows over thousands of frames with bounded buffering; count and checksums match the server's", async () => {
    const expected = (
      await db.query("SELECT count(*), sum(id), sum(length(name)), total(score), sum(length(data)), sum(flag) FROM big").all()
    ).rows[0];
    expect(expected).toEqual([
      ROWS,
      (ROWS * (ROWS + 1)) / 2,
      expect.any(Number),
      (ROWS * (ROWS + 1)) / 4,
      expect.any(Number),
      expect.any(Number),
    ]);

    const connection = session.connection!;
    const result = db.query("SELECT id, name, score, data, flag FROM big ORDER BY id", [], { timeoutMs: 30_000 });
    let count = 0;
    let idSum = 0;
    let nameBytes = 0;
    let scoreTotal = 0;
    let dataBytes = 0;
    let flagSum = 0;
    let nameHash = 0x811c9dc5;
    let inOrder = true;
    let batches = 0;
    let largestBatch = 0;
    let mostPending = 0;
    for await (const batch of result) {
      batches++;
      largestBatch = Math.max(largestBatch, batch.rowCount);
      mostPending = Math.max(mostPending, connection.bufferedBytes);
      for (const row of batch.rows as [number, string, number, Uint8Array, number][]) {
        const [id, name, score, data, flag] = row;
        if (id !== count + 1) inOrder = false;
        count++;
        idSum += id;
        nameBytes += name.length;
        nameHash = fnv(nameHash, name);
        scoreTotal += score;
        dataBytes += data.length;
        flagSum += flag;
      }
    }
    expect(count).toBe(ROWS);
    expect(inOrder).toBe(true);
    expect([count, idSum, nameBytes, scoreTotal, dataBytes, flagSum]).toEqual(expected);
    // The same names hashed from a second, independent read (objects this time).
    let secondHash = 0x811c9dc5;
    for await (const batch of db.query("SELECT name FROM big ORDER BY id", [], { rowMode: "columns" })) {
      for (const name of batch.data[0] as string[]) secondHash = fnv(secondHash, name);
    }
    expect(secondHash).toBe(nameHash);

    // Thousands of ~4 KiB frames, decoded a few at a time: nothing near the whole result
    // (about 10 MB) is ever held.
    expect(result.framesRead).toBeGreaterThan(1000);
    expect(batches).toBeGreaterThan(20);
    expect(largestBatch).toBeLessThan(ROWS / 10);
    expect(mostPending).toBeLessThan(1024 * 1024);
    // The same connection served the whole result.
    expect(session.connection).toBe(connection);
  }, 60_000);

  it("break out of for-await interrupts the query, drains the rest and keeps the connection usable", async () => {
    const connection = session.connection!;
    const generation = session.generation;
    const result = db.query("SELECT id, name FROM big ORDER BY id");
    let seen = 0;
    for await (const batch of result) {
      seen += batch.rowCount;
      break;
    }
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(ROWS);
    // Drained, not dropped: same connection, and it answers the next request at once.
    expect(connection.closed).toBe(false);
    expect(session.generation).toBe(generation);
    expect((await db.query("SELECT count(*) FROM big").all()).rows).toEqual([[ROWS]]);
    expect(session.connection).toBe(connection);
  }, 60_000);

  it("close() on a half-read result drains it too; a result read twice is refused", async () => {
    const result = db.query("SELECT id FROM big");
    const iterator = result[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    await result.close();
    expect((await db.query("SELECT 41 + 1").all()).rows).toEqual([[42]]);
    await expect(async () => {
      for await (const _ of result) break;
    }).rejects.toThrow(/read only once/);
  });

  it("a prepared statement streams the same result (QUERY by id) and can be re-run after a break", async () => {
    const statement = await db.prepare("SELECT id FROM big WHERE id > ? ORDER BY id");
    expect(statement.paramCount).toBe(1);
    let count = 0;
    let last = 0;
    for await (const batch of statement.query([ROWS - 50_000], { rowMode: "columns" })) {
      count += batch.rowCount;
      last = batch.data[0]![batch.rowCount - 1] as number;
    }
    expect(count).toBe(50_000);
    expect(last).toBe(ROWS);
    for await (const _ of statement.query([0])) break;
    expect((await statement.query([ROWS - 3]).all()).rows).toEqual([[ROWS - 2], [ROWS - 1], [ROWS]]);
    await statement.finalize();
    await expect(statement.exec([1])).rejects.toThrow(/finalized/);
  }, 60_000);

  it("a mid-stream FAILURE ends the result with a ServerError and the connection stays usable", async () => {
    // abs() of the minimum int64 overflows when that row is reached, long after the first frame.
    await db.exec("INSERT INTO big (id, name) VALUES (?, 'overflow')", [ROWS + 1]);
    const result = db.query("SELECT id, CASE WHEN id > ? THEN abs(-9223372036854775807 - 1) ELSE id END FROM big ORDER BY id", [ROWS]);
    let seen = 0;
    const error = await (async () => {
      for await (const batch of result) seen += batch.rowCount;
    })().catch((e: unknown) => e);
    // The rows of the frame the node was filling when the error hit are not sent (the node
    // replaces that frame with the FAILURE); every earlier frame was delivered.
    expect(seen).toBeGreaterThan(ROWS - 1000);
    expect(seen).toBeLessThanOrEqual(ROWS);
    expect(error).toMatchObject({ name: "ServerError", sqliteCode: 1 });
    expect((error as Error).message).toContain("integer overflow");
    expect((await db.query("SELECT count(*) FROM big").all()).rows).toEqual([[ROWS + 1]]);
    await db.exec("DELETE FROM big WHERE id > ?", [ROWS]);
  }, 60_000);
});
