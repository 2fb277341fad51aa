// Result caps: a streamed result (batch mode, rows dropped after each batch, Arrow streaming)
// takes any length with default options, while what keeps every row (`.all()`, the whole Arrow
// stream) stops at `maxRowsPerResult` with an error that names it. The long case is a 50M-row
// result the node generates itself (a recursive CTE of one INTEGER column: 16 bytes a row on the
// wire, ~800 MB), streamed once in batch mode and once as Arrow, the Arrow stream read back
// incrementally by apache-arrow's own stream reader.

import { RecordBatchReader } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arrowStream, toArrowIPC } from "../../src/arrow/index.ts";
import { connect, type Client, type Database } from "../../src/client/index.ts";
import { DEFAULT_LIMITS } from "../../src/limits.ts";
import { startNode, type DqliteNode } from "../../src/testing/dqlite-node.ts";

let node: DqliteNode;
let client: Client;
let db: Database;

beforeAll(async () => {
  node = await startNode();
  client = await connect({ addresses: node.address, timeoutMs: 30_000 });
  db = await client.open("demo");
});

afterAll(async () => {
  await client?.close();
  await node?.stop();
});

/** Runs `read`; a failure says whether the node still runs, with the end of its output. */
async function withNodeLog(read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch (error) {
    (error as Error).message += ` (node ${node.running ? "running" : "exited"}; its output ends: ${node.output().slice(-1500)})`;
    throw error;
  }
}

const series = (rows: number) => `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${rows}) SELECT x FROM n`;

describe("caps: streamed results are unbounded, kept results are bounded by maxRowsPerResult", () => {
  it("the defaults: kept results stop at 10,000,000 rows (the rows cap binds first)", () => {
    expect(DEFAULT_LIMITS.maxRowsPerResult).toBe(10_000_000);
    expect(DEFAULT_LIMITS.maxFramesPerResult).toBeGreaterThanOrEqual(DEFAULT_LIMITS.maxRowsPerResult);
  });

  it("with a client cap of 1,000 rows, .all() and the whole Arrow stream stop with an error naming it; streams do not", async () => {
    const capped = await connect({ addresses: node.address, timeoutMs: 10_000, limits: { maxRowsPerResult: 1000, maxFramesPerResult: 2 } });
    try {
      const small = await capped.open("demo");
      const sql = series(5000);
      const kept = await small
        .query(sql)
        .all()
        .catch((error: unknown) => error);
      expect(kept).toMatchObject({ name: "DecodeError", code: "LIMIT" });
      expect((kept as Error).message).toMatch(/\(maxFramesPerResult\)|\(maxRowsPerResult\)/);
      let rows = 0;
      for await (const batch of small.query(sql, [], { rowMode: "batch" })) rows += batch.rowCount;
      expect(rows).toBe(5000);
      rows = 0;
      for await (const batch of small.query(sql)) rows += batch.rows.length;
      expect(rows).toBe(5000);
      let bytes = 0;
      for await (const chunk of arrowStream(small.query(sql, [], { rowMode: "batch" }))) bytes += chunk.length;
      expect(bytes).toBeGreaterThan(5000 * 8);
      const whole = await toArrowIPC(small.query(sql, [], { rowMode: "batch" }), { limits: { maxRowsPerResult: 1000 } }).catch(
        (error: unknown) => error,
      );
      expect(whole).toMatchObject({ name: "WireError", code: "LIMIT" });
      expect((whole as Error).message).toContain("more than 1000 rows (maxRowsPerResult); stream it with arrowStream()");
      expect((await small.query("SELECT 1").all()).rows).toEqual([[1]]);
    } finally {
      await capped.close();
    }
  });

  it("kept results meet the rows cap by name", async () => {
    const capped = await connect({ addresses: node.address, timeoutMs: 10_000, limits: { maxRowsPerResult: 1000 } });
    try {
      const kept = await (await capped.open("demo"))
        .query(series(5000))
        .all()
        .catch((error: unknown) => error);
      expect(kept).toMatchObject({ name: "DecodeError", code: "LIMIT" });
      expect((kept as Error).message).toContain("result has more than 1000 rows (maxRowsPerResult)");
    } finally {
      await capped.close();
    }
  });

  it("50,000,000 rows stream through batch mode and through Arrow with default options", async () => {
    const rows = 50_000_000;
    const expectedSum = (rows * (rows + 1)) / 2; // 1.25e15: exact in a double
    const rssBefore = process.memoryUsage().rss;

    let count = 0;
    let sum = 0;
    await withNodeLog(async () => {
      for await (const batch of db.query(series(rows), [], { rowMode: "batch" })) {
        const numbers = batch.raw!.column(0).numbers;
        for (let r = 0; r < numbers.length; r++) sum += numbers[r]!;
        count += batch.rowCount;
      }
    });
    expect([count, sum]).toEqual([rows, expectedSum]);

    let arrowRows = 0;
    let arrowSum = 0;
    let batches = 0;
    await withNodeLog(async () => {
      const reader = await RecordBatchReader.from(arrowStream(db.query(series(rows), [], { rowMode: "batch" })));
      for await (const batch of reader) {
        const values = batch.getChildAt(0)!.data[0]!.values as Float64Array;
        for (let r = 0; r < values.length; r++) arrowSum += values[r]!;
        arrowRows += batch.numRows;
        batches++;
      }
    });
    expect([arrowRows, arrowSum]).toEqual([rows, expectedSum]);
    expect(batches).toBeGreaterThan(1000);
    // Nothing of the ~800 MB of rows stays: memory is bounded per batch, not by the result.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
  }, 180_000);
});
