// Every value type through a real table and back: what goes in as a parameter, how dqlite 1.11
// stores it, and what comes out of a query, per declared column type.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import type { Database } from "../../src/client/database.ts";
import { DecodeError } from "../../src/errors.ts";
import { client, startNode, uniqueTable, type DqliteNode } from "./helpers.ts";

let node: DqliteNode;
let session: Client;
let db: Database;

beforeAll(async () => {
  node = await startNode();
  session = await client(node.address);
  db = await session.open("demo");
});

afterAll(async () => {
  await session?.close();
  await node?.stop();
});

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Deterministic bytes (a linear congruential generator), so failures are reproducible. */
function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function sameBytes(actual: unknown, expected: Uint8Array): boolean {
  if (!(actual instanceof Uint8Array) || actual.length !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) return false;
  return true;
}

describe("values through a real table", () => {
  it("64-bit integers keep every bit in intMode bigint and string; intMode number refuses them", async () => {
    const table = uniqueTable("ints");
    await db.exec(`CREATE TABLE ${table} (n INTEGER)`);
    const values = [INT64_MIN, INT64_MIN + 1n, -(2n ** 53n), -1n, 0n, 1n, 2n ** 53n, 2n ** 53n + 1n, INT64_MAX - 1n, INT64_MAX];
    for (const value of values) await db.exec(`INSERT INTO ${table} VALUES (?)`, [value]);
    const big = await db.query(`SELECT n, typeof(n) FROM ${table} ORDER BY rowid`, [], { intMode: "bigint" }).all();
    expect(big.rows).toEqual(values.map((value) => [value, "integer"]));
    const strings = await db.query(`SELECT n FROM ${table} ORDER BY rowid`, [], { intMode: "string" }).all();
    expect(strings.rows).toEqual(values.map((value) => [value.toString()]));
    const error = await db
      .query(`SELECT n FROM ${table} ORDER BY rowid`)
      .all()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe("UNSAFE_INTEGER");
    // The connection closed with the failed result; the client reconnects by itself.
    expect((await db.query(`SELECT count(*) FROM ${table}`).all()).rows).toEqual([[values.length]]);
  });

  it("rowid -1 comes back as lastInsertId 2^64-1 (unsigned on the wire) and serialises as a string", async () => {
    const table = uniqueTable("rowid");
    await db.exec(`CREATE TABLE ${table} (v TEXT)`);
    const result = await db.exec(`INSERT INTO ${table} (rowid, v) VALUES (-1, 'x')`);
    expect(result.lastInsertId).toBe(2n ** 64n - 1n);
    expect(result.rowsAffected).toBe(1);
    expect(JSON.stringify(result)).toBe('{"lastInsertId":"18446744073709551615","rowsAffected":1}');
  });

  it("floats: -0.0, ±Infinity, the smallest subnormal and 1.0 as FLOAT keep their bits; NaN is stored as NULL by SQLite", async () => {
    const table = uniqueTable("floats");
    await db.exec(`CREATE TABLE ${table} (v)`);
    const inputs = [
      -0,
      Infinity,
      -Infinity,
      5e-324,
      { type: "FLOAT" as const, value: Number.MAX_VALUE },
      { type: "FLOAT" as const, value: 1 },
      0.1,
      NaN,
    ];
    for (const value of inputs) await db.exec(`INSERT INTO ${table} VALUES (?)`, [value]);
    const result = await db.query(`SELECT v, typeof(v) FROM ${table} ORDER BY rowid`).all();
    const rows = result.rows as [unknown, string][];
    expect(Object.is(rows[0]![0], -0)).toBe(true);
    expect(rows.slice(0, 7).map((row) => row[1])).toEqual(Array(7).fill("real"));
    expect(rows.slice(1, 7).map((row) => row[0])).toEqual([Infinity, -Infinity, 5e-324, Number.MAX_VALUE, 1, 0.1]);
    expect(rows[7]).toEqual([null, "null"]);
    // A bare parameter comes back as sent, -0.0 included.
    const echo = await db.query("SELECT ?, ?", [-0, { type: "FLOAT", value: 2 }]).all();
    expect(Object.is((echo.rows[0] as unknown[])[0], -0)).toBe(true);
    expect(echo.rows).toEqual([[-0, 2]]);
    // REAL affinity stores -0.0 as the integer 0 (an SQLite storage optimisation).
    const real = uniqueTable("real");
    await db.exec(`CREATE TABLE ${real} (v REAL)`);
    await db.exec(`INSERT INTO ${real} VALUES (?)`, [-0]);
    expect(Object.is((await db.query(`SELECT v FROM ${real}`).all()).rows[0]![0 as never], 0)).toBe(true);
  });

  it("text: empty, Unicode of every plane, and more than 1 MiB; blobs: empty and more than 1 MiB", async () => {
    const table = uniqueTable("texts");
    await db.exec(`CREATE TABLE ${table} (t TEXT, b BLOB)`);
    const big = "dqlite-wire ∑ 😀 ".repeat(70_000); // 1.4 MB of UTF-8
    expect(new TextEncoder().encode(big).length).toBeGreaterThan(1024 * 1024);
    const bigBlob = pseudoRandomBytes(1024 * 1024 + 3, 7);
    const texts = ["", "a", "1234567", "12345678", "héllo wörld", "日本語のテキスト", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀🎉", "e\u0301 \u200d \ufeff", big];
    const blobs = [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(0xde, 0xad, 0xbe, 0xef), pseudoRandomBytes(8, 1), bigBlob];
    for (let i = 0; i < Math.max(texts.length, blobs.length); i++) {
      await db.exec(`INSERT INTO ${table} VALUES (?, ?)`, [texts[i] ?? null, blobs[i] ?? null]);
    }
    const result = await db.query(`SELECT t, b, typeof(t), typeof(b) FROM ${table} ORDER BY rowid`).all();
    expect(result.rows.map((row) => (row as unknown[])[0])).toEqual(texts);
    // Compared byte by byte: a deep equality over a million typed-array elements is slow.
    const gotBlobs = result.rows.map((row) => (row as unknown[])[1]);
    expect(gotBlobs.slice(blobs.length)).toEqual(Array(texts.length - blobs.length).fill(null));
    expect(blobs.map((blob, i) => sameBytes(gotBlobs[i], blob))).toEqual(blobs.map(() => true));
    expect(result.rows.map((row) => (row as unknown[])[2])).toEqual(Array(texts.length).fill("text"));
    expect(result.rows.slice(0, blobs.length).map((row) => (row as unknown[])[3])).toEqual(Array(blobs.length).fill("blob"));
  });

  it('NULL in every declared column type: NULL, except DATETIME/DATE/TIMESTAMP (ISO8601 "") and BOOLEAN (false)', async () => {
    const table = uniqueTable("nulls");
    const declared = [
      "INTEGER",
      "REAL",
      "FLOAT",
      "TEXT",
      "BLOB",
      "NUMERIC",
      "",
      "DATETIME",
      "DATE",
      "TIMESTAMP",
      "BOOLEAN",
      "UNIXTIME",
      "VARCHAR(10)",
    ];
    await db.exec(`CREATE TABLE ${table} (${declared.map((type, i) => `c${i} ${type}`).join(", ")})`);
    await db.exec(
      `INSERT INTO ${table} VALUES (${declared.map(() => "?").join(", ")})`,
      declared.map(() => null),
    );
    const result = await db.query(`SELECT * FROM ${table}`, [], { rowMode: "batch" });
    const batches = [];
    for await (const batch of result) batches.push(batch);
    const raw = batches[0]!.raw!;
    const types = declared.map((_, c) => raw.column(c).types[0]);
    const values = declared.map((_, c) => raw.get(0, c));
    // dqlite 1.11 types a cell by the declared column type: a NULL in a date column is sent
    // as an empty ISO8601 text, a NULL in a BOOLEAN column as false. Both lose the NULL.
    expect(types).toEqual([5, 5, 5, 5, 5, 5, 5, 10, 10, 10, 11, 5, 5]);
    expect(values).toEqual([null, null, null, null, null, null, null, "", "", "", false, null, null]);
  });

  it("ISO8601, UNIXTIME and BOOLEAN come from declared column types; parameters of those types are stored as TEXT and INTEGER", async () => {
    const table = uniqueTable("dates");
    await db.exec(`CREATE TABLE ${table} (d DATETIME, ts TIMESTAMP, dt DATE, bo BOOLEAN, u UNIXTIME)`);
    await db.exec(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?)`, [
      { type: "ISO8601", value: "2024-05-06T07:08:09Z" },
      "2024-05-06 07:08:09",
      1700000000,
      true,
      1700000001,
    ]);
    await db.exec(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?)`, [new Date(Date.UTC(2001, 1, 3, 4, 5, 6)), 0, "2024-01-02", false, 0]);
    await db.exec(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?)`, ["not a date at all", 1, "", -5, -1]);
    const rows: { types: number[]; values: unknown[] }[] = [];
    for await (const batch of db.query(`SELECT * FROM ${table} ORDER BY rowid`, [], { rowMode: "batch" })) {
      const raw = batch.raw!;
      for (let r = 0; r < raw.rowCount; r++) {
        rows.push({ types: raw.columns.map((_, c) => raw.column(c).types[r]!), values: raw.columns.map((_, c) => raw.get(r, c)) });
      }
    }
    expect(rows).toEqual([
      { types: [10, 10, 9, 11, 1], values: ["2024-05-06T07:08:09Z", "2024-05-06 07:08:09", 1700000000, true, 1700000001] },
      { types: [10, 9, 10, 11, 1], values: ["2001-02-03T04:05:06.000Z", 0, "2024-01-02", false, 0] },
      // Text that is no date passes through as ISO8601 unparsed; any non-zero integer is true.
      { types: [10, 9, 10, 11, 1], values: ["not a date at all", 1, "", true, -1] },
    ]);
    const stored = await db.query(`SELECT typeof(d), typeof(dt), typeof(bo) FROM ${table} ORDER BY rowid`).all();
    expect(stored.rows).toEqual([
      ["text", "integer", "integer"],
      ["text", "text", "integer"],
      ["text", "text", "integer"],
    ]);
  });

  it("a parameter of every type echoes back (SELECT ?, …) with its wire type", async () => {
    const params = [42, -7n, 1.5, "text", Uint8Array.of(1, 2, 3), null, true, { type: "ISO8601" as const, value: "2024-01-01" }];
    const batches = [];
    for await (const batch of db.query(`SELECT ${params.map(() => "?").join(", ")}`, params, { rowMode: "batch" })) batches.push(batch);
    const raw = batches[0]!.raw!;
    expect(raw.columns.map((_, c) => raw.column(c).types[0])).toEqual([1, 1, 2, 3, 4, 5, 1, 3]);
    expect(raw.arrays()).toEqual([[42, -7, 1.5, "text", Uint8Array.of(1, 2, 3), null, 1, "2024-01-01"]]);
  });

  it("results with bigints and blobs serialise with JSON.stringify (bigints as strings, blobs as base64)", async () => {
    const result = await db.query("SELECT ?, ?, ?", [INT64_MAX, Uint8Array.of(0xfb, 0xff), "ok"], { intMode: "bigint" }).all();
    expect(JSON.parse(JSON.stringify(result))).toEqual({ columns: ["?", "?", "?"], rows: [["9223372036854775807", "+/8=", "ok"]] });
    const objects = await db.query("SELECT ? AS big", [INT64_MIN], { intMode: "bigint", rowMode: "objects" }).all();
    expect(JSON.stringify(objects)).toBe('{"columns":["big"],"rows":[{"big":"-9223372036854775808"}]}');
  });
});
