// Rows as JavaScript values: the arrays and objects users keep (`.all()`, rowMode "arrays" and
// "objects"), built from a batch's columns. What this costs is mostly allocation and the garbage
// collector's work on what survives, so everything here aims at few, small, final objects:
//
// - a column at a time, with one loop per value type when the column holds one type (the usual
//   case): the type dispatch is paid per column, not per cell;
// - short ASCII text as one flat string per cell (src/wire/utf8.ts);
// - blobs as views into one copy of the batch's blob bytes, instead of an ArrayBuffer per cell
//   (blobs: "copy" gives each blob its own buffer);
// - row arrays as array literals of the row's width, and row objects of one shape per result,
//   their properties stored in the objects themselves.
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

  /** An arena for the blob cells of `columns` (their total length, counted once). */
  constructor(columns: readonly ColumnCells[]) {
    let total = 0;
    for (const { types, spans } of columns) {
      for (let row = 0; row < types.length; row++) if (types[row] === ValueType.Blob) total += spans[row * 2 + 1]!;
    }
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
    return new Uint8Array(arena.buffer, at, length);
  }
}

/** The blob source for one batch's values. */
export function blobSource(columns: readonly ColumnCells[], blobs: BlobMode): BlobSource {
  return blobs === "copy" ? copiedBlobs : new BlobArena(columns);
}

/** The one value type of every cell of a column, or 0 when types differ (or there are no rows). */
function uniformType(types: Uint8Array): number {
  const first = types[0] ?? 0;
  for (let row = 1; row < types.length; row++) if (types[row] !== first) return 0;
  return first;
}

/** The values of one column, in row order: one loop per value type when the column has one. */
export function columnValues(cells: ColumnCells, blobs: BlobSource): CellValue[] {
  const rows = cells.types.length;
  const values = new Array<CellValue>(rows);
  const { numbers, int64s, spans, bytes } = cells;
  switch (uniformType(cells.types)) {
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
      values.fill(null);
      break;
    case ValueType.Boolean:
      for (let row = 0; row < rows; row++) values[row] = numbers[row] !== 0;
      break;
    default:
      for (let row = 0; row < rows; row++) values[row] = cellValue(cells, row, blobs);
  }
  return values;
}

/**
 * Rows as arrays, from the values of each column. Up to eight columns each row is an array
 * literal of its width: V8 then allocates it at its final size from one allocation site per
 * width, and can move a site whose rows all survive (`.all()`) straight to old space.
 */
export function rowArrays(columns: readonly CellValue[][], rows: number): CellValue[][] {
  const out = new Array<CellValue[]>(rows);
  const [a = [], b = [], c = [], d = [], e = [], f = [], g = [], h = []] = columns;
  switch (columns.length) {
    case 1:
      for (let r = 0; r < rows; r++) out[r] = [a[r]!];
      return out;
    case 2:
      for (let r = 0; r < rows; r++) out[r] = [a[r]!, b[r]!];
      return out;
    case 3:
      for (let r = 0; r < rows; r++) out[r] = [a[r]!, b[r]!, c[r]!];
      return out;
    case 4:
      for (let r = 0; r < rows; r++) out[r] = [a[r]!, b[r]!, c[r]!, d[r]!];
      return out;
    case 5:
      for (let r = 0; r < rows; r++) out[r] = [a[r]!, b[r]!, c[r]!, d[r]!, e[r]!];
      return out;
    case 6:
      for (let r = 0; r < rows; r++) out[r] = [a[r]!, b[r]!, c[r]!, d[r]!, e[r]!, f[r]!];
      return out;
    case 7:
      for (let r = 0; r < rows; r++) out[r] = [a[r]!, b[r]!, c[r]!, d[r]!, e[r]!, f[r]!, g[r]!];
      return out;
    case 8:
      for (let r = 0; r < rows; r++) out[r] = [a[r]!, b[r]!, c[r]!, d[r]!, e[r]!, f[r]!, g[r]!, h[r]!];
      return out;
  }
  const width = columns.length;
  for (let row = 0; row < rows; row++) {
    const values = new Array<CellValue>(width);
    for (let col = 0; col < width; col++) values[col] = columns[col]![row]!;
    out[row] = values;
  }
  return out;
}

type RowObject = Record<string, CellValue>;

/**
 * How the objects of one result are built: a constructor whose instances are plain objects
 * (their prototype is Object.prototype) and keep their properties in the object itself, so
 * every row of the result shares one shape. A column named __proto__ is defined as an own
 * property rather than assigned (which would replace the prototype).
 */
export class RowShape {
  readonly keys: readonly string[];
  readonly Row: new () => RowObject;
  readonly #protoKey: boolean;

  constructor(names: readonly string[]) {
    this.keys = names;
    this.#protoKey = names.includes("__proto__");
    // A fresh function per result: V8 sizes its instances after the first rows it makes.
    function Row() {}
    Row.prototype = Object.prototype;
    this.Row = Row as unknown as new () => RowObject;
  }

  /**
   * Rows as objects, from the values of each column; when names repeat, the later column wins.
   * Up to eight columns the stores are written out, one store site per column: each site then
   * sees one key per result instead of all of them.
   */
  objects(columns: readonly CellValue[][], rows: number): RowObject[] {
    if (this.#protoKey) return this.#objectsWithProtoKey(columns, rows);
    const out = new Array<RowObject>(rows);
    const Row = this.Row;
    const [a = [], b = [], c = [], d = [], e = [], f = [], g = [], h = []] = columns;
    const [ka = "", kb = "", kc = "", kd = "", ke = "", kf = "", kg = "", kh = ""] = this.keys;
    switch (columns.length) {
      case 1:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!;
          out[r] = o;
        }
        return out;
      case 2:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!; o[kb] = b[r]!;
          out[r] = o;
        }
        return out;
      case 3:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!; o[kb] = b[r]!; o[kc] = c[r]!;
          out[r] = o;
        }
        return out;
      case 4:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!; o[kb] = b[r]!; o[kc] = c[r]!; o[kd] = d[r]!;
          out[r] = o;
        }
        return out;
      case 5:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!; o[kb] = b[r]!; o[kc] = c[r]!; o[kd] = d[r]!; o[ke] = e[r]!;
          out[r] = o;
        }
        return out;
      case 6:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!; o[kb] = b[r]!; o[kc] = c[r]!; o[kd] = d[r]!; o[ke] = e[r]!; o[kf] = f[r]!;
          out[r] = o;
        }
        return out;
      case 7:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!; o[kb] = b[r]!; o[kc] = c[r]!; o[kd] = d[r]!; o[ke] = e[r]!; o[kf] = f[r]!; o[kg] = g[r]!;
          out[r] = o;
        }
        return out;
      case 8:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!; o[kb] = b[r]!; o[kc] = c[r]!; o[kd] = d[r]!; o[ke] = e[r]!; o[kf] = f[r]!; o[kg] = g[r]!; o[kh] = h[r]!;
          out[r] = o;
        }
        return out;
    }
    const keys = this.keys;
    for (let r = 0; r < rows; r++) {
      const o = new Row();
      for (let col = 0; col < keys.length; col++) o[keys[col]!] = columns[col]![r]!;
      out[r] = o;
    }
    return out;
  }

  #objectsWithProtoKey(columns: readonly CellValue[][], rows: number): RowObject[] {
    const out = new Array<RowObject>(rows);
    for (let row = 0; row < rows; row++) {
      const object: RowObject = {};
      this.keys.forEach((key, c) => {
        Object.defineProperty(object, key, { value: columns[c]![row], enumerable: true, writable: true, configurable: true });
      });
      out[row] = object;
    }
    return out;
  }
}

const shapes = new WeakMap<readonly string[], RowShape>();

/** The row shape of a result, made once per column list (every batch of a result shares it). */
export function rowShape(names: readonly string[]): RowShape {
  let shape = shapes.get(names);
  if (shape === undefined) {
    shape = new RowShape(names);
    shapes.set(names, shape);
  }
  return shape;
}
