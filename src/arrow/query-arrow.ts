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

/** The IPC stream of a result, one chunk per batch; their concatenation is the stream. */
export async function* arrowStream(result: BatchResult, options: ArrowStreamOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const writer = new ArrowIpcWriter(options);
  const gate = new SchemaGate(writer, options);
  for await (const batch of result) {
    for (const ready of gate.push(rawBatch(batch))) yield writer.write(ready);
  }
  for (const ready of gate.finish()) yield writer.write(ready);
  yield writer.end(gate.columns);
}

/** The whole IPC stream of a result, as one Uint8Array (every row kept: see `maxRowsPerResult`). */
export async function toArrowIPC(result: BatchResult, options: ArrowTableOptions = {}): Promise<Uint8Array> {
  const maxRows = options.limits?.maxRowsPerResult ?? DEFAULT_LIMITS.maxRowsPerResult;
  const writer = new ArrowIpcWriter(options);
  const gate = new SchemaGate(writer, options);
  // Each batch becomes its message at once, so the batch (and the copy of the input it holds)
  // is let go: what is kept is the Arrow bytes only.
  const chunks: Uint8Array[] = [];
  let rows = 0;
  for await (const batch of result) {
    const raw = rawBatch(batch);
    rows += raw.rowCount;
    if (rows > maxRows) {
      throw new WireError(
        "LIMIT",
        `the whole Arrow stream keeps every row: the result has more than ${maxRows} rows (maxRowsPerResult); stream it with arrowStream(), or raise limits.maxRowsPerResult`,
      );
    }
    for (const ready of gate.push(raw)) chunks.push(writer.write(ready));
  }
  for (const ready of gate.finish()) chunks.push(writer.write(ready));
  chunks.push(writer.end(gate.columns));
  return concatBytes(chunks);
}

function rawBatch(batch: { readonly raw: RowBatch | undefined }): RowBatch {
  if (batch.raw === undefined) {
    throw new WireError("BAD_STATE", 'Arrow output reads the columnar batches: query with { rowMode: "batch" }');
  }
  return batch.raw;
}

/**
 * Holds the first batches back until they settle every column's type (a non-NULL cell in each,
 * or a declared type) or SCHEMA_SAMPLE_ROWS rows have arrived, then fixes the writer's schema
 * from them and lets every batch through.
 */
class SchemaGate {
  columns: readonly string[] = [];
  readonly #writer: ArrowIpcWriter;
  readonly #declared: Readonly<Record<string, string>>;
  #held: RowBatch[] | undefined = [];
  #heldRows = 0;

  constructor(writer: ArrowIpcWriter, options: ArrowWriterOptions) {
    this.#writer = writer;
    this.#declared = options.types ?? {};
  }

  /** The batches that may be written now, in order. */
  push(batch: RowBatch): readonly RowBatch[] {
    this.columns = batch.columns;
    if (this.#held === undefined) return [batch];
    this.#held.push(batch);
    this.#heldRows += batch.rowCount;
    if (this.#heldRows < SCHEMA_SAMPLE_ROWS && !everyColumnTyped(this.columns, this.#held, this.#declared)) return [];
    return this.finish();
  }

  /** Whatever is still held, once the result has ended (or the types are settled). */
  finish(): readonly RowBatch[] {
    const held = this.#held ?? [];
    if (this.#held !== undefined && held.length > 0) this.#writer.fixSchema(this.columns, held);
    this.#held = undefined;
    return held;
  }
}
