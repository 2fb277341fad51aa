// An analytics engine ingests what dqlite-wire writes: Polars (nodejs-polars, Rust's Arrow
// reader) reads the IPC stream of a real result and aggregates it; the figures must equal the
// same aggregate computed by SQLite on the node.

import pl from "nodejs-polars";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toArrowIPC } from "../../src/arrow/index.ts";
import { connect, type Client, type Database } from "../../src/client/index.ts";
import { startNode, type DqliteNode } from "../../src/testing/dqlite-node.ts";

let node: DqliteNode;
let client: Client;
let db: Database;

beforeAll(async () => {
  node = await startNode();
  client = await connect({ addresses: node.address, timeoutMs: 20_000 });
  db = await client.open("demo");
  await db.exec(
    "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT, amount REAL, units INTEGER, note TEXT, receipt BLOB, paid BOOLEAN)",
  );
  await db.exec(`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 25000)
    INSERT INTO sales SELECT x, CASE x % 4 WHEN 0 THEN 'north' WHEN 1 THEN 'south' WHEN 2 THEN 'east' ELSE 'wëst' END,
      (x % 1000) / 8.0, x % 13, CASE WHEN x % 9 = 0 THEN NULL ELSE 'n' || x END, CAST(x AS BLOB), x % 3 = 0 FROM n`);
});

afterAll(async () => {
  await client?.close();
  await node?.stop();
});

describe("Polars reads the Arrow stream and aggregates it", () => {
  it("group-by sums, counts and null counts equal SQLite's on the node", async () => {
    const ipc = await toArrowIPC(db.query("SELECT * FROM sales", [], { rowMode: "batch", intMode: "bigint" }));
    const frame = pl.readIPCStream(Buffer.from(ipc.buffer, ipc.byteOffset, ipc.byteLength));
    expect(frame.shape).toEqual({ height: 25000, width: 7 });
    expect(frame.columns).toEqual(["id", "region", "amount", "units", "note", "receipt", "paid"]);
    // (nodejs-polars cannot name a Binary column's dtype to JS: the blob column is checked by its length and nulls.)
    expect(frame.drop("receipt").dtypes.map(String)).toEqual(
      ["Int64", "String", "Float64", "Int64", "String", "Bool"].map((name) => `DataType(${name})`),
    );
    expect([frame.getColumn("receipt").len(), frame.getColumn("receipt").nullCount()]).toEqual([25000, 0]);

    const grouped = frame
      .groupBy("region")
      .agg(
        pl.col("amount").sum().alias("amount"),
        pl.col("units").sum().alias("units"),
        pl.col("note").isNull().sum().alias("no_note"),
        pl.col("paid").sum().alias("paid"),
        pl.len().alias("rows"),
      )
      .sort("region")
      .toRecords();
    const expected = await db
      .query(
        "SELECT region, SUM(amount) AS amount, SUM(units) AS units, SUM(note IS NULL) AS no_note, SUM(paid) AS paid, COUNT(*) AS rows FROM sales GROUP BY region ORDER BY region",
        [],
        { rowMode: "objects" },
      )
      .all();
    expect(
      grouped.map((row) => ({
        ...row,
        units: Number(row["units"]),
        paid: Number(row["paid"]),
        no_note: Number(row["no_note"]),
        rows: Number(row["rows"]),
      })),
    ).toEqual(expected.rows);
    expect(grouped).toHaveLength(4);
  });
});
