/// <reference types="node" />
// How the bridge reaches a node: the one place that opens the connection to a target, so another
// way of reaching nodes changes this module and nothing else. The caller wires the socket's
// events ("connect" — or NODE_READY_EVENT's "secureConnect" with TLS —, "data", "drain",
// "error", "close") right after this returns; they are emitted on later ticks, so none is missed.
// With `targetTls` the connection is TLS, verified as go-dqlite's SimpleDialTLSConfig does
// (src/transport/tls.ts), for clusters whose nodes listen with mutual TLS.

import { Socket } from "node:net";
import { type ConnectionOptions, connect as connectTls } from "node:tls";
import { parseAddress } from "../transport/address.ts";
import { nodeTlsOptions } from "../transport/node-tcp.ts";
import { type ResolvedTls, explainTlsFailure } from "../transport/tls.ts";

export interface DialOptions {
  /** The client→node cap: the socket's write buffer high-water mark, where write() returns false. */
  maxBufferedBytes: number;
  /** TLS to the node (client certificate and key, CA, server name), or plain TCP when undefined. */
  targetTls?: ResolvedTls | undefined;
}

/** Starts connecting to `target` ("HOST:PORT", already checked against the allow-list). */
export function dialNode(target: string, options: DialOptions): Socket {
  const { host, port } = parseAddress(target);
  if (options.targetTls !== undefined) return dialTls(host, port, options.targetTls, options.maxBufferedBytes);
  // Node passes stream options through to the Duplex; its typings list only the socket ones.
  const socket = new Socket({ writableHighWaterMark: options.maxBufferedBytes } as ConstructorParameters<typeof Socket>[0]);
  socket.setNoDelay(true);
  socket.connect(port, host);
  return socket;
}

/**
 * The event after which the node can be talked to: TCP's "connect", or with TLS "secureConnect"
 * (the handshake verified the node; a TLS socket emits "connect" earlier, at the TCP connect).
 */
export function nodeReadyEvent(options: DialOptions): "connect" | "secureConnect" {
  return options.targetTls === undefined ? "connect" : "secureConnect";
}

/** A socket error in words for the close reason and the log: TLS failures say what failed. */
export function describeDialError(error: Error, options: DialOptions): string {
  return options.targetTls === undefined ? error.message : `TLS: ${explainTlsFailure(error)}`;
}

function dialTls(host: string, port: number, tls: ResolvedTls, maxBufferedBytes: number): Socket {
  // The TLS socket's own buffers take the cap: its writable side is what write() reports on.
  // (Node passes highWaterMark through to the TLS socket's Duplex; its typings do not list it.)
  const options: ConnectionOptions = { ...nodeTlsOptions(host, port, tls), highWaterMark: maxBufferedBytes } as ConnectionOptions;
  const socket = connectTls(options);
  socket.setNoDelay(true);
  return socket;
}
