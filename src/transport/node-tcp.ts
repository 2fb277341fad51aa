/// <reference types="node" />
// The TCP transport for Node (node:net), with TLS (node:tls) when `tls` is given.

import { connect, isIP, type Socket } from "node:net";
import { type ConnectionOptions, type PeerCertificate, checkServerIdentity, connect as connectTls } from "node:tls";
import { ConnectionError } from "../errors.ts";
import { parseAddress } from "./address.ts";
import { plainBrokenError } from "./broken.ts";
import { connectWithin, describe } from "./connect-deadline.ts";
import { createPushReadable, type PushReadable } from "./push-readable.ts";
import { type ResolvedTls, tlsBrokenError, tlsHandshakeError } from "./tls.ts";
import { DEFAULT_READ_HIGH_WATER_MARK_BYTES, type ConnectOptions, type Transport } from "./transport.ts";

/** How long `close()` lets queued writes flush before it drops the connection. */
const CLOSE_FLUSH_MS = 1_000;

export interface NodeTcpOptions extends ConnectOptions {
  /** Bytes queued for a slow reader before the socket is paused. Default 256 KiB. */
  readHighWaterMarkBytes?: number;
  /** Connect with TLS (mutual, when the node asks for the client's certificate): settings resolved by connectTcp. */
  tls?: ResolvedTls | undefined;
}

/** Connects to a dqlite node ("HOST:PORT") over node:net, or node:tls with `options.tls`. */
export function connectNodeTcp(address: string, options: NodeTcpOptions = {}): Promise<NodeTcpTransport> {
  const { tls } = options;
  const peer = `${tls === undefined ? "tcp" : "tls"}://${address}`;
  let socket: Socket | undefined;
  return connectWithin(peer, options, {
    start: () => {
      const { host, port } = parseAddress(address);
      return new Promise<Socket>((resolve, reject) => {
        const attempt = tls === undefined ? connect({ host, port }) : connectTls(nodeTlsOptions(host, port, tls));
        socket = attempt;
        const onError = (error: Error): void => {
          attempt.destroy();
          reject(
            tls === undefined || isRefusal(error)
              ? new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: ${describe(error)}`, { cause: error })
              : tlsHandshakeError(peer, error),
          );
        };
        attempt.once("error", onError);
        // With TLS the connection is usable once the handshake verified the node's certificate.
        attempt.once(tls === undefined ? "connect" : "secureConnect", () => {
          attempt.off("error", onError);
          resolve(attempt);
        });
      });
    },
    abandon: () => socket?.destroy(),
    discard: (late) => late.destroy(),
  }).then(
    (connected) =>
      new NodeTcpTransport(connected, peer, options.readHighWaterMarkBytes ?? DEFAULT_READ_HIGH_WATER_MARK_BYTES, tls !== undefined),
  );
}

/**
 * node:tls options for go-dqlite's dial settings (TLS 1.2 at least, as SimpleDialTLSConfig);
 * the bridge dials its TLS targets with them too.
 */
export function nodeTlsOptions(host: string, port: number, tls: ResolvedTls): ConnectionOptions {
  const name = tls.serverName;
  return {
    host,
    port,
    cert: tls.cert,
    key: tls.key,
    ca: [...tls.ca],
    // SNI carries DNS names only (RFC 6066); the identity check below covers IP names too.
    ...(name !== undefined && isIP(name) === 0 ? { servername: name } : {}),
    // Verify the node's certificate against the server name, not the address dialled (Node's
    // default), as Go does with ServerName. Without a name, Node checks the address's host.
    ...(name !== undefined
      ? { checkServerIdentity: (_host: string, certificate: PeerCertificate) => checkServerIdentity(name, certificate) }
      : {}),
    rejectUnauthorized: !tls.insecureSkipVerify,
    minVersion: "TLSv1.2",
  };
}

/** A refused or unreachable TCP connect: no TLS was tried, so it is not a TLS failure. */
function isRefusal(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "EADDRNOTAVAIL";
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
    /** A TLS socket: its errors are explained in TLS terms (a refused certificate, say). */
    secure = false,
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
      const broken = secure ? tlsBrokenError(peer, error) : plainBrokenError(peer, error);
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
        else
          reject(
            this.closedError ??
              new ConnectionError("CONNECTION_CLOSED", `write to ${this.peer} failed: ${describe(error)}`, { cause: error }),
          );
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
