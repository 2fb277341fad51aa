// One column of a row batch as Arrow buffers, written straight into the IPC message: no JS value
// is made for any cell. Numbers are the batch's own 8-byte slots (a column's slots are
// contiguous, so an int64 or float64 column is one copy of them); text and blobs become Arrow's
// offsets and data from the batch's byte spans (no string is decoded); NULL cells clear their
// validity bit. A column is planned first (its type checked cell by cell, its null count and
// sizes known), then written where the message has room for it.

import type { RowColumn } from "../rows/row-batch.ts";
import { ValueType } from "../values/value-type.ts";
import { type TypeOrigin, typeMismatch } from "./column-types.ts";
import type { ArrowType, FieldNode } from "./ipc-format.ts";

/** One buffer of a column: its length in bytes, and how to write it at `at` of `target`. */
export interface BufferPlan {
  readonly length: number;
  write(target: Uint8Array, at: number): void;
}

export interface ColumnPlan {
  readonly node: FieldNode;
  /** Arrow's buffers for the type, in Arrow's order (validity first). */
  readonly buffers: readonly BufferPlan[];
}

const TWO_POW_32 = 2 ** 32;
/** Blobs and text up to this length are copied byte by byte: cheaper than a subarray and a set. */
const SHORT_COPY_BYTES = 64;

const bitmapBytes = (rows: number): number => Math.ceil(rows / 8);

/** Checks every cell of `column` against `type` and plans its buffers. */
export function planColumn(column: RowColumn, type: ArrowType, accepts: Uint8Array, rowsBefore: number, origin: TypeOrigin): ColumnPlan {
  const { types } = column;
  const rows = types.length;
  let nulls = 0;
  for (let row = 0; row < rows; row++) {
    const code = types[row]!;
    if (accepts[code] !== 1) throw typeMismatch(column, row, rowsBefore + row, type, origin);
    if (code === ValueType.Null) nulls++;
  }
  const node = { length: rows, nullCount: nulls };
  if (type === "null") return { node, buffers: [] };
  const validity = nulls === 0 ? EMPTY_BUFFER : validityBuffer(types);
  switch (type) {
    case "int64":
      return { node, buffers: [validity, slotsBuffer(column.int64s)] };
    case "float64":
      return { node, buffers: [validity, slotsBuffer(column.numbers)] };
    case "timestamp[s]":
      return { node, buffers: [validity, column.intMode === "number" ? int64FromNumbers(column.numbers) : slotsBuffer(column.int64s)] };
    case "bool":
      return { node, buffers: [validity, boolBuffer(column.numbers)] };
    default: // utf8, binary
      return { node, buffers: [validity, ...spanBuffers(column)] };
  }
}

const EMPTY_BUFFER: BufferPlan = { length: 0, write: () => {} };

/** Bit r set where row r is not NULL (LSB first, as Arrow numbers bits). */
function validityBuffer(types: Uint8Array): BufferPlan {
  return {
    length: bitmapBytes(types.length),
    write(target, at) {
      for (let row = 0; row < types.length; row++) {
        if (types[row] !== ValueType.Null) target[at + (row >> 3)]! |= 1 << (row & 7);
      }
    },
  };
}

/** The column's own 8-byte slots, copied as they are (NULL slots are zero). */
function slotsBuffer(slots: Float64Array | BigInt64Array): BufferPlan {
  const bytes = new Uint8Array(slots.buffer, slots.byteOffset, slots.byteLength);
  return { length: bytes.length, write: (target, at) => target.set(bytes, at) };
}

/** int64 values from the doubles intMode "number" keeps (exact: each is a safe integer). */
function int64FromNumbers(numbers: Float64Array): BufferPlan {
  return {
    length: numbers.length * 8,
    write(target, at) {
      const words = new Int32Array(target.buffer, target.byteOffset + at, numbers.length * 2);
      for (let row = 0; row < numbers.length; row++) {
        const value = numbers[row]!;
        const hi = Math.floor(value / TWO_POW_32);
        words[row * 2] = value - hi * TWO_POW_32;
        words[row * 2 + 1] = hi;
      }
    },
  };
}

/** BOOLEAN cells (0 or 1 in their slots) packed to bits. */
function boolBuffer(numbers: Float64Array): BufferPlan {
  return {
    length: bitmapBytes(numbers.length),
    write(target, at) {
      for (let row = 0; row < numbers.length; row++) {
        if (numbers[row] !== 0) target[at + (row >> 3)]! |= 1 << (row & 7);
      }
    },
  };
}

/** Arrow's int32 offsets and the data bytes of a utf8 or binary column, from the cells' spans. */
function spanBuffers(column: RowColumn): [BufferPlan, BufferPlan] {
  const { spans, bytes } = column;
  const rows = column.types.length;
  let total = 0;
  // A NULL cell's slot is zero, so its span adds nothing.
  for (let row = 0; row < rows; row++) total += spans[row * 2 + 1]!;
  const offsets: BufferPlan = {
    length: (rows + 1) * 4,
    write(target, at) {
      const out = new Int32Array(target.buffer, target.byteOffset + at, rows + 1);
      let end = 0;
      for (let row = 0; row < rows; row++) {
        end += spans[row * 2 + 1]!;
        out[row + 1] = end;
      }
    },
  };
  const data: BufferPlan = {
    length: total,
    write(target, at) {
      let to = at;
      for (let row = 0; row < rows; row++) {
        const start = spans[row * 2]!;
        const length = spans[row * 2 + 1]!;
        if (length <= SHORT_COPY_BYTES) for (let k = 0; k < length; k++) target[to + k] = bytes[start + k]!;
        else target.set(bytes.subarray(start, start + length), to);
        to += length;
      }
    },
  };
  return [offsets, data];
}
