// The Arrow cases of the benchmark: the same 1M-row result made into Arrow IPC bytes.
//
// - "arrow ipc" with the library's own writer (dqlite-wire/arrow's ArrowIpcWriter): the buffers
//   written in place from each batch's slots and byte spans, the stream kept as one Uint8Array,
//   as `toArrowIPC` returns it; "arrow ipc chunks": the same, one message per batch, every chunk
//   kept, as a consumer of `arrowStream` that holds them gets it;
// - the same batches, the same buffers, serialized by flechette (`tableToIPC` over columns made
//   of its batches) and by apache-arrow (`makeData` per column, `tableToIPC`): what choosing one
//   of those libraries as the IPC writer would cost;
// - the path a user writes today: `.all()`'s rows (arrays kept), then apache-arrow's
//   `tableFromJSON` (objects) or `vectorFromArray` per column, then `tableToIPC`.
//
// Every case's bytes are read back once by apache-arrow before timing, and must hold the rows.

import * as flechette from "@uwdata/flechette";
import * as arrow from "apache-arrow";
import { planColumn } from "../src/arrow/column-buffers.ts";
import { acceptedCodes } from "../src/arrow/column-types.ts";
import { ArrowIpcWriter, chooseSchema, concatBytes } from "../src/arrow/ipc-writer.ts";
import type { ArrowType } from "../src/arrow/ipc-format.ts";
import type { RowEngine } from "../src/rows/engine.ts";
import { ResultReader } from "../src/rows/result-reader.ts";
import type { RowBatch } from "../src/rows/row-batch.ts";
import type { CellValue } from "../src/values/cell.ts";
import { BATCH_BYTES, decodeResult } from "./rows-decode.ts";

/** Decodes `bytes` in socket-sized views, handing each batch to `use`. */
export function eachBatch(engine: RowEngine | "js", bytes: Uint8Array, use: (batch: RowBatch) => void): readonly string[] {
  // As a query in rowMode "batch" reads them (what arrowStream and toArrowIPC take): each batch
  // keeps a copy of the bytes its text and blob cells point into.
  const reader = new ResultReader({ engine, input: "copy" });
  let at = 0;
  for (;;) {
    const step = reader.read(bytes.subarray(at, Math.min(bytes.length, at + BATCH_BYTES)));
    at += step.consumed;
    if (step.batch !== undefined) use(step.batch);
    if (step.state !== "more") return reader.columns ?? [];
  }
}

/** The library's own writer, as arrowStream uses it: one message per batch (the chunks kept). */
export function ownIpcChunks(engine: RowEngine | "js", bytes: Uint8Array): Uint8Array[] {
  const writer = new ArrowIpcWriter();
  const chunks: Uint8Array[] = [];
  const columns = eachBatch(engine, bytes, (batch) => chunks.push(writer.write(batch)));
  chunks.push(writer.end(columns));
  return chunks;
}

/** The library's own writer, as toArrowIPC uses it: the chunks, then the stream as one array. */
export function ownIpc(engine: RowEngine | "js", bytes: Uint8Array): Uint8Array {
  return concatBytes(ownIpcChunks(engine, bytes));
}

/** One column of one batch as separate Arrow buffers (validity, then the type's others). */
function columnBuffers(batch: RowBatch, c: number, type: ArrowType): { nullCount: number; buffers: Uint8Array[] } {
  const plan = planColumn(batch.column(c), type, acceptedCodes(type, batch.intMode), 0, { kind: "declared" });
  const at: number[] = [];
  let total = 0;
  for (const length of plan.lengths) {
    at.push(total);
    total += Math.ceil(length / 8) * 8;
  }
  const scratch = new Uint8Array(total);
  plan.write(scratch, at);
  return { nullCount: plan.node.nullCount, buffers: plan.lengths.map((length, i) => scratch.subarray(at[i], at[i]! + length)) };
}

const view = <T>(Kind: new (buffer: ArrayBufferLike, offset: number, length: number) => T, bytes: Uint8Array, width: number): T =>
  new Kind(bytes.buffer, bytes.byteOffset, bytes.byteLength / width);

const FLECHETTE_TYPES: Record<ArrowType, () => flechette.DataType> = {
  null: () => flechette.nullType(),
  int64: () => flechette.int64(),
  float64: () => flechette.float64(),
  utf8: () => flechette.utf8(),
  binary: () => flechette.binary(),
  bool: () => flechette.bool(),
  "timestamp[s]": () => flechette.timestamp(flechette.TimeUnit.SECOND),
};

/** The same batches serialized by flechette. */
export function flechetteIpc(engine: RowEngine | "js", bytes: Uint8Array): Uint8Array {
  const perColumn: flechette.Batch<unknown>[][] = [];
  let schema: { name: string; type: ArrowType }[] | undefined;
  const columns = eachBatch(engine, bytes, (batch) => {
    schema ??= chooseSchema(batch.columns, [batch]);
    schema.forEach(({ type }, c) => {
      const { nullCount, buffers } = columnBuffers(batch, c, type);
      const dataType = FLECHETTE_TYPES[type]();
      const Kind = flechette.batchType(dataType);
      const [validity, second, third] = buffers;
      const values =
        type === "utf8" || type === "binary"
          ? third
          : type === "int64" || type === "timestamp[s]"
            ? view(BigInt64Array, second!, 8)
            : type === "float64"
              ? view(Float64Array, second!, 8)
              : second;
      const offsets = type === "utf8" || type === "binary" ? view(Int32Array, second!, 4) : undefined;
      (perColumn[c] ??= []).push(new Kind({ length: batch.rowCount, nullCount, type: dataType, validity: validity!, values, offsets }));
    });
  });
  const table = flechette.tableFromColumns(columns.map((name, c) => [name, new flechette.Column(perColumn[c] ?? [])]));
  return flechette.tableToIPC(table, { format: "stream" })!;
}

const APACHE_TYPES: Record<ArrowType, () => arrow.DataType> = {
  null: () => new arrow.Null(),
  int64: () => new arrow.Int64(),
  float64: () => new arrow.Float64(),
  utf8: () => new arrow.Utf8(),
  binary: () => new arrow.Binary(),
  bool: () => new arrow.Bool(),
  "timestamp[s]": () => new arrow.TimestampSecond(),
};

/** The same batches serialized by apache-arrow. */
export function apacheIpc(engine: RowEngine | "js", bytes: Uint8Array): Uint8Array {
  const batches: arrow.RecordBatch[] = [];
  let schema: { name: string; type: ArrowType }[] | undefined;
  let arrowSchema: arrow.Schema | undefined;
  eachBatch(engine, bytes, (batch) => {
    schema ??= chooseSchema(batch.columns, [batch]);
    arrowSchema ??= new arrow.Schema(schema.map(({ name, type }) => new arrow.Field(name, APACHE_TYPES[type](), true)));
    const children = schema.map(({ type }, c) => {
      const { nullCount, buffers } = columnBuffers(batch, c, type);
      const [validity, second, third] = buffers;
      const props = { type: arrowSchema!.fields[c]!.type, length: batch.rowCount, nullCount, nullBitmap: nullCount > 0 ? validity : null };
      if (type === "utf8" || type === "binary")
        return arrow.makeData({ ...props, valueOffsets: view(Int32Array, second!, 4), data: third } as never);
      if (type === "null") return arrow.makeData(props as never);
      return arrow.makeData({
        ...props,
        data: type === "bool" ? second : type === "float64" ? view(Float64Array, second!, 8) : view(BigInt64Array, second!, 8),
      } as never);
    });
    batches.push(
      new arrow.RecordBatch(
        arrowSchema,
        arrow.makeData({ type: new arrow.Struct(arrowSchema.fields), length: batch.rowCount, nullCount: 0, children }),
      ),
    );
  });
  return arrow.tableToIPC(new arrow.Table(arrowSchema!, batches), "stream");
}

/** What a user writes today: `.all()`'s objects, then apache-arrow's tableFromJSON. */
export function tableFromJsonIpc(engine: RowEngine | "js", bytes: Uint8Array): Uint8Array {
  const rows = decodeResult(engine, bytes, "objects", "kept") as Record<string, CellValue>[];
  return arrow.tableToIPC(arrow.tableFromJSON(rows as never), "stream");
}

/** What a user writes today: `.all()`'s arrays, then a vectorFromArray per column. */
export function vectorFromArrayIpc(engine: RowEngine | "js", bytes: Uint8Array, columns: readonly string[]): Uint8Array {
  const rows = decodeResult(engine, bytes, "arrays", "kept") as CellValue[][];
  const vectors: Record<string, arrow.Vector> = {};
  columns.forEach((name, c) => {
    vectors[name] = arrow.vectorFromArray(rows.map((row) => row[c]));
  });
  return arrow.tableToIPC(new arrow.Table(vectors), "stream");
}

/** The IPC stream's rows as apache-arrow reads them: a check before any timing. */
export function ipcRows(ipc: Uint8Array | Uint8Array[]): number {
  return arrow.tableFromIPC(Array.isArray(ipc) ? Buffer.concat(ipc) : ipc).numRows;
}

/** Bytes of the Arrow buffers themselves in a stream (its record batches' bodies, padding included). */
export function bodyBytes(ipc: Uint8Array): number {
  const reader = arrow.RecordBatchReader.from(ipc);
  let total = 0;
  for (const batch of reader) for (const data of batch.data.children) total += dataBytes(data);
  return total;
}

function dataBytes(data: arrow.Data): number {
  const own = [data.nullBitmap, data.valueOffsets, data.values].reduce((sum, buffer) => sum + (buffer?.byteLength ?? 0), 0);
  return own + data.children.reduce((sum, child) => sum + dataBytes(child), 0);
}

/** The Arrow cases by the output name the tables print. */
export const ARROW_OUTPUTS = {
  "arrow ipc": (engine: RowEngine | "js", bytes: Uint8Array) => ownIpc(engine, bytes),
  "arrow ipc chunks": (engine: RowEngine | "js", bytes: Uint8Array) => ownIpcChunks(engine, bytes),
  "arrow ipc: flechette": (engine: RowEngine | "js", bytes: Uint8Array) => flechetteIpc(engine, bytes),
  "arrow ipc: apache-arrow": (engine: RowEngine | "js", bytes: Uint8Array) => apacheIpc(engine, bytes),
  ".all() + tableFromJSON": (engine: RowEngine | "js", bytes: Uint8Array) => tableFromJsonIpc(engine, bytes),
  ".all() + vectorFromArray": (engine: RowEngine | "js", bytes: Uint8Array, columns: readonly string[]) =>
    vectorFromArrayIpc(engine, bytes, columns),
} as const;
export type ArrowOutput = keyof typeof ARROW_OUTPUTS;
