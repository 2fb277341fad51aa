// The numbers of the wire format, named once (protocol.md §1, §3, §5, §6): the frame header, the
// word, the handshake, the ROWS markers and row headers, the value-type codes and the message
// type codes. Every other module takes them from here: the wire primitives, the values, the
// message codes, both row cores and the bench.
//
// The file is written in the subset of TypeScript that AssemblyScript compiles too: enums of
// integers and nothing else, no imports. assembly/rows.ts imports it as it is, so the WebAssembly
// core cannot drift from the TypeScript one. Sizes say their unit: bytes, words (8 bytes) or bits.

/** The frame header: uint32 size in words | uint8 type | uint8 schema | uint16 reserved. */
export enum FrameLayout {
  /** Every body length and every padded field is a multiple of one word. */
  WordBytes = 8,
  /** log2(WordBytes): words to bytes by a shift. */
  WordShift = 3,
  /** The header, not counted in the size word. */
  HeaderBytes = 8,
  /** uint32 LE: the body length in words. */
  SizeOffset = 0,
  /** uint8: the request or response code. */
  TypeOffset = 4,
  /** uint8: the body's layout revision. */
  SchemaOffset = 5,
  /** uint16: written as zero, ignored on decode. */
  ReservedOffset = 6,
}

/** The client's first bytes on a new connection: the protocol version, a uint64 LE. */
export enum HandshakeLayout {
  Bytes = 8,
}

/** The fixed parts of a ROWS body (protocol.md §5.2, §5.3). */
export enum RowsLayout {
  /** The column count: a uint64 at the start of the body. */
  ColumnCountOffset = 0,
  ColumnCountBytes = 8,
  /** The end marker: one word, every byte the same. */
  MarkerBytes = 8,
  /** A word of 0xFF ends the result. */
  DoneByte = 0xff,
  /** A word of 0xEE: more ROWS frames follow. */
  PartByte = 0xee,
  /** Half a marker word, as a uint32 reads it (AssemblyScript holds these as i32: cast to u32). */
  DoneHalf = 0xffffffff,
  PartHalf = 0xeeeeeeee,
  /** A row header holds one 4-bit type code per column, the first column in the low nibble. */
  NibbleBits = 4,
  NibbleMask = 0x0f,
  NibblesPerByte = 2,
}

/** The cell types of tuples (protocol.md §3): the type bytes of params and the nibbles of rows. */
export enum ValueCode {
  Integer = 1,
  Float = 2,
  Text = 3,
  Blob = 4,
  Null = 5,
  UnixTime = 9,
  Iso8601 = 10,
  Boolean = 11,
}

/** Sets of value codes, as bit masks: bit n set where code n is in the set. */
export enum ValueCodeSet {
  /** Every cell type; codes 0, 6–8 and 12–15 are invalid. */
  Valid = (1 << ValueCode.Integer) |
    (1 << ValueCode.Float) |
    (1 << ValueCode.Text) |
    (1 << ValueCode.Blob) |
    (1 << ValueCode.Null) |
    (1 << ValueCode.UnixTime) |
    (1 << ValueCode.Iso8601) |
    (1 << ValueCode.Boolean),
  /** Variable-width cells, which a decoded row points into the input for: TEXT, BLOB, ISO8601. */
  Spans = (1 << ValueCode.Text) | (1 << ValueCode.Blob) | (1 << ValueCode.Iso8601),
}

/** Request codes (client to node). They overlap the response codes numerically. */
export enum RequestCode {
  Leader = 0,
  Client = 1,
  Heartbeat = 2,
  Open = 3,
  Prepare = 4,
  Exec = 5,
  Query = 6,
  Finalize = 7,
  ExecSql = 8,
  QuerySql = 9,
  Interrupt = 10,
  Connect = 11,
  Add = 12,
  Assign = 13,
  Remove = 14,
  Dump = 15,
  Cluster = 16,
  Transfer = 17,
  Describe = 18,
  Weight = 19,
}

/** Response codes (node to client). */
export enum ResponseCode {
  Failure = 0,
  Leader = 1,
  Welcome = 2,
  Servers = 3,
  Db = 4,
  Stmt = 5,
  Result = 6,
  Rows = 7,
  Empty = 8,
  Files = 9,
  Metadata = 10,
}

/**
 * Strict UTF-8 (protocol.md §4, what a fatal TextDecoder accepts), as the bounds of each lead
 * byte and of the byte after it. One validator in TypeScript (src/wire/utf8.ts) and its mirror
 * in the WebAssembly core read these.
 */
export enum Utf8Bound {
  /** Below: one byte (ASCII). */
  AsciiEnd = 0x80,
  /** Leads below TwoByteLead are continuation bytes or overlong two-byte leads. */
  TwoByteLead = 0xc2,
  ThreeByteLead = 0xe0,
  FourByteLead = 0xf0,
  /** From here on a lead would encode above U+10FFFF. */
  LeadEnd = 0xf5,
  /** A continuation byte is 10xxxxxx. */
  ContinuationMask = 0xc0,
  Continuation = 0x80,
  ContinuationMax = 0xbf,
  /** After 0xE0: no overlong (at least 0xA0). After 0xED: no surrogate (at most 0x9F). */
  OverlongThreeLead = 0xe0,
  OverlongThreeMin = 0xa0,
  SurrogateLead = 0xed,
  SurrogateMax = 0x9f,
  /** After 0xF0: no overlong (at least 0x90). After 0xF4: nothing above U+10FFFF (at most 0x8F). */
  OverlongFourLead = 0xf0,
  OverlongFourMin = 0x90,
  TopLead = 0xf4,
  TopMax = 0x8f,
}
