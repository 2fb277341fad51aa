// The row-engine benchmark: the same bytes through memcpy (the ceiling), JSON.parse of the same
// rows as JSON (what an HTTP/JSON API costs), and every engine × output. Prints a table; with
// --json the last line is one JSON object. --quick keeps the run under a minute.
// Other flags: --rows N, --batch-bytes N (default 256 KiB), --rss-rows N, --no-rss,
// --live (a real dqlite-demo node: decode vs raw drain), --live-only.
//
// Measurements use mitata's `measure` (warm-up, many samples; the median is reported). memcpy is
// measured again right before every case and each case's "% memcpy" uses that neighbour, so a
// machine whose load drifts during the run still gives fair ratios.

import { do_not_optimize, measure } from "mitata";
import { arch, cpus, totalmem } from "node:os";
import type { RowEngine } from "../src/rows/engine.ts";
import { ResultReader } from "../src/rows/result-reader.ts";
import { createWasmEngineSync, simdSupported } from "../src/rows/wasm-engine.ts";
import { wasmByteLength as scalarBytes } from "../src/generated/rows-wasm-scalar.ts";
import { wasmByteLength as simdBytes } from "../src/generated/rows-wasm-simd.ts";
import { type Corpus, type Shape, buildCorpus, corpusJson } from "./corpus.ts";
import { streamPeakRss } from "./rss.ts";
import { type LiveSession, liveBench } from "./live.ts";
import { connect } from "../src/client/index.ts";

type Output = "columns" | "arrays" | "objects";
const OUTPUTS: Output[] = ["columns", "arrays", "objects"];
const SHAPES: Shape[] = ["numeric", "mixed"];

export interface ResultRow {
  data: Shape;
  engine: string;
  output: string;
  rowsPerSec: number;
  bytesPerSec: number;
}

interface Options {
  quick: boolean;
  json: boolean;
  rows: number;
  batchBytes: number;
  rssRows: number;
  live: boolean;
  skipRss: boolean;
  skipSynthetic: boolean;
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes("--quick");
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  return {
    quick,
    json: argv.includes("--json"),
    rows: value("--rows") ?? (quick ? 100_000 : 1_000_000),
    batchBytes: value("--batch-bytes") ?? 256 * 1024,
    rssRows: value("--rss-rows") ?? (quick ? 1_000_000 : 10_000_000),
    live: argv.includes("--live"),
    skipRss: argv.includes("--no-rss"),
    skipSynthetic: argv.includes("--live-only"),
  };
}

/** Decodes a whole corpus in batches of `batchBytes` (zero-copy views, as a socket reader would). */
export function decodeAll(engine: RowEngine | "js", bytes: Uint8Array, output: Output, batchBytes: number): number {
  const reader = new ResultReader({ engine });
  let at = 0;
  let rows = 0;
  for (;;) {
    const step = reader.read(bytes.subarray(at, Math.min(bytes.length, at + batchBytes)));
    if (step.consumed === 0) throw new Error(`batch of ${batchBytes} bytes holds no whole frame at ${at}`);
    at += step.consumed;
    const batch = step.batch;
    if (batch !== undefined) {
      rows += batch.rowCount;
      if (output === "arrays") do_not_optimize(batch.arrays());
      else if (output === "objects") do_not_optimize(batch.objects());
      else for (let c = 0; c < batch.columns.length; c++) do_not_optimize(batch.column(c));
    }
    if (step.state !== "more") return rows;
  }
}

/** Collects garbage when Node runs with --expose-gc (bench/run.mjs does). */
export function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function meanSeconds(fn: () => unknown, quick: boolean): Promise<number> {
  collect();
  const stats = await measure(fn, {
    min_samples: quick ? 3 : 6,
    min_cpu_time: (quick ? 150 : 1500) * 1e6,
    warmup_samples: 2,
  });
  // mitata's sink keeps the last result alive: drop it, or a retained 1M-row JSON.parse result
  // makes every later full GC (which ArrayBuffer allocations trigger) trace it.
  do_not_optimize(null);
  collect();
  return stats.p50 / 1e9;
}

/** The session layer as the live bench uses it: QUERY_SQL through `Database.query`, raw batches. */
async function openSession(address: string): Promise<LiveSession> {
  const client = await connect({ addresses: [address] });
  const db = await client.open("bench");
  return {
    async *query(sql: string) {
      for await (const batch of db.query(sql, [], { rowMode: "batch" })) yield batch.raw!;
    },
    close: () => client.close(),
  };
}

const fmt = (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function main(argv: string[]): Promise<void> {
  const options = parseArgs(argv);
  const log = (line: string) => console.log(line);
  const engines: [string, RowEngine | "js"][] = [
    ["js", "js"],
    ["wasm", createWasmEngineSync({ simd: false })],
  ];
  if (simdSupported()) engines.push(["wasm-simd", createWasmEngineSync({ simd: true })]);

  const cpu = cpus()[0]?.model ?? "unknown CPU";
  log(`row engines: ${options.rows.toLocaleString("en-US")} rows per result, batches of ${options.batchBytes} bytes`);
  log(`machine: ${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${arch()}, Node ${process.versions.node}`);
  log(`wasm module: ${scalarBytes} B scalar, ${simdBytes} B simd`);

  const memcpy: Record<string, number> = {};
  const results: ResultRow[] = [];
  const table: string[][] = [];

  for (const shape of options.skipSynthetic ? [] : SHAPES) {
    const corpus: Corpus = buildCorpus(shape, options.rows);
    const bytes = corpus.bytes;
    const per = (seconds: number) => ({ rowsPerSec: corpus.rows / seconds, bytesPerSec: bytes.length / seconds });
    log(`\n${shape}: ${corpus.frames} frames, ${fmt(bytes.length / 2 ** 20)} MiB, ${fmt(bytes.length / corpus.frames, 0)} B/frame`);

    const target = new Uint8Array(bytes.length);
    const copies: number[] = [];
    const copyTime = async () => {
      const seconds = await meanSeconds(() => target.set(bytes), options.quick);
      copies.push(seconds);
      return seconds;
    };
    const addCase = async (engine: string, output: string, fn: () => unknown) => {
      const copySeconds = await copyTime();
      const seconds = await meanSeconds(fn, options.quick);
      const row = { data: shape, engine, output, ...per(seconds) };
      results.push(row);
      table.push([shape, engine, output, fmt(row.rowsPerSec / 1e6, 2), fmt(row.bytesPerSec / 1e6, 0), fmt((copySeconds / seconds) * 100, 2)]);
    };

    const json = corpusJson(shape, corpus.rows);
    await addCase("JSON.parse", "arrays", () => do_not_optimize(JSON.parse(json)));
    for (const [name, engine] of engines) {
      const decoded = decodeAll(engine, bytes, "columns", options.batchBytes);
      if (decoded !== corpus.rows) throw new Error(`${name} decoded ${decoded} rows of ${corpus.rows}`);
      for (const output of OUTPUTS) await addCase(name, output, () => decodeAll(engine, bytes, output, options.batchBytes));
    }
    const copySeconds = [...copies].sort((a, b) => a - b)[copies.length >> 1]!;
    memcpy[shape] = bytes.length / copySeconds;
    table.splice(table.length - copies.length, 0, [shape, "memcpy", "(median)", fmt(corpus.rows / copySeconds / 1e6, 2), fmt(bytes.length / copySeconds / 1e6, 0), "100.0"]);
  }

  if (table.length > 0) {
    const headers = ["data", "engine", "output", "Mrows/s", "MB/s", "% memcpy"];
    const widths = headers.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    log("");
    log(headers.map((h, i) => h.padEnd(widths[i]!)).join("  "));
    for (const row of table) log(row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "));
  }

  for (const shape of options.skipRss ? [] : SHAPES) {
    const rss = await streamPeakRss(shape, options.rssRows, options.batchBytes);
    log(
      `\nstreaming ${options.rssRows.toLocaleString("en-US")} ${shape} rows through columnar batches (${rss.engine}): ` +
        `peak RSS growth ${fmt(rss.peakGrowthBytes / 2 ** 20)} MiB (${fmt(rss.seconds, 2)} s, ${rss.frames} frames)`,
    );
  }

  if (options.live) {
    const live = await liveBench(options.rows, { openSession });
    for (const line of live.lines) log(line);
    results.push(...live.results);
  }

  if (options.json) console.log(JSON.stringify({ memcpy, results }));
}
