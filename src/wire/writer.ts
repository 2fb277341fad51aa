// A growable little-endian byte sink for one frame. It knows the primitive encodings of
// protocol.md §4 and nothing of messages. Callers check caps and ranges before writing.

import { WORD_BYTES, padToWord } from "./constants.ts";

export class WireWriter {
  private buffer: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(initialBytes = 256) {
    this.buffer = new Uint8Array(initialBytes);
    this.view = new DataView(this.buffer.buffer);
  }

  /**
   * Empties the writer for the next frame, keeping its buffer unless it grew past `keepBytes`
   * (one huge frame should not hold its memory for good).
   */
  reset(keepBytes = 64 * 1024): void {
    this.pos = 0;
    if (this.buffer.length > keepBytes) {
      this.buffer = new Uint8Array(256);
      this.view = new DataView(this.buffer.buffer);
    }
  }

  private ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.pos));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.ensure(1);
    this.buffer[this.pos++] = value;
  }

  u16(value: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, value, true);
    this.pos += 2;
  }

  u32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  u64(value: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, value, true);
    this.pos += 8;
  }

  i64(value: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.pos, value, true);
    this.pos += 8;
  }

  f64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  bytes(value: Uint8Array): void {
    this.ensure(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** Zero bytes up to the next word boundary counted from `start`. */
  padFrom(start: number): void {
    const target = start + padToWord(this.pos - start);
    this.zeros(target - this.pos);
  }

  zeros(count: number): void {
    this.ensure(count);
    this.buffer.fill(0, this.pos, this.pos + count);
    this.pos += count;
  }

  /** `text` from already-encoded UTF-8: bytes, NUL, zero pad to a word. */
  text(utf8: Uint8Array): void {
    const start = this.pos;
    this.bytes(utf8);
    this.u8(0);
    this.padFrom(start);
  }

  /** `blob`: uint64 length, bytes, zero pad to a word. */
  blob(value: Uint8Array): void {
    this.u64(BigInt(value.length));
    const start = this.pos;
    this.bytes(value);
    this.padFrom(start);
  }

  /** Overwrites a uint32 at an earlier position (the header's size word). */
  patchU32(at: number, value: number): void {
    this.view.setUint32(at, value, true);
  }

  /** The written bytes, trimmed (a copy owned by the caller). */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.pos);
  }
}

export { WORD_BYTES };
