// Callers at once (`npm run bench -- --concurrency`): a server application's load on one client
// (its pool), beside go-dqlite's database/sql driver (its pool, bench/go-pool/main.go) on the same
// node and tables, run alternately in the same process run. Workloads: point reads by primary key,
// single-row writes, a 90/10 mix, and a point read issued while another caller's 10-write
// transaction is open. For each: operations per second, latency p50 and p99 of the operations
// that succeeded, and the errors callers got; medians of the repetitions.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "../src/client/index.ts";
import type { Database } from "../src/client/database.ts";
import { type BenchNodeVersion, describeBenchNode, startBenchNode } from "./bench-node.ts";

export type Workload = "reads" | "writes" | "mixed" | "read-in-tx";

export interface ConcurrencyResult {
  engine: string;
  workload: Workload;
  callers: number;
  opsPerSec: number;
  p50us: number;
  p99us: number;
  errors: number;
  /** Writes that succeeded, per second (mixed: beside the total, since failed writes free a caller at once). */
  writesPerSec?: number;
  errorSample?: string;
  /** read-in-tx: the transaction's own duration (p50), to set the read's latency against. */
  txUs?: number;
}

export interface ConcurrencyOptions {
  callers: readonly number[];
  repeats: number;
  warmupMs: number;
  durationMs: number;
  rows: number;
  node: BenchNodeVersion;
  /** The pool options of dqlite-wire's client. */
  pool: { max: number; pipeline?: number };
  /** The workloads to run (all by default). */
  workloads?: readonly Workload[];
  log: (line: string) => void;
}

const GO_DQLITE = "/usr/share/gocode/src/github.com/canonical/go-dqlite";

/** Builds bench/go-pool (when its source is newer than the binary): its path, or why it cannot be built here. */
export function buildGoPool(root: string): { binary: string } | { skipped: string } {
  if (!existsSync(join(GO_DQLITE, "driver/driver.go")))
    return { skipped: "no go-dqlite sources (apt-get install golang-github-canonical-go-dqlite-dev)" };
  const dir = join(root, ".tmp/go-pool");
  const binary = join(dir, "go-pool");
  const main = join(root, "bench/go-pool/main.go");
  if (existsSync(binary) && statSync(binary).mtimeMs > statSync(main).mtimeMs) return { binary };
  mkdirSync(dir, { recursive: true });
  copyFileSync(main, join(dir, "main.go"));
  try {
    execFileSync("go", ["build", "-o", binary, "."], {
      cwd: dir,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, CGO_ENABLED: "0", GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOCACHE: join(root, ".tmp/go-cache") },
    });
  } catch (error) {
    return { skipped: `go build failed: ${(error as Error).message}` };
  }
  return { binary };
}

export async function concurrencyBench(root: string, options: ConcurrencyOptions): Promise<ConcurrencyResult[]> {
  const { log } = options;
  const go = buildGoPool(root);
  log(
    `\nconcurrency: callers sharing one client, against ${describeBenchNode(options.node)} on 127.0.0.1; ` +
      `${options.warmupMs} ms warm-up, then ${options.durationMs} ms, ${options.repeats} repetition(s), medians; ` +
      `dqlite-wire pool max ${options.pool.max}, pipeline ${options.pool.pipeline ?? "default"}; go-dqlite database/sql with MaxIdleConns = callers` +
      ("skipped" in go ? ` (go-dqlite left out: ${go.skipped})` : ""),
  );
  const node = await startBenchNode(options.node);
  const client = await connect({ addresses: node.address, pool: options.pool, timeoutMs: 30_000 });
  const results: ConcurrencyResult[] = [];
  try {
    const db = await client.open("bench");
    await prepareTables(db, options.rows);
    const wanted = new Set<Workload>(options.workloads ?? ["reads", "writes", "mixed", "read-in-tx"]);
    const plan: [Workload, number][] = [];
    for (const workload of ["reads", "writes", "mixed"] as const) {
      if (wanted.has(workload)) for (const callers of options.callers) plan.push([workload, callers]);
    }
    if (wanted.has("read-in-tx")) plan.push(["read-in-tx", 2]);
    for (const [workload, callers] of plan) {
      const ours: ConcurrencyResult[] = [];
      const theirs: ConcurrencyResult[] = [];
      for (let repeat = 0; repeat < options.repeats; repeat++) {
        ours.push(await runOurs(db, workload, callers, options));
        if ("binary" in go) theirs.push(runTheirs(go.binary, node.address, workload, callers, options));
      }
      for (const measured of [ours, theirs]) {
        if (measured.length === 0) continue;
        const median = medianOf(measured);
        results.push(median);
        log(describeResult(median));
      }
    }
  } finally {
    await client.close();
    await node.stop();
  }
  return results;
}

async function prepareTables(db: Database, rows: number): Promise<void> {
  await db.exec("CREATE TABLE IF NOT EXISTS kv (k INTEGER PRIMARY KEY, v TEXT)");
  await db.exec("CREATE TABLE IF NOT EXISTS w (id INTEGER PRIMARY KEY, caller INTEGER, n INTEGER)");
  await db.exec(
    `INSERT OR IGNORE INTO kv WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows}) SELECT i, 'value ' || i FROM n`,
  );
}

/** One workload on dqlite-wire's client: `callers` async loops sharing it. */
async function runOurs(db: Database, workload: Workload, callers: number, options: ConcurrencyOptions): Promise<ConcurrencyResult> {
  if (workload === "read-in-tx") return readInTransaction(db, options);
  const latencies: number[] = [];
  let errors = 0;
  let writes = 0;
  let errorSample: string | undefined;
  let timing = false;
  let stop = false;
  const loops = Array.from({ length: callers }, async (_, caller) => {
    let seed = caller + 1;
    for (let n = 0; !stop; n++) {
      const write = workload === "writes" || (workload === "mixed" && n % 10 === caller % 10);
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const started = performance.now();
      try {
        if (write) await db.exec("INSERT INTO w (caller, n) VALUES (?, ?)", [caller, n]);
        else await db.query("SELECT v FROM kv WHERE k = ?", [1 + (seed % options.rows)]).all();
        if (timing) {
          latencies.push(performance.now() - started);
          if (write) writes++;
        }
      } catch (error) {
        if (!timing) continue;
        errors++;
        errorSample ??= (error as Error).message;
      }
    }
  });
  await sleep(options.warmupMs);
  timing = true;
  const begun = performance.now();
  await sleep(options.durationMs);
  timing = false;
  const seconds = (performance.now() - begun) / 1000;
  stop = true;
  await Promise.all(loops);
  const [p50, p99] = percentiles(latencies);
  return {
    engine: "dqlite-wire",
    workload,
    callers,
    opsPerSec: latencies.length / seconds,
    p50us: p50 * 1000,
    p99us: p99 * 1000,
    errors,
    writesPerSec: writes / seconds,
    ...(errorSample !== undefined ? { errorSample } : {}),
  };
}

/** Transactions of 10 single-row writes back to back; after the 5th write of each, a point read from another caller, timed. */
async function readInTransaction(db: Database, options: ConcurrencyOptions): Promise<ConcurrencyResult> {
  const reads: number[] = [];
  const transactions: number[] = [];
  let errors = 0;
  const timedFrom = performance.now() + options.warmupMs;
  const deadline = timedFrom + options.durationMs;
  for (let n = 0; performance.now() < deadline; n++) {
    const begun = performance.now();
    let read: Promise<number> | undefined;
    try {
      await db.transaction(async (tx) => {
        for (let i = 0; i < 10; i++) {
          await tx.exec("INSERT INTO w (caller, n) VALUES (?, ?)", [-1, n * 10 + i]);
          if (i === 4) {
            const started = performance.now();
            read = db
              .query("SELECT v FROM kv WHERE k = ?", [1 + (n % options.rows)])
              .all()
              .then(() => performance.now() - started);
          }
        }
      });
      const readMs = await read!;
      if (begun < timedFrom) continue;
      reads.push(readMs);
      transactions.push(performance.now() - begun);
    } catch {
      errors++;
    }
  }
  const [p50, p99] = percentiles(reads);
  const [txP50] = percentiles(transactions);
  return {
    engine: "dqlite-wire",
    workload: "read-in-tx",
    callers: 2,
    opsPerSec: reads.length / (options.durationMs / 1000),
    p50us: p50 * 1000,
    p99us: p99 * 1000,
    errors,
    txUs: txP50 * 1000,
  };
}

function runTheirs(binary: string, address: string, workload: Workload, callers: number, options: ConcurrencyOptions): ConcurrencyResult {
  return runGoPool(binary, address, {
    db: "bench",
    workload,
    callers,
    rows: options.rows,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
  });
}

/** One run of bench/go-pool: N goroutines over one database/sql pool on the node at `address`. */
export function runGoPool(
  binary: string,
  address: string,
  run: { db: string; workload: Workload; callers: number; rows: number; warmupMs: number; durationMs: number },
): ConcurrencyResult {
  const { workload, callers } = run;
  const args = ["-addr", address, "-db", run.db, "-workload", workload, "-callers", String(callers), "-rows", String(run.rows)];
  args.push("-warmup", `${run.warmupMs}ms`, "-duration", `${run.durationMs}ms`);
  const output = execFileSync(binary, args, { encoding: "utf8", timeout: run.warmupMs + run.durationMs + 60_000 });
  const line = JSON.parse(output.trim().split("\n").at(-1)!) as ConcurrencyResult & { ops: number; seconds: number; writeOps?: number };
  return {
    engine: line.engine,
    workload,
    callers,
    opsPerSec: line.opsPerSec,
    p50us: line.p50us,
    p99us: line.p99us,
    errors: line.errors,
    ...(line.writeOps !== undefined ? { writesPerSec: line.writeOps / line.seconds } : {}),
    ...(line.errorSample !== undefined ? { errorSample: line.errorSample } : {}),
    ...(line.txUs !== undefined ? { txUs: line.txUs } : {}),
  };
}

/** The repetition with the median ops/s (its latencies and errors come with it), errors summed over all. */
function medianOf(runs: ConcurrencyResult[]): ConcurrencyResult {
  const sorted = [...runs].sort((a, b) => a.opsPerSec - b.opsPerSec);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...median, errors: runs.reduce((sum, run) => sum + run.errors, 0) };
}

function describeResult(result: ConcurrencyResult): string {
  const name = result.engine.padEnd(23);
  const load = `${result.workload.padEnd(10)} ${String(result.callers).padStart(3)} callers`;
  const rate = `${Math.round(result.opsPerSec).toLocaleString("en-US").padStart(8)} ops/s`;
  const latency = `p50 ${formatMicros(result.p50us)}, p99 ${formatMicros(result.p99us)}`;
  const tx = result.txUs !== undefined ? ` (its transaction: ${formatMicros(result.txUs)})` : "";
  const errors = result.errors > 0 ? `, ${result.errors} errors (${result.errorSample ?? ""})` : ", 0 errors";
  const split =
    result.workload === "mixed" && result.writesPerSec !== undefined
      ? ` (reads ${Math.round(result.opsPerSec - result.writesPerSec).toLocaleString("en-US")}/s, writes ${Math.round(result.writesPerSec).toLocaleString("en-US")}/s)`
      : "";
  return `${load}  ${name} ${rate}${split}  ${latency}${tx}${errors}`;
}

function formatMicros(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${Math.round(us)} µs`;
}

function percentiles(values: number[]): [number, number] {
  if (values.length === 0) return [0, 0];
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.floor(p * (sorted.length - 1))]!;
  return [at(0.5), at(0.99)];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
