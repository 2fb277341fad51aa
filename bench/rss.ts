// Peak memory while streaming a long result through columnar batches: frames are generated a
// batch at a time into one reused buffer (as socket reads would arrive), decoded, and dropped.
// What must stay flat is everything the decoder keeps between batches.

import { memoryUsage } from "node:process";
import { ResultReader } from "../src/rows/result-reader.ts";
import { CorpusWriter, type Shape } from "./corpus.ts";

export interface RssResult {
  engine: string;
  frames: number;
  seconds: number;
  peakGrowthBytes: number;
}

export async function streamPeakRss(shape: Shape, rows: number, batchBytes = 256 * 1024): Promise<RssResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const writer = new CorpusWriter(shape, rows);
  const input = new Uint8Array(batchBytes);
  // One result of 10M rows spans ~200k frames: a streamed result has no per-result cap.
  const reader = new ResultReader();
  const baseline = memoryUsage.rss();
  let peak = baseline;
  let decoded = 0;
  const started = performance.now();
  let batches = 0;
  while (!writer.done) {
    const n = writer.fill(input);
    const step = reader.read(input.subarray(0, n));
    if (step.consumed !== n) throw new Error(`reader consumed ${step.consumed} of ${n} bytes`);
    const batch = step.batch!;
    for (let c = 0; c < batch.columns.length; c++) batch.column(c);
    decoded += batch.rowCount;
    if (++batches % 8 === 0) {
      const rss = memoryUsage.rss();
      if (rss > peak) peak = rss;
      // Yield now and then so a pending GC can run, as it would between socket reads.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  peak = Math.max(peak, memoryUsage.rss());
  if (decoded !== rows) throw new Error(`streamed ${decoded} rows of ${rows}`);
  return {
    engine: reader.engine,
    frames: reader.framesRead,
    seconds: (performance.now() - started) / 1000,
    peakGrowthBytes: peak - baseline,
  };
}
