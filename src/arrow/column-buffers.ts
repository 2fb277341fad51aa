// One column of a row batch as Arrow buffers, written straight into the IPC message: no JS value
// is made for any cell. Numbers are the batch's own 8-byte slots (a column's slots are
// contiguous, so an int64 or float64 column is one copy of them); text and blobs become Arrow's
// offsets and data from the batch's byte spans (no string is decoded); NULL cells clear their
// validity bit. A column is planned first (its type checked cell by cell, its null count and
// buffer sizes known), then written where the message has room for it.

import type { RowColumn } from "../rows/row-batch.ts";
import { ValueType } from "../values/value-type.ts";
import { type TypeOrigin, typeMismatch } from "./column-types.ts";
import type { ArrowType, FieldNode } from "./ipc-format.ts";

export interface ColumnPlan {
  readonly node: FieldNode;
  /** Byte lengths of Arrow's buffers for the type, in Arrow's order (validity first). */
  readonly lengths: readonly number[];
  /** Writes the buffers into `target`, buffer i at `at[i]` (zeroed memory, 8-aligned). */
  write(target: Uint8Array, at: readonly number[]): void;
}

const TWO_POW_32 = 2 ** 32;
/** Cells longer than this are copied with one `set`; shorter ones by hand (cheaper than a subarray). */
const SHORT_COPY_BYTES = 64;
const NO_BUFFERS: readonly number[] = [];

const bitmapBytes = (rows: number): number => Math.ceil(rows / 8);

/** Checks every cell of `column` against `type` and plans its buffers. */
export function planColumn(column: RowColumn, type: ArrowType, accepts: Uint8Array, rowsBefore: number, origin: TypeOrigin): ColumnPlan {
  const { types } = column;
  const rows = types.length;
  const spanned = type === "utf8" || type === "binary";
  const counts = spanned ? checkSpanCells(types, accepts, column.spans) : checkCells(types, accepts);
  if (counts.mismatch >= 0) throw typeMismatch(column, counts.mismatch, rowsBefore + counts.mismatch, type, origin);
  const { nulls, dataBytes } = counts;
  const node = { length: rows, nullCount: nulls };
  if (type === "null") return { node, lengths: NO_BUFFERS, write: () => {} };
  const validity = nulls === 0 ? 0 : bitmapBytes(rows);
  const writeValidity = (target: Uint8Array, at: number) => {
    if (nulls > 0) validityBits(types, target, at);
  };
  if (spanned) {
    return {
      node,
      lengths: [validity, (rows + 1) * 4, dataBytes],
      write(target, at) {
        writeValidity(target, at[0]!);
        copySpans(column, target, at[1]!, at[2]!);
      },
    };
  }
  const values = type === "bool" ? bitmapBytes(rows) : rows * 8;
  return {
    node,
    lengths: [validity, values],
    write(target, at) {
      writeValidity(target, at[0]!);
      if (type === "bool") boolBits(column.numbers, target, at[1]!);
      else if (type === "float64") copySlots(column.numbers, target, at[1]!);
      // int64 and timestamp[s]: the raw int64 slots, or in intMode "number" the exact doubles as int64.
      else if (column.intMode === "number") int64FromNumbers(column.numbers, target, at[1]!);
      else copySlots(column.int64s, target, at[1]!);
    },
  };
}

interface CellCounts {
  /** The first row whose cell type the column refuses, or -1. */
  mismatch: number;
  nulls: number;
  /** Bytes of the cells' spans (utf8 and binary columns). */
  dataBytes: number;
}

/**
 * How many cells from the first have the first cell's type: four at a time (one word of the
 * types array), so a column of one type (the usual case) is checked in a quarter of the steps.
 */
function sameTypeRun(types: Uint8Array): number {
  const rows = types.length;
  if (rows === 0) return 0;
  const word = types[0]! * 0x01010101;
  const view = new DataView(types.buffer, types.byteOffset, rows);
  let row = 0;
  while (row + 4 <= rows && view.getUint32(row, true) === word) row += 4;
  while (row < rows && types[row] === types[0]) row++;
  return row;
}

/** Checks each cell's type and counts the NULLs, in one pass. */
function checkCells(types: Uint8Array, accepts: Uint8Array): CellCounts {
  if (types.length > 0 && accepts[types[0]!] === 1 && sameTypeRun(types) === types.length) {
    return { mismatch: -1, nulls: types[0] === ValueType.Null ? types.length : 0, dataBytes: 0 };
  }
  let nulls = 0;
  for (let row = 0; row < types.length; row++) {
    const code = types[row]!;
    if (accepts[code] !== 1) return { mismatch: row, nulls, dataBytes: 0 };
    if (code === ValueType.Null) nulls++;
  }
  return { mismatch: -1, nulls, dataBytes: 0 };
}

/** The same for a column of spans, summing their lengths (a NULL cell's slot is zero: it adds nothing). */
function checkSpanCells(types: Uint8Array, accepts: Uint8Array, spans: Uint32Array): CellCounts {
  if (types.length > 0 && types[0] !== ValueType.Null && accepts[types[0]!] === 1 && sameTypeRun(types) === types.length) {
    let dataBytes = 0;
    for (let row = 0; row < types.length; row++) dataBytes += spans[row * 2 + 1]!;
    return { mismatch: -1, nulls: 0, dataBytes };
  }
  let nulls = 0;
  let dataBytes = 0;
  for (let row = 0; row < types.length; row++) {
    const code = types[row]!;
    if (accepts[code] !== 1) return { mismatch: row, nulls, dataBytes };
    if (code === ValueType.Null) nulls++;
    dataBytes += spans[row * 2 + 1]!;
  }
  return { mismatch: -1, nulls, dataBytes };
}

/** Bit r set where row r is not NULL (LSB first, as Arrow numbers bits). */
function validityBits(types: Uint8Array, target: Uint8Array, at: number): void {
  for (let row = 0; row < types.length; row++) {
    if (types[row] !== ValueType.Null) target[at + (row >> 3)]! |= 1 << (row & 7);
  }
}

/** The column's own 8-byte slots, copied as they are (NULL slots are zero). */
function copySlots(slots: Float64Array | BigInt64Array, target: Uint8Array, at: number): void {
  target.set(new Uint8Array(slots.buffer, slots.byteOffset, slots.byteLength), at);
}

/** int64 values from the doubles intMode "number" keeps (exact: each is a safe integer). */
function int64FromNumbers(numbers: Float64Array, target: Uint8Array, at: number): void {
  const words = new Int32Array(target.buffer, target.byteOffset + at, numbers.length * 2);
  for (let row = 0; row < numbers.length; row++) {
    const value = numbers[row]!;
    const hi = Math.floor(value / TWO_POW_32);
    words[row * 2] = value - hi * TWO_POW_32;
    words[row * 2 + 1] = hi;
  }
}

/** BOOLEAN cells (0 or 1 in their slots) packed to bits. */
function boolBits(numbers: Float64Array, target: Uint8Array, at: number): void {
  for (let row = 0; row < numbers.length; row++) {
    if (numbers[row] !== 0) target[at + (row >> 3)]! |= 1 << (row & 7);
  }
}

/**
 * Arrow's int32 offsets (at `offsetsAt`) and the cells' bytes end to end (at `dataAt`), in one
 * pass. Cells start on 8-byte boundaries of their frame and are padded to 8 bytes in it
 * (protocol.md §4), so when the input is 4-byte aligned a short cell is copied a word at a time,
 * padding included: what a cell writes past its own length, the next cell overwrites. The last
 * cell with bytes is copied exactly, so nothing is written past the column's data.
 */
function copySpans(column: RowColumn, target: Uint8Array, offsetsAt: number, dataAt: number): void {
  const { spans, bytes } = column;
  const rows = column.types.length;
  const offsets = new Int32Array(target.buffer, target.byteOffset + offsetsAt, rows + 1);
  let last = rows - 1;
  while (last >= 0 && spans[last * 2 + 1] === 0) last--;
  const aligned = (bytes.byteOffset & 3) === 0;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, aligned ? bytes.byteLength >>> 2 : 0);
  const out = new DataView(target.buffer, target.byteOffset, target.byteLength);
  let end = 0;
  for (let row = 0; row < rows; row++) {
    const start = spans[row * 2]!;
    const length = spans[row * 2 + 1]!;
    const to = dataAt + end;
    if (length > SHORT_COPY_BYTES) target.set(bytes.subarray(start, start + length), to);
    else if (aligned && (start & 3) === 0 && row < last) {
      for (let k = 0; k < length; k += 4) out.setUint32(to + k, words[(start + k) >>> 2]!, true);
    } else for (let k = 0; k < length; k++) target[to + k] = bytes[start + k]!;
    end += length;
    offsets[row + 1] = end;
  }
}
