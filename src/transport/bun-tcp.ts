// The TCP transport for Bun (Bun.connect).
//
// Bun's sockets do not buffer writes: `write` takes what the kernel accepts and returns that
// count, and `drain` says when to offer the rest. This module keeps the rest and resolves a
// write once all of its bytes are taken.

import { ConnectionError } from "../errors.ts";
import { parseAddress } from "./address.ts";
import { connectWithin, describe } from "./connect-deadline.ts";
import { createPushReadable, type PushReadable } from "./push-readable.ts";
import { DEFAULT_READ_HIGH_WATER_MARK_BYTES, type ConnectOptions, type Transport } from "./transport.ts";

/** The part of Bun's API this module uses, declared here so the package needs no Bun types. */
interface BunSocket {
  write(bytes: Uint8Array): number;
  end(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay(noDelay?: boolean): boolean;
}
interface BunSocketHandler {
  binaryType: "uint8array";
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
  connectError(socket: BunSocket, error: Error): void;
}
interface BunRuntime {
  connect(options: { hostname: string; port: number; socket: BunSocketHandler }): Promise<BunSocket>;
}

/** How long `close()` lets queued writes flush before it drops the connection. */
const CLOSE_FLUSH_MS = 1_000;

export interface BunTcpOptions extends ConnectOptions {
  /** Bytes queued for a slow reader before the socket is paused. Default 256 KiB. */
  readHighWaterMarkBytes?: number;
}

export function connectBunTcp(address: string, options: BunTcpOptions = {}): Promise<Transport> {
  const peer = `tcp://${address}`;
  // The handlers exist before the socket does: data may arrive before `connect` resolves.
  const transport = new BunTcpTransport(peer, options.readHighWaterMarkBytes ?? DEFAULT_READ_HIGH_WATER_MARK_BYTES);
  return connectWithin(peer, options, {
    start: async () => {
      const bun = (globalThis as { Bun?: BunRuntime }).Bun;
      if (bun === undefined) throw new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: not running in Bun`);
      const { host, port } = parseAddress(address);
      try {
        return await bun.connect({ hostname: host, port, socket: transport.handler });
      } catch (error) {
        throw new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: ${describe(error)}`, { cause: error });
      }
    },
    discard: (late) => late.terminate(),
  }).then((socket) => {
    transport.attach(socket);
    return transport;
  });
}

interface QueuedWrite {
  readonly bytes: Uint8Array;
  offset: number;
  resolve(): void;
  reject(error: ConnectionError): void;
}

class BunTcpTransport implements Transport {
  readonly readable: ReadableStream<Uint8Array>;
  readonly handler: BunSocketHandler;
  private socket: BunSocket | undefined;
  private readonly incoming: PushReadable;
  private readonly queue: QueuedWrite[] = [];
  private closedError: ConnectionError | undefined;
  private closing: Promise<void> | undefined;
  private onClosed: (() => void) | undefined;

  constructor(
    readonly peer: string,
    readHighWaterMarkBytes: number,
  ) {
    this.incoming = createPushReadable(
      {
        pause: () => this.socket?.pause(),
        resume: () => this.socket?.resume(),
        cancel: () => void this.close(),
      },
      readHighWaterMarkBytes,
    );
    this.readable = this.incoming.stream;
    this.handler = {
      binaryType: "uint8array",
      data: (_socket, data) => this.incoming.push(data),
      drain: () => this.flush(),
      end: () => this.incoming.end(),
      error: (_socket, error) => this.broke(error),
      connectError: () => {
        // Reported through the rejected connect promise.
      },
      close: (_socket, error) => {
        if (error !== undefined) this.broke(error);
        this.finish(new ConnectionError("CONNECTION_CLOSED", `connection to ${peer} is closed`));
      },
    };
  }

  attach(socket: BunSocket): void {
    this.socket = socket;
    socket.setNoDelay(true);
    // A pause requested before the socket existed.
    if (this.incoming.paused) socket.pause();
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    if (this.closing !== undefined) {
      return Promise.reject(new ConnectionError("CONNECTION_CLOSED", `connection to ${this.peer} is closing`));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, offset: 0, resolve, reject });
      if (this.queue.length === 1) this.flush();
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const socket = this.socket;
      if (socket === undefined || this.closedError !== undefined) {
        resolve();
        return;
      }
      this.onClosed = resolve;
      const timer = setTimeout(() => socket.terminate(), CLOSE_FLUSH_MS);
      const endWhenFlushed = (): void => {
        if (this.closedError !== undefined) return;
        if (this.queue.length > 0) {
          setTimeout(endWhenFlushed, 10);
          return;
        }
        clearTimeout(timer);
        socket.end();
      };
      endWhenFlushed();
    });
    return this.closing;
  }

  /** Offers queued bytes to the socket until it takes no more (then `drain` calls again). */
  private flush(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const written = socket.write(head.bytes.subarray(head.offset));
      if (written < 0) {
        this.finish(new ConnectionError("CONNECTION_CLOSED", `connection to ${this.peer} is closed`));
        return;
      }
      head.offset += written;
      if (head.offset < head.bytes.byteLength) return;
      this.queue.shift();
      head.resolve();
    }
  }

  private broke(error: Error): void {
    const broken = new ConnectionError("CONNECTION_CLOSED", `connection to ${this.peer} broke: ${describe(error)}`, { cause: error });
    this.closedError ??= broken;
    this.incoming.fail(broken);
  }

  private finish(error: ConnectionError): void {
    this.closedError ??= error;
    this.incoming.end();
    for (const pending of this.queue.splice(0)) pending.reject(this.closedError);
    this.onClosed?.();
  }
}
