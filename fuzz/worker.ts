// A fuzz worker: runs inputs [from, to) of a run through every oracle and reports findings to
// the main thread. Progress goes through shared memory, so the main thread's watchdog can see a
// stuck input and name it even while this thread is busy in a loop that never returns.

import { parentPort, workerData } from "node:worker_threads";
import { installAllocationTracker } from "./alloc-tracker.ts";
import { serializeInput, signatureOf } from "./corpus.ts";
import { writeInput } from "./current-input.ts";
import { makeInput } from "./generate.ts";
import { minimise } from "./minimise.ts";
import { type Finding, checkInput, gravest, prepareEnvironment } from "./oracles.ts";
import { buildPool } from "./seed-pool.ts";

export interface WorkerConfig {
  seed: number;
  from: number;
  to: number;
  /** An input taking longer than this is reported as a hang (the watchdog kills at 3x). */
  hangMs: number;
  minimise: boolean;
  trackAllocations: boolean;
  /** [0] index being checked, [1] inputs done, [2] stop flag (set by the main thread). */
  progress: SharedArrayBuffer;
  /** The input being checked (current-input.ts). */
  mirror: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: "ready"; pool: number; systematic: number }
  | {
      type: "finding";
      index: number;
      origin: string;
      findings: Finding[];
      input: ReturnType<typeof serializeInput>;
      minimised?: ReturnType<typeof serializeInput>;
    }
  | { type: "done"; done: number; peakMemoryBytes: number };

/** Memory held after a batch may grow by at most this much over the warm baseline. */
const MEMORY_GROWTH_LIMIT_BYTES = 256 * 1024 * 1024;
const MEMORY_CHECK_EVERY = 2000;

function heldBytes(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

function run(config: WorkerConfig): void {
  const port = parentPort!;
  const progress = new Int32Array(config.progress);
  if (config.trackAllocations) installAllocationTracker();
  prepareEnvironment();
  const pool = buildPool(config.seed);
  port.postMessage({ type: "ready", pool: pool.entries.length, systematic: pool.systematic.length } satisfies WorkerMessage);

  const minimised = new Set<string>();
  let baseline: number | undefined;
  let peak = 0;
  let memoryReported = false;
  let done = 0;
  for (let index = config.from; index < config.to; index++) {
    if (Atomics.load(progress, 2) !== 0) break;
    Atomics.store(progress, 0, index);
    const { input, origin } = makeInput(pool, config.seed, index);
    writeInput(config.mirror, input);
    const started = performance.now();
    const findings = checkInput(input);
    const took = performance.now() - started;
    if (took > config.hangMs)
      findings.push({ kind: "hang", oracle: "time bound", detail: `one input took ${Math.round(took)} ms (bound ${config.hangMs} ms)` });

    if ((done + 1) % MEMORY_CHECK_EVERY === 0) {
      const held = heldBytes();
      peak = Math.max(peak, process.memoryUsage().rss);
      if (baseline === undefined) baseline = held;
      else if (held - baseline > MEMORY_GROWTH_LIMIT_BYTES && !memoryReported) {
        memoryReported = true;
        findings.push({
          kind: "unboundedAllocation",
          oracle: "memory growth",
          detail: `held memory grew by ${held - baseline} bytes over ${done} inputs`,
        });
      }
    }

    if (findings.length > 0) {
      const message: WorkerMessage = { type: "finding", index, origin, findings, input: serializeInput(input) };
      const first = gravest(findings.filter((finding) => finding.kind !== "hang" && finding.oracle !== "memory growth"));
      if (config.minimise && first !== undefined && !minimised.has(signatureOf(first))) {
        minimised.add(signatureOf(first));
        message.minimised = serializeInput(minimise(input, first));
      }
      port.postMessage(message);
    }
    done++;
    Atomics.store(progress, 1, done);
  }
  port.postMessage({ type: "done", done, peakMemoryBytes: peak } satisfies WorkerMessage);
}

run(workerData as WorkerConfig);
