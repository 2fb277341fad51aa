/// <reference types="node" />
// One bridged connection: a WebSocket from a client piped to one TCP connection to a dqlite node.
//
// Client → node: every WebSocket message goes through the request frame gate; only whole, valid,
// allowed frames are written to the node. When the TCP write buffer is full (`write()` returns
// false), the bridge stops reading the WebSocket until the socket drains.
// Node → client: bytes go out as they come (responses are the node's, not checked here). When the
// WebSocket's `bufferedAmount` reaches the cap, the bridge stops reading the node's socket and
// resumes once the client has taken the bytes.
// Either way at most about one cap plus one chunk waits in the bridge per direction.

import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import type { BridgeConnectionStats } from "./connection-stats.ts";
import { BridgeCloseCode } from "../transport/bridge-protocol.ts";
import type { Admitted } from "./admission.ts";
import { describeDialError, dialNode, nodeReadyEvent } from "./dial.ts";
import { RequestFrameGate } from "./frame-gate.ts";
import type { BridgeConnectionLogEntry } from "./log.ts";
import type { ResolvedBridgeOptions } from "./options.ts";
import { StmtResponseWatcher } from "./statement-watcher.ts";

/** A WebSocket close reason may hold at most 123 bytes of UTF-8 (RFC 6455 §5.5). */
const MAX_CLOSE_REASON_BYTES = 123;

type ClosedBy = BridgeConnectionLogEntry["closedBy"];

export class BridgeConnection {
  private readonly tcp: Socket;
  private readonly gate: RequestFrameGate;
  private readonly replies: StmtResponseWatcher;
  private readonly startedAt = Date.now();
  private lastActivity = Date.now();
  private connected = false;
  private bytesToTarget = 0;
  private bytesToClient = 0;
  private peakBufferedToClient = 0;
  private peakBufferedToTarget = 0;
  private targetPaused = false;
  private clientPaused = false;
  /** When reading each side was paused (valid while paused). */
  private targetPausedAt = 0;
  private clientPausedAt = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private frameTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private ending: { code: number; reason: string; closedBy: ClosedBy } | undefined;
  private finished = false;
  private readonly finishListeners: (() => void)[] = [];

  constructor(
    readonly id: number,
    private readonly ws: WebSocket,
    private readonly admitted: Admitted,
    private readonly options: ResolvedBridgeOptions,
    private readonly onFinished: (connection: BridgeConnection, entry: BridgeConnectionLogEntry) => void,
  ) {
    this.gate = new RequestFrameGate({
      maxFrameBytes: options.maxFrameBytes,
      allowAdmin: options.allowAdmin,
      returningQueries: options.returningQueries,
    });
    this.replies = new StmtResponseWatcher((id) => this.gate.statementPrepared(id));
    this.tcp = dialNode(admitted.target, options);
    this.wireWebSocket();
    this.wireTcp();
    this.connectTimer = setTimeout(
      () =>
        this.end(BridgeCloseCode.TargetUnreachable, `no connection to ${admitted.target} within ${options.connectTimeoutMs} ms`, "bridge"),
      options.connectTimeoutMs,
    );
    this.scheduleIdleCheck(options.idleTimeoutMs);
  }

  get client(): string {
    return this.admitted.client;
  }

  stats(): BridgeConnectionStats {
    return {
      id: this.id,
      client: this.admitted.client,
      target: this.admitted.target,
      bytesToTarget: this.bytesToTarget,
      bytesToClient: this.bytesToClient,
      frames: this.gate.frames,
      bufferedToClient: this.ws.bufferedAmount,
      bufferedToTarget: this.tcp.writableLength,
      heldBytes: this.gate.heldBytes,
      peakBufferedToClient: this.peakBufferedToClient,
      peakBufferedToTarget: this.peakBufferedToTarget,
      targetPaused: this.targetPaused,
      clientPaused: this.clientPaused,
    };
  }

  /** Calls `listener` once both sides are closed and the connection is logged (at once if already). */
  onceFinished(listener: () => void): void {
    if (this.finished) listener();
    else this.finishListeners.push(listener);
  }

  /** Closes the connection (both sides) with `code`; the first reason given is the one logged. */
  end(code: number, reason: string, closedBy: ClosedBy, { flushTarget = closedBy === "client" } = {}): void {
    if (this.ending !== undefined) return;
    this.ending = { code, reason, closedBy };
    this.clearTimers();
    if (flushTarget) {
      // Requests forwarded before the close still reach the node; bounded by the grace period.
      this.tcp.end();
      setTimeout(() => this.tcp.destroy(), this.options.closeGraceMs).unref();
    } else {
      this.tcp.destroy();
    }
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, fitCloseReason(reason));
    if (this.ws.readyState !== this.ws.CLOSED) {
      // A client that never answers the close frame must not hold its socket (and its slot).
      this.graceTimer = setTimeout(() => this.ws.terminate(), this.options.closeGraceMs);
    }
  }

  private wireWebSocket(): void {
    const ws = this.ws;
    ws.on("message", (data, isBinary) => this.fromClient(data as Buffer, isBinary));
    // `ws` has already sent the matching close frame (1009 too big, 1007 bad UTF-8, 1002 protocol
    // error); this records why and closes the TCP side.
    ws.on("error", (error: Error & { code?: string }) => this.end(wsErrorCloseCode(error.code), error.message, "bridge"));
    ws.on("close", (code, reason) => {
      if (this.ending === undefined) this.end(code, reason.length > 0 ? reason.toString() : "client closed the connection", "client");
      this.finish();
    });
  }

  private wireTcp(): void {
    const tcp = this.tcp;
    tcp.on(nodeReadyEvent(this.options), () => {
      this.connected = true;
      clearTimeout(this.connectTimer);
    });
    tcp.on("data", (chunk: Buffer) => this.fromTarget(chunk));
    tcp.on("drain", () => {
      if (this.clientPaused) {
        this.clientPaused = false;
        this.ws.resume();
      }
    });
    tcp.on("error", (error) => {
      const code = this.connected ? BridgeCloseCode.TargetClosed : BridgeCloseCode.TargetUnreachable;
      this.end(code, `${this.admitted.target}: ${describeDialError(error, this.options)}`, "target");
    });
    tcp.on("close", () => this.end(BridgeCloseCode.TargetClosed, "the dqlite node closed the connection", "target"));
  }

  private fromClient(data: Buffer, isBinary: boolean): void {
    if (this.ending !== undefined) return;
    this.lastActivity = Date.now();
    if (!isBinary) {
      this.end(BridgeCloseCode.UnsupportedData, "text messages are not accepted; send binary frames", "bridge");
      return;
    }
    const framesBefore = this.gate.frames;
    const { forward, refusal } = this.gate.push(data);
    if (forward !== undefined) {
      this.bytesToTarget += forward.length;
      const accepted = this.tcp.write(forward);
      this.peakBufferedToTarget = Math.max(this.peakBufferedToTarget, this.tcp.writableLength);
      if (!accepted && !this.clientPaused) {
        this.clientPaused = true;
        this.clientPausedAt = Date.now();
        this.ws.pause();
      }
    }
    if (refusal !== undefined) {
      // The valid frames before the refused one still reach the node, as if sent on their own.
      this.end(refusal.code, refusal.reason, "bridge", { flushTarget: true });
      return;
    }
    this.trackFrameProgress(this.gate.frames > framesBefore);
  }

  private fromTarget(chunk: Buffer): void {
    if (this.ending !== undefined) return;
    this.lastActivity = Date.now();
    this.bytesToClient += chunk.length;
    this.replies.push(chunk);
    this.ws.send(chunk, { binary: true }, () => this.sentToClient());
    const buffered = this.ws.bufferedAmount;
    this.peakBufferedToClient = Math.max(this.peakBufferedToClient, buffered);
    if (buffered >= this.options.maxBufferedBytes && !this.targetPaused) {
      this.targetPaused = true;
      this.targetPausedAt = Date.now();
      this.tcp.pause();
    }
  }

  /** A send reached the client's socket; resume the node once half the cap has drained. */
  private sentToClient(): void {
    if (this.ending !== undefined) return;
    this.lastActivity = Date.now();
    if (this.targetPaused && this.ws.bufferedAmount < this.options.maxBufferedBytes / 2) {
      this.targetPaused = false;
      this.tcp.resume();
    }
  }

  /**
   * Bounds how long a frame may take to arrive: the clock starts with its first byte (or with the
   * first byte after the previous frame completed) and stops when no partial frame is held.
   */
  private trackFrameProgress(completedSome: boolean): void {
    if (!this.gate.midFrame) {
      clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
      return;
    }
    if (this.frameTimer !== undefined && !completedSome) return;
    clearTimeout(this.frameTimer);
    this.frameTimer = setTimeout(
      () => this.end(BridgeCloseCode.SlowFrame, `frame not completed within ${this.options.frameTimeoutMs} ms`, "bridge"),
      this.options.frameTimeoutMs,
    );
  }

  /**
   * Two ways a connection can hold its slot while doing nothing useful: nothing moves at all
   * (idle), or one side stopped reading, so the other side is paused while the first keeps
   * sending (stalled). Both end after `idleTimeoutMs`.
   */
  private scheduleIdleCheck(delayMs: number): void {
    this.idleTimer = setTimeout(() => {
      const now = Date.now();
      const limit = this.options.idleTimeoutMs;
      if (now - this.lastActivity >= limit) {
        this.end(BridgeCloseCode.Idle, `nothing moved for ${limit} ms`, "bridge");
        return;
      }
      if (this.targetPaused && now - this.targetPausedAt >= limit) {
        this.end(BridgeCloseCode.Idle, `the client read nothing for ${limit} ms`, "bridge");
        return;
      }
      if (this.clientPaused && now - this.clientPausedAt >= limit) {
        this.end(BridgeCloseCode.Idle, `the node read nothing for ${limit} ms`, "bridge");
        return;
      }
      let next = this.lastActivity + limit;
      if (this.targetPaused) next = Math.min(next, this.targetPausedAt + limit);
      if (this.clientPaused) next = Math.min(next, this.clientPausedAt + limit);
      this.scheduleIdleCheck(Math.max(1, next - now));
    }, delayMs);
  }

  private clearTimers(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.frameTimer);
    clearTimeout(this.connectTimer);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.graceTimer);
    this.clearTimers();
    const ending = this.ending ?? { code: 1006, reason: "connection lost", closedBy: "client" as const };
    this.onFinished(this, {
      event: "connection",
      id: this.id,
      client: this.admitted.client,
      origin: this.admitted.origin,
      target: this.admitted.target,
      bytesToTarget: this.bytesToTarget,
      bytesToClient: this.bytesToClient,
      frames: this.gate.frames,
      durationMs: Date.now() - this.startedAt,
      code: ending.code,
      reason: ending.reason,
      closedBy: ending.closedBy,
    });
    for (const listener of this.finishListeners.splice(0)) listener();
  }
}

function wsErrorCloseCode(code: string | undefined): number {
  if (code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") return BridgeCloseCode.MessageTooBig;
  if (code === "WS_ERR_INVALID_UTF8") return 1007;
  return 1002;
}

/** Cuts a reason to the 123 bytes a close frame can carry, on a character boundary. */
export function fitCloseReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  let cut = reason.slice(0, MAX_CLOSE_REASON_BYTES - 3);
  while (Buffer.byteLength(cut + "…") > MAX_CLOSE_REASON_BYTES) cut = cut.slice(0, -1);
  return cut + "…";
}
