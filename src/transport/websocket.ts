// The WebSocket transport: dqlite bytes in binary WebSocket messages, to the project's
// WebSocket-to-TCP bridge. It uses only the standard WebSocket API, so it runs in browsers,
// Deno and Bun as is, and in Node 20 with a constructor such as the `ws` package's.
//
// What client and bridge agree on (subprotocols, token, `?target=`, close codes) is in
// bridge-protocol.ts. The bridge explains a refusal or a lost node in the close frame (code and
// reason); both end up in the ConnectionError message.
//
// The WebSocket API cannot pause receiving, so read backpressure stops at the bridge (which
// pauses its TCP side when the WebSocket side is slow); writes wait while `bufferedAmount` is
// above a bound.

import { ConnectionError } from "../errors.ts";
import { BRIDGE_SUBPROTOCOL, BridgeCloseCode, bridgeSubprotocols } from "./bridge-protocol.ts";
import { connectWithin } from "./connect-deadline.ts";
import { createPushReadable, type PushReadable } from "./push-readable.ts";
import { DEFAULT_READ_HIGH_WATER_MARK_BYTES, type ConnectOptions, type Connector, type Transport } from "./transport.ts";

/** The part of the standard WebSocket API this module uses (the `ws` package matches it too). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open", listener: () => void): void;
  /** Browsers give no detail here; the `ws` package puts it in `message`. */
  addEventListener(type: "error", listener: (event: { message?: unknown }) => void): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (event: WebSocketCloseInfo) => void): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** What a close frame said; it is the `cause` of the ConnectionError raised for it. */
export interface WebSocketCloseInfo {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

export interface WebSocketOptions extends ConnectOptions {
  /** The bridge's token (sent as a subprotocol, so only HTTP token characters). */
  token?: string;
  /** The constructor to use; default `globalThis.WebSocket` (Node 20 has none: pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  /** `write` waits while more than this many bytes are queued in the WebSocket. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Bytes queued for the reader before the stream reports itself full. Default 256 KiB. */
  readHighWaterMarkBytes?: number;
}

const OPEN = 1;
const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
/** How often a write waiting on `bufferedAmount` looks again (the API has no drain event). */
const BUFFERED_POLL_MS = 5;
const CLOSE_WAIT_MS = 1_000;
/** RFC 7230 `token` characters: anything else makes the WebSocket constructor throw. */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Connects to the bridge at `url` (ws:// or wss://, with `?target=HOST:PORT`). */
export function connectWebSocket(url: string | URL, options: WebSocketOptions = {}): Promise<Transport> {
  const href = String(url);
  const peer = withoutSecrets(href);
  let socket: WebSocketLike | undefined;
  let transport: WebSocketTransport | undefined;
  return connectWithin(peer, options, {
    start: () => {
      const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (WebSocketImpl === undefined) {
        throw new ConnectionError(
          "CONNECTION_FAILED",
          `cannot connect to ${peer}: this runtime has no global WebSocket; pass options.WebSocket (for example the ws package's)`,
        );
      }
      if (options.token !== undefined && !HTTP_TOKEN.test(options.token)) {
        throw new ConnectionError(
          "CONNECTION_FAILED",
          `cannot connect to ${peer}: the token has characters a WebSocket subprotocol cannot carry (allowed: letters, digits and !#$%&'*+.^_\`|~-)`,
        );
      }
      const protocols = options.token === undefined ? [BRIDGE_SUBPROTOCOL] : bridgeSubprotocols(options.token);
      try {
        socket = new WebSocketImpl(href, protocols);
      } catch (error) {
        throw new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: ${(error as Error).message}`, { cause: error });
      }
      socket.binaryType = "arraybuffer";
      transport = new WebSocketTransport(socket, peer, options);
      return transport.opened;
    },
    abandon: () => socket?.close(),
    discard: (late) => void late.close(),
  });
}

/**
 * A Connector that reaches each node through one bridge: `address` becomes the `target` query
 * parameter of `bridgeUrl`. For sessions that discover the leader across node addresses.
 */
export function webSocketConnector(bridgeUrl: string | URL, bridgeOptions: Omit<WebSocketOptions, keyof ConnectOptions> = {}): Connector {
  return (address, options) => {
    const url = new URL(String(bridgeUrl));
    url.searchParams.set("target", address);
    return connectWebSocket(url, { ...bridgeOptions, ...options });
  };
}

class WebSocketTransport implements Transport {
  readonly readable: ReadableStream<Uint8Array>;
  /** Resolves with this transport once the bridge accepted the connection. */
  readonly opened: Promise<Transport>;
  private readonly incoming: PushReadable;
  private readonly maxBufferedBytes: number;
  private closedError: ConnectionError | undefined;
  private closing: Promise<void> | undefined;
  private readonly closeWaiters: Array<() => void> = [];

  constructor(
    private readonly socket: WebSocketLike,
    readonly peer: string,
    options: WebSocketOptions,
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.incoming = createPushReadable(
      // The WebSocket API cannot pause: the queue grows, and the bridge's own bound applies.
      { pause: () => {}, resume: () => {}, cancel: () => void this.close() },
      options.readHighWaterMarkBytes ?? DEFAULT_READ_HIGH_WATER_MARK_BYTES,
    );
    this.readable = this.incoming.stream;

    this.opened = new Promise<Transport>((resolve, reject) => {
      let isOpen = false;
      let errorDetail = "";
      socket.addEventListener("open", () => {
        if (socket.protocol !== BRIDGE_SUBPROTOCOL) {
          const answered = socket.protocol === "" ? "no subprotocol" : `"${socket.protocol}"`;
          reject(
            new ConnectionError(
              "CONNECTION_FAILED",
              `cannot connect to ${peer}: the server answered ${answered}, not "${BRIDGE_SUBPROTOCOL}"; is it a dqlite-wire bridge?`,
            ),
          );
          socket.close(BridgeCloseCode.Normal, "subprotocol mismatch");
          return;
        }
        isOpen = true;
        resolve(this);
      });
      socket.addEventListener("message", (event) => {
        if (event.data instanceof ArrayBuffer) {
          this.incoming.push(new Uint8Array(event.data));
          return;
        }
        this.incoming.fail(new ConnectionError("CONNECTION_CLOSED", `${peer} sent a text message; dqlite bytes come in binary messages`));
        socket.close(BridgeCloseCode.UnsupportedData, "binary messages only");
      });
      socket.addEventListener("close", (event) => {
        const info: WebSocketCloseInfo = { code: event.code, reason: event.reason, wasClean: event.wasClean };
        const said = `code ${info.code}${info.reason === "" ? "" : `: ${info.reason}`}`;
        if (!isOpen) {
          // Before "open" a browser reports every refusal (HTTP status, subprotocol, no server)
          // as code 1006 without a reason: say what it can mean.
          const detail = errorDetail !== "" ? ` (${errorDetail})` : info.code === 1006 ? " (no server, or the upgrade was refused)" : "";
          reject(new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: closed with ${said}${detail}`, { cause: info }));
        }
        this.closedError ??= new ConnectionError("CONNECTION_CLOSED", `connection to ${peer} closed with ${said}`, { cause: info });
        if (info.code === BridgeCloseCode.Normal) this.incoming.end();
        else this.incoming.fail(this.closedError);
        for (const wake of this.closeWaiters.splice(0)) wake();
      });
      // An "error" event is always followed by "close", which is where it is reported.
      socket.addEventListener("error", (event) => {
        if (typeof event.message === "string") errorDetail = event.message;
      });
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closedError !== undefined) throw this.closedError;
    if (this.closing === undefined && this.socket.readyState !== OPEN) {
      // The peer is closing (a bridge refusing this client closes right after the upgrade): its
      // close frame says why, so wait for it (bounded) and fail with that rather than "closing".
      await this.closed(CLOSE_WAIT_MS);
      if (this.closedError !== undefined) throw this.closedError;
    }
    if (this.closing !== undefined || this.socket.readyState !== OPEN) {
      throw new ConnectionError("CONNECTION_CLOSED", `connection to ${this.peer} is closing`);
    }
    // A copy: the caller may reuse its buffer once the promise resolves, and not every
    // WebSocket implementation copies on send.
    this.socket.send(bytes.slice());
    while (this.socket.bufferedAmount > this.maxBufferedBytes) {
      if (this.closedError !== undefined) throw this.closedError;
      await new Promise((resolve) => setTimeout(resolve, BUFFERED_POLL_MS));
    }
  }

  /** Resolves when the socket has closed, or after `timeoutMs`. */
  private closed(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.closedError !== undefined) {
        resolve();
        return;
      }
      const timer = setTimeout(resolve, CLOSE_WAIT_MS);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close(BridgeCloseCode.Normal, "client closed");
    });
    return this.closing;
  }
}

/** The URL as shown in messages: no user:password part. */
function withoutSecrets(href: string): string {
  try {
    const url = new URL(href);
    url.username = "";
    url.password = "";
    return url.href;
  } catch {
    return href;
  }
}
