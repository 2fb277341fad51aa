/// <reference types="node" />
// The TCP transport for Node (node:net).

import { connect, type Socket } from "node:net";
import { ConnectionError } from "../errors.ts";
import { parseAddress } from "./address.ts";
import { connectWithin, describe } from "./connect-deadline.ts";
import { createPushReadable, type PushReadable } from "./push-readable.ts";
import {
  DEFAULT_READ_HIGH_WATER_MARK_BYTES,
  type ConnectOptions,
  type Transport,
} from "./transport.ts";

/** How long `close()` lets queued writes flush before it drops the connection. */
const CLOSE_FLUSH_MS = 1_000;

export interface NodeTcpOptions extends ConnectOptions {
  /** Bytes queued for a slow reader before the socket is paused. Default 256 KiB. */
  readHighWaterMarkBytes?: number;
}

/** Connects to a dqlite node ("HOST:PORT") over node:net. */
export function connectNodeTcp(address: string, options: NodeTcpOptions = {}): Promise<NodeTcpTransport> {
  const peer = `tcp://${address}`;
  let socket: Socket | undefined;
  return connectWithin(peer, options, {
    start: () => {
      const { host, port } = parseAddress(address);
      return new Promise<Socket>((resolve, reject) => {
        const attempt = connect({ host, port });
        socket = attempt;
        const onError = (error: Error): void => {
          attempt.destroy();
          reject(new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: ${describe(error)}`, { cause: error }));
        };
        attempt.once("error", onError);
        attempt.once("connect", () => {
          attempt.off("error", onError);
          resolve(attempt);
        });
      });
    },
    abandon: () => socket?.destroy(),
    discard: (late) => late.destroy(),
  }).then((connected) => new NodeTcpTransport(connected, peer, options.readHighWaterMarkBytes ?? DEFAULT_READ_HIGH_WATER_MARK_BYTES));
}

export class NodeTcpTransport implements Transport {
  readonly readable: ReadableStream<Uint8Array>;
  private readonly incoming: PushReadable;
  /** Set once the socket is gone; later writes reject with it. */
  private closedError: ConnectionError | undefined;
  private closing: Promise<void> | undefined;
  private readonly pendingWrites = new Set<(error: ConnectionError) => void>();

  constructor(
    private readonly socket: Socket,
    readonly peer: string,
    readHighWaterMarkBytes: number,
  ) {
    // dqlite is request/response with small requests: Nagle's algorithm would only add latency.
    socket.setNoDelay(true);
    this.incoming = createPushReadable(
      {
        pause: () => socket.pause(),
        resume: () => socket.resume(),
        cancel: () => void this.close(),
      },
      readHighWaterMarkBytes,
    );
    this.readable = this.incoming.stream;

    socket.on("data", (chunk: Buffer) => {
      // A plain Uint8Array view of the same memory: Buffer's own `slice` shares memory where
      // Uint8Array's copies, and code written for Uint8Array must get Uint8Array semantics.
      this.incoming.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    socket.on("end", () => this.incoming.end());
    socket.on("error", (error) => {
      const broken = new ConnectionError("CONNECTION_CLOSED", `connection to ${peer} broke: ${describe(error)}`, { cause: error });
      this.closedError ??= broken;
      this.incoming.fail(broken);
    });
    socket.on("close", () => {
      this.closedError ??= new ConnectionError("CONNECTION_CLOSED", `connection to ${peer} is closed`);
      // Closed locally or without a FIN we saw: the reader's stream ends here either way.
      this.incoming.end();
      for (const reject of this.pendingWrites) reject(this.closedError);
      this.pendingWrites.clear();
    });
  }

  /** Bytes read from the socket so far (including bytes still queued for the reader). */
  get bytesReceived(): number {
    return this.socket.bytesRead;
  }

  /** True while the socket is paused because the reader is not keeping up. */
  get readPaused(): boolean {
    return this.incoming.paused;
  }

  /** Resolves when the bytes are handed to the kernel, so the caller may reuse `bytes` after. */
  write(bytes: Uint8Array): Promise<void> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    if (this.closing !== undefined) {
      return Promise.reject(new ConnectionError("CONNECTION_CLOSED", `connection to ${this.peer} is closing`));
    }
    return new Promise<void>((resolve, reject) => {
      const fail = (error: ConnectionError): void => reject(error);
      this.pendingWrites.add(fail);
      this.socket.write(bytes, (error) => {
        this.pendingWrites.delete(fail);
        if (error === null || error === undefined) resolve();
        else reject(this.closedError ?? new ConnectionError("CONNECTION_CLOSED", `write to ${this.peer} failed: ${describe(error)}`, { cause: error }));
      });
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      this.socket.once("close", () => resolve());
      // Flush what was accepted, send FIN, then drop the socket without waiting for the peer.
      const timer = setTimeout(() => this.socket.destroy(), CLOSE_FLUSH_MS);
      this.socket.end(() => {
        clearTimeout(timer);
        this.socket.destroy();
      });
    });
    return this.closing;
  }
}
