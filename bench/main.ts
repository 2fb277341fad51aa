// `npm run bench` (bench/run.mjs compiles this and starts it with --expose-gc). Flags:
//   --quick       fewer repetitions (3 instead of 7, live and offline), same data: 1M rows per shape
//   --json        last line: {"machine","memcpy","results":[…],"heap":[…]} (see report.ts)
//   --live        also a real dqlite node: each user path as % of the raw drain
//   --node V      the live and proxy sections' node: 1.11 (dqlite-demo, the default) or 1.18
//   --live-only   only the live section
//   --proxy       also the transparent proxy: 1M rows read through it against the same read straight
//   --proxy-only  only the proxy section
//   --concurrency callers sharing one client (1, 4, 16, 64) beside go-dqlite's database/sql pool:
//                 point reads, writes, a 90/10 mix, a read during a transaction (--concurrency-only:
//                 only that; --callers 1,16 and --workloads reads,writes,mixed,read-in-tx to
//                 choose; --pool-max N and --pipeline N for the client's pool)
//   --no-go       leave go-dqlite out (it runs when Go and go-dqlite's sources are installed)
//   --simd        add the SIMD build of the WebAssembly engine
//   --no-rss      leave out the 10M-row streaming memory check
//   --rows N      rows per result (default 1,000,000)
//   --in-process  every offline case in this one process, one after another, instead of the
//                 default: each case in a Node process of its own, every repetition paired with
//                 one of JSON.parse and one of go-dqlite (bench/paired.ts); the live and proxy
//                 sections are unchanged
//   --v8=FLAG     (bench/run.mjs) a V8 flag for the benchmark's Node, e.g. --v8=--max-semi-space-size=64
//   --import-cost only the cold import of each entry point and the command line, beside `node -e ''`
//                 (bench/import-cost.ts; --runs N processes per case, 5 by default; --json; --root DIR
//                 measures another checkout's dist/ as it is, beside this one's, in the same rounds)
//   --latency     one caller's point read through the client beside the same read over a bare
//                 socket with the codec and through go-dqlite, on one node (bench/latency.ts;
//                 --node 1.18; --json)
//   --ab DIR      this checkout's row decoding against another checkout's (DIR), each case's
//                 repetitions alternating between the two (bench/ab.ts; --repeats N pairs, 15 by
//                 default; --rows N; --json)

import { mkdirSync } from "node:fs";
import { arch, cpus, totalmem } from "node:os";
import { argv } from "node:process";
import { fileURLToPath } from "node:url";
import type { RowEngine } from "../src/rows/engine.ts";
import { initRowEngine, loadedWasmEngine, simdSupported } from "../src/rows/wasm-loader.ts";
import { wasmByteLength } from "../src/generated/rows-wasm-scalar.ts";
import { buildCorpus } from "./corpus.ts";
import { type BenchNodeVersion, benchNodeVersion } from "./bench-node.ts";
import { type ConcurrencyResult, type Workload, concurrencyBench } from "./concurrency.ts";
import { buildGoPeer } from "./go-peer.ts";
import { POOL_DEFAULTS } from "../src/client/pool.ts";
import { liveBench } from "./live.ts";
import { type ProxyBenchResult, proxyBench } from "./proxy.ts";
import type { CaseSpec } from "./case-spec.ts";
import { arrowBufferBytes, caseFunction, keptHeap, offlineShape } from "./offline.ts";
import { SERVE_FLAG } from "./paired.ts";
import { collect, memcpySeconds, timeOnce } from "./measure.ts";
import { createInterface } from "node:readline";
import { abBench, buildOtherBench } from "./ab.ts";
import { importCost, importCostTable } from "./import-cost.ts";
import { latencyBench, latencyTable } from "./latency.ts";
import { type BenchResult, liveTable, offlineTable } from "./report.ts";
import { streamPeakRss } from "./rss.ts";

interface Options {
  quick: boolean;
  json: boolean;
  live: boolean;
  liveOnly: boolean;
  go: boolean;
  simd: boolean;
  rss: boolean;
  proxy: boolean;
  rows: number;
  isolate: boolean;
  node: BenchNodeVersion;
  concurrency: boolean;
  callers: number[];
  poolMax: number;
  pipeline: number;
  workloads: Workload[] | undefined;
}

function parseArgs(args: string[]): Options {
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  return {
    quick: args.includes("--quick"),
    json: args.includes("--json"),
    live: args.includes("--live") || args.includes("--live-only"),
    liveOnly: args.includes("--live-only") || args.includes("--proxy-only") || args.includes("--concurrency-only"),
    go: !args.includes("--no-go"),
    simd: args.includes("--simd"),
    rss: !args.includes("--no-rss"),
    proxy: args.includes("--proxy") || args.includes("--proxy-only"),
    concurrency: args.includes("--concurrency") || args.includes("--concurrency-only"),
    callers: (args.includes("--callers") ? args[args.indexOf("--callers") + 1]! : "1,4,16,64").split(",").map(Number),
    poolMax: value("--pool-max") ?? POOL_DEFAULTS.max,
    pipeline: value("--pipeline") ?? POOL_DEFAULTS.pipeline,
    workloads: args.includes("--workloads") ? (args[args.indexOf("--workloads") + 1]!.split(",") as Workload[]) : undefined,
    rows: value("--rows") ?? 1_000_000,
    isolate: !args.includes("--in-process"),
    node: benchNodeVersion(args),
  };
}

/** The engine a case names, made in this process. */
async function engineNamed(name: string): Promise<RowEngine | "js"> {
  if (name === "js" || name === "JSON.parse") return "js";
  const simd = name === "wasm-simd";
  await initRowEngine({ simd });
  return loadedWasmEngine()!;
}

/**
 * Worker mode (`--serve SPEC`, see paired.ts): builds one case's data in this fresh process, warms
 * the case up, then answers each line of stdin with one repetition as a JSON line: the seconds
 * of one run (back to back for 200 ms on a collected heap) and memcpy of the same bytes right
 * before it.
 */
async function serveCase(args: string[]): Promise<void> {
  const spec = JSON.parse(args[args.indexOf(SERVE_FLAG) + 1]!) as CaseSpec;
  const corpus = buildCorpus(spec.shape, Number(args[args.indexOf("--rows") + 1]));
  const engines: [string, RowEngine | "js"][] = [[spec.engine, await engineNamed(spec.engine)]];
  const fn = caseFunction(spec, corpus, engines);
  const target = new Uint8Array(corpus.bytes.length);
  timeOnce(fn, 0.3); // warm-up: compiled code and the engine's memory in place
  collect();
  console.log(JSON.stringify({ ready: true }));
  for await (const _line of createInterface({ input: process.stdin })) {
    const memcpy = memcpySeconds(corpus.bytes, target);
    const seconds = timeOnce(fn);
    // Finish this process's collector work (concurrent marking and sweeping after a large
    // case) before answering, so that it does not run on the other core while the next process
    // is timed.
    collect();
    collect();
    console.log(JSON.stringify({ seconds, memcpy }));
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function main(options: Options): Promise<void> {
  // Compiled to .tmp/bench-build/bench/main.js: the project root is three folders up.
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  const log = (line: string) => console.log(line);
  const repeats = options.quick ? 3 : 7;
  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${arch()}, Node ${process.versions.node}`;
  const flags = process.execArgv.filter((flag) => flag !== "--expose-gc");
  log(`machine: ${machine}${flags.length > 0 ? `; V8 flags: ${flags.join(" ")}` : ""}`);
  log(
    `row engines: ${options.rows.toLocaleString("en-US")} rows per result, ${repeats} repetitions per case (median and best), wasm module ${wasmByteLength} B` +
      (options.isolate ? "; each offline case in a Node process of its own" : "; every offline case in this process (--in-process)"),
  );

  const results: BenchResult[] = [];
  const memcpy: Record<string, number> = {};
  let heap: ReturnType<typeof keptHeap> = [];
  if (!options.liveOnly) {
    await initRowEngine();
    const engines: [string, RowEngine | "js"][] = [
      ["js", "js"],
      ["wasm", loadedWasmEngine()!],
    ];
    if (options.simd && simdSupported()) {
      await initRowEngine({ simd: true });
      engines.push(["wasm-simd", loadedWasmEngine()!]);
    }
    const goPeer = options.go ? buildGoPeer(root) : { skipped: "--no-go" };
    log(
      "skipped" in goPeer
        ? `go-dqlite: not measured (${goPeer.skipped})`
        : `go-dqlite: ${goPeer.binary} (its internal/protocol decoder, Debian's sources)`,
    );
    const framesDir = `${root}.tmp/bench-frames`;
    mkdirSync(framesDir, { recursive: true });
    for (const shape of ["numeric", "mixed"] as const) {
      const offline = await offlineShape(shape, { rows: options.rows, repeats, engines, isolate: options.isolate, goPeer, framesDir, log });
      results.push(...offline.results);
      memcpy[shape] = offline.memcpyBytesPerSec;
      log(`${shape}: memcpy ${(offline.memcpyBytesPerSec / 1e9).toFixed(1)} GB/s (median, timed before every repetition)`);
    }
    log("");
    offlineTable(results, log);

    heap = keptHeap(engines[1]![1] as RowEngine, options.rows);
    log(`\nheap held by ${options.rows.toLocaleString("en-US")} mixed rows kept (after a full GC):`);
    for (const h of heap)
      log(`  ${h.case.padEnd(40)} heap ${mib(h.heapBytes).padStart(10)}   external ${mib(h.externalBytes).padStart(9)}`);
    const arrowHeld = heap.find((h) => h.case.startsWith("Arrow"));
    const jsonHeld = heap.find((h) => h.case === "JSON.parse");
    if (arrowHeld !== undefined && jsonHeld !== undefined) {
      const held = arrowHeld.heapBytes + arrowHeld.externalBytes;
      log(
        `  the Arrow result holds ${mib(held)} (heap + external): ${(held / arrowBufferBytes).toFixed(2)}× its Arrow buffers (${mib(arrowBufferBytes)}), ` +
          `${(held / (jsonHeld.heapBytes + jsonHeld.externalBytes)).toFixed(2)}× JSON.parse's`,
      );
    }

    if (options.rss) {
      const rssRows = options.quick ? 1_000_000 : 10_000_000;
      for (const shape of ["numeric", "mixed"] as const) {
        const rss = await streamPeakRss(shape, rssRows);
        log(
          `streaming ${rssRows.toLocaleString("en-US")} ${shape} rows through columnar batches (${rss.engine}): peak RSS growth ${mib(rss.peakGrowthBytes)} (${rss.seconds.toFixed(2)} s)`,
        );
      }
    }
  }

  if (options.live) {
    const live = await liveBench(options.rows, options.quick ? 3 : 7, log, options.node);
    liveTable(live, log);
    results.push(...live);
  }

  let proxy: ProxyBenchResult[] = [];
  if (options.proxy) proxy = await proxyBench(options.rows, options.quick ? 3 : 5, log, options.node);

  let concurrency: ConcurrencyResult[] = [];
  if (options.concurrency) {
    concurrency = await concurrencyBench(root, {
      callers: options.callers,
      repeats: options.quick ? 1 : 3,
      warmupMs: 1_000,
      durationMs: options.quick ? 2_000 : 4_000,
      rows: 10_000,
      node: options.node,
      pool: { max: options.poolMax, pipeline: options.pipeline },
      ...(options.workloads !== undefined ? { workloads: options.workloads } : {}),
      log,
    });
  }

  if (options.json)
    console.log(
      JSON.stringify({
        machine,
        node: options.node,
        v8Flags: flags,
        offlineIsolated: options.isolate,
        memcpy,
        results,
        heap,
        proxy,
        concurrency,
      }),
    );
}

const args = argv.slice(2);
if (args.includes(SERVE_FLAG)) await serveCase(args);
else if (args.includes("--import-cost")) {
  const runs = args.includes("--runs") ? Number(args[args.indexOf("--runs") + 1]) : 5;
  const other = args.includes("--root") ? args[args.indexOf("--root") + 1]! : undefined;
  const [cases, compared] = importCost(
    [fileURLToPath(new URL("../../../", import.meta.url)), ...(other === undefined ? [] : [other])],
    runs,
  );
  console.log(importCostTable(cases!));
  if (compared !== undefined) console.log(`\n${other}:\n${importCostTable(compared)}`);
  if (args.includes("--json"))
    console.log(
      JSON.stringify({ importCost: cases, ...(compared === undefined ? {} : { compared: { root: other, importCost: compared } }) }),
    );
} else if (args.includes("--latency")) {
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  const results = await latencyBench({ root, node: benchNodeVersion(args), reads: 2000, blocks: 6, log: (line) => console.log(line) });
  console.log(latencyTable(results));
  if (args.includes("--json")) console.log(JSON.stringify({ latency: results }));
} else if (args.includes("--ab")) {
  const other = args[args.indexOf("--ab") + 1]!;
  const here = fileURLToPath(new URL("../../../", import.meta.url));
  const rows = args.includes("--rows") ? Number(args[args.indexOf("--rows") + 1]) : 1_000_000;
  const repeats = args.includes("--repeats") ? Number(args[args.indexOf("--repeats") + 1]) : 15;
  await buildOtherBench(other);
  console.log(`${here} vs ${other}: ${rows.toLocaleString("en-US")} rows, ${repeats} pairs per case, median of other ÷ this time:`);
  const results = await abBench(here, other, { rows, repeats, log: (line) => console.log(line) });
  if (args.includes("--json")) console.log(JSON.stringify({ ab: { other, rows, repeats, results } }));
} else await main(parseArgs(args));
