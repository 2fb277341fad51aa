// Layout facts of the dqlite framing under the names the library exports. The numbers themselves
// live in layout.ts (enums the WebAssembly core compiles too); sizes say their unit.

import { FrameLayout, HandshakeLayout, RowsLayout } from "./layout.ts";

/** Every body length and every padded field is a multiple of one word. */
export const WORD_BYTES = FrameLayout.WordBytes;

/** The frame header: uint32 size_words | uint8 type | uint8 schema | uint16 reserved. */
export const HEADER_BYTES = FrameLayout.HeaderBytes;
export const HEADER_SIZE_OFFSET = FrameLayout.SizeOffset;
export const HEADER_TYPE_OFFSET = FrameLayout.TypeOffset;
export const HEADER_SCHEMA_OFFSET = FrameLayout.SchemaOffset;
export const HEADER_RESERVED_OFFSET = FrameLayout.ReservedOffset;

/** The client's first 8 bytes on a new connection: the protocol version, uint64 LE. */
export const HANDSHAKE_BYTES = HandshakeLayout.Bytes;
export const PROTOCOL_VERSION = 1n;
/** Pre-1.0 servers; changes the LEADER response body to address-only. */
export const PROTOCOL_VERSION_LEGACY = 0x86104dd760433fe5n;

/** ROWS end markers: a full word of 0xFF (done) or 0xEE (more frames follow). */
export const ROWS_DONE_BYTE = RowsLayout.DoneByte;
export const ROWS_PART_BYTE = RowsLayout.PartByte;

/** Rounds a byte count up to whole words. */
export function padToWord(bytes: number): number {
  return Math.ceil(bytes / WORD_BYTES) * WORD_BYTES;
}
