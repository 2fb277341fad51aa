// Deterministic query results in the shape a real dqlite node sends them: ROWS frames that a
// node fills until its 4 KiB page is full (each repeating the column count and names), PART on
// all but the last, DONE on the last. Row values depend only on the row index, so a whole
// corpus and a stream generated batch by batch hold the same bytes. `npm run capture` records
// the same queries from a real node to check frame counts and sizes against this generator.

import { FrameScanner } from "../src/wire/frame-scanner.ts";
import { writeHeader } from "../src/wire/header.ts";
import { FrameLayout, ResponseCode, RowsLayout, ValueCode } from "../src/wire/layout.ts";

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

const WORD = FrameLayout.WordBytes;
const HEADER = FrameLayout.HeaderBytes;

/** Bytes of `length` text bytes and their NUL terminator, padded to whole words. */
const paddedText = (length: number): number => (length + WORD) & ~(WORD - 1);

/** A row header word: one type nibble per column, the first column in the low nibble. */
function rowHeader(codes: ValueCode[]): bigint {
  return codes.reduceRight((word, code) => (word << BigInt(RowsLayout.NibbleBits)) | BigInt(code), 0n);
}

const NUMERIC_ROW_HEADER = rowHeader([ValueCode.Integer, ValueCode.Float, ValueCode.Integer]);
const MIXED_ROW_HEADER = rowHeader([ValueCode.Integer, ValueCode.Text, ValueCode.Float, ValueCode.Blob, ValueCode.Null]);

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
    const bytes = RowsLayout.ColumnCountBytes + names.reduce((sum, n) => sum + paddedText(n.length), 0);
    this.#names = new Uint8Array(bytes);
    const view = new DataView(this.#names.buffer);
    view.setBigUint64(RowsLayout.ColumnCountOffset, BigInt(names.length), true);
    let at = RowsLayout.ColumnCountBytes;
    for (const n of names) {
      this.#names.set(n, at);
      at += paddedText(n.length);
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
    out.set(this.#names, start + HEADER);
    let at = start + HEADER + this.#names.length;
    while (this.#next < this.totalRows && at - start < PAGE_BYTES) {
      at = this.#row(out, view, at, this.#next++);
    }
    const last = this.#next >= this.totalRows;
    out.fill(last ? RowsLayout.DoneByte : RowsLayout.PartByte, at, at + RowsLayout.MarkerBytes);
    at += RowsLayout.MarkerBytes;
    if (last) this.#emittedLast = true;
    writeHeader(out, start, (at - start - HEADER) / WORD, ResponseCode.Rows, 0);
    return at;
  }

  #row(out: Uint8Array, view: DataView, at: number, i: number): number {
    // One word per cell (the row header, INTEGER, FLOAT, the BLOB length, NULL), TEXT padded to words.
    const values = rowValues(this.shape, i);
    if (this.shape === "numeric") {
      view.setBigUint64(at, NUMERIC_ROW_HEADER, true);
      view.setBigInt64(at + WORD, BigInt(values[0] as number), true);
      view.setFloat64(at + 2 * WORD, values[1] as number, true);
      view.setBigInt64(at + 3 * WORD, BigInt(values[2] as number), true);
      return at + 4 * WORD;
    }
    view.setBigUint64(at, MIXED_ROW_HEADER, true);
    at += WORD;
    view.setBigInt64(at, BigInt(values[0] as number), true);
    at += WORD;
    const name = encoder.encode(values[1] as string);
    out.set(name, at);
    const padded = paddedText(name.length);
    out.fill(0, at + name.length, at + padded);
    at += padded;
    view.setFloat64(at, values[2] as number, true);
    at += WORD;
    const payload = values[3] as Uint8Array;
    view.setBigUint64(at, BigInt(payload.length), true);
    out.set(payload, at + WORD);
    at += WORD + payload.length;
    view.setBigUint64(at, 0n, true);
    return at + WORD;
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
  const scanner = new FrameScanner({ input: "borrow" });
  scanner.push(bytes);
  for (let frame = scanner.next(); frame !== undefined; frame = scanner.next()) frameBodyBytes.push(frame.header.frameBytes - HEADER);
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
