// The node:net transport against a real dqlite-demo node.

import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect as netConnect, createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelledError, ConnectionError, TimeoutError } from "../../src/errors.ts";
import { connectTcp, detectTcpRuntime } from "../../src/transport/auto.ts";
import { connectNodeTcp } from "../../src/transport/node-tcp.ts";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import { FrameReader, HANDSHAKE_V1, LEADER_REQUEST, concat, decodeLeader, frame, hex, text } from "./raw-frames.ts";

let node: DqliteNode;
beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node?.stop();
});

describe("node-tcp transport against a real node", () => {
  it("carries handshake + LEADER and the node answers with its own address", async () => {
    const transport = await connectNodeTcp(node.address);
    expect(transport.peer).toBe(`tcp://${node.address}`);
    await transport.write(HANDSHAKE_V1);
    await transport.write(LEADER_REQUEST);
    const frames = new FrameReader(transport.readable.getReader());
    const reply = await frames.next();
    expect(reply?.type).toBe(1);
    const leader = decodeLeader(reply!.body);
    expect(leader.address).toBe(node.address);
    expect(leader.id).not.toBe(0n);
    await transport.close();
    await transport.close(); // idempotent
  });

  it("connectTcp picks node:net under Node", async () => {
    expect(detectTcpRuntime()).toBe("node");
    const transport = await connectTcp(node.address);
    await transport.write(concat(HANDSHAKE_V1, LEADER_REQUEST));
    const reply = await new FrameReader(transport.readable.getReader()).next();
    expect(decodeLeader(reply!.body).address).toBe(node.address);
    await transport.close();
  });

  it("ends the readable when the node closes the connection (bad handshake)", async () => {
    const transport = await connectNodeTcp(node.address);
    await transport.write(hex("0200000000000000")); // protocol version 2 does not exist
    const reader = transport.readable.getReader();
    const { done } = await reader.read();
    expect(done).toBe(true);
    // Writing to a connection the node closed rejects with a ConnectionError.
    const error = await transport.write(LEADER_REQUEST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_CLOSED");
  });

  it("rejects writes after close()", async () => {
    const transport = await connectNodeTcp(node.address);
    await transport.close();
    const error = await transport.write(HANDSHAKE_V1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_CLOSED");
  });

  it("pauses the socket while the reader does not read, and delivers every byte once it does", async () => {
    const highWaterMark = 64 * 1024;
    const transport = await connectNodeTcp(node.address, { readHighWaterMarkBytes: highWaterMark });
    const rowCount = 600_000;
    const sql = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rowCount}) SELECT x, 'abcdefghijklmnopqrstuvwxyz0123456789' FROM c`;
    await transport.write(HANDSHAKE_V1);
    await transport.write(frame(3, concat(text("demo"), new Uint8Array(8), text("unix")))); // OPEN
    await transport.write(frame(9, concat(new Uint8Array(8), text(sql)))); // QUERY_SQL db 0, no params

    // Nobody reads: the socket fills the queue, pauses, and stops taking bytes from the kernel.
    // The transport says when it paused; a slow node cannot be mistaken for a paused socket.
    await until(() => transport.readPaused, "the socket to pause");
    const stalledAt = transport.bytesReceived;
    expect(stalledAt).toBeGreaterThanOrEqual(highWaterMark);
    // Paused means nothing more is taken while nobody reads: an absence, which can only be seen
    // as a window in which nothing arrives (a loaded machine can only make it emptier).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(transport.readPaused).toBe(true);
    expect(transport.bytesReceived).toBe(stalledAt);

    // Now read the whole result: every ROWS frame but the last ends with PART, the last with DONE.
    const frames = new FrameReader(transport.readable.getReader());
    expect((await frames.next())?.type).toBe(4); // DB
    let total = 0;
    let frameCount = 0;
    for (;;) {
      const rows = await frames.next();
      expect(rows?.type).toBe(7);
      frameCount++;
      total += rows!.body.byteLength + 8;
      const marker = rows!.body.subarray(rows!.body.byteLength - 8);
      if (marker.every((b) => b === 0xff)) break;
      expect(marker.every((b) => b === 0xee)).toBe(true);
    }
    // The node had far more to send than was taken while nobody read.
    expect(total).toBeGreaterThan(stalledAt * 4);
    expect(frameCount).toBeGreaterThan(100);
    await transport.close();
  }, 60_000);
});

describe("node-tcp connection failures", () => {
  it("gives ConnectionError CONNECTION_FAILED when nothing listens", async () => {
    const port = await closedPort();
    const error = await connectNodeTcp(`127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_FAILED");
    expect((error as ConnectionError).message).toContain("ECONNREFUSED");
  });

  it("gives ConnectionError CONNECTION_FAILED for an address without a port", async () => {
    const error = await connectNodeTcp("127.0.0.1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_FAILED");
  });

  describe("against a listener that never accepts (test fixture)", () => {
    let blackHole: { port: number; stop(): void };
    beforeAll(async () => {
      blackHole = await startBlackHoleListener();
    });
    afterAll(() => blackHole?.stop());

    it("gives TimeoutError when the connect does not complete in time", async () => {
      const started = Date.now();
      const error = await connectNodeTcp(`127.0.0.1:${blackHole.port}`, { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).code).toBe("TIMEOUT");
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    });

    it("gives CancelledError when the signal aborts the connect", async () => {
      const controller = new AbortController();
      const pending = connectNodeTcp(`127.0.0.1:${blackHole.port}`, { signal: controller.signal, timeoutMs: 10_000 });
      setTimeout(() => controller.abort(new Error("user gave up")), 50);
      const error = await pending.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CancelledError);
      expect(((error as CancelledError).cause as Error).message).toBe("user gave up");
    });

    it("gives CancelledError at once for an already aborted signal", async () => {
      const error = await connectNodeTcp(node.address, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CancelledError);
    });
  });
});

/** A port that was free a moment ago and has nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Test fixture, not a dqlite server: a process that listens with a backlog of 1 and then blocks
 * its event loop, so it never accepts. Once its accept queue is full, the kernel drops further
 * SYNs and a connect hangs, which is the only way to get a connect timeout on loopback.
 */
async function startBlackHoleListener(): Promise<{ port: number; stop(): void }> {
  const script = `
    const server = require("node:net").createServer();
    server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
      process.stdout.write(server.address().port + "\\n", () => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      });
    });`;
  const child: ChildProcess = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once("exit", (code) => reject(new Error(`black-hole listener exited with ${code}`)));
  });
  // Fill the accept queue: connects succeed until it is full, then they hang. The kernel says
  // when it is full (its length beside the backlog), so no connect is judged hung by a timer.
  const fillers: Socket[] = [];
  const stop = () => {
    for (const socket of fillers) socket.destroy();
    child.kill("SIGKILL");
  };
  try {
    while (!acceptQueueFull(port)) {
      if (fillers.length >= 64) throw new Error(`the accept queue of port ${port} never filled`);
      const socket = netConnect({ host: "127.0.0.1", port });
      socket.on("error", () => {});
      fillers.push(socket);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`a connect to port ${port} hung before its accept queue was full`)), 20_000);
        socket.once("connect", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  } catch (error) {
    stop();
    throw error;
  }
  return {
    port,
    stop,
  };
}

/**
 * True when the IPv4 listener on `port` has a full accept queue: Linux shows a listening
 * socket's queued connections as its rx_queue in /proc/net/tcp and drops SYNs once that exceeds
 * the backlog (1 here), so a full queue holds 2.
 */
function acceptQueueFull(port: number, backlog = 1): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    // local address, remote address, state (0A: LISTEN), tx_queue:rx_queue
    if (fields[1] === local && fields[3] === "0A") return parseInt(fields[4]!.split(":")[1]!, 16) > backlog;
  }
  throw new Error(`no listener on 127.0.0.1:${port} in /proc/net/tcp`);
}

/** Polls `condition` until it holds; throws naming `what` after a deadline generous for a loaded machine. */
async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
