// The TCP transport for Bun (Bun.connect, with its `tls` option when `tls` is given).
//
// Bun's sockets do not buffer writes: `write` takes what the kernel accepts and returns that
// count, and `drain` says when to offer the rest. This module keeps the rest and resolves a
// write once all of its bytes are taken.

import { ConnectionError } from "../errors.ts";
import { parseAddress } from "./address.ts";
import { plainBrokenError } from "./broken.ts";
import { connectWithin, describe } from "./connect-deadline.ts";
import { createPushReadable, type PushReadable } from "./push-readable.ts";
import { type ResolvedTls, tlsBrokenError, tlsHandshakeError } from "./tls.ts";
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
  /** TLS only: the handshake is over; `success` false with the reason when verification failed. */
  handshake?(socket: BunSocket, success: boolean, authorizationError: Error | null): void;
}
/** Bun's TLS options (the subset used here; names as Bun.connect takes them). */
interface BunTlsOptions {
  cert: string;
  key: string;
  ca: string[];
  serverName?: string;
  rejectUnauthorized: boolean;
}
interface BunRuntime {
  connect(options: { hostname: string; port: number; socket: BunSocketHandler; tls?: BunTlsOptions }): Promise<BunSocket>;
}

/** How long `close()` lets queued writes flush before it drops the connection. */
const CLOSE_FLUSH_MS = 1_000;

export interface BunTcpOptions extends ConnectOptions {
  /** Bytes queued for a slow reader before the socket is paused. Default 256 KiB. */
  readHighWaterMarkBytes?: number;
  /** Connect with TLS (Bun.connect's `tls`): settings resolved by connectTcp. */
  tls?: ResolvedTls | undefined;
}

export function connectBunTcp(address: string, options: BunTcpOptions = {}): Promise<Transport> {
  const { tls } = options;
  const peer = `${tls === undefined ? "tcp" : "tls"}://${address}`;
  // The handlers exist before the socket does: data may arrive before `connect` resolves.
  const transport = new BunTcpTransport(
    peer,
    options.readHighWaterMarkBytes ?? DEFAULT_READ_HIGH_WATER_MARK_BYTES,
    tls !== undefined,
    tls?.insecureSkipVerify === true,
  );
  return connectWithin(peer, options, {
    start: async () => {
      const bun = (globalThis as { Bun?: BunRuntime }).Bun;
      if (bun === undefined) throw new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: not running in Bun`);
      const { host, port } = parseAddress(address);
      let socket: BunSocket;
      try {
        socket = await bun.connect({
          hostname: host,
          port,
          socket: transport.handler,
          ...(tls === undefined ? {} : { tls: bunTlsOptions(tls) }),
        });
      } catch (error) {
        throw new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: ${describe(error)}`, { cause: error });
      }
      // Bun.connect resolves once TCP is up; with TLS the connection is usable after the
      // handshake has verified the node's certificate.
      if (tls !== undefined) await transport.handshakeDone;
      return socket;
    },
    discard: (late) => late.terminate(),
  }).then((socket) => {
    transport.attach(socket);
    return transport;
  });
}

/** go-dqlite's dial settings in Bun's words. */
function bunTlsOptions(tls: ResolvedTls): BunTlsOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ca: [...tls.ca],
    // Without a name Bun verifies the host dialled, as Node does.
    ...(tls.serverName === undefined ? {} : { serverName: tls.serverName }),
    rejectUnauthorized: !tls.insecureSkipVerify,
  };
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
  /** TLS: settles when the handshake is over (rejects when it failed or the socket went first). */
  readonly handshakeDone: Promise<void>;
  private settleHandshake: (error?: ConnectionError) => void = () => {};

  constructor(
    readonly peer: string,
    readHighWaterMarkBytes: number,
    /** A TLS socket: its errors are explained in TLS terms (a refused certificate, say). */
    private readonly secure = false,
    /** `insecureSkipVerify`: a failed verification does not fail the handshake. */
    private readonly insecure = false,
  ) {
    let pending = true;
    this.handshakeDone = new Promise<void>((resolve, reject) => {
      this.settleHandshake = (error) => {
        if (!pending) return;
        pending = false;
        if (error === undefined) resolve();
        else reject(error);
      };
    });
    // Only awaited with TLS; a plain socket's never-awaited rejection must not be reported.
    this.handshakeDone.catch(() => {});
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
      ...(secure
        ? {
            handshake: (_socket: BunSocket, success: boolean, authorizationError: Error | null) => {
              // With verification on, Bun closes the socket itself after a failed handshake.
              if (success || this.handshakeAccepted(authorizationError)) this.settleHandshake();
              else this.settleHandshake(tlsHandshakeError(peer, authorizationError ?? new Error("verification failed")));
            },
          }
        : {}),
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

  /** A failed verification that `insecureSkipVerify` lets through (Bun then keeps the socket). */
  private handshakeAccepted(authorizationError: Error | null): boolean {
    return authorizationError !== null && this.insecure;
  }

  private broke(error: Error): void {
    const broken = this.secure ? tlsBrokenError(this.peer, error) : plainBrokenError(this.peer, error);
    this.closedError ??= broken;
    this.incoming.fail(broken);
    this.settleHandshake(this.secure ? tlsHandshakeError(this.peer, error) : broken);
  }

  private finish(error: ConnectionError): void {
    this.settleHandshake(
      this.secure ? tlsHandshakeError(this.peer, new Error("peer closed the connection before the handshake finished")) : error,
    );
    this.closedError ??= error;
    this.incoming.end();
    for (const pending of this.queue.splice(0)) pending.reject(this.closedError);
    this.onClosed?.();
  }
}
