// The decode loop every row-making case of the bench runs: a whole result read through a
// ResultReader in views of BATCH_BYTES, rows made in the output asked for, dropped or kept.

import type { RowEngine } from "../src/rows/engine.ts";
import { ResultReader } from "../src/rows/result-reader.ts";
import type { CellValue } from "../src/values/cell.ts";

/** The outputs made of rows (the Arrow writers are outputs too: bench/arrow.ts). */
export type RowOutput = "columns" | "arrays" | "objects";
/** "dropped": each batch's rows are let go (a consumer that streams); "kept": `.all()`. */
export type Retention = "kept" | "dropped";

/** Input views per reader call: what a socket reader holds at a time. */
export const BATCH_BYTES = 256 * 1024;

/**
 * Decodes a whole result in views of BATCH_BYTES (zero-copy, as a socket reader lends its
 * buffer). Kept rows are collected as `.all()` collects them; returns them, or the row count.
 */
export function decodeResult(
  engine: RowEngine | "js",
  bytes: Uint8Array,
  output: RowOutput,
  retention: Retention,
): CellValue[][] | Record<string, CellValue>[] | number {
  const reader = new ResultReader({ engine, input: output === "columns" ? "copy" : "borrow" });
  const kept: (CellValue[] | Record<string, CellValue>)[] = [];
  let rows = 0;
  let at = 0;
  for (;;) {
    const step = reader.read(bytes.subarray(at, Math.min(bytes.length, at + BATCH_BYTES)));
    if (step.consumed === 0) throw new Error(`a view of ${BATCH_BYTES} bytes holds no whole frame at ${at}`);
    at += step.consumed;
    const batch = step.batch;
    if (batch !== undefined) {
      rows += batch.rowCount;
      if (output === "columns") {
        for (let c = 0; c < batch.columns.length; c++) batch.column(c);
      } else {
        const values = output === "arrays" ? batch.arrays() : batch.objects();
        if (retention === "kept") for (const row of values) kept.push(row);
      }
    }
    if (step.state !== "more") return retention === "kept" ? (kept as CellValue[][]) : rows;
  }
}
