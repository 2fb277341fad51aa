/// <reference types="node" />
// The transparent proxy: listens on one address per dqlite node, relays each client connection
// to the paired node byte for byte, and hands a copy of both directions to the decoder (see
// decode-tap.ts). The only bytes it changes are the node addresses in LEADER and SERVERS
// replies (response-relay.ts), so that clients that follow the leader stay on the proxy.
//
// Guarantees: the relay never waits for the decoder (the decoder's queue is capped; past the
// cap it misses bytes and says so); a stream the relay cannot follow (not dqlite, TLS, garbage)
// is passed through untouched; reading from one side pauses while the other side's socket is
// full, so the proxy holds at most a socket buffer per direction, one frame header and one
// LEADER/SERVERS frame.

import { createWriteStream } from "node:fs";
import { type Server, type Socket, connect, createServer } from "node:net";
import { sniffClientStream } from "../capture/dqlite/protocol-sniff.ts";
import { type HostPort, splitHostPort } from "../transport/address.ts";
import { isLegacyVersion, readHandshake } from "../wire/handshake.ts";
import { AddressRewriter } from "./address-rewrite.ts";
import { type DecodeTap, inlineTap, workerAvailable, workerTap } from "./decode-tap.ts";
import type { LiveDecoderOptions } from "./live-decoder.ts";
import { ResponseRelay } from "./response-relay.ts";
import { type ProxyTls, type TlsEnds, tlsEnds } from "./proxy-tls.ts";

export interface ProxyRoute {
  /** Where clients connect: "HOST:PORT" (port 0 picks a free port; see `RunningProxy.routes`). */
  listen: string;
  /** The dqlite node: "HOST:PORT", as the nodes name themselves in LEADER and SERVERS replies. */
  target: string;
}

export interface ProxyOptions {
  routes: readonly ProxyRoute[];
  /**
   * Where the decoded JSON lines go: "-" (stdout), a file path (appended to), a function
   * (called in the relaying thread), or false (no decoding at all). Default "-".
   */
  log?: string | ((line: string) => void) | false;
  /** Decode in a worker thread (default, when the compiled worker is there) or in the relaying thread. */
  decodeIn?: "worker" | "thread";
  /** Bytes waiting for the worker before chunks are dropped from the decoder (default 64 MiB). */
  maxQueuedBytes?: number;
  /** Rewrite node addresses in LEADER and SERVERS replies (default true). */
  rewrite?: boolean;
  decode?: LiveDecoderOptions["decode"];
  /** Bound on reaching the node for each connection (default 10 s). */
  connectTimeoutMs?: number;
  /** Terminate TLS from clients and speak TLS to the nodes (decoding what passes between). */
  tls?: ProxyTls;
}

export interface RunningProxy {
  /** The routes with their actual listen addresses. */
  readonly routes: readonly ProxyRoute[];
  /** Relayed bytes the decoder missed because its queue was full. */
  readonly droppedBytes: number;
  /** Stops listening, closes every connection, and waits for the decoder to finish. */
  close(): Promise<void>;
}

const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** A LEADER or SERVERS frame larger than this is relayed without rewriting (SERVERS of ~10,000 nodes fits). */
const MAX_HELD_FRAME_BYTES = 1024 * 1024;
const SNIFF_BYTES = 8;

/** Wall-clock time in milliseconds with the fraction the clock gives (microseconds and below). */
const now = () => performance.timeOrigin + performance.now();

function parseRouteAddress(text: string, what: string): HostPort {
  const parts = splitHostPort(text);
  if (parts === undefined) throw new Error(`proxy: ${what} ${JSON.stringify(text)} is not HOST:PORT`);
  return parts;
}

function textAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function makeTap(options: ProxyOptions): DecodeTap | undefined {
  const log = options.log ?? "-";
  if (log === false) return undefined;
  const decode = options.decode;
  if (typeof log === "function") return inlineTap({ write: log, ...(decode ? { decode } : {}) });
  if ((options.decodeIn ?? "worker") === "worker" && workerAvailable()) {
    return workerTap({ log, maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES, ...(decode ? { decode } : {}) });
  }
  const out = log === "-" ? process.stdout : createWriteStream(log, { flags: "a" });
  return inlineTap({ write: (line) => out.write(`${line}\n`), ...(decode ? { decode } : {}) });
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  if (options.routes.length === 0) throw new Error("proxy: give at least one route (--listen and --target)");
  const parsed = options.routes.map((route) => ({
    listen: parseRouteAddress(route.listen, "listen address"),
    target: parseRouteAddress(route.target, "target"),
  }));
  const ends = options.tls === undefined ? undefined : tlsEnds(options.tls);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const tap = makeTap(options);
  const routes: ProxyRoute[] = [];
  const state = { count: 0 };
  const rewriterBox: { rewriter: AddressRewriter | undefined } = { rewriter: undefined };
  try {
    for (const route of parsed) {
      const target = textAddress(route.target.host, route.target.port);
      const server = ends?.listen() ?? createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(route.listen.port, route.listen.host, () => resolve());
      });
      const bound = server.address();
      const port = typeof bound === "object" && bound !== null ? bound.port : route.listen.port;
      const listen = textAddress(route.listen.host, port);
      routes.push({ listen, target });
      server.on(ends === undefined ? "connection" : "secureConnection", (client: Socket) =>
        relayConnection(
          client,
          { listen, target: route.target, targetText: target },
          {
            tap,
            rewriter: () => rewriterBox.rewriter,
            sockets,
            state,
            ends,
            connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
          },
        ),
      );
    }
  } catch (error) {
    for (const server of servers) server.close();
    await tap?.close();
    throw error;
  }
  if (options.rewrite !== false) rewriterBox.rewriter = new AddressRewriter(routes);
  return {
    routes,
    get droppedBytes() {
      return tap?.droppedBytes ?? 0;
    },
    async close() {
      const stopped = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      // Each connection's close reaches the log before the decoder stops.
      await Promise.all([...stopped, ...destroyAll(sockets)]);
      await tap?.close();
    },
  };
}

function destroyAll(sockets: Set<Socket>): Promise<void>[] {
  return [...sockets].map((socket) => {
    if (socket.closed) return Promise.resolve();
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.destroy();
    return closed;
  });
}

interface RelayContext {
  tap: DecodeTap | undefined;
  rewriter: () => AddressRewriter | undefined;
  sockets: Set<Socket>;
  state: { count: number };
  ends: TlsEnds | undefined;
  connectTimeoutMs: number;
}

/** One client connection relayed to its node, both ways, with the decoder's copy. */
function relayConnection(client: Socket, route: { listen: string; target: HostPort; targetText: string }, ctx: RelayContext): void {
  const id = `c${++ctx.state.count}`;
  const { tap } = ctx;
  const clientAddress = textAddress(client.remoteAddress ?? "?", client.remotePort ?? 0);
  tap?.send({ kind: "open", conn: id, client: clientAddress, server: route.targetText, via: route.listen, timeMs: now() });
  const node = ctx.ends?.connect(route.target) ?? connect({ host: route.target.host, port: route.target.port });
  ctx.sockets.add(client);
  ctx.sockets.add(node);
  client.setNoDelay(true);
  node.setNoDelay(true);
  const counts = { request: 0, response: 0 };
  const sniffed: number[] = [];
  let legacy = false;
  let reason: string | undefined;
  const relay = new ResponseRelay(ctx.rewriter(), () => legacy, MAX_HELD_FRAME_BYTES, {
    rewritten: (offset, rewritten) => tap?.send({ kind: "rewrite", conn: id, offset, changes: rewritten.changes }),
    passthrough: (offset, why) => tap?.send({ kind: "passthrough", conn: id, offset, why, timeMs: now() }),
  });
  const connectTimer = setTimeout(
    () => finish(`node ${route.targetText} not reached within ${ctx.connectTimeoutMs} ms`),
    ctx.connectTimeoutMs,
  );
  node.once(ctx.ends === undefined ? "connect" : "secureConnect", () => clearTimeout(connectTimer));

  client.on("data", (chunk: Buffer) => {
    if (!node.write(chunk)) client.pause();
    if (sniffed.length < SNIFF_BYTES) {
      sniffed.push(...chunk.subarray(0, SNIFF_BYTES - sniffed.length));
      if (sniffed.length === SNIFF_BYTES) legacy = sniffLegacy(Uint8Array.from(sniffed), relay);
    }
    counts.request += chunk.length;
    tap?.send({ kind: "data", conn: id, direction: "request", bytes: chunk, clientBytes: counts.request, timeMs: now() });
  });
  node.on("data", (chunk: Buffer) => {
    let room = true;
    for (const piece of relay.push(chunk)) room = client.write(piece) && room;
    if (!room) node.pause();
    counts.response += chunk.length;
    tap?.send({ kind: "data", conn: id, direction: "response", bytes: chunk, clientBytes: counts.request, timeMs: now() });
  });
  node.on("drain", () => client.resume());
  client.on("drain", () => node.resume());
  client.on("end", () => {
    reason ??= "client closed";
    node.end();
  });
  node.on("end", () => {
    reason ??= "node closed";
    client.end();
  });
  client.on("error", (error) => finish(`client: ${error.message}`));
  node.on("error", (error) => finish(`node ${route.targetText}: ${error.message}`));
  let closed = 0;
  const onClose = () => {
    if (++closed < 2) return;
    clearTimeout(connectTimer);
    tap?.send({
      kind: "close",
      conn: id,
      reason: reason ?? "proxy closed",
      requestBytes: counts.request,
      responseBytes: counts.response,
      timeMs: now(),
    });
  };
  for (const socket of [client, node]) {
    socket.once("close", () => {
      ctx.sockets.delete(socket);
      onClose();
    });
  }

  function finish(why: string): void {
    if (reason === undefined) {
      reason = why;
      tap?.send({ kind: "error", conn: id, message: why, timeMs: now() });
    }
    client.destroy();
    node.destroy();
  }
}

/** Reads the client's first 8 bytes: a legacy handshake, or not dqlite at all (then the relay just passes bytes). */
function sniffLegacy(first: Uint8Array, relay: ResponseRelay): boolean {
  const verdict = sniffClientStream(first);
  if (verdict.kind !== "dqlite") {
    relay.stopFollowing();
    return false;
  }
  return isLegacyVersion(readHandshake(first)!);
}
