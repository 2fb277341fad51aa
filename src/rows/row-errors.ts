// Turns a core's error record into the DecodeError callers see. Both cores report the same
// record for the same bytes, and this is the only place that words it, so the two engines raise
// identical errors (class, code, message, offset, field).

import { DecodeError, type WireErrorCode } from "../errors.ts";
import { valueTypeName } from "../values/value-type.ts";
import { CoreFault } from "./core-abi.ts";
import type { CoreErrorRecord, CoreLimits } from "./core-call.ts";

interface FaultText {
  code: WireErrorCode;
  field: (r: CoreErrorRecord) => string;
  message: (r: CoreErrorRecord, limits: CoreLimits, bytes: Uint8Array) => string;
}

const cell = (r: CoreErrorRecord) => `ROWS.rows[${r.row}][${r.column}]`;
const name = (r: CoreErrorRecord) => `ROWS.columns[${r.column}]`;

function u64At(bytes: Uint8Array, at: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(at, true);
}

function i64At(bytes: Uint8Array, at: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigInt64(at, true);
}

const FAULTS: Record<Exclude<CoreFault, 0>, FaultText> = {
  [CoreFault.FramesPerResult]: {
    code: "LIMIT",
    field: () => "ROWS",
    message: (_r, l) => `result has more than ${l.maxFramesPerResult} ROWS frames (maxFramesPerResult)`,
  },
  [CoreFault.BodyTooShort]: {
    code: "TRUNCATED",
    field: () => "ROWS.columnCount",
    message: () => "needs 8 bytes, the body is shorter",
  },
  [CoreFault.ColumnsLimit]: {
    code: "LIMIT",
    field: () => "ROWS.columnCount",
    message: (r, l, b) => `column count ${u64At(b, r.offset)} exceeds the cap of ${l.maxColumns}`,
  },
  [CoreFault.ColumnsDoNotFit]: {
    code: "TRUNCATED",
    field: () => "ROWS.columnCount",
    message: (r, _l, b) => `${u64At(b, r.offset)} column names cannot fit the rest of the body`,
  },
  [CoreFault.ColumnCountDrift]: {
    code: "INCONSISTENT",
    field: () => "ROWS.columnCount",
    message: (r, _l, b) => `continuation frame has ${u64At(b, r.offset)} columns, the first frame had another count`,
  },
  [CoreFault.NameTooLong]: {
    code: "LIMIT",
    field: name,
    message: (_r, l) => `text longer than the cap of ${l.maxNameBytes} bytes`,
  },
  [CoreFault.NameUnterminated]: {
    code: "BAD_TEXT",
    field: name,
    message: () => "text has no NUL terminator before the end of the body",
  },
  [CoreFault.NameNotUtf8]: { code: "BAD_TEXT", field: name, message: () => "text is not valid UTF-8" },
  [CoreFault.NamePadding]: {
    code: "TRUNCATED",
    field: name,
    message: () => "text padding runs past the end of the body",
  },
  [CoreFault.ColumnNameDrift]: {
    code: "INCONSISTENT",
    field: name,
    message: () => "continuation frame renames a column of the first frame",
  },
  [CoreFault.MissingMarker]: {
    code: "BAD_MARKER",
    field: () => "ROWS.marker",
    message: () => "no DONE or PART marker where the rows end",
  },
  [CoreFault.TrailingBytes]: {
    code: "BAD_LENGTH",
    field: () => "ROWS",
    message: () => "bytes follow the end marker",
  },
  [CoreFault.RowsPerFrame]: {
    code: "LIMIT",
    field: (r) => `ROWS.rows[${r.row}]`,
    message: (_r, l) => `frame reaches the cap of ${l.maxRowsPerFrame} rows (maxRowsPerFrame, exclusive)`,
  },
  [CoreFault.RowsPerResult]: {
    code: "LIMIT",
    field: (r) => `ROWS.rows[${r.row}]`,
    message: (_r, l) => `result has more than ${l.maxRowsPerResult} rows (maxRowsPerResult)`,
  },
  [CoreFault.RowHeaderTruncated]: {
    code: "TRUNCATED",
    field: (r) => `ROWS.rows[${r.row}].header`,
    message: () => "row header runs past the end of the body",
  },
  [CoreFault.BadNibble]: {
    code: "BAD_VALUE_TYPE",
    field: (r) => `ROWS.rows[${r.row}].header[${r.column}]`,
    message: (r) => `nibble ${r.detail} is not a value type (${valueTypeName(r.detail)})`,
  },
  [CoreFault.CellTruncated]: {
    code: "TRUNCATED",
    field: cell,
    message: () => "needs 8 bytes, fewer left in the body",
  },
  [CoreFault.UnsafeInteger]: {
    code: "UNSAFE_INTEGER",
    field: cell,
    message: (r, _l, b) => `integer ${i64At(b, r.offset)} does not fit a JS number exactly (use intMode "bigint" or "string")`,
  },
  [CoreFault.TextTooLong]: {
    code: "LIMIT",
    field: cell,
    message: (_r, l) => `text longer than the cap of ${l.maxValueBytes} bytes`,
  },
  [CoreFault.TextUnterminated]: {
    code: "BAD_TEXT",
    field: cell,
    message: () => "text has no NUL terminator before the end of the body",
  },
  [CoreFault.TextNotUtf8]: { code: "BAD_TEXT", field: cell, message: () => "text is not valid UTF-8" },
  [CoreFault.TextPadding]: {
    code: "TRUNCATED",
    field: cell,
    message: () => "text padding runs past the end of the body",
  },
  [CoreFault.BlobTooLong]: {
    code: "LIMIT",
    field: cell,
    message: (r, l, b) => `blob length ${u64At(b, r.offset)} exceeds the cap of ${l.maxValueBytes}`,
  },
  [CoreFault.BlobTruncated]: {
    code: "TRUNCATED",
    field: cell,
    message: () => "blob runs past the end of the body",
  },
  [CoreFault.Internal]: {
    code: "BAD_STATE",
    field: () => "ROWS",
    message: () => "row core called with an inconsistent layout (a bug in dqlite-wire)",
  },
};

/** The DecodeError for a fault record; `base` turns input offsets into caller offsets. */
export function rowsDecodeError(record: CoreErrorRecord, limits: CoreLimits, bytes: Uint8Array, base: number): DecodeError {
  const text = FAULTS[record.fault as Exclude<CoreFault, 0>];
  const offset = base + record.offset;
  const field = text.field(record);
  return new DecodeError(text.code, `${field}: ${text.message(record, limits, bytes)} at offset ${offset}`, { offset, field });
}
