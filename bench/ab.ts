// `npm run bench -- --ab DIR [--repeats N] [--rows N]`: this checkout's row decoding against
// another checkout's (DIR, with its node_modules), case by case, each repetition of one right
// after one of the other. Two builds compared through their ratios to JSON.parse, each measured
// in a run of its own, met different load and disagreed by more than what they compared; here
// every case runs in two Node processes (one per checkout, bench/main.ts in serve mode) that
// take turns, the first of each pair alternating, and the figure is the median over the pairs of
// the other's time ÷ this one's (above 1: this checkout is faster).
//
// The cases are the ones a change to the row engine must not slow: every columnar case and
// every case that keeps its rows, for both shapes and both engines, and the Arrow writers.

import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createInterface } from "node:readline";
import type { Shape } from "./corpus.ts";
import type { CaseSpec, Output, Retention } from "./case-spec.ts";
import { timing } from "./measure.ts";
import { SERVE_FLAG } from "./paired.ts";

export interface AbResult {
  spec: CaseSpec;
  /** Median rows per second of this checkout and of the other. */
  rowsPerSec: { here: number; there: number };
  /** Median over the pairs of the other's time ÷ this one's, with the lowest and highest pair. */
  speedup: { median: number; min: number; max: number };
}

const AB_CASES: { engine: string; output: Output; retention: Retention }[] = [
  { engine: "js", output: "columns", retention: "dropped" },
  { engine: "wasm", output: "columns", retention: "dropped" },
  { engine: "js", output: "arrays", retention: "kept" },
  { engine: "wasm", output: "arrays", retention: "kept" },
  { engine: "js", output: "objects", retention: "kept" },
  { engine: "wasm", output: "objects", retention: "kept" },
  { engine: "js", output: "arrow ipc", retention: "kept" },
  { engine: "wasm", output: "arrow ipc", retention: "kept" },
  { engine: "wasm", output: "arrow ipc chunks", retention: "kept" },
];

/** A case served by one checkout's compiled bench: one timed repetition per request. */
class CaseWorker {
  readonly #child;
  readonly #lines: AsyncIterator<string>;

  constructor(root: string, spec: CaseSpec, rows: number) {
    this.#child = spawn(
      process.execPath,
      ["--expose-gc", join(root, ".tmp/bench-build/bench/main.js"), SERVE_FLAG, JSON.stringify(spec), "--rows", String(rows)],
      { cwd: root, stdio: ["pipe", "pipe", "inherit"] },
    );
    this.#lines = createInterface({ input: this.#child.stdout! })[Symbol.asyncIterator]();
  }

  async ready(): Promise<void> {
    await this.#line();
  }

  async repetition(): Promise<number> {
    this.#child.stdin!.write("rep\n");
    return (JSON.parse(await this.#line()) as { seconds: number }).seconds;
  }

  close(): void {
    this.#child.stdin!.end();
  }

  async #line(): Promise<string> {
    const { value, done } = await this.#lines.next();
    if (done === true) throw new Error("a bench worker ended before answering (see its output above)");
    return value as string;
  }
}

/** Compiles the other checkout's bench as bench/run.mjs compiles this one's. */
export async function buildOtherBench(root: string): Promise<void> {
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "bench/tsconfig.json")], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  // A checkout with the layout enums ships them inlined; one from before them has literals.
  const inline = join(root, "scripts/inline-layout.mjs");
  if (existsSync(inline)) await (await import(pathToFileURL(inline).href)).inlineLayout(join(root, ".tmp/bench-build/src"));
}

const median = (values: number[]) => timing(values).median;

export async function abBench(
  here: string,
  there: string,
  options: { rows: number; repeats: number; log: (line: string) => void },
): Promise<AbResult[]> {
  const results: AbResult[] = [];
  for (const shape of ["numeric", "mixed"] as Shape[]) {
    for (const { engine, output, retention } of AB_CASES) {
      const spec: CaseSpec = { shape, engine, output, retention };
      const workers = [new CaseWorker(here, spec, options.rows), new CaseWorker(there, spec, options.rows)] as const;
      try {
        await Promise.all(workers.map((worker) => worker.ready()));
        const seconds: [number[], number[]] = [[], []];
        for (let i = 0; i < options.repeats; i++) {
          const order = i % 2 === 0 ? [0, 1] : [1, 0];
          for (const w of order) seconds[w]!.push(await workers[w]!.repetition());
        }
        const speedups = seconds[0].map((time, i) => seconds[1][i]! / time);
        const result: AbResult = {
          spec,
          rowsPerSec: { here: options.rows / median(seconds[0]), there: options.rows / median(seconds[1]) },
          speedup: { median: median(speedups), min: Math.min(...speedups), max: Math.max(...speedups) },
        };
        results.push(result);
        options.log(abLine(result));
      } finally {
        for (const worker of workers) worker.close();
      }
    }
  }
  return results;
}

export function abLine({ spec, rowsPerSec, speedup }: AbResult): string {
  const name = `${spec.shape} ${spec.engine} ${spec.output} ${spec.retention}`.padEnd(40);
  const mrows = (value: number) => (value / 1e6).toFixed(2).padStart(6);
  return `${name} ${mrows(rowsPerSec.here)} vs ${mrows(rowsPerSec.there)} M rows/s   ${speedup.median.toFixed(3)}× (pairs ${speedup.min.toFixed(2)}–${speedup.max.toFixed(2)})`;
}
