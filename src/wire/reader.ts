// A cursor over one frame body. It knows the primitive encodings of protocol.md §4 and nothing
// of messages. Every read is bounds-checked against the body end, so no field can read past the
// frame, and every failure is a DecodeError naming the field and the absolute byte offset.

import { DecodeError, type WireErrorCode } from "../errors.ts";
import { WORD_BYTES, padToWord } from "./constants.ts";
import { decodeUtf8 } from "./utf8.ts";

const TWO_POW_32 = 2 ** 32;

export class WireReader {
  /** The buffer being read; `pos` and `end` index into it. */
  bytes: Uint8Array;
  view: DataView;
  pos: number;
  end: number;
  /** Added to `pos` in error messages, so offsets count from the frame (or stream) start. */
  base: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length, base = 0) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
    this.base = base;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Absolute offset of the cursor, for error messages. */
  offset(at = this.pos): number {
    return this.base + at;
  }

  fail(code: WireErrorCode, field: string, message: string, at = this.pos): never {
    const offset = this.offset(at);
    throw new DecodeError(code, `${field}: ${message} at offset ${offset}`, { offset, field });
  }

  need(bytes: number, field: string): void {
    if (bytes > this.end - this.pos) {
      this.fail("TRUNCATED", field, `needs ${bytes} bytes, ${this.end - this.pos} left in the body`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++]!;
  }

  u32(field: string): number {
    this.need(4, field);
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const value = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** A uint64 that must fit a JS number below `max` (counts, lengths): checked before use. */
  u64AsCount(field: string, max: number, what = "count"): number {
    this.need(8, field);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    if (hi >= 0x200000 || lo + hi * TWO_POW_32 > max) {
      const value = this.view.getBigUint64(this.pos, true);
      this.fail("LIMIT", field, `${what} ${value} exceeds the cap of ${max}`);
    }
    this.pos += 8;
    return lo + hi * TWO_POW_32;
  }

  i64(field: string): bigint {
    this.need(8, field);
    const value = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return value;
  }

  f64(field: string): number {
    this.need(8, field);
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  skip(bytes: number, field: string): void {
    this.need(bytes, field);
    this.pos += bytes;
  }

  /** Skips zero padding up to the next word boundary of the body (content not checked). */
  alignTo(bodyStart: number, field: string): void {
    const padded = bodyStart + padToWord(this.pos - bodyStart);
    this.skip(padded - this.pos, field);
  }

  /**
   * `text`: UTF-8, NUL, zero padding to a word. The NUL is searched for at most `maxBytes + 1`
   * bytes ahead, so a missing terminator costs a bounded scan and a clear error.
   */
  text(field: string, maxBytes: number): string {
    const start = this.pos;
    const searchEnd = Math.min(this.end, start + maxBytes + 1);
    const nul = this.bytes.subarray(0, searchEnd).indexOf(0, start);
    if (nul < 0) {
      if (searchEnd - start > maxBytes) {
        this.fail("LIMIT", field, `text longer than the cap of ${maxBytes} bytes`, start);
      }
      this.fail("BAD_TEXT", field, "text has no NUL terminator before the end of the body", start);
    }
    const value = decodeUtf8(this.bytes, start, nul);
    if (value === undefined) this.fail("BAD_TEXT", field, "text is not valid UTF-8", start);
    const paddedEnd = start + padToWord(nul + 1 - start);
    if (paddedEnd > this.end) {
      this.fail("TRUNCATED", field, "text padding runs past the end of the body", nul + 1);
    }
    this.pos = paddedEnd;
    return value;
  }

  /** `blob`: uint64 length, bytes, zero padding. Returns a copy, never a view of the frame. */
  blob(field: string, maxBytes: number): Uint8Array {
    const length = this.u64AsCount(field, maxBytes, "blob length");
    const padded = padToWord(length);
    if (padded > this.end - this.pos) {
      this.fail("TRUNCATED", field, `blob of ${length} bytes runs past the end of the body`);
    }
    const value = this.bytes.slice(this.pos, this.pos + length);
    this.pos += padded;
    return value;
  }

  /** Raw bytes with no padding (FILES content). Returns a copy. */
  raw(length: number, field: string): Uint8Array {
    this.need(length, field);
    const value = this.bytes.slice(this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  /** True when the next word is all `byte` (ROWS markers compare all 8 bytes). */
  isWordOf(byte: number): boolean {
    if (this.end - this.pos < WORD_BYTES) return false;
    const b = this.bytes;
    const p = this.pos;
    return (
      b[p] === byte &&
      b[p + 1] === byte &&
      b[p + 2] === byte &&
      b[p + 3] === byte &&
      b[p + 4] === byte &&
      b[p + 5] === byte &&
      b[p + 6] === byte &&
      b[p + 7] === byte
    );
  }
}
