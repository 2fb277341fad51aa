// The TCP transport for Deno (Deno.connect, or Deno.connectTls with `tls`). Needs `--allow-net`.
//
// TLS in Deno (rustls) differs from Node and Bun in three ways, each reported as a TLS
// ConnectionError rather than worked around: Deno.connectTls verifies the node's certificate
// against the host it connects to (it takes no separate server name), it cannot skip
// verification per connection, and it refuses a CA certificate (basicConstraints CA:TRUE) as
// the node's own certificate.
//
// Deno's connection is pull-based (`read` into a buffer), so the readable stream reads only
// when its reader wants more: backpressure needs no pausing here.

import { ConnectionError } from "../errors.ts";
import { parseAddress } from "./address.ts";
import { plainBrokenError } from "./broken.ts";
import { connectWithin, describe } from "./connect-deadline.ts";
import { type ResolvedTls, tlsBrokenError, tlsConfigError, tlsHandshakeError } from "./tls.ts";
import { DEFAULT_READ_HIGH_WATER_MARK_BYTES, type ConnectOptions, type Transport } from "./transport.ts";

/** The part of Deno's API this module uses, declared here so the package needs no Deno types. */
interface DenoTcpConn {
  read(into: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
  /** TCP connections only (Deno's TLS connections have no such method). */
  setNoDelay?(noDelay?: boolean): void;
}
interface DenoTlsConn extends DenoTcpConn {
  handshake(): Promise<unknown>;
}
interface DenoRuntime {
  connect(options: { hostname: string; port: number; transport?: "tcp" }): Promise<DenoTcpConn>;
  connectTls(options: { hostname: string; port: number; caCerts: string[]; cert: string; key: string }): Promise<DenoTlsConn>;
}

/** Size of each socket read. Small reads are copied out so the buffer can be reused. */
const READ_BUFFER_BYTES = 64 * 1024;
/** How long `close()` lets queued writes flush before it drops the connection. */
const CLOSE_FLUSH_MS = 1_000;
/**
 * How long a failed write waits for the read in flight to report why. The
 * socket is already broken, so that read ends at once; the bound only guards against a runtime
 * that never settles it.
 */
const READ_VERDICT_WAIT_MS = 1_000;

export interface DenoTcpOptions extends ConnectOptions {
  /** Bytes read ahead for a slow reader. Default 256 KiB. */
  readHighWaterMarkBytes?: number;
  /** Connect with TLS (Deno.connectTls), settings resolved by connectTcp; see the module comment for what Deno cannot do. */
  tls?: ResolvedTls | undefined;
}

export function connectDenoTcp(address: string, options: DenoTcpOptions = {}): Promise<Transport> {
  const { tls } = options;
  const peer = `${tls === undefined ? "tcp" : "tls"}://${address}`;
  return connectWithin(peer, options, {
    start: async () => {
      const deno = (globalThis as { Deno?: DenoRuntime }).Deno;
      if (deno === undefined) throw new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: not running in Deno`);
      const { host, port } = parseAddress(address);
      if (tls !== undefined) return connectTls(deno, host, port, peer, tls);
      try {
        return await deno.connect({ hostname: host, port, transport: "tcp" });
      } catch (error) {
        throw new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: ${describe(error)}`, { cause: error });
      }
    },
    // Deno.connect cannot be aborted; a connection that arrives late is closed at once.
    discard: (late) => closeQuietly(late),
  }).then(
    (conn) => new DenoTcpTransport(conn, peer, options.readHighWaterMarkBytes ?? DEFAULT_READ_HIGH_WATER_MARK_BYTES, tls !== undefined),
  );
}

/** Deno.connectTls, with the handshake completed (and its verdict known) before it resolves. */
async function connectTls(deno: DenoRuntime, host: string, port: number, peer: string, tls: ResolvedTls): Promise<DenoTlsConn> {
  if (tls.insecureSkipVerify) {
    throw tlsConfigError(
      "insecureSkipVerify is not available in Deno: Deno.connectTls always verifies (only a whole process can skip it, with --unsafely-ignore-certificate-errors)",
    );
  }
  if (tls.serverNameGiven && tls.serverName !== host) {
    throw tlsConfigError(
      `Deno.connectTls verifies the certificate against the host it connects to (${host}) and takes no other server name (${tls.serverName}): dial the node by that name, or leave serverName out`,
    );
  }
  let conn: DenoTlsConn;
  try {
    conn = await deno.connectTls({ hostname: host, port, caCerts: [...tls.ca], cert: tls.cert, key: tls.key });
  } catch (error) {
    throw new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: ${describe(error)}`, { cause: error });
  }
  try {
    await conn.handshake();
  } catch (error) {
    closeQuietly(conn);
    throw tlsHandshakeError(peer, error);
  }
  return conn;
}

class DenoTcpTransport implements Transport {
  readonly readable: ReadableStream<Uint8Array>;
  private closed = false;
  private brokenBy: ConnectionError | undefined;
  private closing: Promise<void> | undefined;
  /** The socket read in flight, if any: a failed write asks it why (a TLS node's alert, say). */
  private readInFlight: Promise<unknown> | undefined;
  /** Writes are chained: `conn.write` may write part of a buffer, and calls must not interleave. */
  private writeChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly conn: DenoTcpConn,
    readonly peer: string,
    readHighWaterMarkBytes: number,
    /** A TLS connection: its errors are explained in TLS terms (a refused certificate, say). */
    private readonly secure = false,
  ) {
    conn.setNoDelay?.(true);
    let buffer = new Uint8Array(READ_BUFFER_BYTES);
    this.readable = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          let count: number | null;
          const read = conn.read(buffer);
          this.readInFlight = read;
          try {
            count = await read;
          } catch (error) {
            if (this.closed) {
              controller.close(); // our own close() interrupted the read
              return;
            }
            this.brokenBy = secure ? tlsBrokenError(peer, error) : plainBrokenError(peer, error);
            controller.error(this.brokenBy);
            return;
          }
          if (count === null) {
            controller.close();
            return;
          }
          if (count < READ_BUFFER_BYTES / 2) {
            controller.enqueue(buffer.slice(0, count));
          } else {
            controller.enqueue(buffer.subarray(0, count));
            buffer = new Uint8Array(READ_BUFFER_BYTES);
          }
        },
        cancel: () => this.close(),
      },
      { highWaterMark: readHighWaterMarkBytes, size: (chunk) => chunk.byteLength },
    );
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed || this.brokenBy !== undefined) {
      return Promise.reject(this.brokenBy ?? new ConnectionError("CONNECTION_CLOSED", `connection to ${this.peer} is closed`));
    }
    const next = this.writeChain.then(async () => {
      let offset = 0;
      while (offset < bytes.byteLength) {
        try {
          offset += await this.conn.write(bytes.subarray(offset));
        } catch (error) {
          throw await this.writeFailure(error);
        }
      }
    });
    // A failed write must not poison the chain for the error reporting of later ones.
    this.writeChain = next.catch(() => {});
    return next;
  }

  /**
   * Why a write failed: the read in flight, if any, usually knows better. Under TLS 1.3 the node
   * checks the client's certificate after the client's side of the handshake is done; a node that
   * refuses it sends an alert and closes, and a write racing that close fails with a bare EPIPE or
   * ECONNRESET while the read in flight holds the alert ("received fatal alert: BadCertificate").
   */
  private async writeFailure(error: unknown): Promise<ConnectionError> {
    if (this.readInFlight !== undefined && this.brokenBy === undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settled = this.readInFlight.then(
        () => {},
        () => {},
      );
      await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, READ_VERDICT_WAIT_MS)))]);
      clearTimeout(timer);
      // The stream's pull records its failure before this continuation runs.
      await Promise.resolve();
    }
    if (this.brokenBy !== undefined) return this.brokenBy;
    return this.secure ? tlsBrokenError(this.peer, error) : plainBrokenError(this.peer, error);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      // Let accepted writes finish first, but not for longer than a peer that stopped
      // reading would make us wait.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.writeChain, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_FLUSH_MS)))]);
      clearTimeout(timer);
      closeQuietly(this.conn);
    })();
    return this.closing;
  }
}

function closeQuietly(conn: DenoTcpConn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
