// The contract between the row cores and their callers, declared once. The pure-TS core
// (ts-core.ts), the WebAssembly core (assembly/rows.ts, which imports this very file) and the
// engines that drive them all take their numbers from here. The file is written in the subset of
// TypeScript that AssemblyScript compiles too (enums of integers and nothing else), so a stop, a
// fault or a record offset cannot drift between the two languages.
//
// A core decodes a span of whole, consecutive ROWS frames into column-major outputs and reports
// where it stopped. Faults come back as an error record (kind, offset, row, column), never as an
// exception, so that the two cores can be compared field by field and one formatter
// (row-errors.ts) words every error.

/** Why a core stopped. */
export enum CoreStop {
  /** Every frame of the span was a PART frame: the result goes on. */
  Part = 1,
  /** A frame ended with DONE: the result is complete (later frames are not consumed). */
  Done = 2,
  /** A fault; see the error fields of the result record. */
  Error = 3,
}

/** Faults a core can report. row-errors.ts maps each to a code and a message. */
export enum CoreFault {
  None = 0,
  /** A ROWS frame already counted against maxFramesPerResult. */
  FramesPerResult = 1,
  /** The body is too short to hold the column count. */
  BodyTooShort = 2,
  /** column_count above maxColumns. */
  ColumnsLimit = 3,
  /** column_count names cannot fit the bytes left in the body. */
  ColumnsDoNotFit = 4,
  /** A continuation frame with another column count than the first frame. */
  ColumnCountDrift = 5,
  /** A column name longer than maxNameBytes. */
  NameTooLong = 6,
  /** A column name with no NUL before the end of the body. */
  NameUnterminated = 7,
  /** A column name that is not strict UTF-8. */
  NameNotUtf8 = 8,
  /** A column name whose padding runs past the body. */
  NamePadding = 9,
  /** A continuation frame whose column name differs from the first frame's. */
  ColumnNameDrift = 10,
  /** No end marker before the end of the body. */
  MissingMarker = 11,
  /** Bytes after the end marker. */
  TrailingBytes = 12,
  /** A frame holding maxRowsPerFrame rows (the cap is exclusive). */
  RowsPerFrame = 13,
  /** More rows than maxRowsPerResult across the result. */
  RowsPerResult = 14,
  /** A row header running past the body. */
  RowHeaderTruncated = 15,
  /** A nibble that is not a value type (a torn marker lands here: nibble 14 or 15). */
  BadNibble = 16,
  /** A fixed-size cell running past the body. */
  CellTruncated = 17,
  /** An INTEGER/UNIXTIME outside ±(2^53 - 1) in intMode "number". */
  UnsafeInteger = 18,
  /** A text cell longer than maxValueBytes. */
  TextTooLong = 19,
  /** A text cell with no NUL before the end of the body. */
  TextUnterminated = 20,
  /** A text cell that is not strict UTF-8. */
  TextNotUtf8 = 21,
  /** A text cell whose padding runs past the body. */
  TextPadding = 22,
  /** A blob length above maxValueBytes. */
  BlobTooLong = 23,
  /** A blob (with its padding) running past the body. */
  BlobTruncated = 24,
  /** The core was called with a layout it cannot honour (a bug, never input-dependent). */
  Internal = 25,
}

/**
 * The call record: what one decodeSpan call is asked to do, as 32-bit fields at these byte
 * offsets. The WebAssembly engine writes it into linear memory and passes its address; the TS
 * core reads the same fields from an object (EngineRequest).
 */
export enum CallField {
  /** Where the input starts in memory, and its length in bytes. */
  InPtr = 0,
  InLength = 4,
  /** The span of whole ROWS frames to decode: [Start, End) of the input. */
  Start = 8,
  End = 12,
  /** The column count fixed by an earlier frame of the result, or -1 before the first frame. */
  KnownColumns = 16,
  /** Column-name references: per column a (pointer, length) pair of u32 (see CoreMemory.Refs). */
  RefPtr = 20,
  /** Frames and rows of the result decoded by earlier calls (the per-result caps count them). */
  FramesBefore = 24,
  RowsBefore = 28,
  /** 1: INTEGER/UNIXTIME cells become doubles (intMode "number"), refused beyond ±(2^53 - 1). */
  IntNumbers = 32,
  MaxColumns = 36,
  MaxRowsPerFrame = 40,
  MaxFramesPerResult = 44,
  MaxRowsPerResult = 48,
  MaxNameBytes = 52,
  MaxValueBytes = 56,
  /** Columns and rows per column the outputs were laid out for. */
  AllocColumns = 60,
  Capacity = 64,
  /** Outputs: one type byte per cell, one 8-byte slot per cell; column c's rows at c * Capacity. */
  TypesPtr = 68,
  SlotsPtr = 72,
  /** Where the core writes its result record (ResultField offsets). */
  ResultPtr = 76,
  /** Size of the record. */
  Bytes = 80,
}

/** The result record a core writes: 32-bit fields at these byte offsets. */
export enum ResultField {
  Stop = 0,
  /** End offset of the last frame fully decoded (the start of the next frame). */
  ConsumedEnd = 4,
  /** ROWS frames fully decoded, and rows decoded, by this call. */
  Frames = 8,
  Rows = 12,
  /** Column count of the frames (known after the first frame). */
  Columns = 16,
  /** Frame index (within the call) of the fault, -1 when none. */
  FrameIndex = 20,
  /** The error record: fault, input offset, row within its frame and column (-1 when not meaningful), and the bad nibble of BadNibble. */
  Fault = 24,
  Offset = 28,
  Row = 32,
  Column = 36,
  Detail = 40,
  /** 1 when a TEXT, ISO8601 or BLOB cell was decoded: the batch needs the input bytes. */
  HasSpans = 44,
  /** 1 when a TEXT or ISO8601 cell holds a byte above 0x7F (otherwise all text is ASCII). */
  NonAsciiText = 48,
  /** Scratch for the WebAssembly core: the type tags of the last row header (TagCache.Columns bytes). */
  Tags = 52,
  Bytes = 68,
}

/** Rows whose header is the previous row's are decoded from cached tags, for up to this many columns. */
export enum TagCache {
  Columns = 16,
}

/** Where the WebAssembly engine puts the fixed records in linear memory (byte addresses). */
export enum CoreMemory {
  Call = 0,
  Result = 128,
  /** Column-name references, then the reference names' bytes, then the input and the outputs. */
  Refs = 256,
}
