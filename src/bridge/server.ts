/// <reference types="node" />
// The bridge server: one HTTP listener whose upgrades are admitted (a BridgeConnection each) or
// refused (a close code a page can read, or a bare HTTP status under a flood of refusals), and a
// clean shutdown that waits for every connection to finish. The overview is in index.ts.

import { createServer, STATUS_CODES, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { BRIDGE_SUBPROTOCOL, BridgeCloseCode } from "../transport/bridge-protocol.ts";
import { admit, type Admitted, type Refused } from "./admission.ts";
import { BridgeConnection, fitCloseReason } from "./connection.ts";
import type { BridgeConnectionStats } from "./connection-stats.ts";
import { stderrJsonLogger, type BridgeLogger } from "./log.ts";
import { type BridgeOptions, resolveBridgeOptions, type ResolvedBridgeOptions } from "./options.ts";

export interface BridgeStats {
  /** Bridged connections open now (each has its TCP side). */
  connections: BridgeConnectionStats[];
  /** Refused clients whose close handshake is still running. */
  pendingRefusals: number;
  /** Connections bridged since start. */
  accepted: number;
  /** Clients refused since start (close code or HTTP status). */
  refused: number;
}

export interface Bridge {
  /** The URL clients connect to, e.g. "ws://127.0.0.1:40123/"; add `?target=HOST:PORT` to choose. */
  readonly url: string;
  readonly host: string;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** The token clients must offer (generated at start unless one was given). */
  readonly token: string;
  /** The allowed targets; the first is the default. */
  readonly targets: readonly string[];
  stats(): BridgeStats;
  /** Stops listening, closes every connection (code 1001) and resolves when all are gone. */
  close(): Promise<void>;
}

/** Starts a bridge and resolves once it listens. */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const resolved = resolveBridgeOptions(options);
  const server = new BridgeServer(resolved, options.logger ?? stderrJsonLogger);
  await server.listen();
  return server;
}

class BridgeServer implements Bridge {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<BridgeConnection>();
  private readonly perClient = new Map<string, number>();
  private readonly refusing = new Set<WebSocket>();
  private nextId = 1;
  private accepted = 0;
  private refused = 0;
  private closing: Promise<void> | undefined;
  private boundPort = 0;

  constructor(
    private readonly options: ResolvedBridgeOptions,
    private readonly log: BridgeLogger,
  ) {
    this.http = createServer((_request, response) => {
      response.writeHead(426, { "Content-Type": "text/plain; charset=utf-8", Connection: "close" });
      response.end("dqlite-wire bridge: connect with a WebSocket (subprotocol dqlite-wire)\n");
    });
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxMessageBytes,
      // Compression would let a small message inflate to a large one and costs a zlib context each.
      perMessageDeflate: false,
      // Select the protocol name only; the token subprotocol is never echoed back.
      handleProtocols: (protocols) => (protocols.has(BRIDGE_SUBPROTOCOL) ? BRIDGE_SUBPROTOCOL : false),
    });
    this.http.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(request, socket, head));
  }

  get host(): string {
    return this.options.host;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    const host = this.options.host.includes(":") ? `[${this.options.host}]` : this.options.host;
    return `ws://${host}:${this.boundPort}/`;
  }

  get token(): string {
    return this.options.token;
  }

  get targets(): readonly string[] {
    return this.options.targets;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.options.port, this.options.host, () => {
        this.http.off("error", reject);
        const address = this.http.address();
        this.boundPort = typeof address === "object" && address !== null ? address.port : this.options.port;
        this.log({
          event: "listening",
          url: this.url,
          targets: this.options.targets,
          origins: [...this.options.origins],
          allowAdmin: this.options.allowAdmin,
        });
        resolve();
      });
    });
  }

  stats(): BridgeStats {
    return {
      connections: [...this.connections].map((connection) => connection.stats()),
      pendingRefusals: this.refusing.size,
      accepted: this.accepted,
      refused: this.refused,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    const allFinished = [...this.connections].map((connection) => new Promise<void>((resolve) => connection.onceFinished(resolve)));
    for (const connection of this.connections) connection.end(BridgeCloseCode.GoingAway, "bridge shutting down", "bridge");
    for (const ws of this.refusing) ws.terminate();
    await Promise.all([serverClosed, ...allFinished]);
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Errors on a socket that is being refused or upgraded must not crash the process.
    socket.on("error", () => socket.destroy());
    if (this.closing !== undefined) {
      this.refuseHttp(socket, 503, BridgeCloseCode.GoingAway, "bridge shutting down");
      return;
    }
    const admission = admit(request, this.options, {
      total: this.connections.size,
      fromClient: (client) => this.perClient.get(client) ?? 0,
    });
    if (admission.admitted) {
      this.wss.handleUpgrade(request, socket, head, (ws) => this.bridge(ws, admission));
    } else {
      this.refuse(request, socket, head, admission);
    }
  }

  private bridge(ws: WebSocket, admitted: Admitted): void {
    this.accepted++;
    this.perClient.set(admitted.client, (this.perClient.get(admitted.client) ?? 0) + 1);
    const connection = new BridgeConnection(this.nextId++, ws, admitted, this.options, (finished, entry) => {
      this.connections.delete(finished);
      const left = (this.perClient.get(finished.client) ?? 1) - 1;
      if (left === 0) this.perClient.delete(finished.client);
      else this.perClient.set(finished.client, left);
      this.log(entry);
    });
    this.connections.add(connection);
  }

  /**
   * Refuses with a close code the client can read, while few such refusals are in progress;
   * beyond that (a flood), with a bare HTTP status, which costs nothing to hold.
   */
  private refuse(request: IncomingMessage, socket: Duplex, head: Buffer, refusal: Refused): void {
    this.refused++;
    if (this.refusing.size >= this.options.maxPendingRefusals) {
      this.refuseHttp(socket, refusal.httpStatus, refusal.code, refusal.reason);
      this.logRefusal(refusal, "http");
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.refusing.add(ws);
      ws.on("error", () => ws.terminate());
      const grace = setTimeout(() => ws.terminate(), this.options.closeGraceMs);
      ws.on("close", () => {
        clearTimeout(grace);
        this.refusing.delete(ws);
      });
      ws.close(refusal.code, fitCloseReason(refusal.reason));
      this.logRefusal(refusal, "close");
    });
  }

  private refuseHttp(socket: Duplex, status: number, code: number, reason: string): void {
    const body = `${reason}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Refused"}\r\n` +
        "Connection: close\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        `X-Dqlite-Wire-Close-Code: ${code}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
        body,
    );
    // end() flushes the response; destroy soon after so a peer that never reads holds nothing.
    setTimeout(() => socket.destroy(), this.options.closeGraceMs).unref();
  }

  private logRefusal(refusal: Refused, via: "close" | "http"): void {
    this.log({
      event: "refused",
      client: refusal.client,
      origin: refusal.origin,
      target: refusal.requestedTarget,
      code: refusal.code,
      reason: refusal.reason,
      via,
    });
  }
}
