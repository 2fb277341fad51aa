// What a capture file reader yields: one link-layer packet, as much of it as was captured.

import type { CaptureTime } from "./capture-time.ts";

export interface CapturedPacket {
  /** 1-based number of the record in the file, counting packet records of every section. */
  number: number;
  time: CaptureTime;
  /** The link type of the interface it was captured on (1 Ethernet, 113 Linux cooked…). */
  linkType: number;
  /** The captured bytes: a view, valid until the reader is given its next chunk. */
  data: Uint8Array;
  /** The packet's length on the wire; more than `data.length` when the snap length cut it. */
  originalLength: number;
}

/** Counts of records a reader passed over, by reason (for the summary). */
export type SkipCounts = Map<string, number>;

export function countSkip(counts: SkipCounts, reason: string, by = 1): void {
  counts.set(reason, (counts.get(reason) ?? 0) + by);
}

/** One capture file format: reads records from the queue once its file header is known. */
export interface RecordReader {
  readonly format: "pcap" | "pcapng";
  /** The next packet, or undefined when more bytes are needed. Throws DecodeError when the file is broken. */
  next(): CapturedPacket | undefined;
}
