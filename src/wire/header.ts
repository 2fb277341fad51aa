// The 8-byte frame header (protocol.md §1): uint32 body size in words, uint8 type, uint8 schema,
// uint16 reserved (written as zero, ignored on decode).

import { DecodeError } from "../errors.ts";
import {
  HEADER_BYTES,
  HEADER_RESERVED_OFFSET,
  HEADER_SCHEMA_OFFSET,
  HEADER_SIZE_OFFSET,
  HEADER_TYPE_OFFSET,
  WORD_BYTES,
} from "./constants.ts";

export interface FrameHeader {
  /** Body length in 8-byte words (the header not counted). */
  sizeWords: number;
  type: number;
  schema: number;
  /** Header + body, in bytes. */
  frameBytes: number;
}

/**
 * Reads a header at `at` (which must have 8 bytes) and checks the declared frame size against
 * the cap, so an oversized frame is refused before any of its body is buffered.
 */
export function readHeader(bytes: Uint8Array, at: number, maxMessageBytes: number, base = 0): FrameHeader {
  const b0 = bytes[at + HEADER_SIZE_OFFSET]!;
  const b1 = bytes[at + HEADER_SIZE_OFFSET + 1]!;
  const b2 = bytes[at + HEADER_SIZE_OFFSET + 2]!;
  const b3 = bytes[at + HEADER_SIZE_OFFSET + 3]!;
  const sizeWords = (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
  const frameBytes = HEADER_BYTES + sizeWords * WORD_BYTES;
  if (frameBytes > maxMessageBytes) {
    throw new DecodeError(
      "LIMIT",
      `header.size: frame of ${frameBytes} bytes exceeds the cap of ${maxMessageBytes} at offset ${base + at}`,
      { offset: base + at, field: "header.size" },
    );
  }
  return {
    sizeWords,
    type: bytes[at + HEADER_TYPE_OFFSET]!,
    schema: bytes[at + HEADER_SCHEMA_OFFSET]!,
    frameBytes,
  };
}

export function writeHeader(target: Uint8Array, at: number, sizeWords: number, type: number, schema: number): void {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  view.setUint32(at + HEADER_SIZE_OFFSET, sizeWords, true);
  target[at + HEADER_TYPE_OFFSET] = type;
  target[at + HEADER_SCHEMA_OFFSET] = schema;
  view.setUint16(at + HEADER_RESERVED_OFFSET, 0, true);
}
