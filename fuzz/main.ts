// The fuzz harness's command line:
//
//   npm run fuzz -- --seed S --count N [--quick] [--json] [--jobs J] [--start K]
//                   [--hang-ms MS] [--time-limit S] [--corpus DIR] [--no-save] [--no-minimise]
//
// Inputs [K, K + N) of seed S are split between J worker threads. A watchdog here kills a worker
// whose current input runs past 3 x the hang bound, records that input as a hang (it regenerates
// the input from its index) and starts a new worker after it; a worker that runs out of memory
// counts as an unbounded allocation the same way. Findings are minimised in the workers and
// saved as regression cases (test/corpus/regressions/ by default), a few per distinct defect.
//
// With --json the last line printed is the summary object; the exit status is 1 when any count
// is not zero.

import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { type SerializedInput, saveCase, serializeInput, signatureOf } from "./corpus.ts";
import { newInputMirror, readInput } from "./current-input.ts";
import { type Finding, type FindingKind, gravest } from "./oracles.ts";
import { repoRoot } from "./seed-pool.ts";
import type { WorkerConfig, WorkerMessage } from "./worker.ts";

interface Options {
  seed: number;
  count: number;
  start: number;
  jobs: number;
  json: boolean;
  hangMs: number;
  timeLimitSeconds: number;
  corpus: string | undefined;
  minimise: boolean;
  trackAllocations: boolean;
}

const QUICK_COUNT = 20_000;
const QUICK_TIME_LIMIT_SECONDS = 50;
/** Saved regression cases per distinct defect. */
const CASES_PER_SIGNATURE = 2;
/** Worker heap cap: an input that needs more than this is an unbounded allocation. */
const WORKER_HEAP_MB = 1536;
/** A worker builds its seed pool before its first input (a few seconds); longer means it is stuck. */
const STARTUP_LIMIT_MS = 120_000;

function usage(problem: string): never {
  process.stderr.write(
    `${problem}\nusage: npm run fuzz -- --seed S --count N [--quick] [--json] [--jobs J] [--start K] [--hang-ms MS] [--time-limit S] [--corpus DIR] [--no-save] [--no-minimise] [--no-alloc-tracker]\n`,
  );
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    seed: 1,
    count: -1,
    start: 0,
    jobs: 1,
    json: false,
    hangMs: 2000,
    timeLimitSeconds: 0,
    corpus: join(repoRoot(), "test", "corpus", "regressions"),
    minimise: true,
    trackAllocations: true,
  };
  let quick = false;
  const number = (name: string, value: string | undefined): number => {
    const parsed = Number(value);
    if (value === undefined || !Number.isSafeInteger(parsed) || parsed < 0) usage(`${name} needs a non-negative integer`);
    return parsed;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case "--seed":
        options.seed = number(arg, argv[++i]);
        break;
      case "--count":
        options.count = number(arg, argv[++i]);
        break;
      case "--start":
        options.start = number(arg, argv[++i]);
        break;
      case "--jobs":
        options.jobs = Math.max(1, number(arg, argv[++i]));
        break;
      case "--hang-ms":
        options.hangMs = number(arg, argv[++i]);
        break;
      case "--time-limit":
        options.timeLimitSeconds = number(arg, argv[++i]);
        break;
      case "--corpus":
        options.corpus = argv[++i] ?? usage("--corpus needs a folder");
        break;
      case "--no-save":
        options.corpus = undefined;
        break;
      case "--no-minimise":
        options.minimise = false;
        break;
      case "--no-alloc-tracker":
        options.trackAllocations = false;
        break;
      case "--json":
        options.json = true;
        break;
      case "--quick":
        quick = true;
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  if (options.count < 0) options.count = quick ? QUICK_COUNT : 100_000;
  if (quick && options.timeLimitSeconds === 0) options.timeLimitSeconds = QUICK_TIME_LIMIT_SECONDS;
  if (options.start + options.count > 0x7fffffff) usage("--start + --count must stay below 2^31");
  return options;
}

interface Slot {
  worker: Worker;
  progress: Int32Array;
  mirror: SharedArrayBuffer;
  /** The worker has built its pool; the hang clock runs from here. */
  ready: boolean;
  /** Next index this slot has to run, and its end. */
  to: number;
  lastDone: number;
  lastChange: number;
  from: number;
  finished: boolean;
}

class Run {
  readonly counts: Record<FindingKind, number> = { crash: 0, hang: 0, mismatch: 0, unboundedAllocation: 0 };
  readonly signatures = new Map<string, { count: number; finding: Finding; example: string }>();
  inputs = 0;
  /** Inputs with at least one finding. */
  failingInputs = 0;
  peakMemoryBytes = 0;
  private readonly started = performance.now();
  private readonly slots: Slot[] = [];
  private stopping = false;
  private resolveDone: (() => void) | undefined;

  constructor(private readonly options: Options) {}

  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  log(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  async start(): Promise<void> {
    const { start, count, jobs } = this.options;
    const per = Math.ceil(count / jobs);
    for (let j = 0; j < jobs; j++) {
      const from = start + j * per;
      const to = Math.min(start + count, from + per);
      if (from < to) this.spawn(from, to);
    }
    const watchdog = setInterval(() => this.watch(), 250);
    await new Promise<void>((resolve) => {
      this.resolveDone = resolve;
      this.checkDone();
    });
    clearInterval(watchdog);
  }

  private spawn(from: number, to: number): void {
    const shared = new SharedArrayBuffer(12);
    const progress = new Int32Array(shared);
    progress[0] = from;
    const mirror = newInputMirror();
    const config: WorkerConfig = {
      seed: this.options.seed,
      from,
      to,
      hangMs: this.options.hangMs,
      minimise: this.options.minimise,
      trackAllocations: this.options.trackAllocations,
      progress: shared,
      mirror,
    };
    const worker = new Worker(new URL("./worker.js", import.meta.url), {
      workerData: config,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    const slot: Slot = { worker, progress, mirror, ready: false, from, to, lastDone: 0, lastChange: performance.now(), finished: false };
    this.slots.push(slot);
    worker.on("message", (message: WorkerMessage) => this.onMessage(slot, message));
    worker.on("error", (error: Error & { code?: string }) => {
      if (slot.finished) return;
      const index = Atomics.load(progress, 0);
      if (!slot.ready) {
        this.abort(slot, `a worker failed before its first input: ${error.name}: ${error.message}`);
        return;
      }
      const kind: FindingKind = error.code === "ERR_WORKER_OUT_OF_MEMORY" ? "unboundedAllocation" : "crash";
      this.replace(slot, index, { kind, oracle: kind === "crash" ? "worker" : "worker heap", detail: `${error.name}: ${error.message}` });
    });
    worker.on("exit", () => {
      if (!slot.finished) {
        // Exited without "done" and without "error": only the watchdog terminates workers.
        slot.finished = true;
        this.checkDone();
      }
    });
  }

  /** A worker died on input `index`: count it, save it, and go on after it. */
  private replace(slot: Slot, index: number, finding: Finding): void {
    slot.finished = true;
    this.inputs += Atomics.load(slot.progress, 1) + 1;
    void slot.worker.terminate();
    const input = readInput(slot.mirror);
    const origin = `--seed ${this.options.seed} --start ${index} --count 1`;
    const recorded =
      input !== undefined ? serializeInput(input) : { side: "response" as const, legacy: false, allowInternal: false, splits: [], hex: "" };
    this.record(index, origin, [finding], recorded, undefined);
    if (index + 1 < slot.to && !this.stopping) this.spawn(index + 1, slot.to);
    this.checkDone();
  }

  private watch(): void {
    const now = performance.now();
    const limit = this.options.timeLimitSeconds;
    if (limit > 0 && this.seconds > limit && !this.stopping) {
      this.stopping = true;
      this.log(`time limit of ${limit} s reached: stopping after the current inputs`);
      for (const slot of this.slots) Atomics.store(slot.progress, 2, 1);
    }
    for (const slot of this.slots) {
      if (slot.finished) continue;
      if (!slot.ready) {
        const startupLimit = limit > 0 ? Math.min(STARTUP_LIMIT_MS, limit * 1000) : STARTUP_LIMIT_MS;
        if (now - slot.lastChange > startupLimit)
          this.abort(slot, `a worker did not finish building its seed pool within ${startupLimit / 1000} s`);
        continue;
      }
      const done = Atomics.load(slot.progress, 1);
      if (done !== slot.lastDone) {
        slot.lastDone = done;
        slot.lastChange = now;
      } else if (now - slot.lastChange > 3 * this.options.hangMs + 1000) {
        const index = Atomics.load(slot.progress, 0);
        this.replace(slot, index, {
          kind: "hang",
          oracle: "watchdog",
          detail: `no progress for ${Math.round(now - slot.lastChange)} ms; the worker was killed`,
        });
      }
    }
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    if (message.type === "ready") {
      slot.ready = true;
      slot.lastChange = performance.now();
      if (this.slots.indexOf(slot) === 0) this.log(`pool: ${message.pool} seeds, ${message.systematic} systematic mutations`);
    } else if (message.type === "finding") {
      this.record(message.index, message.origin, message.findings, message.input, message.minimised);
    } else {
      slot.finished = true;
      this.inputs += message.done;
      this.peakMemoryBytes = Math.max(this.peakMemoryBytes, message.peakMemoryBytes);
      this.checkDone();
    }
  }

  private record(index: number, origin: string, findings: Finding[], input: SerializedInput, minimised: SerializedInput | undefined): void {
    const kinds = new Set(findings.map((finding) => finding.kind));
    for (const kind of kinds) this.counts[kind]++;
    this.failingInputs++;
    const unique = new Map(findings.map((finding) => [signatureOf(finding), finding]));
    for (const [signature, finding] of unique) {
      const seen = this.signatures.get(signature);
      if (seen !== undefined) {
        seen.count++;
        continue;
      }
      this.signatures.set(signature, { count: 1, finding, example: `input ${index} (${origin})` });
      this.log(
        `${finding.kind}: ${finding.oracle}: ${finding.detail}\n  input ${index}: ${origin}\n  hex ${(minimised ?? input).hex.slice(0, 200)}`,
      );
    }
    const first = gravest(findings)!;
    if (this.options.corpus !== undefined && (this.signatures.get(signatureOf(first))?.count ?? 0) <= CASES_PER_SIGNATURE) {
      const file = saveCase(this.options.corpus, {
        ...(minimised ?? input),
        finding: first,
        origin,
        run: { seed: this.options.seed, index },
        ...(minimised !== undefined ? { originalHex: input.hex } : {}),
      });
      this.log(`  saved ${file}`);
    }
  }

  /** Inputs checked so far, finished workers and running ones. */
  get progressCount(): number {
    let running = 0;
    for (const slot of this.slots) if (!slot.finished) running += Atomics.load(slot.progress, 1);
    return this.inputs + running;
  }

  /** The harness itself cannot go on (not an input's fault): counted as a crash, run stopped. */
  private abort(slot: Slot, why: string): void {
    this.log(`harness failure: ${why}`);
    this.counts.crash++;
    slot.finished = true;
    this.stopping = true;
    for (const other of this.slots) {
      Atomics.store(other.progress, 2, 1);
      if (!other.ready && !other.finished) {
        other.finished = true;
        void other.worker.terminate();
      }
    }
    void slot.worker.terminate();
    this.checkDone();
  }

  private checkDone(): void {
    if (this.slots.every((slot) => slot.finished)) this.resolveDone?.();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const run = new Run(options);
  run.log(`fuzz: seed ${options.seed}, inputs ${options.start}..${options.start + options.count - 1}, ${options.jobs} worker(s)`);
  const progress = setInterval(
    () =>
      run.log(
        `… ${run.seconds.toFixed(0)} s, ${run.progressCount} inputs, ${run.counts.crash + run.counts.hang + run.counts.mismatch + run.counts.unboundedAllocation} failing`,
      ),
    30_000,
  );
  await run.start();
  clearInterval(progress);
  const summary = {
    inputs: run.inputs,
    crashes: run.counts.crash,
    hangs: run.counts.hang,
    mismatches: run.counts.mismatch,
    unboundedAllocations: run.counts.unboundedAllocation,
    seconds: Math.round(run.seconds * 10) / 10,
  };
  run.log(`distinct findings: ${run.signatures.size}`);
  for (const [signature, { count, example }] of run.signatures) run.log(`  ${count} x ${signature}\n      e.g. ${example}`);
  if (run.peakMemoryBytes > 0) run.log(`peak worker RSS: ${(run.peakMemoryBytes / 1048576).toFixed(0)} MiB`);
  // "N passed, N failed" (inputs without and with findings) is the closing line test runners read;
  // with --json it goes to stderr and the summary object is the last line on stdout.
  const passed = Math.max(0, summary.inputs - run.failingInputs);
  const closing = `fuzz: ${passed} passed, ${run.failingInputs} failed in ${summary.seconds} s (${summary.crashes} crashes, ${summary.hangs} hangs, ${summary.mismatches} mismatches, ${summary.unboundedAllocations} unbounded allocations)\n`;
  if (options.json) {
    process.stderr.write(closing);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else process.stdout.write(closing);
  const clean = summary.crashes + summary.hangs + summary.mismatches + summary.unboundedAllocations === 0;
  process.exitCode = clean ? 0 : 1;
}

await main();
