// Live end to end (`npm run bench -- --live`): a real dqlite node answers the benchmark query and
// the result is decoded as it arrives, against the ceiling of draining the same bytes from the
// socket without decoding them.
//
// "decoder" feeds socket chunks to the library's FrameDecoder and the result reader on its
// pending bytes (columnar batches), which is what a session does underneath. "session" runs the
// same query through the session layer (`LiveOptions.openSession`, wired by rows-bench.ts to
// the client's `Database.query` with rowMode "batch"), measured the same way.

import { FrameDecoder } from "../src/stream/frame-decoder.ts";
import { ResultReader } from "../src/rows/result-reader.ts";
import type { RowBatch } from "../src/rows/row-batch.ts";
import { startNode } from "../src/testing/dqlite-node.ts";
import { type Shape } from "./corpus.ts";
import { RawConnection, openDatabase, populate, selectSql, sendQuery } from "./live-node.ts";
import type { ResultRow } from "./rows-bench.ts";

/** What the bench needs of a session (the session layer's query API, once it exists). */
export interface LiveSession {
  /** Runs `sql` on database `bench` and yields the result's batches as they arrive. */
  query(sql: string): AsyncIterable<RowBatch>;
  close(): Promise<void> | void;
}

export interface LiveOptions {
  openSession?: (address: string) => Promise<LiveSession>;
  repeats?: number;
}

const SHAPES: Shape[] = ["numeric", "mixed"];

async function decodeFromSocket(connection: RawConnection, db: number, shape: Shape): Promise<{ rows: number; bytes: number; seconds: number }> {
  const decoder = new FrameDecoder({ side: "response" });
  const reader = new ResultReader({ limits: { maxFramesPerResult: 10_000_000 } });
  const started = performance.now();
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
    if (step.state !== "more") break;
  }
  return { rows, bytes, seconds: (performance.now() - started) / 1000 };
}

async function drainFromSocket(connection: RawConnection, db: number, shape: Shape, bytes: number): Promise<number> {
  const started = performance.now();
  sendQuery(connection, db, shape);
  let received = 0;
  while (received < bytes) received += (await connection.chunk()).length;
  if (received !== bytes) throw new Error(`drained ${received} bytes, the result has ${bytes}`);
  return (performance.now() - started) / 1000;
}

async function throughSession(open: LiveOptions["openSession"] & {}, address: string, shape: Shape): Promise<{ rows: number; seconds: number }> {
  const session = await open(address);
  try {
    const started = performance.now();
    let rows = 0;
    for await (const batch of session.query(selectSql(shape))) rows += batch.rowCount;
    return { rows, seconds: (performance.now() - started) / 1000 };
  } finally {
    await session.close();
  }
}

export async function liveBench(rows: number, options: LiveOptions = {}): Promise<{ lines: string[]; results: ResultRow[] }> {
  const repeats = options.repeats ?? 5;
  const lines: string[] = [`\nlive: ${rows.toLocaleString("en-US")} rows from a real dqlite-demo node on 127.0.0.1 (best of ${repeats})`];
  const results: ResultRow[] = [];
  const node = await startNode();
  try {
    const connection = await RawConnection.open(node.address);
    const db = await openDatabase(connection, "bench");
    for (const shape of SHAPES) {
      await populate(connection, db, shape, rows);
      // One untimed query first: SQLite's page cache and the node's buffers are then warm for both.
      const warm = await decodeFromSocket(connection, db, shape);
      let best: { rows: number; bytes: number; seconds: number } | undefined;
      let drain = await drainFromSocket(connection, db, shape, warm.bytes);
      for (let i = 0; i < repeats; i++) {
        const decoded = await decodeFromSocket(connection, db, shape);
        if (decoded.rows !== rows) throw new Error(`decoded ${decoded.rows} rows of ${rows}`);
        if (best === undefined || decoded.seconds < best.seconds) best = decoded;
        drain = Math.min(drain, await drainFromSocket(connection, db, shape, decoded.bytes));
      }
      const mb = (seconds: number) => (best!.bytes / seconds / 1e6).toFixed(0);
      lines.push(
        `  ${shape}: raw drain ${(rows / drain / 1e6).toFixed(2)} Mrows/s (${mb(drain)} MB/s); ` +
          `decoder ${(rows / best!.seconds / 1e6).toFixed(2)} Mrows/s (${mb(best!.seconds)} MB/s) = ${((drain / best!.seconds) * 100).toFixed(1)} % of the drain`,
      );
      results.push({ data: shape, engine: "live-drain", output: "-", rowsPerSec: rows / drain, bytesPerSec: best!.bytes / drain });
      results.push({ data: shape, engine: "live-decoder", output: "columns", rowsPerSec: rows / best!.seconds, bytesPerSec: best!.bytes / best!.seconds });
      if (options.openSession) {
        await throughSession(options.openSession, node.address, shape); // warm-up
        let session = { rows: 0, seconds: Infinity };
        for (let i = 0; i < repeats; i++) {
          const run = await throughSession(options.openSession, node.address, shape);
          if (run.rows !== rows) throw new Error(`session returned ${run.rows} rows of ${rows}`);
          if (run.seconds < session.seconds) session = run;
        }
        lines.push(`  ${shape}: session ${(rows / session.seconds / 1e6).toFixed(2)} Mrows/s = ${((drain / session.seconds) * 100).toFixed(1)} % of the drain`);
        results.push({ data: shape, engine: "live-session", output: "columns", rowsPerSec: rows / session.seconds, bytesPerSec: best!.bytes / session.seconds });
      } else {
        lines.push(`  ${shape}: session: not measured (pass LiveOptions.openSession once the session layer exists)`);
      }
    }
    connection.close();
  } finally {
    await node.stop();
  }
  return { lines, results };
}
