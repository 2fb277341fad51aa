/// <reference types="node" />
// The bridge's options, their defaults and their validation. Every cap has a default that keeps a
// local demo comfortable while bounding what one hostile page or client can make the bridge hold.

import { randomBytes } from "node:crypto";
import { type HostPort, splitHostPort } from "../transport/address.ts";
import type { ResolvedTls, TlsOptions } from "../transport/tls.ts";
import { resolveTls } from "../transport/tls-certificate.ts";
import type { BridgeLogger } from "./log.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

export interface BridgeOptions {
  /** dqlite node addresses ("HOST:PORT") clients may reach; the first is the default target. */
  targets: readonly string[];
  /** Interface to listen on. Default "127.0.0.1" (loopback only). */
  host?: string;
  /** Port to listen on; 0 picks a free one (read it back from `bridge.port`). Default 0. */
  port?: number;
  /**
   * Page origins allowed to connect ("http://127.0.0.1:5173", exact match; "null" for file: and
   * sandboxed pages only if listed). A request with an Origin header not listed is refused.
   * Default: none, so no browser page is allowed until one is listed.
   */
  origins?: readonly string[];
  /**
   * Accept clients that send no Origin header (programs, not browsers: every browser sends one on
   * a WebSocket upgrade). They still need the token. Default true.
   */
  allowMissingOrigin?: boolean;
  /** The token clients must offer (see `bridgeSubprotocols`). Default: 32 random bytes, base64url. */
  token?: string;
  /** Forward cluster-changing requests (ADD, ASSIGN, REMOVE, TRANSFER, WEIGHT, DUMP). Default false. */
  allowAdmin?: boolean;
  /**
   * Forward QUERY_SQL with RETURNING: for targets that read it (dqlite ≥ 1.18.2). The bridge does
   * not ask the node; refused by default, since it kills older nodes. RETURNING in an exec or a
   * PREPARE stays refused (every version mishandles an exec of it; see src/messages/hazards.ts).
   */
  returningQueries?: boolean;
  /** Most bridged connections at once. Default 64. */
  maxConnections?: number;
  /** Most bridged connections at once from one client address. Default 16. */
  maxConnectionsPerClient?: number;
  /** Largest WebSocket message accepted from a client, in bytes. Default 1 MiB. */
  maxMessageBytes?: number;
  /** Largest dqlite request frame (header included) forwarded to a node, in bytes. Default 1 MiB. */
  maxFrameBytes?: number;
  /**
   * Bytes the bridge lets wait in each direction before it stops reading the other side: toward
   * the browser (WebSocket `bufferedAmount`) and toward the node (TCP write buffer). Default 1 MiB.
   */
  maxBufferedBytes?: number;
  /** Close a connection when no byte moved either way for this long. Default 120 000 ms. */
  idleTimeoutMs?: number;
  /** Close a connection whose handshake or a started frame is not complete within this time. Default 10 000 ms. */
  frameTimeoutMs?: number;
  /** Bound on opening the TCP connection to the node (with TLS, its handshake too). Default 5 000 ms. */
  connectTimeoutMs?: number;
  /**
   * Speak TLS to the nodes, for clusters that listen with mutual TLS (go-dqlite's app package,
   * MicroK8s): the client certificate and key, and the CA (default: the certificate itself, as
   * go-dqlite's SimpleTLSConfig). Clients still reach the bridge over WebSocket; only the
   * bridge holds the key. Default: plain TCP.
   */
  targetTls?: TlsOptions;
  /**
   * Refused clients get a WebSocket close code with a reason (browsers cannot see HTTP statuses).
   * At most this many such refusals are in progress at once; beyond that, refusals are plain
   * HTTP errors, which cost the bridge nothing. Default 32.
   */
  maxPendingRefusals?: number;
  /** How long a refused client gets to answer the close frame before its socket is dropped. Default 1 000 ms. */
  closeGraceMs?: number;
  /** Receives one entry per connection when it ends, and one per refusal. Default: JSON lines on stderr. */
  logger?: BridgeLogger;
}

export interface ResolvedBridgeOptions {
  targets: readonly string[];
  host: string;
  port: number;
  origins: ReadonlySet<string>;
  allowMissingOrigin: boolean;
  token: string;
  allowAdmin: boolean;
  returningQueries: boolean;
  maxConnections: number;
  maxConnectionsPerClient: number;
  maxMessageBytes: number;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  idleTimeoutMs: number;
  frameTimeoutMs: number;
  connectTimeoutMs: number;
  targetTls: ResolvedTls | undefined;
  maxPendingRefusals: number;
  closeGraceMs: number;
}

export const BRIDGE_DEFAULTS = Object.freeze({
  host: "127.0.0.1",
  port: 0,
  allowMissingOrigin: true,
  allowAdmin: false,
  returningQueries: false,
  maxConnections: 64,
  maxConnectionsPerClient: 16,
  maxMessageBytes: 1 * MiB,
  maxFrameBytes: 1 * MiB,
  maxBufferedBytes: 1 * MiB,
  idleTimeoutMs: 120_000,
  frameTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  maxPendingRefusals: 32,
  closeGraceMs: 1_000,
});

/** Token characters: base64url plus "." and "~", all legal in a WebSocket subprotocol name. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/;
const TOKEN_RANDOM_BYTES = 32;
/** The smallest frame cap that still carries every fixed-size request. */
const MIN_FRAME_BYTES = 64;

/** A fresh random token: 32 bytes from the system CSPRNG, base64url (43 characters). */
export function generateBridgeToken(): string {
  return randomBytes(TOKEN_RANDOM_BYTES).toString("base64url");
}

/** Splits a node address (the grammar of transport/address.ts); throws RangeError naming `what` otherwise. */
export function parseHostPort(address: string, what: string): HostPort {
  const parts = splitHostPort(address);
  if (parts === undefined || parts.port === 0) {
    throw new RangeError(`${what} must be HOST:PORT with a port 1-65535, got ${JSON.stringify(address)}`);
  }
  return parts;
}

export function resolveBridgeOptions(options: BridgeOptions): ResolvedBridgeOptions {
  if (!Array.isArray(options.targets) || options.targets.length === 0) {
    throw new RangeError("bridge: at least one target (HOST:PORT of a dqlite node) is required");
  }
  for (const target of options.targets) parseHostPort(target, "bridge target");
  const token = options.token ?? generateBridgeToken();
  if (!TOKEN_PATTERN.test(token)) {
    throw new RangeError("bridge token must be 16-256 characters of A-Z a-z 0-9 . _ ~ -");
  }
  const port = options.port ?? BRIDGE_DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`bridge port must be 0-65535, got ${port}`);
  for (const origin of options.origins ?? []) {
    if (origin === "*" || origin.trim() !== origin || origin === "") {
      throw new RangeError(`bridge origin must be an exact origin such as http://127.0.0.1:5173, got ${JSON.stringify(origin)}`);
    }
  }
  const resolved: ResolvedBridgeOptions = {
    targets: [...options.targets],
    host: options.host ?? BRIDGE_DEFAULTS.host,
    port,
    origins: new Set(options.origins ?? []),
    allowMissingOrigin: options.allowMissingOrigin ?? BRIDGE_DEFAULTS.allowMissingOrigin,
    token,
    allowAdmin: options.allowAdmin ?? BRIDGE_DEFAULTS.allowAdmin,
    returningQueries: options.returningQueries ?? BRIDGE_DEFAULTS.returningQueries,
    maxConnections: positive("maxConnections", options.maxConnections, BRIDGE_DEFAULTS.maxConnections),
    maxConnectionsPerClient: positive("maxConnectionsPerClient", options.maxConnectionsPerClient, BRIDGE_DEFAULTS.maxConnectionsPerClient),
    maxMessageBytes: positive("maxMessageBytes", options.maxMessageBytes, BRIDGE_DEFAULTS.maxMessageBytes),
    maxFrameBytes: positive("maxFrameBytes", options.maxFrameBytes, BRIDGE_DEFAULTS.maxFrameBytes),
    maxBufferedBytes: positive("maxBufferedBytes", options.maxBufferedBytes, BRIDGE_DEFAULTS.maxBufferedBytes),
    idleTimeoutMs: positive("idleTimeoutMs", options.idleTimeoutMs, BRIDGE_DEFAULTS.idleTimeoutMs),
    frameTimeoutMs: positive("frameTimeoutMs", options.frameTimeoutMs, BRIDGE_DEFAULTS.frameTimeoutMs),
    connectTimeoutMs: positive("connectTimeoutMs", options.connectTimeoutMs, BRIDGE_DEFAULTS.connectTimeoutMs),
    targetTls: options.targetTls === undefined ? undefined : targetTls(options.targetTls),
    maxPendingRefusals: nonNegative("maxPendingRefusals", options.maxPendingRefusals, BRIDGE_DEFAULTS.maxPendingRefusals),
    closeGraceMs: positive("closeGraceMs", options.closeGraceMs, BRIDGE_DEFAULTS.closeGraceMs),
  };
  if (resolved.maxFrameBytes < MIN_FRAME_BYTES) throw new RangeError(`bridge maxFrameBytes must be at least ${MIN_FRAME_BYTES}`);
  return resolved;
}

/** The TLS settings checked like every other option: a RangeError that names the problem. */
function targetTls(options: TlsOptions): ResolvedTls {
  try {
    return resolveTls(options);
  } catch (error) {
    throw new RangeError(`bridge targetTls: ${(error as Error).message}`, { cause: error });
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < 1) throw new RangeError(`bridge ${name} must be a positive integer, got ${String(value)}`);
  return chosen;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < 0)
    throw new RangeError(`bridge ${name} must be a non-negative integer, got ${String(value)}`);
  return chosen;
}
