// Test rig for the bridge: a real dqlite node, bridges on loopback, and WebSocket clients (the
// `ws` package; Node 20 has no global WebSocket) that record everything they receive and how
// they were closed or refused.

import { connect } from "node:net";
import { WebSocket } from "ws";
import { encodeRequest } from "../../src/messages/codec.ts";
import type { RequestInput } from "../../src/messages/types.ts";
import { FrameDecoder } from "../../src/stream/frame-decoder.ts";
import { type BridgeLogEntry, type BridgeOptions, startBridge, type Bridge } from "../../src/bridge/index.ts";
import { bridgeSubprotocols } from "../../src/transport/index.ts";

export const HANDSHAKE_V1 = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0);

export function request(message: RequestInput): Uint8Array {
  return encodeRequest(message);
}

export function concat(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)));
}

/** Handshake + CLIENT + LEADER + OPEN "demo": four requests, four replies. */
export function openingScript(): Buffer {
  return concat([
    HANDSHAKE_V1,
    request({ type: "CLIENT", id: 1n }),
    request({ type: "LEADER" }),
    request({ type: "OPEN", name: "demo", flags: 0n, vfs: "" }),
  ]);
}

export interface StartedBridge {
  bridge: Bridge;
  logs: BridgeLogEntry[];
}

/** A bridge that records its log entries instead of printing them. */
export async function startTestBridge(options: Omit<BridgeOptions, "logger">): Promise<StartedBridge> {
  const logs: BridgeLogEntry[] = [];
  const bridge = await startBridge({ ...options, logger: (entry) => logs.push(entry) });
  return { bridge, logs };
}

export interface ClientOptions {
  token?: string | undefined;
  /** Subprotocols to offer instead of the ones built from `token`. */
  protocols?: string[];
  origin?: string;
  target?: string;
  /** Local address to connect from (any 127.x.y.z is loopback: a different client address). */
  localAddress?: string;
}

export interface Closure {
  /** WebSocket close code, or the HTTP status when the upgrade itself was refused. */
  code: number;
  reason: string;
  /** True when the bridge answered the upgrade with an HTTP status instead of a WebSocket. */
  http: boolean;
}

export class TestClient {
  readonly ws: WebSocket;
  readonly chunks: Buffer[] = [];
  receivedBytes = 0;
  readonly opened: Promise<void>;
  readonly closed: Promise<Closure>;
  private waiters: (() => void)[] = [];

  constructor(bridge: Bridge, options: ClientOptions = {}) {
    const url = new URL(bridge.url);
    if (options.target !== undefined) url.searchParams.set("target", options.target);
    const protocols = options.protocols ?? (options.token === undefined ? [] : bridgeSubprotocols(options.token));
    this.ws = new WebSocket(url, protocols, {
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    let httpRefusal: Closure | undefined;
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("close", () => reject(new Error("closed before open")));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.on("unexpected-response", (_request, response) => {
        httpRefusal = { code: response.statusCode ?? 0, reason: String(response.headers["x-dqlite-wire-close-code"] ?? ""), http: true };
        response.resume();
        this.ws.terminate();
      });
      this.ws.on("error", () => {});
      this.ws.on("close", (code, reason) => resolve(httpRefusal ?? { code, reason: reason.toString(), http: false }));
    });
    this.ws.on("message", (data: Buffer) => {
      this.chunks.push(data);
      this.receivedBytes += data.length;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  send(bytes: Uint8Array): void {
    this.ws.send(bytes);
  }

  received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /**
   * Resolves once `count` whole response frames arrived; rejects after `timeoutMs`, a deadline
   * only (it returns as soon as the frames are there), generous for a loaded machine.
   */
  async frames(count: number, timeoutMs = 20_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const bytes = this.received();
      if (countFrames(bytes) >= count) return bytes;
      if (Date.now() > deadline) throw new Error(`expected ${count} frames, have ${countFrames(bytes)} (${bytes.length} bytes)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** Whole response frames at the start of `bytes`. */
export function countFrames(bytes: Uint8Array): number {
  const decoder = new FrameDecoder({ side: "response", handshake: false, limits: { maxMessageBytes: 64 * 1024 * 1024 } });
  decoder.push(bytes);
  let frames = 0;
  while (decoder.nextFrame() !== undefined) frames++;
  return frames;
}

/** Decoded response messages in `bytes` (whole frames only). */
export function decodeResponses(bytes: Uint8Array): { type: string }[] {
  const decoder = new FrameDecoder({ side: "response", handshake: false });
  decoder.push(bytes);
  const messages: { type: string }[] = [];
  for (let message = decoder.next(); message !== undefined; message = decoder.next()) messages.push(message);
  return messages;
}

/** Sends `bytes` straight to the node over TCP and resolves with the first `frames` reply frames. */
export function directExchange(address: string, bytes: Uint8Array, frames: number, timeoutMs = 20_000): Promise<Buffer> {
  const [host, port] = address.split(":") as [string, string];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`direct exchange: fewer than ${frames} frames within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      if (countFrames(all) >= frames) {
        clearTimeout(timer);
        socket.destroy();
        resolve(all);
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `condition` until true or `timeoutMs` passes (then throws with `what`). The deadline only
 * bounds a failure: a passing wait returns at the first poll that sees the condition.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Waits until `sample()` has returned the same value (compared as JSON) for `quietMs` on end,
 * and returns it; throws with `what` when that has not happened within `timeoutMs`. "Nothing
 * more happens" can only be seen as a window of time in which nothing happened; this makes that
 * window a fixed length, but starts it only once things have settled, however long that takes
 * on a loaded machine.
 */
export async function waitForQuiet<T>(sample: () => T, what: string, quietMs = 1_000, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = JSON.stringify(sample());
  let since = Date.now();
  for (;;) {
    await sleep(50);
    const now = JSON.stringify(sample());
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return JSON.parse(now) as T;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (still changing: ${now})`);
  }
}

/** One full round trip through the bridge: proves a connection is being served. */
export async function roundTrip(bridge: Bridge, token: string, extra: ClientOptions = {}): Promise<{ type: string }[]> {
  const client = new TestClient(bridge, { token, ...extra });
  await client.opened;
  client.send(openingScript());
  const bytes = await client.frames(3);
  client.close();
  await client.closed;
  return decodeResponses(bytes);
}
