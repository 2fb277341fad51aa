// The capture decoder: capture file bytes in (chunk by chunk, any split), records out. It ties
// the layers together: file reader → packet dissector → TCP connections and reassembly →
// dqlite conversations → records. Memory is bounded by the caps (capture-limits.ts), not by the
// size of the file.
//
// A broken file (a record length beyond its cap, a damaged block) stops the reading: what was
// decoded stays valid, the open connections end where the file did, and the summary carries
// the error. Problems inside connections are records and never stop the rest.

import { type WireError, isWireError } from "../errors.ts";
import { type DecodeOptions, resolveDecodeOptions } from "../messages/codec.ts";
import { BufferBudget } from "./buffer-budget.ts";
import { CaptureFileReader } from "./files/capture-file.ts";
import { type CaptureLimits, resolveCaptureLimits } from "./capture-limits.ts";
import type { CaptureRecord } from "./capture-records.ts";
import { type CaptureSummary, SummaryBuilder } from "./capture-summary.ts";
import { dissect } from "./network/packet-dissector.ts";
import { ConnectionTable } from "./tcp-connections.ts";

export interface CaptureDecoderOptions extends Omit<DecodeOptions, "legacy" | "allowInternal"> {
  /** Server ports to read as dqlite even without a captured handshake (connections that began before the capture). */
  ports?: Iterable<number>;
  /** Caps of the capture layer (record size, connections, buffered bytes…). */
  captureLimits?: Partial<CaptureLimits>;
  /** Message and handshake records carry a copy of their frame's bytes (for an inspector). */
  keepFrameBytes?: boolean;
}

export class CaptureDecoder {
  private readonly reader: CaptureFileReader;
  private readonly table: ConnectionTable;
  private readonly limits: Readonly<CaptureLimits>;
  private readonly budget: BufferBudget;
  private readonly summaryBuilder = new SummaryBuilder();
  private out: CaptureRecord[] = [];
  private finished = false;

  constructor(options: CaptureDecoderOptions = {}) {
    this.limits = resolveCaptureLimits(options.captureLimits);
    this.reader = new CaptureFileReader(this.limits);
    this.budget = new BufferBudget(this.limits.maxBufferedBytes);
    const { ports, captureLimits: _, keepFrameBytes, ...decode } = options;
    this.table = new ConnectionTable({
      ports: new Set(ports ?? []),
      limits: this.limits,
      decodeOptions: resolveDecodeOptions(decode),
      budget: this.budget,
      keepFrameBytes: keepFrameBytes === true,
      emit: (record) => {
        this.summaryBuilder.record(record);
        this.out.push(record);
      },
      retired: (connection) => this.summaryBuilder.connection(connection),
    });
  }

  /** File bytes read so far (whole records). */
  get position(): number {
    return this.reader.position;
  }

  /**
   * Reads a chunk of the file; returns the records it completed. A broken file is not thrown:
   * the reading stops and `summary().fileError` says why.
   */
  push(chunk: Uint8Array): CaptureRecord[] {
    if (this.finished || this.summaryBuilder.summary.fileError !== undefined) return this.take();
    try {
      this.reader.push(chunk);
      for (let packet = this.reader.next(); packet !== undefined; packet = this.reader.next()) {
        const s = this.summaryBuilder.summary;
        s.packets++;
        if (packet.data.length < packet.originalLength) s.snapCutPackets++;
        const tcp = dissect(packet, this.limits);
        if ("skip" in tcp) {
          this.summaryBuilder.skippedPacket(tcp.skip);
          continue;
        }
        s.tcpPackets++;
        this.table.packet(tcp, { packet: packet.number, time: packet.time, ack: (tcp.flags & 0x10) !== 0 ? tcp.ack : undefined });
      }
    } catch (error) {
      this.fail(error);
    }
    return this.take();
  }

  /** The end of the file: open connections end here; returns the last records. */
  end(): CaptureRecord[] {
    if (!this.finished) {
      this.finished = true;
      if (this.summaryBuilder.summary.fileError === undefined) {
        try {
          this.reader.end();
        } catch (error) {
          this.fail(error);
        }
      }
      this.table.finish();
    }
    return this.take();
  }

  summary(): CaptureSummary {
    const s = this.summaryBuilder.summary;
    s.format = this.reader.format;
    s.fileBytes = this.reader.position;
    s.peakBufferedBytes = this.budget.peakBytes;
    for (const [reason, count] of this.reader.skipped) s.skippedPackets[reason] = count;
    if (this.table.untracked > 0) s.connections.untracked = this.table.untracked;
    return s;
  }

  private fail(error: unknown): void {
    if (!isWireError(error)) throw error;
    this.summaryBuilder.summary.fileError = error as WireError;
  }

  private take(): CaptureRecord[] {
    const records = this.out;
    this.out = [];
    return records;
  }
}

/**
 * Decodes a capture from a stream of chunks (a `ReadableStream` from `fetch` or `File.stream()`,
 * or any async iterable such as a Node read stream), yielding records as they complete. The
 * summary is the generator's return value.
 */
export async function* decodeCapture(
  source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: CaptureDecoderOptions = {},
): AsyncGenerator<CaptureRecord, CaptureSummary> {
  const decoder = new CaptureDecoder(options);
  const chunks: AsyncIterable<Uint8Array> =
    Symbol.asyncIterator in source ? (source as AsyncIterable<Uint8Array>) : readerChunks(source as ReadableStream<Uint8Array>);
  for await (const chunk of chunks) yield* decoder.push(chunk);
  yield* decoder.end();
  return decoder.summary();
}

async function* readerChunks(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
