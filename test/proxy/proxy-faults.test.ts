// What the proxy does with traffic it cannot decode, and when its decoder falls behind: it
// relays every byte unchanged all the same (checked on a tcpdump capture of the node's side)
// and says so in its log.

import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, rmSync } from "node:fs";
import { Socket, connect } from "node:net";
import { connect as connectTls } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { connect as connectClient } from "../../src/client/index.ts";
import { startProxy } from "../../src/proxy/index.ts";
import { type DqliteNode, startNode } from "../support/nodes.ts";
import { readPcap, segmentOf } from "../capture/pcap-edit.ts";
import { cleanCaptureDirs, goShell, startTcpdump } from "../capture/tcpdump-rig.ts";
import { startProxyCli } from "./proxy-helpers.ts";

let node: DqliteNode;
let nodePort: number;
let dir: string;

beforeAll(async () => {
  node = await startNode();
  nodePort = Number(node.address.split(":")[1]);
  dir = mkdtempSync(join(tmpdir(), "dqlite-wire-proxy-"));
});

afterAll(async () => {
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  cleanCaptureDirs();
});

/** The bytes sent to the node's port in a capture (one connection), in order. */
function bytesToNode(capture: Uint8Array): Uint8Array {
  const parts = readPcap(capture)
    .records.map((record) => ({ record, segment: segmentOf(record) }))
    .filter(({ segment }) => segment?.flow.endsWith(`>${nodePort}`) && segment.payloadLength > 0)
    .sort((a, b) => a.segment!.seq - b.segment!.seq);
  const seen = new Set<number>();
  const out: number[] = [];
  for (const { record, segment } of parts) {
    if (seen.has(segment!.seq)) continue;
    seen.add(segment!.seq);
    out.push(...record.data.subarray(segment!.payloadStart, segment!.payloadStart + segment!.payloadLength));
  }
  return Uint8Array.from(out);
}

/** Resolves when `socket` closes; rejects after a deadline generous for a loaded machine. */
function closed(socket: Socket, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${what}: the connection was not closed within 30 s`));
    }, 30_000);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Sends `bytes`, then ends the client's side: the proxy relays everything, then the FIN, to the
 * node, which closes; the proxy then closes the client. So once the client's socket closes,
 * every byte has gone through the proxy to the node, whatever the node made of it.
 */
async function sendAndWaitClose(socket: Socket, bytes: Uint8Array): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const done = closed(socket, "sent bytes then FIN");
  socket.end(bytes);
  socket.resume();
  await done;
}

test("a client that sends garbage: relayed to the node byte for byte, and logged as not dqlite", async () => {
  const lines: Record<string, unknown>[] = [];
  const proxy = await startProxy({
    routes: [{ listen: "127.0.0.1:0", target: node.address }],
    log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const tcpdump = await startTcpdump({ filter: `tcp port ${nodePort}` });
  const garbage = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: dqlite\r\n\r\n\u0000\u00ff garbage \u0001\u0002");
  const [host, port] = proxy.routes[0]!.listen.split(":");
  await sendAndWaitClose(connect({ host: host!, port: Number(port) }), garbage);
  const capture = (await tcpdump.stop()).bytes;
  await proxy.close();
  expect(bytesToNode(capture)).toEqual(garbage);
  const undecoded = lines.find((line) => line["event"] === "undecoded")!;
  expect(undecoded).toMatchObject({ ok: false, kind: "other", then: "relayed as it comes" });
  expect(String(undecoded["detail"])).toContain("474554202f204854");
  expect(lines.at(-1)).toMatchObject({ event: "close", bytes: { request: garbage.length } });
  expect(lines.filter((line) => line["message"] !== undefined)).toEqual([]);
});

test("a handshake, then garbage: the bad frame is reported, the bytes relayed as they are", async () => {
  const lines: Record<string, unknown>[] = [];
  const proxy = await startProxy({
    routes: [{ listen: "127.0.0.1:0", target: node.address }],
    log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const tcpdump = await startTcpdump({ filter: `tcp port ${nodePort}` });
  // A header of an unknown type (0xee) and one word of body: the node waits for more (dqlite
  // 1.11 never answers unknown types), the decoder loses the framing.
  const bytes = Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0xee, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
  const [host, port] = proxy.routes[0]!.listen.split(":");
  await sendAndWaitClose(connect({ host: host!, port: Number(port) }), bytes);
  const capture = (await tcpdump.stop()).bytes;
  await proxy.close();
  expect(bytesToNode(capture)).toEqual(bytes);
  expect(lines.find((line) => line["handshake"] !== undefined)).toMatchObject({ handshake: { version: "1" } });
  const problem = lines.find((line) => line["problem"] !== undefined)!;
  expect(problem).toMatchObject({ ok: false, direction: "request", problem: "bad-header" });
});

test("a TLS client to a plain node: the ClientHello is relayed untouched and logged as TLS", async () => {
  const lines: Record<string, unknown>[] = [];
  const proxy = await startProxy({
    routes: [{ listen: "127.0.0.1:0", target: node.address }],
    log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const tcpdump = await startTcpdump({ filter: `tcp port ${nodePort}` });
  const [host, port] = proxy.routes[0]!.listen.split(":");
  const socket = connectTls({ host: host!, port: Number(port), rejectUnauthorized: false, servername: "dqlite" });
  socket.on("error", () => {});
  // The node reads the ClientHello as a protocol version it does not know and closes; the proxy
  // then closes the client: the close says the ClientHello went all the way through.
  await closed(socket, "a TLS ClientHello");
  const capture = (await tcpdump.stop()).bytes;
  await proxy.close();
  const sent = bytesToNode(capture);
  expect([...sent.subarray(0, 3)]).toEqual([0x16, 0x03, 0x01]);
  expect(lines.find((line) => line["event"] === "undecoded")).toMatchObject({ ok: true, kind: "tls" });
});

test("an unreachable node: the client's connection is closed and the error logged", async () => {
  const lines: Record<string, unknown>[] = [];
  const proxy = await startProxy({
    routes: [{ listen: "127.0.0.1:0", target: "127.0.0.1:1" }],
    log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const [host, port] = proxy.routes[0]!.listen.split(":");
  await sendAndWaitClose(connect({ host: host!, port: Number(port) }), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0));
  await proxy.close();
  expect(lines.find((line) => line["event"] === "error")).toMatchObject({
    ok: false,
    error: { message: expect.stringContaining("node 127.0.0.1:1") },
  });
  expect(lines.at(-1)).toMatchObject({ event: "close" });
});

test("a decoder that falls behind skips bytes and says so; the client gets every row all the same", async () => {
  const ROWS = 20_000;
  await goShell(node.address, "demo", "CREATE TABLE lots (id INTEGER PRIMARY KEY, pad TEXT)");
  await goShell(
    node.address,
    "demo",
    `INSERT INTO lots (id, pad) SELECT x, printf('%040d', x) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${ROWS}) SELECT x FROM c)`,
  );
  // The decoder's log is a FIFO whose reader is there from the start but reads nothing yet. Its
  // lines (about 2 MB for this result) soon fill the pipe; the decoder acknowledges a chunk only
  // once its lines are taken, so its queue (4 KiB) fills and stays full, and the relay skips it.
  // That is the decoder falling behind, made certain instead of left to the relative speed of
  // two threads on a machine that may be loaded.
  const fifo = join(dir, "behind.log");
  execFileSync("mkfifo", [fifo]);
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  let logText = "";
  let logEnded: Promise<void> | undefined;
  let reader: Socket | undefined;
  const proxy = await startProxyCli(["--listen", "127.0.0.1:0", "--target", node.address, "--log", fifo, "--max-queued-bytes", "4096"]);
  let stopped: Awaited<ReturnType<typeof proxy.stop>> | undefined;
  let rows: unknown[][] = [];
  try {
    const client = await connectClient({ addresses: proxy.listens[0]!, timeoutMs: 30_000, pool: { max: 1 } });
    try {
      const db = await client.open("demo");
      rows = (await db.query("SELECT * FROM lots", [], { rowMode: "arrays" }).all()).rows as unknown[][];
      // Now the log is read: the decoder catches up. The bytes it missed are reported with the
      // next chunk of the same connection and direction it can take, so the connection goes on
      // asking until the report is there.
      reader = new Socket({ fd, readable: true, writable: false });
      reader.setEncoding("utf8");
      reader.on("data", (text: string) => (logText += text));
      logEnded = new Promise((resolve) => reader!.once("close", () => resolve()));
      const deadline = Date.now() + 30_000;
      while (!logText.includes("decoder fell behind")) {
        if (Date.now() > deadline) throw new Error(`no gap reported within 30 s of reading the log (${logText.length} characters read)`);
        await db.query("SELECT 1").all();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await client.close();
    }
  } finally {
    stopped = await proxy.stop();
    if (reader === undefined) closeSync(fd);
  }
  await logEnded;
  const { status, stderr } = stopped;
  expect(status).toBe(0);
  expect(rows).toHaveLength(ROWS);
  expect(rows).toEqual(Array.from({ length: ROWS }, (_, i) => [i + 1, String(i + 1).padStart(40, "0")]));
  const log = logText
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const dropped = log.filter(
    (line) => line["problem"] === "gap" && String((line["error"] as { message: string }).message).includes("decoder fell behind"),
  );
  expect(dropped.length).toBeGreaterThan(0);
  expect(stderr).toMatch(/the decoder skipped \d+ relayed bytes/);
}, 120_000);
