// The session layer end to end, written once and run unchanged under Node (imported by
// test/session/runtimes.test.ts), Deno and Bun (run directly). It connects to the dqlite node
// at $DQLITE_ADDRESS through leader discovery with the runtime's own TCP transport, writes
// and reads back every value type, streams a multi-frame result, leaves one early (interrupt
// and drain), and checks the cluster calls. With $DQLITE_BRIDGE_URL (and $DQLITE_BRIDGE_TOKEN)
// it runs again through that WebSocket bridge with the runtime's global WebSocket.
// Prints "ok" and exits 0, or the failure and 1.
//
//   DQLITE_ADDRESS=127.0.0.1:9001 npx deno run -A test/session/runtimes/session-smoke.ts
//   DQLITE_ADDRESS=127.0.0.1:9001 npx bun test/session/runtimes/session-smoke.ts

import { connectClient } from "../../../src/client/index.ts";
import type { Connector } from "../../../src/transport/index.ts";
import { connectTcp } from "../../../src/transport/auto.ts";
import { webSocketConnector } from "../../../src/transport/websocket.ts";
import { host } from "./script-host.ts";

const ROWS = 30_000;

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`check failed: ${what}`);
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual, (_, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? [...v] : v));
  const e = JSON.stringify(expected, (_, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? [...v] : v));
  if (a !== e) throw new Error(`check failed: ${what}: got ${a}, expected ${e}`);
}

/** Runs the whole scenario; returns a one-line summary. */
export async function sessionSmoke(address: string, connector: Connector = connectTcp): Promise<string> {
  const client = await connectClient({ addresses: [address], connector, timeoutMs: 10_000 });
  try {
    const leader = await client.leader();
    same(leader.address, address, "LEADER names the node itself");
    const db = await client.open("demo");
    const table = `smoke_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    await db.exec(`CREATE TABLE ${table} (i INTEGER, f REAL, t TEXT, b BLOB, n)`);
    const big = 2n ** 63n - 1n;
    const inserted = await db.exec(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?)`, [big, -2.5, "héllo 😀", Uint8Array.of(0, 255), null]);
    same([inserted.rowsAffected, inserted.lastInsertId], [1, 1n], "EXEC_SQL result");
    same(JSON.parse(JSON.stringify(inserted)), { lastInsertId: "1", rowsAffected: 1 }, "ExecResult JSON");
    const back = await db.query(`SELECT i, f, t, b, n FROM ${table}`, [], { intMode: "bigint" }).all();
    same(back.rows, [[big, -2.5, "héllo 😀", Uint8Array.of(0, 255), null]], "values read back");
    same(JSON.parse(JSON.stringify(back)).rows, [["9223372036854775807", -2.5, "héllo 😀", "AP8=", null]], "rows JSON");

    // A result of many frames, streamed and summed.
    let count = 0;
    let sum = 0;
    let batches = 0;
    const sql = `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${ROWS}) SELECT x, 'row ' || x FROM n`;
    for await (const batch of db.query(sql, [], { rowMode: "columns" })) {
      batches++;
      count += batch.rowCount;
      for (const x of batch.data[0] as number[]) sum += x;
    }
    same([count, sum], [ROWS, (ROWS * (ROWS + 1)) / 2], "streamed count and sum");
    check(batches > 1, "the result came in several batches");

    // Leave early: the connection is drained, not dropped.
    const connection = client.connection;
    for await (const batch of db.query(sql)) {
      check(batch.rowCount > 0, "first batch has rows");
      break;
    }
    same((await db.query("SELECT 6 * 7").all()).rows, [[42]], "the connection answers after a break");
    check(client.connection === connection, "the same connection served both");

    // The pool: a result held open mid-stream keeps its connection; a read beside it runs on
    // another one at once, and parallel reads share at most `max` connections.
    const held = db.query(sql)[Symbol.asyncIterator]();
    check((await held.next()).done === false, "the held result yields its first batch");
    same((await db.query("SELECT 7 * 6").all()).rows, [[42]], "a read beside a held result");
    const during = client.stats();
    check(during.open >= 2 && during.inUse >= 1, `a second connection served the read (stats ${JSON.stringify(during)})`);
    await held.return?.();
    const parallel = await Promise.all(Array.from({ length: 12 }, (_, i) => db.query("SELECT ?", [i]).all()));
    same(
      parallel.map((result) => result.rows[0]),
      Array.from({ length: 12 }, (_, i) => [i]),
      "12 parallel reads, each its own answer",
    );
    const pooled = client.stats();
    check(pooled.open <= pooled.max && pooled.waiting === 0, `the pool stays within max (stats ${JSON.stringify(pooled)})`);

    // Prepared statements.
    const statement = await db.prepare(`SELECT t FROM ${table} WHERE i = ?`);
    same((await statement.query([big]).all()).rows, [["héllo 😀"]], "QUERY by statement");
    await statement.finalize();

    // Cluster calls.
    const members = await client.cluster();
    same(
      members.map((m) => [m.address, m.role]),
      [[address, "voter"]],
      "CLUSTER",
    );
    const metadata = await client.describe();
    check(typeof metadata.weight === "bigint", "DESCRIBE weight is a bigint");
    await db.exec(`DROP TABLE ${table}`);
    return `leader ${leader.address}, ${count} rows in ${batches} batches, sum ${sum}, pool of ${pooled.open} (max ${pooled.max})`;
  } finally {
    await client.close();
  }
}

if ((import.meta as { main?: boolean }).main === true) {
  const h = host();
  const address = h.env("DQLITE_ADDRESS");
  if (address === undefined || address === "") {
    h.log("session-smoke: set DQLITE_ADDRESS=HOST:PORT of a dqlite node");
    h.exit(1);
  }
  try {
    let summary = `tcp: ${await sessionSmoke(address!)}`;
    const bridge = h.env("DQLITE_BRIDGE_URL");
    if (bridge !== undefined && bridge !== "") {
      const token = h.env("DQLITE_BRIDGE_TOKEN");
      summary += `; websocket: ${await sessionSmoke(address!, webSocketConnector(bridge, token === undefined ? {} : { token }))}`;
    }
    h.log(`session-smoke (${h.runtime}): ${summary}`);
    console.log("ok");
    h.exit(0);
  } catch (error) {
    h.log(`session-smoke (${h.runtime}): ${(error as Error)?.stack ?? String(error)}`);
    h.exit(1);
  }
}
