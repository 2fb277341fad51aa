// One caller's point read, taken apart (`npm run bench -- --latency [--node 1.18]`): the same
// read by primary key, one at a time, through the client (`db.query(…).all()`) and through a bare
// socket that sends the codec's QUERY_SQL frame and waits for its reply (no pool, no session, no
// row engine), and through go-dqlite's database/sql driver with one goroutine (bench/go-pool),
// taking turns in blocks on one node. The bare socket is the floor a Node client can reach on
// this machine and node; the difference is what the client adds to each read's latency, where a
// caller that waits on each read pays it in full. Beside each: the CPU time this process spent
// per read (the socket's send runs the loopback's whole receive path in the kernel, charged to
// the sender, so part of it is not the client's; go-dqlite's is not measured).

import { type Socket, connect as connectSocket } from "node:net";
import { connect } from "../src/client/index.ts";
import { encodeHandshake } from "../src/wire/handshake.ts";
import { encodeRequest } from "../src/messages/codec.ts";
import type { Response } from "../src/messages/types.ts";
import { FrameDecoder } from "../src/stream/frame-decoder.ts";
import { type BenchNodeVersion, describeBenchNode, startBenchNode } from "./bench-node.ts";
import { buildGoPool, runGoPool } from "./concurrency.ts";
import { timing } from "./measure.ts";

export interface LatencyResult {
  path: "client" | "bare socket" | "go-dqlite";
  p50us: number;
  /** Not reported by go-dqlite's runner. */
  p90us: number | undefined;
  p99us: number;
  /** This process's CPU time per read; not measured for go-dqlite. */
  cpuUsPerRead: number | undefined;
}

const ROWS = 1000;
const SQL = "SELECT v FROM kv WHERE k = ?";

/** A socket that sends one request and resolves with the reply's message. */
class BareSocket {
  readonly #socket: Socket;
  readonly #decoder = new FrameDecoder({ side: "response" });
  #waiting: ((message: Response) => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.#decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      const message = this.#decoder.next() as Response | undefined;
      if (message === undefined || this.#waiting === undefined) return;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting(message);
    });
  }

  static async open(address: string): Promise<BareSocket> {
    const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
    const socket = connectSocket({ host, port });
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    socket.write(encodeHandshake());
    return new BareSocket(socket);
  }

  ask(frame: Uint8Array): Promise<Response> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#socket.write(frame);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

export async function latencyBench(options: {
  root: string;
  node: BenchNodeVersion;
  reads: number;
  blocks: number;
  log: (line: string) => void;
}): Promise<LatencyResult[]> {
  const go = buildGoPool(options.root);
  const node = await startBenchNode(options.node);
  options.log(
    `latency: ${describeBenchNode(options.node)} at ${node.address}; ${options.blocks} blocks of ${options.reads} reads per path`,
  );
  try {
    const client = await connect({ addresses: [node.address] });
    const db = await client.open("latency");
    await db.exec("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)");
    await db.exec(
      `INSERT INTO kv WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) SELECT i, 'value ' || i FROM n`,
    );
    const bare = await BareSocket.open(node.address);
    const opened = await bare.ask(encodeRequest({ type: "OPEN", name: "latency", flags: 0, vfs: "" }));
    if (opened.type !== "DB") throw new Error(`the bare socket's OPEN was answered ${opened.type}`);
    const paths: Record<"client" | "bare socket", (i: number) => Promise<unknown>> = {
      client: (i) => db.query(SQL, [1 + (i % ROWS)]).all(),
      "bare socket": async (i) => {
        const reply = await bare.ask(encodeRequest({ type: "QUERY_SQL", db: opened.id, sql: SQL, params: [1 + (i % ROWS)] }));
        if (reply.type !== "ROWS") throw new Error(`the bare socket's read was answered ${reply.type}`);
      },
    };
    const samples = { client: [] as number[], "bare socket": [] as number[] };
    const cpu = { client: 0, "bare socket": 0 };
    type NodePath = keyof typeof paths;
    for (const path of Object.keys(paths) as NodePath[]) for (let i = 0; i < options.reads; i++) await paths[path](i); // warm-up
    const goRuns: { p50us: number; p99us: number }[] = [];
    for (let block = 0; block < options.blocks; block++) {
      if ("binary" in go) {
        const run = runGoPool(go.binary, node.address, {
          db: "latency",
          workload: "reads",
          callers: 1,
          rows: ROWS,
          warmupMs: 300,
          durationMs: 1500,
        });
        goRuns.push({ p50us: run.p50us, p99us: run.p99us });
      }
      for (const path of (block % 2 === 0 ? ["client", "bare socket"] : ["bare socket", "client"]) as NodePath[]) {
        const before = process.cpuUsage();
        for (let i = 0; i < options.reads; i++) {
          const start = process.hrtime.bigint();
          await paths[path](i);
          samples[path].push(Number(process.hrtime.bigint() - start) / 1000);
        }
        const used = process.cpuUsage(before);
        cpu[path] += used.user + used.system;
      }
    }
    bare.close();
    await client.close();
    const ours = (Object.keys(samples) as NodePath[]).map((path): LatencyResult => {
      const sorted = samples[path].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
      return { path, p50us: at(0.5), p90us: at(0.9), p99us: at(0.99), cpuUsPerRead: cpu[path] / sorted.length };
    });
    if (!("binary" in go)) {
      options.log(`go-dqlite: not measured (${go.skipped})`);
      return ours;
    }
    const middle = (values: number[]) => timing(values).median;
    const theirs: LatencyResult = {
      path: "go-dqlite",
      p50us: middle(goRuns.map((run) => run.p50us)),
      p90us: undefined,
      p99us: middle(goRuns.map((run) => run.p99us)),
      cpuUsPerRead: undefined,
    };
    return [...ours, theirs];
  } finally {
    await node.stop();
  }
}

export function latencyTable(results: readonly LatencyResult[]): string {
  const us = (value: number | undefined) => (value === undefined ? "" : value.toFixed(1)).padStart(7);
  return [
    "one caller's point read, µs (go-dqlite: median of its blocks' p50 and p99):",
    "                                     p50      p90      p99   CPU/read",
    ...results.map((r) => `${r.path.padEnd(32)} ${us(r.p50us)}  ${us(r.p90us)}  ${us(r.p99us)}  ${us(r.cpuUsPerRead)}`),
  ].join("\n");
}
