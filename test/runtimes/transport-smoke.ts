// Runtime smoke test of the transports: the same file under Deno, Bun and Node (after a
// build). It connects to the dqlite node at $DQLITE_ADDRESS with whatever transport
// `connectTcp` picks for the runtime, asks LEADER, streams a multi-frame query (after a pause in
// reading, to exercise backpressure) and checks the rows' sum (a byte lost, duplicated or reordered between socket reads would change it).
// With $DQLITE_BRIDGE_URL (and $DQLITE_BRIDGE_TOKEN) it does the same again through that
// WebSocket bridge with the runtime's global WebSocket.
// Prints "ok" and exits 0, or prints why and exits 1.
//
//   DQLITE_ADDRESS=127.0.0.1:9001 npx deno run --allow-net --allow-env test/runtimes/transport-smoke.ts
//   DQLITE_ADDRESS=127.0.0.1:9001 npx bun test/runtimes/transport-smoke.ts
//   DQLITE_BRIDGE_URL=ws://127.0.0.1:8080/ DQLITE_BRIDGE_TOKEN=… DQLITE_ADDRESS=… npx bun test/runtimes/transport-smoke.ts
//   npx tsc -p test/runtimes/tsconfig.json && DQLITE_ADDRESS=… node dist/test/runtimes/transport-smoke.js

import { connectTcp, detectTcpRuntime } from "../../src/transport/auto.ts";
import type { Transport } from "../../src/transport/transport.ts";
import { webSocketConnector } from "../../src/transport/websocket.ts";

interface Runtime {
  env(name: string): string | undefined;
  exit(code: number): never;
}

const ROWS_IN_QUERY = 200_000;
const STALL_MS = 300;
const STEP_TIMEOUT_MS = 10_000;

function runtime(): Runtime {
  const global = globalThis as {
    Deno?: { env: { get(name: string): string | undefined }; exit(code: number): never };
    process?: { env: Record<string, string | undefined>; exit(code: number): never };
  };
  if (global.Deno !== undefined) {
    const deno = global.Deno;
    return { env: (name) => deno.env.get(name), exit: (code) => deno.exit(code) };
  }
  const proc = global.process!;
  return { env: (name) => proc.env[name], exit: (code) => proc.exit(code) };
}

function frame(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + Math.ceil(body.byteLength / 8) * 8);
  new DataView(out.buffer).setUint32(0, (out.byteLength - 8) / 8, true);
  out[4] = type;
  out.set(body, 8);
  return out;
}

function text(value: string): Uint8Array {
  const bytes = new TextEncoder().encode(value);
  const out = new Uint8Array(Math.ceil((bytes.byteLength + 1) / 8) * 8);
  out.set(bytes);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Reads whole frames off the transport, each within the step timeout. */
function frameReader(transport: Transport): () => Promise<{ type: number; body: Uint8Array }> {
  const reader = transport.readable.getReader();
  let buffered: Uint8Array = new Uint8Array(0);
  return async () => {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      if (buffered.byteLength >= 8) {
        const total = 8 + new DataView(buffered.buffer, buffered.byteOffset, 8).getUint32(0, true) * 8;
        if (buffered.byteLength >= total) {
          const result = { type: buffered[4]!, body: buffered.slice(8, total) };
          buffered = buffered.slice(total);
          return result;
        }
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no reply within the step timeout")), Math.max(1, deadline - Date.now()));
      });
      const { done, value } = await Promise.race([reader.read(), timeout]).finally(() => clearTimeout(timer));
      if (done) throw new Error("the node closed the connection");
      buffered = concat(buffered, value);
    }
  };
}

async function smoke(transport: Transport): Promise<string> {
  try {
    const next = frameReader(transport);
    await transport.write(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)); // handshake, version 1
    await transport.write(frame(0, new Uint8Array(8))); // LEADER
    const leader = await next();
    if (leader.type !== 1) throw new Error(`LEADER answered with response type ${leader.type}, not 1`);
    const view = new DataView(leader.body.buffer, leader.body.byteOffset, leader.body.byteLength);
    const leaderId = view.getBigUint64(0, true);
    const leaderAddress = new TextDecoder().decode(leader.body.subarray(8, leader.body.indexOf(0, 8)));
    if (leaderId === 0n || leaderAddress === "") throw new Error("the node knows no leader");

    // A query that spans many ROWS frames: sum(1..n) must come back exactly.
    await transport.write(frame(3, concat(text("demo"), new Uint8Array(8), text("unix")))); // OPEN
    const db = await next();
    if (db.type !== 4) throw new Error(`OPEN answered with response type ${db.type}, not 4 (DB)`);
    const dbId = new DataView(db.body.buffer, db.body.byteOffset).getUint32(0, true);
    const sql = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${ROWS_IN_QUERY}) SELECT x FROM c`;
    const dbWord = new Uint8Array(8);
    new DataView(dbWord.buffer).setUint32(0, dbId, true);
    await transport.write(frame(9, concat(dbWord, text(sql)))); // QUERY_SQL, no params
    // Read nothing for a while: the result (≈3 MB) is far above the read high-water mark, so the
    // transport must stop reading and then resume without losing or stalling anything. (The
    // pause is the test's input, not a wait for something to happen.)
    await new Promise((resolve) => setTimeout(resolve, STALL_MS));
    let sum = 0;
    let rows = 0;
    let frames = 0;
    for (;;) {
      const reply = await next();
      if (reply.type !== 7) throw new Error(`QUERY_SQL answered with response type ${reply.type}, not 7 (ROWS)`);
      frames++;
      const body = new DataView(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength);
      // uint64 column count (1), the column name "x" (one word), then rows of header + int64.
      let offset = 16;
      while (offset + 8 <= reply.body.byteLength) {
        const marker = body.getBigUint64(offset, true);
        if (marker === 0xffffffffffffffffn || marker === 0xeeeeeeeeeeeeeeeen) break;
        if (reply.body[offset] !== 1) throw new Error(`row ${rows} is not a single INTEGER (header byte ${reply.body[offset]})`);
        sum += Number(body.getBigInt64(offset + 8, true));
        rows++;
        offset += 16;
      }
      if (body.getBigUint64(reply.body.byteLength - 8, true) === 0xffffffffffffffffn) break;
    }
    const expected = (ROWS_IN_QUERY * (ROWS_IN_QUERY + 1)) / 2;
    if (rows !== ROWS_IN_QUERY || sum !== expected) {
      throw new Error(`got ${rows} rows summing to ${sum}; expected ${ROWS_IN_QUERY} rows summing to ${expected}`);
    }
    return `leader ${leaderAddress} (id ${leaderId}); ${rows} rows in ${frames} frames, sum ${sum}`;
  } finally {
    await transport.close();
  }
}

const rt = runtime();
const address = rt.env("DQLITE_ADDRESS");
if (address === undefined || address === "") {
  console.error("transport-smoke: set DQLITE_ADDRESS=HOST:PORT of a running dqlite node (node scripts/dqlite-node.mjs starts one)");
  rt.exit(1);
}
try {
  const details = [`tcp: ${await smoke(await connectTcp(address!, { timeoutMs: STEP_TIMEOUT_MS }))}`];
  const bridgeUrl = rt.env("DQLITE_BRIDGE_URL");
  if (bridgeUrl !== undefined && bridgeUrl !== "") {
    const connect = webSocketConnector(bridgeUrl, { token: rt.env("DQLITE_BRIDGE_TOKEN") });
    details.push(`websocket: ${await smoke(await connect(address!, { timeoutMs: STEP_TIMEOUT_MS }))}`);
  }
  console.error(`transport-smoke (${detectTcpRuntime()}): ${details.join("; ")}`);
  console.log("ok");
  rt.exit(0);
} catch (error) {
  console.error(`transport-smoke (${detectTcpRuntime()}) failed: ${(error as Error).stack ?? String(error)}`);
  rt.exit(1);
}
