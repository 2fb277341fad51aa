// Rows from column values: the arrays and objects users keep (`.all()`, rowMode "arrays" and
// "objects"). What this costs is mostly allocation and the garbage collector's work on what
// survives, so rows are few, small, final objects: arrays of their exact width, and objects of
// one shape per result with their properties in the object itself. The column values of a batch
// go through scratch arrays the result reuses from batch to batch, so making rows leaves no
// garbage beyond the rows.

import type { CellValue } from "../values/cell.ts";
import { type BlobMode, type ColumnCells, blobSource, columnKinds, fillColumnValues } from "./row-values.ts";

/** Builds the rows of every batch of one result (see `resultRows`). */
export class ResultRows {
  readonly #shape: RowShape;
  /** Column values of the batch in hand; rows copy them out, so they are reused. */
  #scratch: CellValue[][] = [];

  constructor(names: readonly string[]) {
    this.#shape = rowShapeOf(names);
  }

  /** Fresh arrays of values, one per column (rowMode "columns"). */
  columnValues(columns: readonly ColumnCells[], blobs: BlobMode): CellValue[][] {
    return this.#fill(
      columns,
      blobs,
      columns.map((cells) => new Array<CellValue>(cells.types.length)),
    );
  }

  arrays(columns: readonly ColumnCells[], rows: number, blobs: BlobMode): CellValue[][] {
    const values = this.#fill(columns, blobs, this.#scratchFor(columns.length));
    try {
      return rowArrays(values, rows);
    } finally {
      this.#release(rows);
    }
  }

  objects(columns: readonly ColumnCells[], rows: number, blobs: BlobMode): Record<string, CellValue>[] {
    const values = this.#fill(columns, blobs, this.#scratchFor(columns.length));
    try {
      return this.#shape.objects(values, rows);
    } finally {
      this.#release(rows);
    }
  }

  #fill(columns: readonly ColumnCells[], blobs: BlobMode, into: CellValue[][]): CellValue[][] {
    const kinds = columnKinds(columns);
    const source = blobSource(columns, kinds, blobs);
    columns.forEach((cells, c) => {
      fillColumnValues(cells, kinds[c]!, source, into[c]!);
    });
    return into;
  }

  #scratchFor(width: number): CellValue[][] {
    while (this.#scratch.length < width) this.#scratch.push([]);
    return this.#scratch;
  }

  /** Drops the scratch's references, so a batch's values live only as long as its rows. */
  #release(rows: number): void {
    for (const values of this.#scratch) values.fill(null, 0, rows);
  }
}

/**
 * Row shapes by column names, shared by every result with the same columns: their objects then
 * share hidden classes too, so the code that builds and reads them stays monomorphic from one
 * query to the next (a shape per result would make every store site megamorphic after a few
 * results). Bounded: the least recently made shapes go first.
 */
const shapes = new Map<string, RowShape>();
const MAX_SHAPES = 256;

function rowShapeOf(names: readonly string[]): RowShape {
  // Column names cannot hold NUL, so the joined key is unambiguous.
  const key = names.join("\u0000");
  let shape = shapes.get(key);
  if (shape === undefined) {
    shape = new RowShape(names);
    if (shapes.size >= MAX_SHAPES) shapes.delete(shapes.keys().next().value!);
    shapes.set(key, shape);
  }
  return shape;
}

const results = new WeakMap<readonly string[], ResultRows>();

/** The row maker of a result, made once per column list (every batch of a result shares it). */
export function resultRows(names: readonly string[]): ResultRows {
  let made = results.get(names);
  if (made === undefined) {
    made = new ResultRows(names);
    results.set(names, made);
  }
  return made;
}

/**
 * Rows as arrays, from the values of each column. Up to eight columns each row is an array
 * literal of its width: allocated at its final size, its elements packed (a generic loop over
 * `new Array(width)` measured half as fast on kept rows).
 */
function rowArrays(columns: readonly CellValue[][], rows: number): CellValue[][] {
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
class RowShape {
  readonly keys: readonly string[];
  readonly Row: new () => RowObject;
  readonly #protoKey: boolean;

  constructor(names: readonly string[]) {
    this.keys = names;
    this.#protoKey = names.includes("__proto__");
    // A function per shape: V8 sizes its instances after the first rows it makes, so they keep
    // exactly these properties in the object itself.
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
          o[ka] = a[r]!;
          o[kb] = b[r]!;
          out[r] = o;
        }
        return out;
      case 3:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!;
          o[kb] = b[r]!;
          o[kc] = c[r]!;
          out[r] = o;
        }
        return out;
      case 4:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!;
          o[kb] = b[r]!;
          o[kc] = c[r]!;
          o[kd] = d[r]!;
          out[r] = o;
        }
        return out;
      case 5:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!;
          o[kb] = b[r]!;
          o[kc] = c[r]!;
          o[kd] = d[r]!;
          o[ke] = e[r]!;
          out[r] = o;
        }
        return out;
      case 6:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!;
          o[kb] = b[r]!;
          o[kc] = c[r]!;
          o[kd] = d[r]!;
          o[ke] = e[r]!;
          o[kf] = f[r]!;
          out[r] = o;
        }
        return out;
      case 7:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!;
          o[kb] = b[r]!;
          o[kc] = c[r]!;
          o[kd] = d[r]!;
          o[ke] = e[r]!;
          o[kf] = f[r]!;
          o[kg] = g[r]!;
          out[r] = o;
        }
        return out;
      case 8:
        for (let r = 0; r < rows; r++) {
          const o = new Row();
          o[ka] = a[r]!;
          o[kb] = b[r]!;
          o[kc] = c[r]!;
          o[kd] = d[r]!;
          o[ke] = e[r]!;
          o[kf] = f[r]!;
          o[kg] = g[r]!;
          o[kh] = h[r]!;
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
