// Decodes a result's ROWS frames with each row engine, times it, and checks that both engines
// decoded the same cells. The frames are decoded again from their bytes, so the timing covers
// the engine alone, not the network.

import { ResultReader, type RowBatch, ValueType } from "./library.ts";
import type { EngineName, EngineTiming } from "./worker-protocol.ts";

/** Each engine decodes the result at least this many times… */
const MIN_RUNS = 3;
/** …and until this much time has been spent, since small results decode in microseconds, below
 * the resolution of a worker's clock… */
const MIN_TOTAL_MS = 150;
/** …but never more often than this. */
const MAX_RUNS = 20_000;

export interface DecodedResult {
  batches: RowBatch[];
  ms: number;
  /** The engine that ran ("wasm", "wasm-simd" or "js"). */
  kind: string;
  rows: number;
}

/** Decodes whole ROWS frames (one result, back to back) with one engine. */
export function decodeResult(bytes: Uint8Array, engine: EngineName): DecodedResult {
  const started = performance.now();
  const reader = new ResultReader({ engine, intMode: "string" });
  const batches: RowBatch[] = [];
  let at = 0;
  while (at < bytes.length && reader.ended === undefined) {
    const step = reader.read(bytes.subarray(at), at);
    if (step.batch !== undefined) batches.push(step.batch);
    if (step.error !== undefined) throw step.error;
    if (step.consumed === 0) break;
    at += step.consumed;
  }
  return { batches, ms: performance.now() - started, kind: reader.engine, rows: reader.rowsRead };
}

/** Times both engines on the same bytes; `identical` says whether they decoded the same cells. */
export function timeEngines(bytes: Uint8Array): { timings: EngineTiming[]; identical: boolean } {
  const timings: EngineTiming[] = [];
  const decoded: RowBatch[][] = [];
  for (const engine of ["wasm", "js"] as const) {
    let total = 0;
    let runs = 0;
    let last: DecodedResult | undefined;
    while (runs < MAX_RUNS && (runs < MIN_RUNS || total < MIN_TOTAL_MS)) {
      last = decodeResult(bytes, engine);
      total += last.ms;
      runs++;
    }
    const ms = total / runs;
    decoded.push(last!.batches);
    timings.push({ engine, kind: last!.kind, ms, runs, rows: last!.rows, rowsPerSecond: ms > 0 ? (last!.rows / ms) * 1000 : 0 });
  }
  return { timings, identical: sameCells(decoded[0]!, decoded[1]!) };
}

/** Whether two decodings hold the same cells: type tags and 8-byte slots (numbers, integers, spans). */
export function sameCells(a: RowBatch[], b: RowBatch[]): boolean {
  const left = columnsOf(a);
  const right = columnsOf(b);
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) {
    const l = left[i]!;
    const r = right[i]!;
    if (l.types.length !== r.types.length) return false;
    for (let row = 0; row < l.types.length; row++) {
      const type = l.types[row]!;
      if (type !== r.types[row]) return false;
      // A NULL cell carries no value; every other cell's slot must match bit for bit.
      if (type !== ValueType.Null && (l.words[row * 2] !== r.words[row * 2] || l.words[row * 2 + 1] !== r.words[row * 2 + 1])) return false;
    }
  }
  return true;
}

function columnsOf(batches: RowBatch[]): { types: Uint8Array; words: Uint32Array }[] {
  const out: { types: Uint8Array; words: Uint32Array }[] = [];
  for (const batch of batches) {
    for (let c = 0; c < batch.columns.length; c++) {
      const column = batch.column(c);
      // The slots seen as 32-bit words: one comparison covers floats, integers and text spans.
      out.push({ types: column.types, words: new Uint32Array(column.int64s.buffer, column.int64s.byteOffset, batch.rowCount * 2) });
    }
  }
  return out;
}
