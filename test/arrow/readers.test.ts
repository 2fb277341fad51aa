// Arrow IPC written from real dqlite results reads back, through two independent Arrow readers
// (apache-arrow and flechette), as exactly the values `.all()` gives for the same query: every
// value type, NULLs in every column, each intMode, edge values, an empty result and a result of
// many frames. Both row engines write the same bytes, and the streamed chunks are the whole
// stream cut at batch boundaries.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arrowStream, toArrowIPC } from "../../src/arrow/index.ts";
import { connect, type Client, type Database } from "../../src/client/index.ts";
import { initRowEngine } from "../../src/rows/wasm-loader.ts";
import { startNode, type DqliteNode } from "../../src/testing/dqlite-node.ts";
import type { CellValue, ParamInput } from "../../src/values/cell.ts";
import { INT_MODES, type IntMode } from "../../src/values/int-mode.ts";
import { readWithApacheArrow, readWithFlechette } from "./read-back.ts";

let node: DqliteNode;
let client: Client;
let db: Database;

beforeAll(async () => {
  node = await startNode();
  client = await connect({ addresses: node.address, timeoutMs: 20_000 });
  db = await client.open("demo");
  expect(await initRowEngine()).toMatch(/^wasm/);
  // One column per value type; BOOLEAN and DATETIME columns hold only what dqlite 1.11 can read
  // back (a NULL in a BOOLEAN column comes back as false, in a DATETIME column as ISO8601 "").
  await db.exec("CREATE TABLE every_type (i INTEGER, f REAL, t TEXT, b BLOB, n, flag BOOLEAN, at DATETIME, iso DATETIME)");
  await db.exec(
    "INSERT INTO every_type VALUES (?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?)",
    [
      ...[1, 1.5, "héllo 😀", Uint8Array.of(1, 2), null, true, 1_700_000_000, "2024-01-02T03:04:05Z"],
      ...[null, null, null, null, null, false, -5, "not a date"],
      ...[-(2 ** 53 - 1), 5e-324, "", new Uint8Array(0), null, true, 0, ""],
      ...[
        2 ** 53 - 1,
        { type: "FLOAT" as const, value: -1.7976931348623157e308 },
        "x".repeat(200),
        new Uint8Array(100).fill(0xff),
        null,
        false,
        99_999_999_999,
        "2000-02-29",
      ],
    ],
  );
});

afterAll(async () => {
  await client?.close();
  await node?.stop();
});

/** The query's rows through `.all()`, through toArrowIPC read by each reader, and the stream's chunks. */
async function compare(
  sql: string,
  params: readonly ParamInput[],
  intMode: IntMode,
): Promise<{ ipc: Uint8Array; all: { columns: readonly string[]; rows: CellValue[][] } }> {
  const all = await db.query(sql, params, { intMode }).all();
  const ipc = await toArrowIPC(db.query(sql, params, { intMode, rowMode: "batch" }));
  for (const read of [readWithApacheArrow, readWithFlechette]) {
    const back = read(ipc, intMode);
    expect(back.columns).toEqual(all.columns);
    expect(back.rows).toStrictEqual(all.rows);
  }
  return { ipc, all: all as { columns: readonly string[]; rows: CellValue[][] } };
}

describe("Arrow IPC read back by apache-arrow and flechette equals .all()", () => {
  for (const intMode of INT_MODES) {
    it(`every value type and NULLs, intMode ${intMode}`, async () => {
      const { ipc, all } = await compare("SELECT * FROM every_type", [], intMode);
      expect(all.rows).toHaveLength(4);
      const types = readWithApacheArrow(ipc, intMode).types;
      const integer = intMode === "number" ? "Float64" : "Int64";
      expect(types).toEqual([integer, "Float64", "Utf8", "Binary", "Null", "Bool", "Timestamp<SECOND>", "Utf8"]);
    });
  }

  it("edge values of each type (int64 extremes, -0, subnormals, infinities, long text and blobs)", async () => {
    const integers = [0, 1, -1, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n, -(2n ** 53n) - 1n];
    const sql = "SELECT column1 FROM (VALUES (?), (?), (?), (?), (?), (?), (?))";
    for (const intMode of ["bigint", "string"] as const) await compare(sql, integers, intMode);
    const floats = [
      { type: "FLOAT", value: 0 },
      -0,
      5e-324,
      -2.2250738585072014e-308,
      { type: "FLOAT", value: Number.MAX_VALUE },
      Infinity,
      -Infinity,
    ] as const;
    for (const intMode of INT_MODES) {
      const { all } = await compare(sql, floats, intMode);
      expect(Object.is(all.rows[1]![0], -0)).toBe(true);
    }
    const texts = ["", "abcdefg", "abcdefgh", "ünïcödé", "\u{10ffff}", "y".repeat(65), "z".repeat(4000)];
    await compare(sql, texts, "number");
    const blobs = [0, 1, 7, 8, 9, 64, 65].map((n) => Uint8Array.from({ length: n }, (_, k) => (k * 37) & 0xff));
    await compare(sql, blobs, "number");
  });

  it("an empty result keeps its column names", async () => {
    for (const intMode of INT_MODES) {
      const { ipc, all } = await compare("SELECT i, t, b FROM every_type WHERE 0", [], intMode);
      expect(all.rows).toEqual([]);
      expect(readWithApacheArrow(ipc, intMode).columns).toEqual(["i", "t", "b"]);
    }
  });

  it("a result of many frames, with NULLs scattered through every column", async () => {
    const sql = `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 30000)
      SELECT x, CASE WHEN x % 7 = 0 THEN NULL ELSE 'row ' || x END AS label, CASE WHEN x % 5 = 0 THEN NULL ELSE x / 8.0 END AS half,
             CASE WHEN x % 3 = 0 THEN NULL ELSE CAST(printf('%x', x) AS BLOB) END AS hex, x % 2 = 0 AS even FROM n`;
    let batches = 0;
    for await (const batch of db.query(sql, [], { rowMode: "batch" })) batches += batch.rowCount > 0 ? 1 : 0;
    expect(batches).toBeGreaterThan(3);
    for (const intMode of INT_MODES) {
      const { all } = await compare(sql, [], intMode);
      expect(all.rows).toHaveLength(30000);
    }
  });

  it("the streamed chunks, joined, are the same stream as the whole one (under either engine)", async () => {
    const sql = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 20000) SELECT x, 'v' || x, x * 0.5 FROM n";
    const whole = await toArrowIPC(db.query(sql, [], { rowMode: "batch", engine: "wasm" }));
    const chunks: Uint8Array[] = [];
    for await (const chunk of arrowStream(db.query(sql, [], { rowMode: "batch", engine: "js" }))) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(3);
    const joined = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      joined.set(chunk, at);
      at += chunk.length;
    }
    // Batch boundaries follow the socket's reads, so two runs may cut the rows differently: the
    // values must agree, read by each reader.
    expect(readWithApacheArrow(joined, "number").rows).toStrictEqual(readWithApacheArrow(whole, "number").rows);
    expect(readWithFlechette(joined, "number").rows).toStrictEqual(readWithFlechette(whole, "number").rows);
    expect(readWithFlechette(whole, "number").rows).toHaveLength(20000);
  });
});
