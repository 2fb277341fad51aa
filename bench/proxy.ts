// The proxy's cost on the relay: the same 1,000,000-row result read from a real dqlite-demo
// node straight, and through `startProxy` (relay only; decoding in a worker thread into a log
// file; decoding in the relaying thread), each drained from the socket without decoding on the
// reading side. Figures, not assertions: nothing here is a timed test.
//
//   npx tsc -p bench/tsconfig.json && node --expose-gc .tmp/bench-build/bench/proxy.js [--rows N] [--repeats N] [--json]
//
// `proxyBench()` is the function `npm run bench` can call; the command above runs it alone.

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ProxyOptions, startProxy } from "../src/proxy/index.ts";
import { type BenchNodeVersion, describeBenchNode, startBenchNode } from "./bench-node.ts";
import { RawConnection, captureResult, execSql, openDatabase } from "./live-node.ts";
import { collect, timing } from "./measure.ts";
import { encodeRequest } from "../src/messages/codec.ts";

const SQL = "SELECT id, name, amount, bucket FROM big ORDER BY id";

export interface ProxyBenchResult {
  path: string;
  rows: number;
  bytes: number;
  /** Median and best over the repetitions. */
  medianMs: number;
  bestMs: number;
  /** The direct read's median time ÷ this path's median time, in percent. */
  percentOfDirect: number;
  /** Bytes the decoder skipped (its queue was full), over all repetitions. */
  decoderSkippedBytes: number;
  /** Size of the decoded log written, for the decoding paths. */
  logBytes?: number;
}

interface Path {
  name: string;
  proxy?: Omit<ProxyOptions, "routes">;
}

/** Sends the query on `address` and reads `bytes` bytes back without decoding them. */
async function drain(address: string, bytes: number): Promise<number> {
  const connection = await RawConnection.open(address);
  try {
    const db = await openDatabase(connection, "bench");
    collect();
    const started = performance.now();
    connection.send(encodeRequest({ type: "QUERY_SQL", db, sql: SQL, params: [] }));
    let received = 0;
    while (received < bytes) received += (await connection.chunk()).length;
    if (received !== bytes) throw new Error(`read ${received} bytes, the result has ${bytes}`);
    return performance.now() - started;
  } finally {
    connection.close();
  }
}

export async function proxyBench(
  rows = 1_000_000,
  repeats = 5,
  log: (line: string) => void = console.log,
  version: BenchNodeVersion = "1.11",
): Promise<ProxyBenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "dqlite-wire-proxy-bench-"));
  const node = await startBenchNode(version);
  const results: ProxyBenchResult[] = [];
  try {
    const setup = await RawConnection.open(node.address);
    const db = await openDatabase(setup, "bench");
    await execSql(setup, db, "CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, amount REAL, bucket INTEGER)");
    await execSql(
      setup,
      db,
      `INSERT INTO big SELECT x, 'name-' || x, x * 0.25, x % 100 FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) SELECT x FROM c)`,
    );
    setup.send(encodeRequest({ type: "QUERY_SQL", db, sql: SQL, params: [] }));
    const bytes = (await captureResult(setup)).length;
    setup.close();
    log(
      `proxy: ${rows.toLocaleString("en-US")} rows (${(bytes / 1e6).toFixed(1)} MB) from ${describeBenchNode(version)} on 127.0.0.1, ${repeats} repetitions per path`,
    );
    // Every repetition reads the result straight and through each proxy in turn, so each path's
    // ratio to the direct read uses reads made under the same load.
    const paths: Path[] = [
      { name: "direct" },
      { name: "proxy, relay only", proxy: { log: false } },
      { name: "proxy, decoding in a worker", proxy: { log: join(dir, "worker.log"), decodeIn: "worker" } },
      { name: "proxy, decoding in the relaying thread", proxy: { log: join(dir, "thread.log"), decodeIn: "thread" } },
    ];
    const proxies = await Promise.all(
      paths.map((path) =>
        path.proxy === undefined ? undefined : startProxy({ routes: [{ listen: "127.0.0.1:0", target: node.address }], ...path.proxy }),
      ),
    );
    const times: number[][] = paths.map(() => []);
    try {
      const addresses = proxies.map((proxy) => (proxy === undefined ? node.address : proxy.routes[0]!.listen));
      for (const address of addresses) await drain(address, bytes); // warm-up
      for (let i = 0; i < repeats; i++) {
        for (let p = 0; p < paths.length; p++) times[p]!.push(await drain(addresses[p]!, bytes));
      }
    } finally {
      await Promise.all(proxies.map((proxy) => proxy?.close()));
    }
    paths.forEach((path, p) => {
      const t = timing(times[p]!.map((ms) => ms / 1000));
      const logFile = typeof path.proxy?.log === "string" ? path.proxy.log : undefined;
      results.push({
        path: path.name,
        rows,
        bytes,
        medianMs: Math.round(t.median * 1000),
        bestMs: Math.round(t.best * 1000),
        percentOfDirect: 0,
        decoderSkippedBytes: proxies[p]?.droppedBytes ?? 0,
        ...(logFile === undefined ? {} : { logBytes: statSync(logFile).size }),
      });
    });
    const direct = results[0]!.medianMs;
    for (const result of results) {
      result.percentOfDirect = Math.round((direct / result.medianMs) * 1000) / 10;
      const skipped = result.decoderSkippedBytes > 0 ? `, decoder skipped ${result.decoderSkippedBytes.toLocaleString("en-US")} bytes` : "";
      log(
        `  ${result.path.padEnd(40)} median ${String(result.medianMs).padStart(6)} ms, best ${String(result.bestMs).padStart(6)} ms, ${String(result.percentOfDirect).padStart(5)} % of direct${skipped}`,
      );
    }
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

const invokedDirectly = process.argv[1]?.endsWith("/bench/proxy.js") === true;
if (invokedDirectly) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const json = process.argv.includes("--json");
  const results = await proxyBench(arg("--rows", 1_000_000), arg("--repeats", 5), json ? () => {} : console.log);
  if (json) console.log(JSON.stringify(results));
}
