// Picks the TCP transport of the runtime we are in. Deno and Bun both report
// `process.versions.node`, so they are recognised by their own globals first. Each transport
// is imported on demand, so a bundle for browsers never loads node:net; so is the reading of
// certificates (tls-certificate.ts, asn1js), only when `tls` is given.

import { ConnectionError } from "../errors.ts";
import type { TlsOptions } from "./tls.ts";
import type { ConnectOptions, Connector, Transport } from "./transport.ts";

export interface TcpOptions extends ConnectOptions {
  /** Bytes queued for a slow reader before the socket stops reading. Default 256 KiB. */
  readHighWaterMarkBytes?: number;
  /** Connect with TLS: the client certificate and key, and optionally the CA and server name. */
  tls?: TlsOptions;
}

export type TcpRuntime = "deno" | "bun" | "node";

/** The runtime whose TCP API `connectTcp` uses here, or undefined (a browser). */
export function detectTcpRuntime(): TcpRuntime | undefined {
  const global = globalThis as { Deno?: unknown; Bun?: unknown; process?: { versions?: { node?: unknown } } };
  if (global.Deno !== undefined) return "deno";
  if (global.Bun !== undefined) return "bun";
  if (typeof global.process?.versions?.node === "string") return "node";
  return undefined;
}

/**
 * A connector that dials every address with the same `options` (a client's TLS settings, say):
 * the per-call signal and timeout of the session are added to them.
 */
export function tcpConnector(options: TcpOptions): Connector {
  return (address, call) => connectTcp(address, { ...options, ...call });
}

/** Connects to a dqlite node ("HOST:PORT") with the runtime's own TCP sockets. */
export async function connectTcp(address: string, options: TcpOptions = {}): Promise<Transport> {
  const runtime = detectTcpRuntime();
  // Resolved once per options object (tls-certificate.ts caches it), before any socket opens.
  const tls =
    runtime === undefined || options.tls === undefined ? undefined : (await import("./tls-certificate.ts")).resolveTls(options.tls);
  switch (runtime) {
    case "deno":
      return (await import("./deno-tcp.ts")).connectDenoTcp(address, { ...options, tls });
    case "bun":
      return (await import("./bun-tcp.ts")).connectBunTcp(address, { ...options, tls });
    case "node":
      return (await import("./node-tcp.ts")).connectNodeTcp(address, { ...options, tls });
    default:
      throw new ConnectionError(
        "CONNECTION_FAILED",
        `cannot connect to tcp://${address}: this runtime has no TCP sockets (a browser?); use connectWebSocket through the bridge`,
      );
  }
}
