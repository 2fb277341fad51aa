// The offline cases: the same 1M-row result (frames in real-node shape, bench/corpus.ts) through
// memcpy (the ceiling), JSON.parse of the same rows (kept: parsing keeps them), each engine and
// output of this library, and go-dqlite's own decoder, all in one run.
//
// Outputs: "columns" (the batch's column views, text undecoded; the batch is dropped), "arrays"
// and "objects" (every value made), each either "dropped" after its batch (a consumer that
// streams) or "kept" for the whole result (what `.all()` does, so the garbage collector has to
// keep and move every row).

import { writeFileSync } from "node:fs";
import type { RowEngine } from "../src/rows/engine.ts";
import { ResultReader } from "../src/rows/result-reader.ts";
import type { CellValue } from "../src/values/cell.ts";
import { type Corpus, type Shape, buildCorpus, corpusJson } from "./corpus.ts";
import { type GoPeerResult, runGoPeer } from "./go-peer.ts";
import { collect, timeCase } from "./measure.ts";
import type { BenchResult } from "./report.ts";

export type Output = "columns" | "arrays" | "objects";
export type Retention = "kept" | "dropped";

const CASES: { output: Output; retention: Retention }[] = [
  { output: "columns", retention: "dropped" },
  { output: "arrays", retention: "dropped" },
  { output: "arrays", retention: "kept" },
  { output: "objects", retention: "dropped" },
  { output: "objects", retention: "kept" },
];

/** Input views per reader call: what a socket reader holds at a time. */
export const BATCH_BYTES = 256 * 1024;

/**
 * Decodes a whole result in views of BATCH_BYTES (zero-copy, as a socket reader lends its
 * buffer). Kept rows are collected as `.all()` collects them; returns them, or the row count.
 */
export function decodeResult(engine: RowEngine | "js", bytes: Uint8Array, output: Output, retention: Retention): CellValue[][] | Record<string, CellValue>[] | number {
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

export interface OfflineOptions {
  rows: number;
  repeats: number;
  engines: [string, RowEngine | "js"][];
  /** The go-dqlite peer's binary, or why it is not measured. */
  goPeer: { binary: string } | { skipped: string };
  framesDir: string;
  log: (line: string) => void;
}

function rowsOf(result: unknown): number {
  return typeof result === "number" ? result : (result as unknown[]).length;
}

/** Every offline case of one shape. */
export function offlineShape(shape: Shape, options: OfflineOptions): { results: BenchResult[]; memcpyBytesPerSec: number } {
  const corpus: Corpus = buildCorpus(shape, options.rows);
  const { bytes } = corpus;
  const target = new Uint8Array(bytes.length);
  const results: BenchResult[] = [];
  const memcpy: number[] = [];
  options.log(`${shape}: ${corpus.frames} frames, ${(bytes.length / 2 ** 20).toFixed(1)} MiB, ${options.rows.toLocaleString("en-US")} rows`);

  const add = (engine: string, output: string, retention: Retention, fn: () => unknown) => {
    const t = timeCase(fn, options.repeats, bytes, target);
    memcpy.push(...t.memcpy.seconds);
    results.push({
      data: shape,
      engine,
      output,
      retention,
      rowsPerSec: corpus.rows / t.run.median,
      bestRowsPerSec: corpus.rows / t.run.best,
      bytesPerSec: bytes.length / t.run.median,
      pctOfMemcpy: t.pctOfMemcpy.median,
    });
  };

  // The JSON text lives only for its own case: a large string kept alive makes every later
  // collection of this process slower, which would tax the cases that follow.
  add("JSON.parse", "arrays", "kept", jsonParseCase(shape, corpus.rows));
  collect();
  for (const [name, engine] of options.engines) {
    for (const { output, retention } of CASES) {
      const decoded = rowsOf(decodeResult(engine, bytes, output, retention));
      if (decoded !== corpus.rows) throw new Error(`${name} ${output} decoded ${decoded} rows of ${corpus.rows}`);
      add(name, output, retention, () => decodeResult(engine, bytes, output, retention));
    }
  }
  collect();

  if ("binary" in options.goPeer) {
    const file = `${options.framesDir}/${shape}.frames`;
    writeFileSync(file, bytes);
    for (const peer of runGoPeer(options.goPeer.binary, file, options.repeats)) results.push(goResult(shape, corpus, peer));
  }
  memcpy.sort((a, b) => a - b);
  return { results, memcpyBytesPerSec: bytes.length / memcpy[(memcpy.length - 1) >> 1]! };
}

/**
 * JSON.parse of the result's rows as JSON. The text is captured by this closure alone (not by a
 * scope the other cases' closures share), so it is garbage once the case is done.
 */
function jsonParseCase(shape: Shape, rows: number): () => unknown {
  const json = corpusJson(shape, rows);
  return () => JSON.parse(json);
}

function goResult(shape: Shape, corpus: Corpus, peer: GoPeerResult): BenchResult {
  if (peer.rows !== corpus.rows) throw new Error(`go-dqlite decoded ${peer.rows} rows of ${corpus.rows}`);
  return {
    data: shape,
    engine: "go-dqlite",
    output: "arrays",
    retention: peer.case === "kept" ? "kept" : "dropped",
    rowsPerSec: corpus.rows / peer.medianSeconds,
    bestRowsPerSec: corpus.rows / peer.bestSeconds,
    bytesPerSec: corpus.bytes.length / peer.medianSeconds,
  };
}

/** Heap held by 1M mixed rows kept as `.all()` keeps them, beside JSON.parse of the same rows. */
export function keptHeap(engine: RowEngine, rows: number): { case: string; heapBytes: number; externalBytes: number }[] {
  const { bytes } = buildCorpus("mixed", rows);
  const json = corpusJson("mixed", rows);
  const measure = (name: string, make: () => unknown) => {
    collect();
    collect();
    const before = process.memoryUsage();
    let held: unknown = make();
    collect();
    collect();
    const after = process.memoryUsage();
    if (rowsOf(held) !== rows) throw new Error(`${name}: ${rowsOf(held)} rows`);
    held = undefined;
    return { case: name, heapBytes: after.heapUsed - before.heapUsed, externalBytes: after.external - before.external };
  };
  return [
    measure("JSON.parse", () => JSON.parse(json)),
    measure("arrays (.all())", () => decodeResult(engine, bytes, "arrays", "kept")),
    measure("objects (.all() with rowMode objects)", () => decodeResult(engine, bytes, "objects", "kept")),
  ];
}
