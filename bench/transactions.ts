// What a transaction costs against plain writes on a real dqlite node, and how long a plain
// write waits while a transaction holds the client's connection. Figures for docs/session.md;
// nothing asserts them.
//
//   npx tsc -p bench/tsconfig.json && node .tmp/bench-build/bench/transactions.js [--json]
//
// Cases (each on a fresh table of one node started here, loopback, one client):
// - 1,000 plain writes, one after the other: one EXEC_SQL each (one raft commit each);
// - 1,000 transactions of one write: BEGIN, INSERT, COMMIT (three round trips, one commit);
// - 100 transactions of ten writes: the same 1,000 rows, 100 commits;
// - the wait of a plain write issued while a transaction of ten writes is open, against the
//   same write on an idle client: it runs once the transaction has committed.

import type { Database } from "../src/client/database.ts";
import { connect } from "../src/client/index.ts";
import { startNode } from "../src/testing/dqlite-node.ts";

const WRITES = 1_000;
const WAIT_SAMPLES = 50;
const TX_WRITES = 10;

interface Timing {
  case: string;
  operations: number;
  totalMs: number;
  perOperationMs: number;
}

async function timed(name: string, operations: number, body: () => Promise<void>): Promise<Timing> {
  const start = performance.now();
  await body();
  const totalMs = performance.now() - start;
  return { case: name, operations, totalMs: round(totalMs), perOperationMs: round(totalMs / operations, 3) };
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function freshTable(db: Database, name: string): Promise<string> {
  await db.exec(`CREATE TABLE ${name} (i INTEGER, tag TEXT)`);
  return name;
}

/** The latency of a plain write issued right after a transaction of TX_WRITES writes began, and on an idle client. */
async function waitBehindTransaction(db: Database): Promise<{ idleMs: number[]; waitingMs: number[]; transactionMs: number[] }> {
  const table = await freshTable(db, "bench_wait");
  const idleMs: number[] = [];
  const waitingMs: number[] = [];
  const transactionMs: number[] = [];
  for (let sample = 0; sample < WAIT_SAMPLES; sample++) {
    const idleStart = performance.now();
    await db.exec(`INSERT INTO ${table} VALUES (?, 'idle')`, [sample]);
    idleMs.push(performance.now() - idleStart);

    let plain: Promise<number> | undefined;
    const txStart = performance.now();
    await db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${table} VALUES (?, 'tx')`, [sample]);
      const issued = performance.now();
      plain = db.exec(`INSERT INTO ${table} VALUES (?, 'plain')`, [sample]).then(() => performance.now() - issued);
      for (let i = 1; i < TX_WRITES; i++) await tx.exec(`INSERT INTO ${table} VALUES (?, 'tx')`, [sample]);
    });
    transactionMs.push(performance.now() - txStart);
    waitingMs.push(await plain!);
  }
  return { idleMs, waitingMs, transactionMs };
}

function summary(values: number[]): { medianMs: number; p95Ms: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { medianMs: round(percentile(sorted, 0.5), 2), p95Ms: round(percentile(sorted, 0.95), 2) };
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const node = await startNode();
  const client = await connect({ addresses: node.address, timeoutMs: 30_000 });
  try {
    const db = await client.open("demo");
    const timings: Timing[] = [];
    const plain = await freshTable(db, "bench_plain");
    timings.push(
      await timed("plain write", WRITES, async () => {
        for (let i = 0; i < WRITES; i++) await db.exec(`INSERT INTO ${plain} VALUES (?, 'plain')`, [i]);
      }),
    );
    const single = await freshTable(db, "bench_tx1");
    timings.push(
      await timed("transaction of 1 write", WRITES, async () => {
        for (let i = 0; i < WRITES; i++) await db.transaction((tx) => tx.exec(`INSERT INTO ${single} VALUES (?, 'tx')`, [i]));
      }),
    );
    const grouped = await freshTable(db, "bench_tx10");
    timings.push(
      await timed(`transaction of ${TX_WRITES} writes (per write)`, WRITES, async () => {
        for (let t = 0; t < WRITES / TX_WRITES; t++) {
          await db.transaction(async (tx) => {
            for (let i = 0; i < TX_WRITES; i++) await tx.exec(`INSERT INTO ${grouped} VALUES (?, 'tx')`, [t * TX_WRITES + i]);
          });
        }
      }),
    );
    const wait = await waitBehindTransaction(db);
    const result = {
      node: "dqlite-demo (go-dqlite 1.11.5), one node on loopback",
      runtime: `Node ${process.versions.node}`,
      timings,
      plainWriteWhileTransactionOpen: {
        samples: WAIT_SAMPLES,
        transactionWrites: TX_WRITES,
        idle: summary(wait.idleMs),
        waiting: summary(wait.waitingMs),
        transaction: summary(wait.transactionMs),
      },
    };
    if (json) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      for (const t of timings)
        console.log(`${t.case.padEnd(40)} ${String(t.operations).padStart(5)} ops  ${t.totalMs} ms  ${t.perOperationMs} ms/op`);
      const w = result.plainWriteWhileTransactionOpen;
      console.log(
        `plain write, idle client: median ${w.idle.medianMs} ms, p95 ${w.idle.p95Ms} ms; ` +
          `issued after the first write of a ${TX_WRITES}-write transaction: median ${w.waiting.medianMs} ms, p95 ${w.waiting.p95Ms} ms ` +
          `(the transaction took median ${w.transaction.medianMs} ms)`,
      );
    }
  } finally {
    await client.close();
    await node.stop();
  }
}

await main();
