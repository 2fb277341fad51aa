// Query results as Arrow IPC streams. Both functions read a result queried with
// `rowMode: "batch"` (the engine's columnar batches, nothing made per cell):
//
// - `arrowStream(result)` yields the stream as it is made: the Schema message with the first
//   RecordBatch message, then one RecordBatch message per batch, then the end marker. It holds
//   one batch at a time (plus, at the start, the rows that decide the column types), so it
//   takes a result of any length.
// - `toArrowIPC(result)` returns the whole stream as one Uint8Array. It keeps every row, so it
//   stops at `maxRowsPerResult` (10,000,000 by default) with a LIMIT error that names it.
//
// Leaving early (`break`, or an error such as a cell that does not fit its column) interrupts
// the query and leaves the connection usable, as any streamed result does.

import { WireError } from "../errors.ts";
import { DEFAULT_LIMITS, type Limits } from "../limits.ts";
import type { RowBatch } from "../rows/row-batch.ts";
import { ArrowIpcWriter, type ArrowWriterOptions, SCHEMA_SAMPLE_ROWS, concatBytes, everyColumnTyped } from "./ipc-writer.ts";

/** What the Arrow functions read: a query result in rowMode "batch" (its batches carry `raw`). */
export type BatchResult = AsyncIterable<{ readonly raw: RowBatch | undefined }>;

export type ArrowStreamOptions = ArrowWriterOptions;

export interface ArrowTableOptions extends ArrowWriterOptions {
  /** `maxRowsPerResult`: the most rows the whole stream keeps (default 10,000,000). */
  limits?: Pick<Partial<Limits>, "maxRowsPerResult">;
}

function rawBatch(batch: { readonly raw: RowBatch | undefined }): RowBatch {
  if (batch.raw === undefined) {
    throw new WireError("BAD_STATE", 'Arrow output reads the columnar batches: query with { rowMode: "batch" }');
  }
  return batch.raw;
}

/** The IPC stream of a result, one chunk per batch; their concatenation is the stream. */
export async function* arrowStream(result: BatchResult, options: ArrowStreamOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  yield* ipcChunks(result, options, Number.POSITIVE_INFINITY);
}

/** The whole IPC stream of a result, as one Uint8Array (every row kept: see `maxRowsPerResult`). */
export async function toArrowIPC(result: BatchResult, options: ArrowTableOptions = {}): Promise<Uint8Array> {
  const maxRows = options.limits?.maxRowsPerResult ?? DEFAULT_LIMITS.maxRowsPerResult;
  const chunks: Uint8Array[] = [];
  for await (const chunk of ipcChunks(result, options, maxRows)) chunks.push(chunk);
  return concatBytes(chunks);
}

async function* ipcChunks(result: BatchResult, options: ArrowWriterOptions, maxRows: number): AsyncGenerator<Uint8Array, void, undefined> {
  const writer = new ArrowIpcWriter(options);
  const declared = options.types ?? {};
  // Batches held back until the rows that decide the column types have arrived.
  let held: RowBatch[] | undefined = [];
  let heldRows = 0;
  let rows = 0;
  let columns: readonly string[] = [];
  for await (const batch of result) {
    const raw = rawBatch(batch);
    columns = raw.columns;
    rows += raw.rowCount;
    if (rows > maxRows) {
      throw new WireError("LIMIT", `the whole Arrow stream keeps every row: the result has more than ${maxRows} rows (maxRowsPerResult); stream it with arrowStream(), or raise limits.maxRowsPerResult`);
    }
    if (held === undefined) {
      yield writer.write(raw);
      continue;
    }
    held.push(raw);
    heldRows += raw.rowCount;
    if (heldRows < SCHEMA_SAMPLE_ROWS && !everyColumnTyped(columns, held, declared)) continue;
    writer.fixSchema(columns, held);
    for (const waiting of held) yield writer.write(waiting);
    held = undefined;
  }
  if (held !== undefined && held.length > 0) {
    writer.fixSchema(columns, held);
    for (const waiting of held) yield writer.write(waiting);
  }
  yield writer.end(columns);
}
