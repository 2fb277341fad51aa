// The rows of one decode call, column by column. Each column is a type tag per row plus one
// 8-byte slot per row, seen through three typed views of the same memory: `numbers` (FLOAT,
// BOOLEAN as 0/1, and INTEGER/UNIXTIME in intMode "number"), `int64s` (INTEGER/UNIXTIME in
// intModes "bigint" and "string") and `spans` (TEXT/ISO8601/BLOB: [offset, length] pairs into
// `bytes`, the input the batch was decoded from). The tag says which view holds the cell; rows
// may change type freely. Text is decoded only when read; arrays and objects are built on demand.
//
// Lifetime: a batch owns its arrays (they are never views of WebAssembly memory). Text and blob
// cells are read from `bytes`: by default a copy of the input the batch was decoded from (taken
// only when the batch has such cells), so the caller may reuse its buffer; with the reader
// option input: "borrow" it is the caller's input itself, which must then stay unchanged while
// the batch is read. Values made by arrays(), objects() and columnValues() never point into
// `bytes` (see row-values.ts for the lifetime of blob views).

import type { CellValue } from "../values/cell.ts";
import type { IntMode } from "../values/int-mode.ts";
import { ValueType } from "../values/value-type.ts";
import { decodeCheckedUtf8 } from "../wire/utf8.ts";
import { resultRows } from "./row-assembly.ts";
import { type BlobMode, type ColumnCells, cellValue, copiedBlobs } from "./row-values.ts";

/** How `arrays()`, `objects()` and `columnValues()` make values. */
export interface ValueOptions {
  /**
   * "view" (default): blob cells are views into one copy of the batch's blob bytes (a view keeps
   * that copy alive, and `blob.buffer` holds the batch's other blobs too). "copy": each blob
   * gets its own ArrayBuffer.
   */
  blobs?: BlobMode;
}

/** One column of a batch. Views are created on first access of the column. */
export class RowColumn implements ColumnCells {
  readonly name: string;
  readonly index: number;
  /** Value type code (ValueType) of each row's cell. */
  readonly types: Uint8Array;
  /** FLOAT cells, BOOLEAN cells (0/1), INTEGER/UNIXTIME cells in intMode "number". */
  readonly numbers: Float64Array;
  /** INTEGER/UNIXTIME cells in intMode "bigint" or "string" (raw int64). */
  readonly int64s: BigInt64Array;
  /** TEXT/ISO8601/BLOB cells: byte offset into `bytes` at [2 * row], byte length at [2 * row + 1]. */
  readonly spans: Uint32Array;
  readonly bytes: Uint8Array;
  readonly intMode: IntMode;

  constructor(batch: RowBatch, index: number, types: Uint8Array, slots: ArrayBuffer, slotsOffset: number) {
    const rows = batch.rowCount;
    this.name = batch.columns[index]!;
    this.index = index;
    this.types = types;
    this.numbers = new Float64Array(slots, slotsOffset, rows);
    this.int64s = new BigInt64Array(slots, slotsOffset, rows);
    this.spans = new Uint32Array(slots, slotsOffset, rows * 2);
    this.bytes = batch.bytes;
    this.intMode = batch.intMode;
  }

  /** The cell of `row` as the codec would return it (text decoded, blob copied). */
  value(row: number): CellValue {
    if (!(row >= 0 && row < this.types.length)) throw new RangeError(`row ${row} is outside 0..${this.types.length - 1}`);
    return cellValue(this, row, copiedBlobs);
  }

  /** The text of a TEXT or ISO8601 cell. */
  text(row: number): string {
    const type = this.types[row];
    if (type !== ValueType.Text && type !== ValueType.Iso8601) throw new TypeError(`row ${row} of column ${this.name} is not text`);
    const start = this.spans[row * 2]!;
    return decodeCheckedUtf8(this.bytes, start, start + this.spans[row * 2 + 1]!);
  }

  /** A copy of the bytes of a BLOB cell. */
  blob(row: number): Uint8Array {
    if (this.types[row] !== ValueType.Blob) throw new TypeError(`row ${row} of column ${this.name} is not a blob`);
    const start = this.spans[row * 2]!;
    return this.bytes.slice(start, start + this.spans[row * 2 + 1]!);
  }
}

/** Column-major storage as a core produced it: column c's rows start at c * stride. */
export interface ColumnStorage {
  types: Uint8Array;
  slots: ArrayBuffer;
  /** Byte offset of column 0's slots in `slots` (8-aligned). */
  slotsOffset: number;
  stride: number;
}

export class RowBatch {
  /** Column names, from the first frame of the result. */
  readonly columns: readonly string[];
  readonly rowCount: number;
  readonly intMode: IntMode;
  /** The input bytes (or their copy) the batch was decoded from; `spans` index into it. */
  readonly bytes: Uint8Array;
  readonly #storage: ColumnStorage;
  readonly #views: (RowColumn | undefined)[];

  constructor(columns: readonly string[], rowCount: number, intMode: IntMode, bytes: Uint8Array, storage: ColumnStorage) {
    this.columns = columns;
    this.rowCount = rowCount;
    this.intMode = intMode;
    this.bytes = bytes;
    this.#storage = storage;
    this.#views = new Array(columns.length);
  }

  column(index: number): RowColumn {
    let view = this.#views[index];
    if (view === undefined) {
      if (!(index >= 0 && index < this.columns.length)) {
        throw new RangeError(`column ${index} is outside 0..${this.columns.length - 1}`);
      }
      const { types, slots, slotsOffset, stride } = this.#storage;
      const start = index * stride;
      view = new RowColumn(this, index, types.subarray(start, start + this.rowCount), slots, slotsOffset + start * 8);
      this.#views[index] = view;
    }
    return view;
  }

  /** The cell at (row, column) as the codec would return it. */
  get(row: number, column: number): CellValue {
    return this.column(column).value(row);
  }

  /** One array of values per column (text decoded, blobs as `options.blobs` says). */
  columnValues(options: ValueOptions = {}): CellValue[][] {
    return resultRows(this.columns).columnValues(this.#allColumns(), options.blobs ?? "view");
  }

  /** One array of values per row. */
  arrays(options: ValueOptions = {}): CellValue[][] {
    return resultRows(this.columns).arrays(this.#allColumns(), this.rowCount, options.blobs ?? "view");
  }

  /**
   * One object per row keyed by column name, every row of a result of one shape. When two
   * columns share a name the later one wins, as in most SQL drivers; read `arrays()` to keep
   * both.
   */
  objects(options: ValueOptions = {}): Record<string, CellValue>[] {
    return resultRows(this.columns).objects(this.#allColumns(), this.rowCount, options.blobs ?? "view");
  }

  #allColumns(): RowColumn[] {
    const columns: RowColumn[] = new Array(this.columns.length);
    for (let c = 0; c < columns.length; c++) columns[c] = this.column(c);
    return columns;
  }
}
