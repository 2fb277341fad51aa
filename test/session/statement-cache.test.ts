// The statement cache against a real node: SQL a connection sees again is prepared once and then
// run by id; the least recently used statement is finalized when the cache is full; SQL of
// several statements and a cache of size 0 go as text; and what is returned is the same either
// way. (That a statement in use is never evicted is the cache's own unit test below.) The requests the client writes are recorded on the
// way out (a connector that wraps the real TCP one), so the test sees what went on the wire.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import { connect } from "../../src/client/index.ts";
import type { Connector } from "../../src/client/transport-types.ts";
import { REQUESTS_BY_CODE } from "../../src/messages/schemas.ts";
import { connectTcp } from "../../src/transport/auto.ts";
import { HEADER_BYTES } from "../../src/wire/constants.ts";
import { readHeader } from "../../src/wire/header.ts";
import { StatementCache } from "../../src/client/statement-cache.ts";
import { NODE_RELEASE } from "../support/nodes.ts";
import { startNode, uniqueTable, type DqliteNode } from "./helpers.ts";

let node: DqliteNode;
const clients: Client[] = [];

beforeAll(async () => {
  node = await startNode();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await node?.stop();
});

/** A TCP connector that records the type of every request frame written (after the handshake). */
function recording(): { connector: Connector; sent: string[] } {
  const sent: string[] = [];
  const connector: Connector = async (address, options) => {
    const transport = await connectTcp(address, options);
    let handshake = true;
    return {
      peer: transport.peer,
      readable: transport.readable,
      close: () => transport.close(),
      write: (bytes: Uint8Array) => {
        let at = handshake ? 8 : 0;
        handshake = false;
        while (at + HEADER_BYTES <= bytes.length) {
          const header = readHeader(bytes, at, Number.MAX_SAFE_INTEGER);
          sent.push(REQUESTS_BY_CODE[header.type]?.type ?? String(header.type));
          at += header.frameBytes;
        }
        return transport.write(bytes);
      },
    };
  };
  return { connector, sent };
}

async function session(options: { statementCacheSize?: number } = {}) {
  const { connector, sent } = recording();
  const client = await connect({ addresses: node.address, connector, pool: { max: 1 }, ...options });
  clients.push(client);
  const db = await client.open("demo");
  sent.length = 0;
  return { client, db, sent };
}

describe(`the statement cache (dqlite ${NODE_RELEASE})`, () => {
  it("SQL seen a second time on a connection is prepared, then run by id: the same rows every time", async () => {
    const { db, sent } = await session();
    const table = uniqueTable("cached");
    await db.exec(`CREATE TABLE ${table} (k INTEGER PRIMARY KEY, v TEXT)`);
    sent.length = 0;
    const insert = `INSERT INTO ${table} (v) VALUES (?)`;
    for (const v of ["a", "b", "c"]) await db.exec(insert, [v]);
    expect(sent).toEqual(["EXEC_SQL", "PREPARE", "EXEC", "EXEC"]);
    sent.length = 0;
    const select = `SELECT v FROM ${table} WHERE k = ?`;
    const values: unknown[] = [];
    for (const k of [1, 2, 3]) values.push(...(await db.query(select, [k]).all()).rows.flat());
    expect(values).toEqual(["a", "b", "c"]);
    expect(sent).toEqual(["QUERY_SQL", "PREPARE", "QUERY", "QUERY"]);
  });

  it("full, it finalizes the least recently used statement; the node keeps answering (no finalized id is reused)", async () => {
    const { db, sent } = await session({ statementCacheSize: 2 });
    const sql = ["SELECT 1", "SELECT 2", "SELECT 3"];
    for (let round = 0; round < 3; round++) {
      for (const [i, text] of sql.entries()) expect((await db.query(text).all()).rows).toEqual([[i + 1]]);
    }
    // Round 1: text. Round 2: each is prepared; the third evicts the least recently used (SELECT 1).
    // Round 3: the next call finalizes it; SELECT 1 goes as text (an evicted statement is prepared
    // again only when it comes back once more), the others by id.
    expect(sent).toEqual([
      ...["QUERY_SQL", "QUERY_SQL", "QUERY_SQL"],
      ...["PREPARE", "QUERY", "PREPARE", "QUERY", "PREPARE", "QUERY"],
      ...["FINALIZE", "QUERY_SQL", "QUERY", "QUERY"],
    ]);
    expect(node.running).toBe(true);
  });

  it("an evicted statement is finalized by the next call on its connection, before that call's own request", async () => {
    const { db, sent } = await session({ statementCacheSize: 1 });
    for (const text of ["SELECT 'a'", "SELECT 'a'", "SELECT 'b'", "SELECT 'b'", "SELECT 'c'"]) await db.query(text).all();
    // 'a' prepared on its second call; 'b' prepared on its second, evicting 'a', finalized by the call after.
    expect(sent).toEqual(["QUERY_SQL", "PREPARE", "QUERY", "QUERY_SQL", "PREPARE", "QUERY", "FINALIZE", "QUERY_SQL"]);
    expect((await db.query("SELECT 'b'").all()).rows).toEqual([["b"]]);
    expect(sent.at(-1)).toBe("QUERY");
  });

  it("SQL of several statements, and every call with statementCacheSize 0, go as text", async () => {
    const { db, sent } = await session();
    const table = uniqueTable("multi");
    const many = `CREATE TABLE IF NOT EXISTS ${table} (a); INSERT INTO ${table} VALUES (1)`;
    await db.exec(many);
    await db.exec(many);
    expect(sent).toEqual(["EXEC_SQL", "EXEC_SQL"]);
    expect((await db.query(`SELECT count(*) FROM ${table}`).all()).rows).toEqual([[2]]);
    const off = await session({ statementCacheSize: 0 });
    for (let i = 0; i < 3; i++) await off.db.query("SELECT 1").all();
    expect(off.sent).toEqual(["QUERY_SQL", "QUERY_SQL", "QUERY_SQL"]);
  });

  it("a cached statement follows its table through DROP and CREATE (SQLite prepares it again); SELECT * is not cached", async () => {
    const { db, sent } = await session();
    const table = uniqueTable("reshaped");
    await db.exec(`CREATE TABLE ${table} (a INTEGER, b TEXT)`);
    await db.exec(`INSERT INTO ${table} VALUES (1, 'one')`);
    const named = `SELECT a FROM ${table}`;
    const star = `SELECT * FROM ${table}`;
    for (let i = 0; i < 2; i++) {
      await db.query(named).all();
      await db.query(star).all();
    }
    await db.exec(`DROP TABLE ${table}`);
    await db.exec(`CREATE TABLE ${table} (b TEXT, a INTEGER, c REAL)`);
    await db.exec(`INSERT INTO ${table} VALUES ('x', 5, 2.5)`);
    sent.length = 0;
    expect((await db.query(named).all()).rows).toEqual([[5]]);
    expect(await db.query(star).all()).toMatchObject({ columns: ["b", "a", "c"], rows: [["x", 5, 2.5]] });
    expect(sent).toEqual(["QUERY", "QUERY_SQL"]);
  });
});

describe("StatementCache", () => {
  it("keeps the most recently used; evicts only statements no call uses, each once", () => {
    const cache = new StatementCache(1);
    expect(cache.seenBefore("a")).toBe(false);
    expect(cache.seenBefore("a")).toBe(true);
    const a = cache.add("a", 7);
    const b = cache.add("b", 8); // over capacity, but 'a' is in use
    expect(cache.size).toBe(2);
    expect(cache.takeEvicted()).toEqual([]);
    cache.done(a);
    cache.done(b);
    cache.add("c", 9); // 'a' and 'b' idle now: the least recently used go until it fits
    expect(cache.takeEvicted()).toEqual([7, 8]);
    expect(cache.takeEvicted()).toEqual([]);
    expect(cache.take("a")).toBeUndefined();
    expect(cache.take("c")?.id).toBe(9);
    cache.forget("c");
    expect(cache.size).toBe(0);
    expect(new StatementCache(0).seenBefore("x") || new StatementCache(0).seenBefore("x")).toBe(false);
  });
});
