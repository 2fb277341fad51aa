// A capture file read chunk by chunk: the format is recognised from its first bytes (pcap in
// either byte order and resolution, or pcapng), then packets come out one at a time. Nothing
// but one partial record (at most `maxRecordBytes`) and the chunk being read is held.
//
// After an error (a length beyond its cap, a damaged block, a file that is neither format) the
// reader is stopped: the file cannot be followed past a record whose length is wrong, so every
// later call raises the same error.

import { DecodeError, type WireError } from "../../errors.ts";
import { ByteQueue } from "./byte-queue.ts";
import { type CaptureLimits, resolveCaptureLimits } from "../capture-limits.ts";
import type { CapturedPacket, RecordReader, SkipCounts } from "./captured-packet.ts";
import { PcapReader, pcapMagic } from "./pcap-reader.ts";
import { PCAPNG_SHB_TYPE, PcapngReader } from "./pcapng-reader.ts";

const MAGIC_BYTES = 4;

/** The capture format the first bytes of a file announce, or undefined (fewer than 4 bytes, or neither). */
export function captureFormatOf(bytes: Uint8Array): "pcap" | "pcapng" | undefined {
  if (bytes.length < MAGIC_BYTES) return undefined;
  const first = bytes.subarray(0, MAGIC_BYTES);
  if (pcapMagic(first) !== undefined) return "pcap";
  return new DataView(first.buffer, first.byteOffset, MAGIC_BYTES).getUint32(0, true) === PCAPNG_SHB_TYPE ? "pcapng" : undefined;
}

export class CaptureFileReader {
  private readonly queue = new ByteQueue();
  private readonly limits: Readonly<CaptureLimits>;
  private reader: RecordReader | undefined;
  private failure: WireError | undefined;
  /** Records passed over without a packet, by reason. */
  readonly skipped: SkipCounts = new Map();

  constructor(limits: Partial<CaptureLimits> | Readonly<CaptureLimits> = {}) {
    this.limits = resolveCaptureLimits(limits);
  }

  /** "pcap" or "pcapng" once the first bytes are read. */
  get format(): "pcap" | "pcapng" | undefined {
    return this.reader?.format;
  }

  /** File bytes consumed so far (whole records). */
  get position(): number {
    return this.queue.position;
  }

  /** The error that stopped the reader, if any. */
  get stoppedBy(): WireError | undefined {
    return this.failure;
  }

  /** Appends file bytes. The chunk is read in place until `next` returns undefined. */
  push(chunk: Uint8Array): void {
    this.throwIfStopped();
    this.queue.detach();
    this.queue.push(chunk);
  }

  /** The next packet, or undefined when more bytes are needed. */
  next(): CapturedPacket | undefined {
    this.throwIfStopped();
    try {
      if (this.reader === undefined && !this.recognise()) return undefined;
      return this.reader!.next();
    } catch (error) {
      this.failure ??= error as WireError;
      throw error;
    }
  }

  /** Declares the end of the file: a partial record left over is a TRUNCATED error. */
  end(): void {
    this.throwIfStopped();
    const left = this.queue.available;
    if (left > 0 || this.reader === undefined) {
      const what =
        this.reader === undefined
          ? `the file holds ${left} bytes, too few for a capture file header`
          : `the file ends inside a record: ${left} bytes left over`;
      this.failure = new DecodeError("TRUNCATED", `${this.reader?.format ?? "capture"}: ${what} at file offset ${this.queue.position}`, {
        offset: this.queue.position,
        field: "capture.file",
      });
      throw this.failure;
    }
  }

  private recognise(): boolean {
    const first = this.queue.peek(MAGIC_BYTES);
    if (first === undefined) return false;
    const magic = pcapMagic(first);
    if (magic !== undefined) {
      this.reader = new PcapReader(this.queue, magic, this.limits);
      return true;
    }
    if (new DataView(first.buffer, first.byteOffset, MAGIC_BYTES).getUint32(0, true) === PCAPNG_SHB_TYPE) {
      this.reader = new PcapngReader(this.queue, this.limits, this.skipped);
      return true;
    }
    const hex = [...first].map((b) => b.toString(16).padStart(2, "0")).join("");
    throw new DecodeError(
      "BAD_HEADER",
      `capture: the file starts with ${hex}, which is neither pcap nor pcapng (a text or hex capture is read by \`decode --stream\`)`,
      {
        offset: 0,
        field: "capture.magic",
      },
    );
  }

  private throwIfStopped(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
