// Live end to end (`npm run bench -- --live [--node 1.11|1.18]`): a real dqlite node answers the benchmark query
// and each path a user takes gets the rows, against the ceiling of draining the same bytes from
// the socket without decoding them. Every repetition times the drain and then each path, so each
// path's "% of the drain" uses a drain measured under the same load.
//
// Paths: "decoder" (the library's FrameDecoder and ResultReader on the socket's chunks, columnar
// batches: what the session does underneath), then the public client: rowMode "batch", rowMode
// "arrays" with each batch dropped, rowMode "objects" with every row kept, `.all()`, and Arrow:
// `arrowStream` with each chunk dropped, `toArrowIPC` keeping the whole stream.

import { arrowStream, toArrowIPC } from "../src/arrow/index.ts";
import { connect } from "../src/client/index.ts";
import type { Database } from "../src/client/database.ts";
import type { Batch } from "../src/client/query-result.ts";
import { ResultReader } from "../src/rows/result-reader.ts";
import { FrameDecoder } from "../src/stream/frame-decoder.ts";
import { type BenchNodeVersion, describeBenchNode, startBenchNode } from "./bench-node.ts";
import type { Shape } from "./corpus.ts";
import { RawConnection, openDatabase, populate, selectSql, sendQuery } from "./live-node.ts";
import { collect, timing } from "./measure.ts";
import type { BenchResult } from "./report.ts";

const SHAPES: Shape[] = ["numeric", "mixed"];

interface Path {
  engine: string;
  output: string;
  retention: "kept" | "dropped";
  /** Runs the query once; resolves to the rows received. */
  run(shape: Shape): Promise<number>;
}

async function drain(connection: RawConnection, db: number, shape: Shape, bytes: number): Promise<void> {
  sendQuery(connection, db, shape);
  let received = 0;
  while (received < bytes) received += (await connection.chunk()).length;
  if (received !== bytes) throw new Error(`drained ${received} bytes, the result has ${bytes}`);
}

/** The decoder under the session: FrameDecoder + ResultReader on each socket chunk. Returns rows and bytes. */
async function decodeFromSocket(connection: RawConnection, db: number, shape: Shape): Promise<{ rows: number; bytes: number }> {
  const decoder = new FrameDecoder({ side: "response" });
  const reader = new ResultReader();
  sendQuery(connection, db, shape);
  let rows = 0;
  let bytes = 0;
  for (;;) {
    const chunk = await connection.chunk();
    bytes += chunk.length;
    decoder.push(chunk);
    const step = reader.read(decoder.pending(), decoder.pendingOffset);
    decoder.consume(step.consumed);
    if (step.batch) rows += step.batch.rowCount;
    if (step.state === "failed") throw step.error;
    if (step.state !== "more") return { rows, bytes };
  }
}

function sessionPaths(db: Database): Path[] {
  return [
    {
      engine: "session",
      output: "batch",
      retention: "dropped",
      async run(shape) {
        let rows = 0;
        for await (const batch of db.query(selectSql(shape), [], { rowMode: "batch" })) rows += batch.rowCount;
        return rows;
      },
    },
    {
      engine: "session",
      output: "arrays",
      retention: "dropped",
      async run(shape) {
        let rows = 0;
        for await (const batch of db.query(selectSql(shape), [], { rowMode: "arrays" })) rows += batch.rows.length;
        return rows;
      },
    },
    {
      engine: "session",
      output: "objects",
      retention: "kept",
      async run(shape) {
        const kept: unknown[] = [];
        for await (const batch of db.query(selectSql(shape), [], { rowMode: "objects" })) for (const row of batch.rows) kept.push(row);
        return kept.length;
      },
    },
    {
      engine: "session .all()",
      output: "arrays",
      retention: "kept",
      async run(shape) {
        return (await db.query(selectSql(shape)).all()).rows.length;
      },
    },
    {
      engine: "arrowStream",
      output: "arrow ipc",
      retention: "dropped",
      async run(shape) {
        const counted = countingRows(db.query(selectSql(shape), [], { rowMode: "batch" }));
        let bytes = 0;
        for await (const chunk of arrowStream(counted)) bytes += chunk.length;
        return bytes > 0 ? counted.rows : 0;
      },
    },
    {
      engine: "toArrowIPC",
      output: "arrow ipc",
      retention: "kept",
      async run(shape) {
        const counted = countingRows(db.query(selectSql(shape), [], { rowMode: "batch" }));
        const ipc = await toArrowIPC(counted);
        return ipc.length > 0 ? counted.rows : 0;
      },
    },
  ];
}

/** A batch-mode result that counts the rows passing through it to the Arrow writer. */
function countingRows(result: AsyncIterable<Batch>): AsyncIterable<Batch> & { rows: number } {
  const counted = {
    rows: 0,
    async *[Symbol.asyncIterator]() {
      for await (const batch of result) {
        counted.rows += batch.rowCount;
        yield batch;
      }
    },
  };
  return counted;
}

export async function liveBench(
  rows: number,
  repeats: number,
  log: (line: string) => void,
  version: BenchNodeVersion = "1.11",
): Promise<BenchResult[]> {
  log(
    `\nlive: ${rows.toLocaleString("en-US")} rows from ${describeBenchNode(version)} on 127.0.0.1, ${repeats} repetitions (drain, then each path)`,
  );
  const results: BenchResult[] = [];
  const node = await startBenchNode(version);
  const client = await connect({ addresses: [node.address] });
  try {
    const connection = await RawConnection.open(node.address);
    const db = await openDatabase(connection, "bench");
    const session = await client.open("bench");
    for (const shape of SHAPES) {
      await populate(connection, db, shape, rows);
      // One untimed query first: SQLite's page cache and the node's buffers are then warm.
      const { bytes } = await decodeFromSocket(connection, db, shape);
      const paths: Path[] = [
        {
          engine: "decoder",
          output: "columns",
          retention: "dropped",
          run: async (s) => (await decodeFromSocket(connection, db, s)).rows,
        },
        ...sessionPaths(session),
      ];
      for (const path of paths) await path.run(shape); // warm-up
      const drains: number[] = [];
      const seconds = new Map<Path, number[]>(paths.map((p) => [p, []]));
      for (let i = 0; i < repeats; i++) {
        collect();
        let started = performance.now();
        await drain(connection, db, shape, bytes);
        drains.push((performance.now() - started) / 1000);
        for (const path of paths) {
          collect();
          started = performance.now();
          const got = await path.run(shape);
          seconds.get(path)!.push((performance.now() - started) / 1000);
          if (got !== rows) throw new Error(`${path.engine} ${path.output}: ${got} rows of ${rows}`);
        }
      }
      const drainTiming = timing(drains);
      const drainRowsPerSec = rows / drainTiming.median;
      results.push({
        data: shape,
        engine: "raw drain",
        output: "-",
        retention: "dropped",
        rowsPerSec: drainRowsPerSec,
        bestRowsPerSec: rows / drainTiming.best,
        bytesPerSec: bytes / drainTiming.median,
        pctOfDrain: 100,
        bestPctOfDrain: 100,
        drainRowsPerSec,
      });
      for (const path of paths) {
        const runs = seconds.get(path)!;
        const t = timing(runs);
        const ratios = runs.map((s, i) => (drains[i]! / s) * 100);
        results.push({
          data: shape,
          engine: path.engine,
          output: path.output,
          retention: path.retention,
          rowsPerSec: rows / t.median,
          bestRowsPerSec: rows / t.best,
          bytesPerSec: bytes / t.median,
          pctOfDrain: timing(ratios).median,
          bestPctOfDrain: Math.max(...ratios),
          drainRowsPerSec,
        });
      }
    }
    connection.close();
  } finally {
    await client.close();
    await node.stop();
  }
  return results;
}
