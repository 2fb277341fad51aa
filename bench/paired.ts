// Paired repetitions (the default offline mode). This 2-core machine runs other work at the same
// time, in bursts of seconds; a ratio of two medians measured minutes apart (a case against
// JSON.parse measured first, against go-dqlite measured last) takes whatever load each of them
// met, and two full runs disagreed by up to 2× on one ratio. Here each ratio is a median of
// pairs measured seconds apart: every repetition of a case runs right after one repetition of
// JSON.parse of the same rows and one of go-dqlite with the same retention, and each ratio is
// the median over the repetitions of reference time ÷ case time.
//
// Each case runs in a Node process of its own (so no case runs on a heap, a collector state or a
// JIT state that another case shaped: in one process the order of cases alone moved WASM
// columns between 36 and 65 M numeric rows/s), and so do the JSON.parse reference and the
// go-dqlite peer, which live for the whole shape and answer one repetition per request.

import { spawn, type ChildProcess } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import type { Shape } from "./corpus.ts";
import { timing } from "./measure.ts";
import type { CaseSpec } from "./case-spec.ts";
import type { BenchResult } from "./report.ts";

/** The flag by which main.ts serves one case's repetitions over stdin/stdout. */
export const SERVE_FLAG = "--serve";

/** One repetition as a worker reports it. */
interface Repetition {
  seconds: number;
  /** memcpy of the same bytes, timed right before (Node workers only). */
  memcpy?: number;
  rows?: number;
}

/** A child process answering one JSON line per request line, after a first {"ready"} line. */
class Worker {
  readonly #child: ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #reader: Interface;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#reader = createInterface({ input: child.stdout! });
    this.#lines = this.#reader[Symbol.asyncIterator]();
  }

  static async start(command: string, args: string[], what: string): Promise<Worker> {
    const worker = new Worker(spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] }));
    const ready = await worker.#next(what);
    if (!("ready" in ready)) throw new Error(`${what}: no ready line`);
    return worker;
  }

  async #next(what: string): Promise<Record<string, unknown>> {
    const { value, done } = await this.#lines.next();
    if (done) throw new Error(`${what}: the worker ended (status ${this.#child.exitCode})`);
    return JSON.parse(value) as Record<string, unknown>;
  }

  async repetition(request: string, what: string): Promise<Repetition> {
    this.#child.stdin!.write(`${request}\n`);
    return (await this.#next(what)) as unknown as Repetition;
  }

  close(): void {
    this.#child.stdin!.end();
    this.#reader.close();
  }
}

export interface PairedOptions {
  rows: number;
  repeats: number;
  /** The go-dqlite peer's binary and the frames file it reads, when it is measured. */
  goPeer: { binary: string; framesFile: string } | undefined;
  log: (line: string) => void;
}

/** A Node worker for one case (bench/main.ts in serve mode, with this process's flags). */
function nodeWorker(spec: CaseSpec, rows: number): Promise<Worker> {
  const args = [...process.execArgv, process.argv[1]!, SERVE_FLAG, JSON.stringify(spec), "--rows", String(rows)];
  return Worker.start(process.execPath, args, `${spec.shape} ${spec.engine} ${spec.output} ${spec.retention}`);
}

const median = (values: number[]) => timing(values).median;

/** Every case of one shape, each repetition paired with JSON.parse's and go-dqlite's. */
export async function pairedShape(
  shape: Shape,
  cases: readonly CaseSpec[],
  options: PairedOptions,
  bytes: number,
): Promise<{ results: BenchResult[]; memcpy: number[] }> {
  const { rows, repeats } = options;
  const json = await nodeWorker({ shape, engine: "JSON.parse", output: "arrays", retention: "kept" }, rows);
  const go =
    options.goPeer === undefined
      ? undefined
      : await Worker.start(options.goPeer.binary, [options.goPeer.framesFile, SERVE_FLAG], "go-dqlite");
  const jsonSeconds: number[] = [];
  const goSeconds = { kept: [] as number[], dropped: [] as number[] };
  const goVsJson = { kept: [] as number[], dropped: [] as number[] };
  const jsonVsGo: number[] = [];
  const memcpy: number[] = [];
  const results: BenchResult[] = [];
  try {
    for (const spec of cases) {
      const worker = await nodeWorker(spec, rows);
      const runs: { seconds: number; json: number; go: number | undefined; memcpy: number }[] = [];
      try {
        for (let i = 0; i < repeats; i++) {
          const reference = await json.repetition("rep", "JSON.parse");
          const peer = await go?.repetition(spec.retention === "kept" ? "kept" : "streaming", "go-dqlite");
          const own = await worker.repetition("rep", spec.engine);
          runs.push({ seconds: own.seconds, json: reference.seconds, go: peer?.seconds, memcpy: own.memcpy! });
          jsonSeconds.push(reference.seconds);
          if (peer !== undefined) {
            if (peer.rows !== rows) throw new Error(`go-dqlite decoded ${peer.rows} rows of ${rows}`);
            goSeconds[spec.retention].push(peer.seconds);
            goVsJson[spec.retention].push(reference.seconds / peer.seconds);
            if (spec.retention === "kept") jsonVsGo.push(peer.seconds / reference.seconds);
          }
          memcpy.push(own.memcpy!);
        }
      } finally {
        worker.close();
      }
      const t = timing(runs.map((run) => run.seconds));
      results.push({
        data: shape,
        engine: spec.engine,
        output: spec.output,
        retention: spec.retention,
        rowsPerSec: rows / t.median,
        bestRowsPerSec: rows / t.best,
        bytesPerSec: bytes / t.median,
        pctOfMemcpy: median(runs.map((run) => (run.memcpy / run.seconds) * 100)),
        vsJsonParse: median(runs.map((run) => run.json / run.seconds)),
        ...(go === undefined ? {} : { vsGoDqlite: median(runs.map((run) => run.go! / run.seconds)) }),
      });
    }
  } finally {
    json.close();
    go?.close();
  }
  const reference = timing(jsonSeconds);
  results.unshift({
    data: shape,
    engine: "JSON.parse",
    output: "arrays",
    retention: "kept",
    rowsPerSec: rows / reference.median,
    bestRowsPerSec: rows / reference.best,
    bytesPerSec: bytes / reference.median,
    ...(jsonVsGo.length > 0 ? { vsGoDqlite: median(jsonVsGo) } : {}),
  });
  for (const retention of ["dropped", "kept"] as const) {
    if (goSeconds[retention].length === 0) continue;
    const t = timing(goSeconds[retention]);
    results.push({
      data: shape,
      engine: "go-dqlite",
      output: "arrays",
      retention,
      rowsPerSec: rows / t.median,
      bestRowsPerSec: rows / t.best,
      bytesPerSec: bytes / t.median,
      vsJsonParse: median(goVsJson[retention]),
    });
  }
  options.log(`${shape}: ${cases.length} cases, ${repeats} paired repetitions each`);
  return { results, memcpy };
}
