// Drives a ResultReader the way a connection does (bytes arrive in chunks, unconsumed bytes are
// kept and the next chunk appended) and records everything observable, so that two engines,
// or two chunkings, can be compared with one deep equality.

import type { Limits } from "../../src/limits.ts";
import type { EngineChoice } from "../../src/rows/engine.ts";
import { ResultReader } from "../../src/rows/result-reader.ts";
import type { RowBatch } from "../../src/rows/row-batch.ts";
import type { IntMode } from "../../src/values/int-mode.ts";
import { concat } from "./build-frames.ts";

export interface BatchSnapshot {
  columns: readonly string[];
  rowCount: number;
  types: number[][];
  /** The raw 8-byte slots per column, as hex, so NaN payloads and int64 bits compare exactly. */
  slots: string[];
}

export interface Observation {
  steps: { consumed: number; state: string; batch?: BatchSnapshot }[];
  error?: { name: string; code: string; message: string; offset: number; field?: string };
  values: unknown[][];
}

function hexOf(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function snapshot(batch: RowBatch): BatchSnapshot {
  const types: number[][] = [];
  const slots: string[] = [];
  for (let c = 0; c < batch.columns.length; c++) {
    const column = batch.column(c);
    types.push(Array.from(column.types));
    // Spans of text/blob cells are offsets into the input, the same for every engine.
    slots.push(hexOf(new Uint8Array(column.numbers.buffer, column.numbers.byteOffset, column.numbers.byteLength)));
  }
  return { columns: batch.columns, rowCount: batch.rowCount, types, slots };
}

export interface DriveOptions {
  engine: EngineChoice;
  intMode?: IntMode;
  limits?: Partial<Limits>;
  /** Chunk sizes to cut the input into (cycled); whole input when absent. */
  chunks?: number[];
}

/** Feeds `input` through a fresh reader until the result ends, errs, or the input runs out. */
export function drive(input: Uint8Array, options: DriveOptions): Observation {
  const reader = new ResultReader({ engine: options.engine, intMode: options.intMode, limits: options.limits, retention: "keep" });
  const observation: Observation = { steps: [], values: [] };
  let pending: Uint8Array = new Uint8Array(0);
  let base = 0;
  let fed = 0;
  const sizes = options.chunks && options.chunks.length > 0 ? options.chunks : [input.length];
  let chunkIndex = 0;
  try {
    for (;;) {
      if (fed < input.length) {
        const size = Math.max(1, sizes[chunkIndex++ % sizes.length]!);
        pending = concat([pending, input.subarray(fed, fed + size)]);
        fed = Math.min(input.length, fed + size);
      }
      const step = reader.read(pending, base);
      if (step.consumed > 0 || step.state !== "more") {
        observation.steps.push({
          consumed: step.consumed,
          state: step.state,
          ...(step.batch ? { batch: snapshot(step.batch) } : {}),
        });
      }
      if (step.batch) for (const row of step.batch.arrays()) observation.values.push(row);
      pending = pending.subarray(step.consumed);
      base += step.consumed;
      if (step.state !== "more") break;
      if (step.consumed === 0 && fed >= input.length) break;
    }
  } catch (error) {
    const e = error as Error & { code: string; offset: number; field?: string };
    observation.error = { name: e.name, code: e.code, message: e.message, offset: e.offset, field: e.field };
  }
  return observation;
}

/**
 * What must not depend on how the input was chunked: the rows and how the result ended, or the
 * error. (Step boundaries do depend on it, and so do the rows returned before an error.)
 */
export function valuesAndEnd(o: Observation): { values?: unknown[][]; end?: string; error?: Observation["error"] } {
  if (o.error) return { error: o.error };
  return { values: o.values, end: o.steps[o.steps.length - 1]?.state };
}
