// Cell values as JavaScript values, a column at a time: one loop per value type when the column
// holds one type (the usual case), so the type dispatch is paid per column, not per cell. Short
// ASCII text becomes one flat string per cell (src/wire/utf8.ts); blobs become views into one
// copy of the batch's blob bytes instead of an ArrayBuffer per cell (blobs: "copy" gives each
// blob its own buffer). row-assembly.ts builds rows from these columns.
//
// Blob lifetime: a view keeps its batch's blob arena alive (the blob bytes of that batch only,
// not the rest of the input); the views share that ArrayBuffer, so `blob.buffer` holds the other
// blobs of the batch too. Transferring it (postMessage) detaches every blob of the batch: copy
// first (`blob.slice()`), or ask for blobs: "copy".

import type { CellValue } from "../values/cell.ts";
import type { IntMode } from "../values/int-mode.ts";
import { ValueType } from "../values/value-type.ts";
import { decodeCheckedUtf8 } from "../wire/utf8.ts";

/** How blob cells become values: views into one per-batch copy (default), or a copy each. */
export type BlobMode = "view" | "copy";

/** What a column's cells are made of (the parts of a RowColumn the values are read from). */
export interface ColumnCells {
  readonly types: Uint8Array;
  readonly numbers: Float64Array;
  readonly int64s: BigInt64Array;
  readonly spans: Uint32Array;
  readonly bytes: Uint8Array;
  readonly intMode: IntMode;
}

/** The value of one cell, as the codec would decode it. */
export function cellValue(cells: ColumnCells, row: number, blobs: BlobSource): CellValue {
  switch (cells.types[row]) {
    case ValueType.Integer:
    case ValueType.UnixTime:
      return integerValue(cells, row);
    case ValueType.Float:
      return cells.numbers[row]!;
    case ValueType.Text:
    case ValueType.Iso8601:
      return textValue(cells, row);
    case ValueType.Blob:
      return blobs.take(cells.bytes, cells.spans[row * 2]!, cells.spans[row * 2 + 1]!);
    case ValueType.Null:
      return null;
    default: // BOOLEAN, stored as 0 or 1
      return cells.numbers[row] !== 0;
  }
}

function integerValue(cells: ColumnCells, row: number): number | bigint | string {
  if (cells.intMode === "number") return cells.numbers[row]!;
  return cells.intMode === "bigint" ? cells.int64s[row]! : cells.int64s[row]!.toString();
}

function textValue(cells: ColumnCells, row: number): string {
  const start = cells.spans[row * 2]!;
  return decodeCheckedUtf8(cells.bytes, start, start + cells.spans[row * 2 + 1]!);
}

/** Where blob values come from: views into one arena per batch, or a copy each. */
export interface BlobSource {
  take(bytes: Uint8Array, start: number, length: number): Uint8Array;
}

/** A copy of each blob (its own ArrayBuffer). */
export const copiedBlobs: BlobSource = {
  take: (bytes, start, length) => bytes.slice(start, start + length),
};

/** Views into one ArrayBuffer holding every blob of a batch, filled as blobs are taken. */
export class BlobArena implements BlobSource {
  readonly #arena: Uint8Array;
  #used = 0;

  /** An arena for the blob cells of `columns`, whose kinds (see columnKinds) say where blobs can be. */
  constructor(columns: readonly ColumnCells[], kinds: readonly number[]) {
    let total = 0;
    columns.forEach(({ types, spans }, c) => {
      const kind = kinds[c];
      if (kind === ValueType.Blob) for (let row = 0; row < types.length; row++) total += spans[row * 2 + 1]!;
      else if (kind === MIXED) for (let row = 0; row < types.length; row++) if (types[row] === ValueType.Blob) total += spans[row * 2 + 1]!;
    });
    this.#arena = new Uint8Array(total);
  }

  take(bytes: Uint8Array, start: number, length: number): Uint8Array {
    const arena = this.#arena;
    const at = this.#used;
    if (at + length > arena.length) throw new RangeError("blob arena overrun: a blob was taken twice");
    // Short blobs by hand: a subarray for TypedArray.set would cost more than the copy.
    if (length <= 64) for (let k = 0; k < length; k++) arena[at + k] = bytes[start + k]!;
    else arena.set(bytes.subarray(start, start + length), at);
    this.#used = at + length;
    return arena.subarray(at, at + length);
  }
}

/** The blob source for one batch's values. */
export function blobSource(columns: readonly ColumnCells[], kinds: readonly number[], blobs: BlobMode): BlobSource {
  return blobs === "copy" ? copiedBlobs : new BlobArena(columns, kinds);
}

/** The kind of a column whose cells are not all of one value type. */
export const MIXED = 0;

/** The value type every cell of each column shares, or MIXED (also for a batch without rows). */
export function columnKinds(columns: readonly ColumnCells[]): number[] {
  return columns.map(({ types }) => {
    const first = types[0] ?? MIXED;
    for (let row = 1; row < types.length; row++) if (types[row] !== first) return MIXED;
    return first;
  });
}

/**
 * Writes the values of one column into values[0, rows): one loop per value type when the column
 * has one (`kind`, from columnKinds), a switch per cell otherwise.
 */
export function fillColumnValues(cells: ColumnCells, kind: number, blobs: BlobSource, values: CellValue[]): void {
  const rows = cells.types.length;
  const { numbers, int64s, spans, bytes } = cells;
  switch (kind) {
    case ValueType.Integer:
    case ValueType.UnixTime:
      if (cells.intMode === "number") for (let row = 0; row < rows; row++) values[row] = numbers[row]!;
      else if (cells.intMode === "bigint") for (let row = 0; row < rows; row++) values[row] = int64s[row]!;
      else for (let row = 0; row < rows; row++) values[row] = int64s[row]!.toString();
      break;
    case ValueType.Float:
      for (let row = 0; row < rows; row++) values[row] = numbers[row]!;
      break;
    case ValueType.Text:
    case ValueType.Iso8601:
      for (let row = 0; row < rows; row++) {
        const start = spans[row * 2]!;
        values[row] = decodeCheckedUtf8(bytes, start, start + spans[row * 2 + 1]!);
      }
      break;
    case ValueType.Blob:
      for (let row = 0; row < rows; row++) values[row] = blobs.take(bytes, spans[row * 2]!, spans[row * 2 + 1]!);
      break;
    case ValueType.Null:
      for (let row = 0; row < rows; row++) values[row] = null;
      break;
    case ValueType.Boolean:
      for (let row = 0; row < rows; row++) values[row] = numbers[row] !== 0;
      break;
    default:
      for (let row = 0; row < rows; row++) values[row] = cellValue(cells, row, blobs);
  }
}
