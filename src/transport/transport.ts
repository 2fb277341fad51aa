// The byte pipe that a session runs over. The codec never sees a socket: it reads the
// `readable` stream and hands encoded frames to `write`. One implementation per runtime
// (node:net, Deno.connect, Bun.connect) plus the standard WebSocket API for browsers.

export interface Transport {
  /** Bytes from the peer, in arrival order. Ends when the peer closes; errors with ConnectionError. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Sends bytes; resolves once accepted (applies backpressure). Rejects with ConnectionError when closed. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes both directions; idempotent. */
  close(): Promise<void>;
  /** Human-readable peer, e.g. "tcp://127.0.0.1:9001". */
  readonly peer: string;
}

export interface ConnectOptions {
  /** Cancels the connection attempt (CancelledError). Has no effect once connected. */
  signal?: AbortSignal;
  /** Bound on the connection attempt (TimeoutError). Default `DEFAULT_CONNECT_TIMEOUT_MS`. */
  timeoutMs?: number;
}

export type Connector = (address: string, options?: ConnectOptions) => Promise<Transport>;

/** A connect that neither succeeds nor fails (a black-holed address) gives up after this. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * How many received bytes a transport queues for a reader that does not keep up before it stops
 * reading from the socket (TCP flow control then slows the peer down).
 */
export const DEFAULT_READ_HIGH_WATER_MARK_BYTES = 256 * 1024;
