// The one walk over frames. Every reader of a frame stream (the frame decoder, the result reader,
// the bridge's gate and statement watcher, the proxy's response relay, the capture decoder, the
// test rig's probes, the bench) finds its frames here: header after header, each size word read
// once, by readHeader.
//
// Three levels, from bytes already in hand to bytes arriving in chunks:
//
// - `frameEnd`: the end of one whole frame in a span known to hold whole frames (the row cores'
//   step from frame to frame);
// - `scanRun`: the run of whole frames of one type and schema at a position (the row cores decode
//   runs of ROWS frames in one call);
// - `FrameScanner`: whole frames over chunks cut anywhere, as pg-protocol's parser does it. In
//   "copy" mode every chunk is appended to one buffer (compacted in place or doubled, never
//   concatenated per chunk) and frames are views of it. In "borrow" mode a frame that lies within
//   one chunk is a view of that chunk, and only a frame that spans chunks is copied, into an array
//   of its own. A frame can also be skipped whole before its body has arrived: its bytes are
//   dropped as they come, never held. Or passed whole, for a reader that forwards the stream:
//   the bytes of it in hand are handed back at once and the rest as `push` brings them, never
//   held either, so a passed frame of any size costs no memory beyond its header.

import { type FrameHeader, readHeader } from "./header.ts";
import { FrameLayout } from "./layout.ts";

const NO_CAP = Number.POSITIVE_INFINITY;
const EMPTY = new Uint8Array(0);

/**
 * The end of the frame at `at` (header and body), read through `view`, or -1 when its header or
 * its body runs past `end`. For spans that a scan already found to hold whole frames.
 */
export function frameEnd(view: DataView, at: number, end: number): number {
  if (end - at < FrameLayout.HeaderBytes) return -1;
  const next = at + FrameLayout.HeaderBytes + view.getUint32(at + FrameLayout.SizeOffset, true) * FrameLayout.WordBytes;
  return next > end ? -1 : next;
}

/** The run of whole frames of one type and schema found by `scanRun`. */
export interface FrameRun {
  /** Where the run ends: the start of the first byte after its last whole frame. */
  end: number;
  /** Whole frames in the run. */
  frames: number;
  /** The header of the run's first frame, undefined when the run is empty. */
  first: FrameHeader | undefined;
  /**
   * The header of the frame after the run when it is of another type or schema (whole or not);
   * undefined when the run ended at the end of the bytes, at a partial frame of the run's type,
   * or at a header over the cap after at least one frame.
   */
  other: FrameHeader | undefined;
}

/**
 * The run of whole frames of `type` and `schema` in bytes[at, end). Only headers are read. A
 * header over `maxMessageBytes` raises DecodeError LIMIT when it is the first one; after at least
 * one frame it ends the run, so that the frames before it are used first and it raises on the
 * next scan. `base` is added to error offsets.
 */
export function scanRun(
  bytes: Uint8Array,
  at: number,
  end: number,
  type: number,
  schema: number,
  maxMessageBytes: number,
  base = 0,
): FrameRun {
  const run: FrameRun = { end: at, frames: 0, first: undefined, other: undefined };
  while (end - run.end >= FrameLayout.HeaderBytes) {
    let header: FrameHeader;
    try {
      header = readHeader(bytes, run.end, maxMessageBytes, base);
    } catch (error) {
      if (run.frames === 0) throw error;
      break;
    }
    if (header.type !== type || header.schema !== schema) {
      run.other = header;
      break;
    }
    if (header.frameBytes > end - run.end) break;
    run.first ??= header;
    run.end += header.frameBytes;
    run.frames++;
  }
  return run;
}

/** A whole frame. `bytes` (header and body) is a view; see FrameScanner for how long it is valid. */
export interface ScannedFrame {
  header: FrameHeader;
  bytes: Uint8Array;
  /** Position of the frame's first byte in the stream. */
  streamOffset: number;
}

export interface FrameScannerOptions {
  /**
   * "copy" (default): every chunk is copied into the scanner's buffer, so the caller may reuse it
   * at once; frames and `pending()` are views of that buffer, valid until the next `push`.
   * "borrow": a frame within one chunk is a view of the chunk (the caller must not modify a
   * chunk it pushed), a frame spanning chunks is a copy of its own; both stay valid.
   */
  input?: "copy" | "borrow";
  /** Headers declaring a larger frame raise DecodeError LIMIT (field "header.size"). Default: none. */
  maxMessageBytes?: number;
  /** First size of the copy buffer, in bytes (it doubles to fit a frame and keeps that size). */
  initialBytes?: number;
}

/** The start of the next frame in contiguous bytes: `bytes[at]`. */
interface Place {
  bytes: Uint8Array;
  at: number;
}

export class FrameScanner {
  readonly #borrow: boolean;
  readonly #maxMessageBytes: number;
  /** The bytes being walked: the copy buffer, or the chunk pushed last. Pending: [#head, #tail). */
  #bytes: Uint8Array;
  #head = 0;
  #tail = 0;
  /**
   * Borrow mode: the start of a frame that began in an earlier chunk, which the bytes at #head
   * continue. Bytes move here from the chunk only when they are asked for.
   */
  #spill: Uint8Array = EMPTY;
  #spillLength = 0;
  /** Bytes of a skipped or passed frame that have not arrived yet; never held (see push). */
  #restLeft = 0;
  /** Whether push hands out those bytes (a passed frame) or drops them (a skipped one). */
  #restPassed = false;
  /** Stream position of the first pending byte. */
  #offset = 0;
  readonly #place: Place = { bytes: EMPTY, at: 0 };

  constructor(options: FrameScannerOptions = {}) {
    this.#borrow = options.input === "borrow";
    this.#maxMessageBytes = options.maxMessageBytes ?? NO_CAP;
    this.#bytes = this.#borrow ? EMPTY : new Uint8Array(options.initialBytes ?? 64 * 1024);
  }

  /** Bytes pushed and not yet taken, skipped or passed. */
  get buffered(): number {
    return this.#spillLength + this.#tail - this.#head;
  }

  /**
   * Bytes the scanner has allocated: the copy buffer, or the spill of a frame spanning chunks
   * (borrowed chunks are the caller's). For checks that the buffering stays bounded.
   */
  get capacity(): number {
    return (this.#borrow ? 0 : this.#bytes.length) + this.#spill.length;
  }

  /** Stream position of the first pending byte (bytes pushed before it were taken, skipped or passed). */
  get offset(): number {
    return this.#offset;
  }

  /**
   * Appends the next bytes of the stream. Returns those of them that belong to a frame given to
   * `passFrame` (a view of `chunk`, in either mode, so hand them on before reusing the chunk);
   * they are not appended. Empty otherwise.
   */
  push(chunk: Uint8Array): Uint8Array {
    let from = 0;
    let passed: Uint8Array = EMPTY;
    // The one check the rest of a skipped or passed frame costs every push.
    if (this.#restLeft > 0) {
      from = Math.min(this.#restLeft, chunk.length);
      this.#restLeft -= from;
      this.#offset += from;
      if (this.#restPassed) passed = chunk.subarray(0, from);
    }
    if (from === chunk.length) return passed;
    if (!this.#borrow) {
      this.#append(chunk, from);
      return passed;
    }
    // The rest of the last chunk is the start of a frame: it moves to the spill, the new chunk
    // is walked in place.
    if (this.#tail > this.#head) this.#toSpill(this.#tail - this.#head);
    this.#bytes = chunk;
    this.#head = from;
    this.#tail = chunk.length;
    return passed;
  }

  /**
   * All pending bytes, contiguous (a view, valid until the next `push`). In borrow mode, pending
   * bytes that span chunks are copied together first.
   */
  pending(): Uint8Array {
    if (this.#spillLength > 0) this.#toSpill(this.#tail - this.#head);
    return this.#spillLength > 0 ? this.#spill.subarray(0, this.#spillLength) : this.#bytes.subarray(this.#head, this.#tail);
  }

  /**
   * The next frame's header once its 8 bytes are pending, else undefined. Raises DecodeError
   * LIMIT when it declares a frame over the cap (nothing is consumed).
   */
  header(): FrameHeader | undefined {
    const place = this.#contiguous(FrameLayout.HeaderBytes);
    if (place === undefined) return undefined;
    return readHeader(place.bytes, place.at, this.#maxMessageBytes, this.#offset - place.at);
  }

  /** The first `count` bytes of the next frame (header included), once pending; a view. */
  prefix(count: number): Uint8Array | undefined {
    const place = this.#contiguous(count);
    return place === undefined ? undefined : place.bytes.subarray(place.at, place.at + count);
  }

  /** The next whole frame, taken; undefined while its bytes are not all pending. */
  next(): ScannedFrame | undefined {
    const header = this.header();
    if (header === undefined) return undefined;
    const place = this.#contiguous(header.frameBytes);
    if (place === undefined) return undefined;
    const frame: ScannedFrame = { header, bytes: place.bytes.subarray(place.at, place.at + header.frameBytes), streamOffset: this.#offset };
    this.#take(header.frameBytes);
    return frame;
  }

  /**
   * The run of whole frames of `type` and `schema` at the front, taken, as one view; undefined
   * when no whole frame of the run is pending. Ends before a frame of another type (see
   * `header()`), and in borrow mode at the end of the chunk a frame was assembled from.
   */
  run(type: number, schema: number): { bytes: Uint8Array; frames: number; streamOffset: number } | undefined {
    const header = this.header();
    if (header === undefined || header.type !== type || header.schema !== schema) return undefined;
    if (this.#spillLength > 0) {
      const frame = this.next();
      return frame === undefined ? undefined : { bytes: frame.bytes, frames: 1, streamOffset: frame.streamOffset };
    }
    const found = scanRun(this.#bytes, this.#head, this.#tail, type, schema, this.#maxMessageBytes, this.#offset - this.#head);
    if (found.frames === 0) return undefined;
    const taken = { bytes: this.#bytes.subarray(this.#head, found.end), frames: found.frames, streamOffset: this.#offset };
    this.#take(found.end - this.#head);
    return taken;
  }

  /** Drops the next frame whole, including the part of it that has not arrived yet. */
  skipFrame(): void {
    const header = this.header();
    if (header === undefined) throw new RangeError("skipFrame: no frame header is pending");
    const present = Math.min(header.frameBytes, this.buffered);
    this.#take(present);
    // Counted into the stream position as they arrive (see push).
    this.#restLeft = header.frameBytes - present;
    this.#restPassed = false;
  }

  /**
   * Takes the next frame whole, including the part of it that has not arrived yet, and returns
   * its bytes pending now, in order: views, of the spill and the chunk in borrow mode (they stay
   * valid), of the buffer in copy mode (valid until the next `push`). The pushes after it return
   * the rest of the frame as it arrives. The counterpart of `skipFrame` for a reader that forwards
   * every byte: the frame's body is never gathered, whatever its size.
   */
  passFrame(): Uint8Array[] {
    const header = this.header();
    if (header === undefined) throw new RangeError("passFrame: no frame header is pending");
    const present = Math.min(header.frameBytes, this.buffered);
    const pieces: Uint8Array[] = [];
    let fromBytes = present;
    if (this.#spillLength > 0) {
      const fromSpill = Math.min(present, this.#spillLength);
      pieces.push(this.#spill.subarray(0, fromSpill));
      fromBytes -= fromSpill;
    }
    if (fromBytes > 0) pieces.push(this.#bytes.subarray(this.#head, this.#head + fromBytes));
    this.#take(present);
    this.#restLeft = header.frameBytes - present;
    this.#restPassed = true;
    return pieces;
  }

  /** Drops `count` pending bytes, decoded elsewhere (whole frames or the handshake). */
  skip(count: number): void {
    if (count > this.buffered) throw new RangeError(`skip: ${count} is not within the ${this.buffered} pending bytes`);
    this.#take(count);
  }

  /** Drops every pending byte (and what is left of a skipped or passed frame); the stream position stays. */
  clear(): void {
    this.#spill = EMPTY;
    this.#spillLength = 0;
    this.#restLeft = 0;
    this.#head = 0;
    this.#tail = 0;
    if (this.#borrow) this.#bytes = EMPTY;
  }

  /** The first `count` pending bytes in one array, or undefined while fewer are pending. */
  #contiguous(count: number): Place | undefined {
    const place = this.#place;
    if (this.#spillLength === 0) {
      if (this.#tail - this.#head < count) return undefined;
      place.bytes = this.#bytes;
      place.at = this.#head;
      return place;
    }
    if (this.#spillLength < count) this.#toSpill(Math.min(count - this.#spillLength, this.#tail - this.#head));
    if (this.#spillLength < count) return undefined;
    place.bytes = this.#spill;
    place.at = 0;
    return place;
  }

  /** Moves the next `count` bytes at #head to the end of the spill (borrow mode). */
  #toSpill(count: number): void {
    if (count === 0) return;
    const needed = this.#spillLength + count;
    if (needed > this.#spill.length) {
      const grown = new Uint8Array(Math.max(needed, this.#spill.length * 2, 2 * FrameLayout.HeaderBytes));
      grown.set(this.#spill.subarray(0, this.#spillLength));
      this.#spill = grown;
    }
    this.#spill.set(this.#bytes.subarray(this.#head, this.#head + count), this.#spillLength);
    this.#spillLength = needed;
    this.#head += count;
  }

  /** Consumes `count` pending bytes: the spill's first (it holds the next frame whole or none of it). */
  #take(count: number): void {
    this.#offset += count;
    if (this.#spillLength > 0) {
      // What was handed out of the spill keeps its array: the bytes after it (several frames
      // pushed before the reader took any) move to a new one rather than over it.
      const fromSpill = Math.min(count, this.#spillLength);
      if (fromSpill === this.#spillLength) {
        this.#spill = EMPTY;
        this.#spillLength = 0;
      } else {
        this.#spill = this.#spill.slice(fromSpill, this.#spillLength);
        this.#spillLength = this.#spill.length;
      }
      count -= fromSpill;
    }
    this.#head += count;
    if (this.#head === this.#tail) {
      this.#head = 0;
      this.#tail = 0;
      if (this.#borrow) this.#bytes = EMPTY;
    }
  }

  /** Copy mode: appends chunk[from, end) to the buffer, compacting it or doubling it first. */
  #append(chunk: Uint8Array, from: number): void {
    const extra = chunk.length - from;
    if (this.#tail + extra > this.#bytes.length) {
      const pending = this.#tail - this.#head;
      const needed = pending + extra;
      if (needed <= this.#bytes.length && this.#head > 0) {
        this.#bytes.copyWithin(0, this.#head, this.#tail);
      } else {
        let size = this.#bytes.length;
        while (size < needed) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(this.#bytes.subarray(this.#head, this.#tail));
        this.#bytes = grown;
      }
      this.#head = 0;
      this.#tail = pending;
    }
    this.#bytes.set(from === 0 ? chunk : chunk.subarray(from), this.#tail);
    this.#tail += extra;
  }
}
