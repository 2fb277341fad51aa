// The contract both row cores (pure TS and WebAssembly) implement. A core decodes a span of
// whole, consecutive ROWS frames into column-major output and reports where it stopped. Faults
// come back as an error record (kind, offset, row, column), never as an exception, so that the
// two cores can be compared field by field and one formatter turns records into DecodeErrors
// with identical messages. Keep these numbers in sync with `assembly/rows.ts`.

/** Why a core stopped. */
export const CoreStop = {
  /** Every frame of the span was a PART frame: the result goes on. */
  Part: 1,
  /** A frame ended with DONE: the result is complete (later frames are not consumed). */
  Done: 2,
  /** A fault; see the error fields. */
  Error: 3,
} as const;
export type CoreStop = (typeof CoreStop)[keyof typeof CoreStop];

/** Faults a core can report. The formatter in `row-errors.ts` maps each to a code and message. */
export const CoreFault = {
  None: 0,
  /** A ROWS frame already counted against maxFramesPerResult. */
  FramesPerResult: 1,
  /** The body is too short to hold the column count. */
  BodyTooShort: 2,
  /** column_count above maxColumns. */
  ColumnsLimit: 3,
  /** column_count names cannot fit the bytes left in the body. */
  ColumnsDoNotFit: 4,
  /** A continuation frame with another column count than the first frame. */
  ColumnCountDrift: 5,
  /** A column name longer than maxNameBytes. */
  NameTooLong: 6,
  /** A column name with no NUL before the end of the body. */
  NameUnterminated: 7,
  /** A column name that is not strict UTF-8. */
  NameNotUtf8: 8,
  /** A column name whose padding runs past the body. */
  NamePadding: 9,
  /** A continuation frame whose column name differs from the first frame's. */
  ColumnNameDrift: 10,
  /** No end marker before the end of the body. */
  MissingMarker: 11,
  /** Bytes after the end marker. */
  TrailingBytes: 12,
  /** A frame holding maxRowsPerFrame rows (the cap is exclusive). */
  RowsPerFrame: 13,
  /** More rows than maxRowsPerResult across the result. */
  RowsPerResult: 14,
  /** A row header running past the body. */
  RowHeaderTruncated: 15,
  /** A nibble that is not a value type (a torn marker lands here: nibble 14 or 15). */
  BadNibble: 16,
  /** A fixed-size cell running past the body. */
  CellTruncated: 17,
  /** An INTEGER/UNIXTIME outside ±(2^53 - 1) in intMode "number". */
  UnsafeInteger: 18,
  /** A text cell longer than maxValueBytes. */
  TextTooLong: 19,
  /** A text cell with no NUL before the end of the body. */
  TextUnterminated: 20,
  /** A text cell that is not strict UTF-8. */
  TextNotUtf8: 21,
  /** A text cell whose padding runs past the body. */
  TextPadding: 22,
  /** A blob length above maxValueBytes. */
  BlobTooLong: 23,
  /** A blob (with its padding) running past the body. */
  BlobTruncated: 24,
  /** The core was called with a layout it cannot honour (a bug, never input-dependent). */
  Internal: 25,
} as const;
export type CoreFault = (typeof CoreFault)[keyof typeof CoreFault];

/** Where a fault is: the absolute offset in the input and, when meaningful, row and column. */
export interface CoreErrorRecord {
  fault: CoreFault;
  offset: number;
  /** Row index inside its frame, -1 when not in a row. */
  row: number;
  /** Column index, -1 when not about a column. */
  column: number;
  /** The nibble value for BadNibble; 0 otherwise. */
  detail: number;
}

/** What a core call produces besides the column arrays. */
export interface CoreOutcome extends CoreErrorRecord {
  stop: CoreStop;
  /** End offset of the last frame fully decoded (the start of the next frame). */
  consumedEnd: number;
  /** ROWS frames fully decoded in this call. */
  frames: number;
  /** Rows decoded in this call. */
  rows: number;
  /** Column count of the frames (known after the first frame). */
  columns: number;
  /** Frame index (within the call) of the fault, -1 when none. */
  frameIndex: number;
  /** True when a TEXT, ISO8601 or BLOB cell was decoded: the batch needs the input bytes. */
  hasSpans: boolean;
}

/** The result-wide caps a core enforces, clamped to int32 so both cores compare alike. */
export interface CoreLimits {
  maxColumns: number;
  maxRowsPerFrame: number;
  maxFramesPerResult: number;
  maxRowsPerResult: number;
  maxNameBytes: number;
  maxValueBytes: number;
}

export const INT32_MAX = 0x7fffffff;

/**
 * Offsets into the 8-byte cell slots a core writes. INTEGER/UNIXTIME: a double in intMode
 * "number", the raw int64 otherwise. FLOAT: the raw IEEE bits. BOOLEAN: the double 0 or 1.
 * TEXT/ISO8601/BLOB: uint32 byte offset (into the input) then uint32 byte length. NULL: zero.
 */
export const SLOT_BYTES = 8;

/** Bytes of a row header for `columns` columns: one nibble each, padded to whole words. */
export function rowHeaderBytes(columns: number): number {
  return ((((columns + 1) >> 1) + 7) >> 3) << 3;
}

/** The fewest bytes one row of `columns` columns can take: header plus one word per cell. */
export function minRowBytes(columns: number): number {
  return rowHeaderBytes(columns) + columns * 8;
}

/** What an engine is asked to decode: a span of whole ROWS frames and the result's state so far. */
export interface EngineRequest {
  bytes: Uint8Array;
  /** The span of whole ROWS frames to decode: [start, end) of `bytes`. */
  start: number;
  end: number;
  /** The column count fixed by an earlier frame of the result, or -1 before the first frame. */
  knownColumns: number;
  /** Column names of the first frame, for the drift check: bytes and [start, length) per column. */
  refBytes: Uint8Array;
  /** Filled in by the engine when `knownColumns` is -1. */
  refStart: Int32Array;
  refLength: Int32Array;
  framesBefore: number;
  rowsBefore: number;
  intNumbers: boolean;
  limits: CoreLimits;
  /** Columns the outputs were sized for, and rows per column. */
  allocColumns: number;
  capacity: number;
}
