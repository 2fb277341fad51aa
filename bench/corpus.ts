// Deterministic query results in the shape a real dqlite node sends them: ROWS frames that a
// node fills until its 4 KiB page is full (each repeating the column count and names), PART on
// all but the last, DONE on the last. Row values depend only on the row index, so a whole
// corpus and a stream generated batch by batch hold the same bytes. `npm run capture` records
// the same queries from a real node to check frame counts and sizes against this generator.

export type Shape = "numeric" | "mixed";

/** Column names and types per shape (the capture script creates tables just like these). */
export const SHAPES: Record<Shape, { columns: string[]; sqlTypes: string[] }> = {
  numeric: { columns: ["id", "x", "n"], sqlTypes: ["INTEGER", "REAL", "INTEGER"] },
  mixed: { columns: ["id", "name", "score", "payload", "note"], sqlTypes: ["INTEGER", "TEXT", "REAL", "BLOB", "TEXT"] },
};

/** A node's response buffer page: rows are added while the frame is shorter than this. */
export const PAGE_BYTES = 4096;

/** A 32-bit mix of the row index and a salt (splitmix-like), the source of every value. */
export function hash32(index: number, salt: number): number {
  let x = (index * 0x9e3779b1 + salt * 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

const NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** The values of row `i`, as the table rows the capture script inserts. */
export function rowValues(shape: Shape, i: number): (number | string | Uint8Array | null)[] {
  const x = hash32(i, 1) / 2 ** 32;
  if (shape === "numeric") return [i + 1, x * 1000, hash32(i, 2) % 100_000];
  return [i + 1, nameOf(i), x * 100, payloadOf(i), null];
}

/** 16 to 24 ASCII characters ("user-" and a deterministic tail). */
export function nameOf(i: number): string {
  const length = 11 + (hash32(i, 3) % 9);
  let out = "user-";
  for (let k = 0; k < length; k++) out += NAME_ALPHABET[hash32(i, 10 + k) % NAME_ALPHABET.length];
  return out;
}

export function payloadOf(i: number): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  for (let k = 0; k < 4; k++) view.setUint32(k * 4, hash32(i, 40 + k), true);
  return out;
}

const encoder = new TextEncoder();

/** Writes ROWS frames for rows [first, first + count) into `out` at `at`; see CorpusWriter. */
export class CorpusWriter {
  readonly shape: Shape;
  readonly totalRows: number;
  #next = 0;
  #names: Uint8Array;

  constructor(shape: Shape, totalRows: number) {
    this.shape = shape;
    this.totalRows = totalRows;
    const names = SHAPES[shape].columns.map((n) => encoder.encode(n));
    const bytes = 8 + names.reduce((sum, n) => sum + ((n.length + 8) & ~7), 0);
    this.#names = new Uint8Array(bytes);
    const view = new DataView(this.#names.buffer);
    view.setUint32(0, names.length, true);
    let at = 8;
    for (const n of names) {
      this.#names.set(n, at);
      at += (n.length + 8) & ~7;
    }
  }

  get done(): boolean {
    return this.#next >= this.totalRows && this.#emittedLast;
  }

  #emittedLast = false;

  /**
   * Fills `out` with whole frames until the next frame might not fit (a frame is at most
   * PAGE_BYTES plus one row plus the marker). Returns the bytes written.
   */
  fill(out: Uint8Array): number {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const maxFrame = PAGE_BYTES + 256;
    let at = 0;
    while (!this.done && out.length - at >= maxFrame) at = this.#frame(out, view, at);
    return at;
  }

  #frame(out: Uint8Array, view: DataView, start: number): number {
    out.set(this.#names, start + 8);
    let at = start + 8 + this.#names.length;
    while (this.#next < this.totalRows && at - start < PAGE_BYTES) {
      at = this.#row(out, view, at, this.#next++);
    }
    const last = this.#next >= this.totalRows;
    out.fill(last ? 0xff : 0xee, at, at + 8);
    at += 8;
    if (last) this.#emittedLast = true;
    view.setUint32(start, (at - start - 8) / 8, true);
    out[start + 4] = 7;
    out[start + 5] = 0;
    view.setUint16(start + 6, 0, true);
    return at;
  }

  #row(out: Uint8Array, view: DataView, at: number, i: number): number {
    const values = rowValues(this.shape, i);
    if (this.shape === "numeric") {
      view.setBigUint64(at, 0x121n, true); // INTEGER, FLOAT, INTEGER
      view.setBigInt64(at + 8, BigInt(values[0] as number), true);
      view.setFloat64(at + 16, values[1] as number, true);
      view.setBigInt64(at + 24, BigInt(values[2] as number), true);
      return at + 32;
    }
    view.setBigUint64(at, 0x54231n, true); // INTEGER, TEXT, FLOAT, BLOB, NULL
    at += 8;
    view.setBigInt64(at, BigInt(values[0] as number), true);
    at += 8;
    const name = encoder.encode(values[1] as string);
    out.set(name, at);
    const padded = (name.length + 8) & ~7;
    out.fill(0, at + name.length, at + padded);
    at += padded;
    view.setFloat64(at, values[2] as number, true);
    at += 8;
    const payload = values[3] as Uint8Array;
    view.setBigUint64(at, BigInt(payload.length), true);
    out.set(payload, at + 8);
    at += 8 + payload.length;
    view.setBigUint64(at, 0n, true);
    return at + 8;
  }
}

export interface Corpus {
  shape: Shape;
  rows: number;
  frames: number;
  bytes: Uint8Array;
  /** Body bytes of each frame (header excluded), for comparison with a capture. */
  frameBodyBytes: number[];
}

/** The whole result of `rows` rows as one buffer of frames. */
export function buildCorpus(shape: Shape, rows: number): Corpus {
  const writer = new CorpusWriter(shape, rows);
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (!writer.done) {
    const chunk = new Uint8Array(4 << 20);
    const n = writer.fill(chunk);
    chunks.push(chunk.subarray(0, n));
    total += n;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  const frameBodyBytes: number[] = [];
  const view = new DataView(bytes.buffer);
  for (let p = 0; p < bytes.length; ) {
    const body = view.getUint32(p, true) * 8;
    frameBodyBytes.push(body);
    p += 8 + body;
  }
  return { shape, rows, frames: frameBodyBytes.length, bytes, frameBodyBytes };
}

/** The same rows as JSON (an array of row arrays; blobs as hex), as an HTTP/JSON API would send. */
export function corpusJson(shape: Shape, rows: number): string {
  const parts: string[] = [];
  let chunk = "";
  for (let i = 0; i < rows; i++) {
    const values = rowValues(shape, i).map((v) => (v instanceof Uint8Array ? hex(v) : v));
    chunk += (i === 0 ? "[" : ",") + JSON.stringify(values);
    if (chunk.length > 1 << 20) {
      parts.push(chunk);
      chunk = "";
    }
  }
  parts.push(rows === 0 ? "[]" : chunk + "]");
  return parts.join("");
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
