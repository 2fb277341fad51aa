// `dqlite-wire shell … -f arrow DB "SELECT …"`: the query's rows as one Apache Arrow IPC stream
// on stdout (`> out.arrows`), written batch by batch as the node sends them, so a result of any
// length goes through in bounded memory. Integers are int64 (intMode "bigint"); the column
// types follow docs/arrow.md.

import { arrowStream } from "../arrow/index.ts";
import type { Database } from "../client/database.ts";
import { UsageError } from "./io.ts";

/** Where the stream goes: bytes, resolved once the destination has taken them (backpressure). */
export type ByteSink = (bytes: Uint8Array) => Promise<void>;

/** Writes `sql`'s rows to `sink` as an Arrow IPC stream. */
export async function writeArrowQuery(db: Database, sql: string, timeoutMs: number, sink: ByteSink): Promise<void> {
  const result = db.query(sql, [], { timeoutMs, intMode: "bigint", rowMode: "batch" });
  for await (const chunk of arrowStream(result)) await sink(chunk);
}

/** `-f arrow` writes one stream: it takes one query given as the SQL argument. */
export function checkArrowStatement(sql: string | undefined, isQuery: (sql: string) => boolean): void {
  if (sql === undefined) throw new UsageError("-f arrow writes the rows of one query: give it as the SQL argument");
  if (!isQuery(sql)) throw new UsageError("-f arrow writes the rows of a query (SELECT, WITH, VALUES, PRAGMA, EXPLAIN)");
}

/** A sink on a Node writable stream that waits for 'drain' when its buffer is full. */
export function streamSink(out: NodeJS.WritableStream): ByteSink {
  return (bytes) =>
    new Promise((resolve, reject) => {
      if (out.write(bytes)) resolve();
      else {
        out.once("drain", resolve);
        out.once("error", reject);
      }
    });
}
