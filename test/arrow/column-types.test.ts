// The column type rule (docs/arrow.md) on real results: a column's Arrow type is declared or
// that of its first non-NULL cell; a non-NULL cell of another type is an EncodeError naming the
// row and the column, never a value changed to fit; the query is interrupted and the connection
// stays usable.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arrowStream, toArrowIPC, type ArrowStreamOptions } from "../../src/arrow/index.ts";
import { connect, type Client, type Database } from "../../src/client/index.ts";
import { EncodeError, WireError } from "../../src/errors.ts";
import { startNode, type DqliteNode } from "../../src/testing/dqlite-node.ts";
import type { IntMode } from "../../src/values/int-mode.ts";
import { readWithApacheArrow, readWithFlechette } from "./read-back.ts";

let node: DqliteNode;
let client: Client;
let db: Database;

beforeAll(async () => {
  node = await startNode();
  client = await connect({ addresses: node.address, timeoutMs: 20_000 });
  db = await client.open("demo");
});

afterAll(async () => {
  await client?.close();
  await node?.stop();
});

const series = (rows: number, select: string) =>
  `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${rows}) SELECT ${select} FROM n`;

/** The error of writing the query's whole stream, and of streaming it chunk by chunk. */
async function failures(sql: string, intMode: IntMode = "number", options: ArrowStreamOptions = {}): Promise<unknown[]> {
  const whole = await toArrowIPC(db.query(sql, [], { rowMode: "batch", intMode }), options).then(
    () => undefined,
    (error: unknown) => error,
  );
  let streamed: unknown;
  try {
    for await (const chunk of arrowStream(db.query(sql, [], { rowMode: "batch", intMode }), options))
      expect(chunk.length).toBeGreaterThan(0);
  } catch (error) {
    streamed = error;
  }
  // The interrupted query left the connection usable.
  expect((await db.query("SELECT 7").all()).rows).toEqual([[7]]);
  return [whole, streamed];
}

describe("one Arrow type per column", () => {
  it("INTEGER then FLOAT: float64 in intMode number (both are doubles there); an error naming row and column in int64 modes", async () => {
    const sql = series(3000, "x, CASE WHEN x = 2500 THEN x + 0.5 ELSE x END AS v");
    const ipc = await toArrowIPC(db.query(sql, [], { rowMode: "batch" }));
    const back = readWithApacheArrow(ipc, "number");
    expect(back.types).toEqual(["Float64", "Float64"]);
    expect(back.rows[2499]).toEqual([2500, 2500.5]);
    for (const intMode of ["bigint", "string"] as const) {
      for (const error of await failures(sql, intMode)) {
        expect(error).toBeInstanceOf(EncodeError);
        expect(error).toMatchObject({ code: "BAD_VALUE_TYPE", field: "rows[2499][1]" });
        expect((error as Error).message).toContain(
          'Arrow column 1 "v" is int64 (from its first non-NULL cell, INTEGER at row 0), but row 2499 holds FLOAT (float64)',
        );
        expect((error as Error).message).toContain('intMode "number"');
      }
    }
  });

  it("TEXT then INTEGER in one column is refused at the row where it changes", async () => {
    const sql = series(200, "CASE WHEN x < 150 THEN 'n' || x ELSE x END AS mixed");
    for (const error of await failures(sql)) {
      expect(error).toMatchObject({ name: "EncodeError", code: "BAD_VALUE_TYPE", field: "rows[149][0]" });
      expect((error as Error).message).toMatch(/"mixed" is utf8 .* row 149 holds INTEGER \(float64\).*CAST it in SQL/);
    }
  });

  it('a DATETIME column with integers and NULLs (UNIXTIME cells, then ISO8601 "" for NULL) is refused; a CAST gives int64 with nulls', async () => {
    await db.exec("CREATE TABLE stamps (at DATETIME)");
    await db.exec("INSERT INTO stamps VALUES (1700000000), (NULL), (1700000060)");
    for (const error of await failures("SELECT at FROM stamps ORDER BY rowid")) {
      expect(error).toMatchObject({ code: "BAD_VALUE_TYPE", field: "rows[1][0]" });
      expect((error as Error).message).toContain(
        "is timestamp[s] (from its first non-NULL cell, UNIXTIME at row 0), but row 1 holds ISO8601 (utf8)",
      );
    }
    const sql = "SELECT CAST(at AS INTEGER) AS at FROM stamps ORDER BY rowid";
    const ipc = await toArrowIPC(db.query(sql, [], { rowMode: "batch", intMode: "bigint" }));
    expect(readWithFlechette(ipc, "bigint").rows).toEqual([[1700000000n], [null], [1700000060n]]);
    expect(readWithApacheArrow(ipc, "bigint").types).toEqual(["Int64"]);
  });

  it("a column NULL in its first rows takes the type of its first non-NULL cell, across batches", async () => {
    const sql = series(12000, "x, CASE WHEN x > 9000 THEN 'late ' || x END AS late");
    const chunks: Uint8Array[] = [];
    for await (const chunk of arrowStream(db.query(sql, [], { rowMode: "batch" }))) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
    const ipc = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      ipc.set(c, at);
      at += c.length;
    }
    const back = readWithApacheArrow(ipc, "number");
    expect(back.types).toEqual(["Float64", "Utf8"]);
    expect(back.rows.slice(8999, 9001)).toEqual([
      [9000, null],
      [9001, "late 9001"],
    ]);
    expect(back.rows).toStrictEqual((await db.query(sql).all()).rows);
  });

  it("a column NULL through the first 65,536 rows is of type null; a later value needs a declared type", async () => {
    const sql = series(70000, "x, CASE WHEN x = 69000 THEN 'found' END AS rare");
    for (const error of await failures(sql)) {
      expect(error).toMatchObject({ code: "BAD_VALUE_TYPE", field: "rows[68999][1]" });
      expect((error as Error).message).toContain('"rare" is null (NULL throughout the first batch), but row 68999 holds TEXT (utf8)');
      expect((error as Error).message).toContain('declare its type (types: { "rare": "utf8" })');
    }
    const ipc = await toArrowIPC(db.query(sql, [], { rowMode: "batch" }), { types: { rare: "utf8" } });
    const back = readWithFlechette(ipc, "number");
    expect(back.rows[68998]).toEqual([68999, null]);
    expect(back.rows[68999]).toEqual([69000, "found"]);
  });

  it("a column declared int64 in intMode number gets its integers as int64, exactly", async () => {
    const sql = series(3000, "x * 3000000000 - 4500000000000 AS big");
    const ipc = await toArrowIPC(db.query(sql, [], { rowMode: "batch" }), { types: { big: "int64" } });
    expect(readWithApacheArrow(ipc, "bigint").types).toEqual(["Int64"]);
    const expected = (await db.query(sql, [], { intMode: "bigint" }).all()).rows;
    expect(readWithFlechette(ipc, "bigint").rows).toStrictEqual(expected);
    expect(expected[2999]![0]).toBe(4_500_000_000_000n);
  });

  it("a declared type is checked like any other; an unknown type name is refused", async () => {
    for (const error of await failures(series(10, "x"), "number", { types: { x: "utf8" } })) {
      expect(error).toMatchObject({ code: "BAD_VALUE_TYPE", field: "rows[0][0]" });
      expect((error as Error).message).toContain('"x" is utf8 (declared in types), but row 0 holds INTEGER (float64)');
    }
    for (const error of await failures(series(10, "x"), "number", { types: { x: "decimal" } })) {
      expect(error).toMatchObject({ name: "EncodeError", code: "UNSUPPORTED_VALUE" });
      expect((error as Error).message).toContain(
        'types.x: "decimal" is not an Arrow type dqlite-wire writes (null, int64, float64, utf8, binary, bool, timestamp[s])',
      );
    }
  });

  it("Arrow output needs the columnar batches: another rowMode is a BAD_STATE error", async () => {
    const error = await toArrowIPC(db.query("SELECT 1") as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WireError);
    expect(error).toMatchObject({ code: "BAD_STATE", message: 'Arrow output reads the columnar batches: query with { rowMode: "batch" }' });
    expect((await db.query("SELECT 8").all()).rows).toEqual([[8]]);
  });
});
