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
import { type Corpus, SHAPES, type Shape, buildCorpus, corpusJson } from "./corpus.ts";
import { ARROW_OUTPUTS, type ArrowOutput, bodyBytes, ipcRows, ownIpc } from "./arrow.ts";
import { type GoPeerResult, runGoPeer } from "./go-peer.ts";
import { pairedShape } from "./paired.ts";
import type { CaseSpec, Output, Retention } from "./case-spec.ts";
import { type RowOutput, decodeResult } from "./rows-decode.ts";
import { collect, timeCase } from "./measure.ts";
import type { BenchResult } from "./report.ts";

const CASES: { output: Output; retention: Retention }[] = [
  { output: "columns", retention: "dropped" },
  { output: "arrays", retention: "dropped" },
  { output: "arrays", retention: "kept" },
  { output: "objects", retention: "dropped" },
  { output: "objects", retention: "kept" },
];

export interface OfflineOptions {
  rows: number;
  repeats: number;
  engines: [string, RowEngine | "js"][];
  /**
   * Each case in a Node process of its own, its repetitions paired with JSON.parse's and
   * go-dqlite's (the default, bench/paired.ts); false: every case in this process (`--in-process`).
   */
  isolate: boolean;
  /** The go-dqlite peer's binary, or why it is not measured. */
  goPeer: { binary: string } | { skipped: string };
  framesDir: string;
  log: (line: string) => void;
}

function rowsOf(result: unknown): number {
  return typeof result === "number" ? result : (result as { length: number }).length;
}

/** Every offline case of one shape. */
export async function offlineShape(shape: Shape, options: OfflineOptions): Promise<{ results: BenchResult[]; memcpyBytesPerSec: number }> {
  const corpus: Corpus = buildCorpus(shape, options.rows);
  const { bytes } = corpus;
  options.log(
    `${shape}: ${corpus.frames} frames, ${(bytes.length / 2 ** 20).toFixed(1)} MiB, ${options.rows.toLocaleString("en-US")} rows`,
  );
  const cases: CaseSpec[] = [
    ...options.engines.flatMap(([engine]) => CASES.map(({ output, retention }) => ({ shape, engine, output, retention }))),
    // Arrow IPC bytes, kept whole: the library's writer under each engine, then the other
    // writers and the user's path today on the WebAssembly engine's batches.
    ...options.engines.map(([engine]): CaseSpec => ({ shape, engine, output: "arrow ipc", retention: "kept" })),
    ...(Object.keys(ARROW_OUTPUTS) as ArrowOutput[])
      .filter((output) => output !== "arrow ipc")
      .map((output): CaseSpec => ({ shape, engine: "wasm", output, retention: "kept" })),
  ];
  const file = `${options.framesDir}/${shape}.frames`;
  if ("binary" in options.goPeer) writeFileSync(file, bytes);
  const goPeer = "binary" in options.goPeer ? { binary: options.goPeer.binary, framesFile: file } : undefined;

  let results: BenchResult[];
  let memcpy: number[];
  if (options.isolate) {
    ({ results, memcpy } = await pairedShape(
      shape,
      cases,
      { rows: options.rows, repeats: options.repeats, goPeer, log: options.log },
      bytes.length,
    ));
  } else {
    ({ results, memcpy } = inProcessShape(shape, corpus, cases, options));
    if (goPeer !== undefined)
      for (const peer of runGoPeer(goPeer.binary, goPeer.framesFile, options.repeats)) results.push(goResult(shape, corpus, peer));
  }
  memcpy.sort((a, b) => a - b);
  return { results, memcpyBytesPerSec: bytes.length / memcpy[(memcpy.length - 1) >> 1]! };
}

/** Every case one after another in this process (`--in-process`), JSON.parse first. */
function inProcessShape(
  shape: Shape,
  corpus: Corpus,
  cases: readonly CaseSpec[],
  options: OfflineOptions,
): { results: BenchResult[]; memcpy: number[] } {
  const target = new Uint8Array(corpus.bytes.length);
  const results: BenchResult[] = [];
  const memcpy: number[] = [];
  for (const spec of [{ shape, engine: "JSON.parse", output: "arrays", retention: "kept" } as CaseSpec, ...cases]) {
    const measured = runCase(spec, corpus, target, options);
    memcpy.push(...measured.memcpySeconds);
    results.push(measured.result);
    collect();
  }
  return { results, memcpy };
}

export interface CaseMeasure {
  result: BenchResult;
  /** memcpy of the same bytes, timed before each repetition. */
  memcpySeconds: number[];
}

/** The work one case times: a function that decodes (or parses, or writes) the whole result once. */
export function caseFunction(spec: CaseSpec, corpus: Corpus, engines: readonly [string, RowEngine | "js"][]): () => unknown {
  const { bytes } = corpus;
  // The JSON text lives only for its own case: a large string kept alive makes every later
  // collection of this process slower, which would tax the cases that follow.
  if (spec.engine === "JSON.parse") return jsonParseCase(spec.shape, corpus.rows);
  const engine = engines.find(([name]) => name === spec.engine)?.[1];
  if (engine === undefined) throw new Error(`no engine named ${spec.engine}`);
  if (spec.output in ARROW_OUTPUTS) {
    const write = ARROW_OUTPUTS[spec.output as ArrowOutput];
    const columns = SHAPES[spec.shape].columns;
    const written = ipcRows(write(engine, bytes, columns));
    if (written !== corpus.rows) throw new Error(`${spec.engine} ${spec.output} wrote ${written} rows of ${corpus.rows}`);
    return () => write(engine, bytes, columns);
  }
  const output = spec.output as RowOutput;
  const decoded = rowsOf(decodeResult(engine, bytes, output, spec.retention));
  if (decoded !== corpus.rows) throw new Error(`${spec.engine} ${spec.output} decoded ${decoded} rows of ${corpus.rows}`);
  return () => decodeResult(engine, bytes, output, spec.retention);
}

/** Runs one case in this process, on the corpus given. */
export function runCase(
  spec: CaseSpec,
  corpus: Corpus,
  target: Uint8Array,
  options: Pick<OfflineOptions, "repeats" | "engines">,
): CaseMeasure {
  const { bytes } = corpus;
  const t = timeCase(caseFunction(spec, corpus, options.engines), options.repeats, bytes, target);
  return {
    memcpySeconds: t.memcpy.seconds,
    result: {
      data: spec.shape,
      engine: spec.engine,
      output: spec.output,
      retention: spec.retention,
      rowsPerSec: corpus.rows / t.run.median,
      bestRowsPerSec: corpus.rows / t.run.best,
      bytesPerSec: bytes.length / t.run.median,
      pctOfMemcpy: t.pctOfMemcpy.median,
    },
  };
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
    measure("Arrow IPC (toArrowIPC)", () => {
      const ipc = ownIpc(engine, bytes);
      arrowBufferBytes = bodyBytes(ipc);
      return ipcRows(ipc) === rows ? new ArrowHeld(ipc, rows) : undefined;
    }),
  ];
}

/** The bytes of the Arrow buffers in the last measured stream (its record batches' bodies). */
export let arrowBufferBytes = 0;

/** A kept IPC stream, with its row count for the check above. */
class ArrowHeld {
  constructor(
    readonly ipc: Uint8Array,
    readonly length: number,
  ) {}
}
