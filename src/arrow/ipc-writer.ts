// Row batches to an Arrow IPC stream. Each RowBatch becomes one RecordBatch message, laid out
// in one allocation: its metadata, then every column's buffers written in place. The first
// message is preceded by the Schema message, whose column types the first batch decides (see
// column-types.ts); `end()` closes the stream.

import { EncodeError } from "../errors.ts";
import type { RowBatch } from "../rows/row-batch.ts";
import { VALUE_TYPE_NAMES, ValueType } from "../values/value-type.ts";
import { type ColumnPlan, planColumn } from "./column-buffers.ts";
import { type TypeOrigin, acceptedCodes, cellArrowType, declaredType } from "./column-types.ts";
import {
  type ArrowType,
  type BodyBuffer,
  type SchemaField,
  endOfStream,
  messageHeadBytes,
  padded,
  recordBatchMetadata,
  schemaMessage,
  writeMessageHead,
} from "./ipc-format.ts";

export interface ArrowWriterOptions {
  /**
   * Arrow types declared by column name ("int64", "float64", "utf8", "binary", "bool",
   * "timestamp[s]", "null"). A declared column takes its type from here rather than from its
   * first non-NULL cell: what a stream needs for a column that is NULL throughout its first
   * batch. Cells must still map to the type (docs/arrow.md).
   */
  types?: Readonly<Record<string, string>>;
}

/** A column of the schema, with where its type came from (for errors). */
interface SchemaColumn extends SchemaField {
  origin: TypeOrigin;
}

/**
 * How many rows of a result decide its column types: a column's first non-NULL cell among them
 * fixes its type. A stream must write its schema before its first batch, so it holds at most
 * this many rows back while a column has no non-NULL cell yet.
 */
export const SCHEMA_SAMPLE_ROWS = 65_536;

/** Chooses each column's type from the declarations, else from the first `sampleRows` rows of `batches`. */
export function chooseSchema(
  columns: readonly string[],
  batches: readonly RowBatch[],
  declared: Readonly<Record<string, string>> = {},
  sampleRows = SCHEMA_SAMPLE_ROWS,
): SchemaColumn[] {
  return columns.map((name, index) => {
    if (Object.hasOwn(declared, name)) return { name, type: declaredType(name, declared[name]!), origin: { kind: "declared" } };
    let before = 0;
    for (const batch of batches) {
      if (before >= sampleRows) break;
      const types = batch.column(index).types;
      const end = Math.min(types.length, sampleRows - before);
      for (let row = 0; row < end; row++) {
        if (types[row] === ValueType.Null) continue;
        const type = cellArrowType(types[row]!, batch.intMode)!;
        return { name, type, origin: { kind: "cell", row: before + row, cell: VALUE_TYPE_NAMES[types[row] as ValueType] } };
      }
      before += types.length;
    }
    return { name, type: "null" as ArrowType, origin: { kind: "none" } };
  });
}

/** Whether the held batches settle every column's type: each is declared or has a non-NULL cell. */
export function everyColumnTyped(
  columns: readonly string[],
  batches: readonly RowBatch[],
  declared: Readonly<Record<string, string>> = {},
): boolean {
  return chooseSchema(columns, batches, declared).every(({ origin }) => origin.kind !== "none");
}

export class ArrowIpcWriter {
  readonly #declared: Readonly<Record<string, string>>;
  #schema: SchemaColumn[] | undefined;
  /** Per column, the value-type codes its Arrow type accepts (fixed with the first plan). */
  #accepts: Uint8Array[] | undefined;
  #rows = 0;
  #schemaWritten = false;
  #ended = false;

  constructor(options: ArrowWriterOptions = {}) {
    this.#declared = options.types ?? {};
  }

  /** The columns and their Arrow types, once fixed (by `fixSchema` or the first write). */
  get schema(): readonly SchemaField[] | undefined {
    return this.#schema?.map(({ name, type }) => ({ name, type }));
  }

  /** Rows written so far. */
  get rowsWritten(): number {
    return this.#rows;
  }

  /**
   * Fixes the schema from these batches (each column's first non-NULL cell across them) before
   * the first write; otherwise the first write fixes it from its own batch.
   */
  fixSchema(columns: readonly string[], batches: readonly RowBatch[]): void {
    if (this.#schema !== undefined) throw new EncodeError("BAD_VALUE", "the Arrow schema is already fixed");
    this.#schema = chooseSchema(columns, batches, this.#declared);
  }

  /** Checks the batch against the schema (fixing it from this batch on the first call) and lays out its message. */
  #plan(batch: RowBatch): PlannedBatch {
    if (this.#ended) throw new EncodeError("BAD_VALUE", "the Arrow stream has ended");
    const schema = (this.#schema ??= chooseSchema(batch.columns, [batch], this.#declared));
    const accepts = (this.#accepts ??= schema.map(({ type }) => acceptedCodes(type, batch.intMode)));
    const plans = schema.map(({ type, origin }, c) => planColumn(batch.column(c), type, accepts[c]!, this.#rows, origin));
    this.#rows += batch.rowCount;
    return layOut(batch.rowCount, plans);
  }

  /** The batch as an encapsulated RecordBatch message, after the Schema message on the first call. */
  write(batch: RowBatch): Uint8Array {
    const planned = this.#plan(batch);
    const head = this.#head();
    const out = new Uint8Array(head.length + planned.bytes);
    out.set(head);
    writePlanned(planned, out, head.length);
    return out;
  }

  /**
   * The end-of-stream marker, after the Schema message when no batch was written (give the
   * columns then: a result without rows still has them).
   */
  end(columns: readonly string[] = []): Uint8Array {
    if (this.#ended) throw new EncodeError("BAD_VALUE", "the Arrow stream has ended");
    this.#schema ??= chooseSchema(columns, [], this.#declared);
    const head = this.#head();
    this.#ended = true;
    return head.length === 0 ? endOfStream() : concatBytes([head, endOfStream()]);
  }

  /** The Schema message if it has not been written yet, else nothing. */
  #head(): Uint8Array {
    if (this.#schemaWritten || this.#schema === undefined) return EMPTY;
    this.#schemaWritten = true;
    return schemaMessage(this.#schema);
  }
}

const EMPTY = new Uint8Array(0);

/** A RecordBatch message laid out: its metadata, its columns' plans and where each buffer goes. */
interface PlannedBatch {
  readonly metadata: Uint8Array;
  readonly plans: readonly ColumnPlan[];
  /** Each column's buffer offsets in the body. */
  readonly at: readonly (readonly number[])[];
  /** Bytes of the whole encapsulated message. */
  readonly bytes: number;
}

function layOut(rows: number, plans: readonly ColumnPlan[]): PlannedBatch {
  const buffers: BodyBuffer[] = [];
  const at: number[][] = [];
  let bodyLength = 0;
  for (const plan of plans) {
    const offsets: number[] = [];
    for (const length of plan.lengths) {
      offsets.push(bodyLength);
      buffers.push({ offset: bodyLength, length });
      bodyLength += padded(length);
    }
    at.push(offsets);
  }
  const metadata = recordBatchMetadata(
    rows,
    plans.map((plan) => plan.node),
    buffers,
    bodyLength,
  );
  return { metadata, plans, at, bytes: messageHeadBytes(metadata.length) + bodyLength };
}

/** Writes a planned message at `at` of `out` (zeroed memory); returns where it ends. */
function writePlanned(planned: PlannedBatch, out: Uint8Array, at: number): number {
  const body = writeMessageHead(out, at, planned.metadata);
  planned.plans.forEach((plan, c) => {
    plan.write(
      out,
      planned.at[c]!.map((offset) => body + offset),
    );
  });
  return at + planned.bytes;
}

/** The chunks of a stream as one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
