// The decoding side of the proxy: the relayed bytes of each connection read as a dqlite
// conversation by the same code that reads captures (src/capture/dqlite/dqlite-conversation.ts), and
// printed as the same JSON lines as `decode --pcap`, plus the proxy's own events (a connection
// opened or closed, addresses rewritten, bytes relayed undecoded). It runs in a worker thread
// (decode-worker.ts) or, if asked, in the relaying thread.
//
// Acknowledgement numbers do not exist here; what stands in for them is exact: how many client
// bytes the proxy had handed to the node when a response chunk arrived.

import { BufferBudget } from "../capture/buffer-budget.ts";
import { resolveCaptureLimits, type CaptureLimits } from "../capture/capture-limits.ts";
import type { CaptureRecord, ConnectionInfo } from "../capture/capture-records.ts";
import { type CaptureTime, formatCaptureTime } from "../capture/files/capture-time.ts";
import { DqliteConversation } from "../capture/dqlite/dqlite-conversation.ts";
import { captureRecordToJSON } from "../capture/record-json.ts";
import type { FlowEvent } from "../capture/network/tcp-flow.ts";
import { type DecodeOptions, resolveDecodeOptions } from "../messages/codec.ts";
import type { Side } from "../messages/codes.ts";
import type { TapMessage } from "./tap-messages.ts";

export interface LiveDecoderOptions {
  decode?: Omit<DecodeOptions, "legacy" | "allowInternal">;
  captureLimits?: Partial<CaptureLimits>;
  /** Receives one JSON line (without its newline) per record and event. */
  write(line: string): void;
}

interface LiveConnection {
  info: ConnectionInfo;
  conversation: DqliteConversation;
  offsets: Record<Side, number>;
  chunks: number;
  rewrites: Map<number, Record<string, string>>;
}

/** Milliseconds since the epoch (with a fraction) as a capture time, to the microsecond. */
function timeOf(ms: number): CaptureTime {
  const seconds = Math.floor(ms / 1000);
  const nanoseconds = Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e3) * 1e3);
  return { seconds, nanoseconds, digits: 6 };
}

export class LiveDecoder {
  private readonly connections = new Map<string, LiveConnection>();
  private readonly budget: BufferBudget;
  private readonly limits: Readonly<CaptureLimits>;
  private readonly decodeOptions;

  constructor(private readonly options: LiveDecoderOptions) {
    this.limits = resolveCaptureLimits(options.captureLimits);
    this.budget = new BufferBudget(this.limits.maxBufferedBytes);
    this.decodeOptions = resolveDecodeOptions({ intMode: "bigint", ...options.decode });
  }

  handle(message: TapMessage): void {
    if (message.kind === "open") return this.open(message);
    const connection = this.connections.get(message.conn);
    if (connection === undefined) return;
    switch (message.kind) {
      case "data":
        return this.data(connection, message.direction, message.bytes, message.clientBytes, message.timeMs);
      case "dropped":
        return this.flow(
          connection,
          message.direction,
          {
            kind: "gap",
            offset: connection.offsets[message.direction],
            length: message.length,
            why: "dropped",
            carrier: this.carrier(connection, message.timeMs, undefined),
          },
          message.length,
        );
      case "rewrite":
        connection.rewrites.set(message.offset, message.changes);
        return;
      case "passthrough":
        return this.event(connection, message.timeMs, false, {
          event: "passthrough",
          offset: message.offset,
          why: message.why,
          then: "relayed as it comes",
        });
      case "error":
        return this.event(connection, message.timeMs, false, { event: "error", error: { message: message.message } });
      case "close":
        return this.close(connection, message);
    }
  }

  private open(message: Extract<TapMessage, { kind: "open" }>): void {
    const info: ConnectionInfo = { id: message.conn, client: message.client, server: message.server };
    const connection: LiveConnection = {
      info,
      conversation: undefined as unknown as DqliteConversation,
      offsets: { request: 0, response: 0 },
      chunks: 0,
      rewrites: new Map(),
    };
    connection.conversation = new DqliteConversation(info, this.decodeOptions, this.limits, this.budget, {
      emit: (record) => this.record(connection, record),
      classify: (kind, detail) => {
        if (kind === "dqlite") return;
        const ok = kind !== "other";
        this.event(connection, performance.timeOrigin + performance.now(), ok, {
          event: "undecoded",
          kind,
          ...(detail === undefined ? {} : { detail }),
          then: "relayed as it comes",
        });
      },
      // Response chunks carry the client bytes handed to the node so far: already an offset.
      clientOffsetOfAck: (ack) => ack,
    });
    this.connections.set(message.conn, connection);
    this.event(connection, message.timeMs, true, { event: "open", via: message.via });
  }

  private data(connection: LiveConnection, direction: Side, bytes: Uint8Array, clientBytes: number, timeMs: number): void {
    const carrier = this.carrier(connection, timeMs, direction === "response" ? clientBytes : undefined);
    this.flow(connection, direction, { kind: "data", offset: connection.offsets[direction], bytes, carrier }, bytes.length);
  }

  private flow(connection: LiveConnection, direction: Side, event: FlowEvent, length: number): void {
    connection.offsets[direction] += length;
    if (direction === "request") connection.conversation.client(event);
    else connection.conversation.server(event);
  }

  private close(connection: LiveConnection, message: Extract<TapMessage, { kind: "close" }>): void {
    const carrier = this.carrier(connection, message.timeMs, undefined);
    connection.conversation.client({ kind: "end", how: "fin", carrier });
    connection.conversation.server({ kind: "end", how: "fin", carrier });
    this.connections.delete(message.conn);
    this.event(connection, message.timeMs, true, {
      event: "close",
      reason: message.reason,
      bytes: { request: message.requestBytes, response: message.responseBytes },
    });
  }

  private carrier(connection: LiveConnection, timeMs: number, ack: number | undefined) {
    return { packet: ++connection.chunks, time: timeOf(timeMs), ack };
  }

  private record(connection: LiveConnection, record: CaptureRecord): void {
    const line = captureRecordToJSON(record);
    if (record.kind === "message" && record.direction === "response") {
      const changes = connection.rewrites.get(record.streamOffset);
      if (changes !== undefined) {
        connection.rewrites.delete(record.streamOffset);
        // The message as the node sent it; the client got these addresses instead.
        line["rewritten"] = changes;
      }
    }
    delete line["packet"];
    this.options.write(JSON.stringify(line));
  }

  private event(connection: LiveConnection, timeMs: number, ok: boolean, fields: Record<string, unknown>): void {
    const { info } = connection;
    this.options.write(
      JSON.stringify({ ok, conn: info.id, client: info.client, server: info.server, time: formatCaptureTime(timeOf(timeMs)), ...fields }),
    );
  }
}
