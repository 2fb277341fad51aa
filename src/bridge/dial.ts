/// <reference types="node" />
// How the bridge reaches a node: the one place that opens the connection to a target, so another
// way of reaching nodes (TLS, for one) changes this function and nothing else. The caller wires
// the socket's events ("connect", "data", "drain", "error", "close") right after this returns;
// they are emitted on later ticks, so none is missed.

import { Socket } from "node:net";
import { parseAddress } from "../transport/address.ts";

export interface DialOptions {
  /** The client→node cap: the socket's write buffer high-water mark, where write() returns false. */
  maxBufferedBytes: number;
}

/** Starts connecting to `target` ("HOST:PORT", already checked against the allow-list). */
export function dialNode(target: string, options: DialOptions): Socket {
  const { host, port } = parseAddress(target);
  // Node passes stream options through to the Duplex; its typings list only the socket ones.
  const socket = new Socket({ writableHighWaterMark: options.maxBufferedBytes } as ConstructorParameters<typeof Socket>[0]);
  socket.setNoDelay(true);
  socket.connect(port, host);
  return socket;
}
