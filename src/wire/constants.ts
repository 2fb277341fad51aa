// Layout facts of the dqlite framing, named once. Sizes say their unit.

/** Every body length and every padded field is a multiple of one word. */
export const WORD_BYTES = 8;

/** The frame header: uint32 size_words | uint8 type | uint8 schema | uint16 reserved. */
export const HEADER_BYTES = 8;
export const HEADER_SIZE_OFFSET = 0;
export const HEADER_TYPE_OFFSET = 4;
export const HEADER_SCHEMA_OFFSET = 5;
export const HEADER_RESERVED_OFFSET = 6;

/** The client's first 8 bytes on a new connection: the protocol version, uint64 LE. */
export const HANDSHAKE_BYTES = 8;
export const PROTOCOL_VERSION = 1n;
/** Pre-1.0 servers; changes the LEADER response body to address-only. */
export const PROTOCOL_VERSION_LEGACY = 0x86104dd760433fe5n;

/** ROWS end markers: a full word of 0xFF (done) or 0xEE (more frames follow). */
export const ROWS_DONE_BYTE = 0xff;
export const ROWS_PART_BYTE = 0xee;

/** Rounds a byte count up to whole words. */
export function padToWord(bytes: number): number {
  return Math.ceil(bytes / WORD_BYTES) * WORD_BYTES;
}
