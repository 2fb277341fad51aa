// Assembles one query result from the frames that follow a QUERY request: one or more ROWS
// frames (PART … DONE), or an EMPTY after PART (interrupted), or a FAILURE at any point.
//
// Feed it bytes that start at a frame boundary, as they come off the socket. Each `read` takes
// the longest run of whole ROWS frames at the front of the input, decodes them in one core call
// and reports how many bytes it used; a partial frame at the end is left for the next call, and
// a frame that is not ROWS ends the run (it is handled alone by the next call). State carries
// across calls: the column names of the first frame, the frame and row counts for the caps.
// After a DecodeError the reader is poisoned: the stream position is lost, so every later call
// raises a PoisonedError.

import { DecodeError, PoisonedError, type ServerError, WireError } from "../errors.ts";
import { type Limits, resolveLimits } from "../limits.ts";
import { ResponseType } from "../messages/codes.ts";
import type { IntMode } from "../values/int-mode.ts";
import { HEADER_BYTES, WORD_BYTES } from "../wire/constants.ts";
import type { FrameHeader } from "../wire/header.ts";
import { scanRun } from "../wire/frame-scanner.ts";
import { type ResolvedDecodeOptions, resolveDecodeOptions } from "../messages/codec.ts";
import { ROWS_COLUMN_COUNT_END_BYTES, readRowsColumnCount } from "../messages/fixed-fields.ts";
import { CoreStop } from "./core-abi.ts";
import { type CoreLimits, INT32_MAX, minRowBytes } from "./core-call.ts";
import type { EngineChoice, EngineKind, RowEngine } from "./engine.ts";
import { selectEngine } from "./engines.ts";
import { decodeCheckedUtf8 } from "../wire/utf8.ts";
import { RowBatch } from "./row-batch.ts";
import { rowsDecodeError } from "./row-errors.ts";
import { decodeResultEnd } from "./result-end.ts";

export interface ResultReaderOptions {
  /**
   * "auto" (default): WebAssembly once `initRowEngine()` has loaded it (`connect` does), else the
   * TS core. "wasm" fails when WebAssembly is not loaded; "js" always uses the TS core. An engine
   * instance (createWasmEngineSync) may also be given.
   */
  engine?: EngineChoice | RowEngine;
  intMode?: IntMode;
  limits?: Partial<Limits>;
  /**
   * What a batch keeps of the input for its text and blob cells. "copy" (default): a copy of
   * the bytes it decoded, so the caller may reuse its buffer at once (a frame decoder's
   * `pending()` view is overwritten by the next push). "borrow": the input itself, no copy;
   * only for callers that never modify the bytes while a batch is in use.
   */
  input?: "copy" | "borrow";
  /**
   * What the caller does with the rows. "stream" (default): it holds a batch at a time, so the
   * result may be of any length: `maxRowsPerResult` and `maxFramesPerResult` do not apply.
   * "keep": it keeps every row (`.all()` does), and those two caps bound the result.
   */
  retention?: "stream" | "keep";
}

/**
 * `more`: the result goes on, call again with the following bytes. `done`: a DONE frame ended
 * it. `interrupted`: an EMPTY frame ended it after PART. `failed`: a FAILURE frame ended it;
 * `error` is the ServerError with the SQLite code.
 */
export type ResultState = "more" | "done" | "interrupted" | "failed";

export interface ResultStep {
  /** Bytes of whole frames used from the start of the input. */
  consumed: number;
  /** Rows of the ROWS frames decoded by this call; undefined when none was. */
  batch: RowBatch | undefined;
  state: ResultState;
  error?: ServerError;
}

/**
 * Caps clamped to int32: both cores compare in 32-bit integers. A streamed result has no
 * result-wide caps: the cores get the largest int32 and, per call, counts that start at zero
 * (see #decodeRows), so they never trip however long the result runs.
 */
function coreLimits(limits: Readonly<Limits>, keep: boolean): CoreLimits {
  const clamp = (n: number) => Math.min(n, INT32_MAX);
  return {
    maxColumns: clamp(limits.maxColumns),
    maxRowsPerFrame: clamp(limits.maxRowsPerFrame),
    maxFramesPerResult: keep ? clamp(limits.maxFramesPerResult) : INT32_MAX,
    maxRowsPerResult: keep ? clamp(limits.maxRowsPerResult) : INT32_MAX,
    maxNameBytes: clamp(limits.maxNameBytes),
    maxValueBytes: clamp(limits.maxValueBytes),
  };
}

const EMPTY_BYTES = new Uint8Array(0);

export class ResultReader {
  readonly intMode: IntMode;
  readonly limits: Readonly<Limits>;
  readonly #coreLimits: CoreLimits;
  readonly #engine: RowEngine;
  readonly #codecOptions: ResolvedDecodeOptions;
  readonly #borrow: boolean;
  readonly #keep: boolean;
  #columns: readonly string[] | undefined;
  #columnCount = -1;
  #refBytes: Uint8Array = EMPTY_BYTES;
  #refStart = new Int32Array(0);
  #refLength = new Int32Array(0);
  #frames = 0;
  #rows = 0;
  #ended: ResultState | undefined;
  #poison: WireError | undefined;

  constructor(options: ResultReaderOptions = {}) {
    this.intMode = options.intMode ?? "number";
    this.limits = resolveLimits(options.limits);
    this.#keep = options.retention === "keep";
    this.#coreLimits = coreLimits(this.limits, this.#keep);
    const engine = options.engine ?? "auto";
    this.#engine = typeof engine === "string" ? selectEngine(engine) : engine;
    this.#borrow = options.input === "borrow";
    this.#codecOptions = resolveDecodeOptions({ limits: this.limits, intMode: this.intMode });
  }

  /** The engine decoding for this reader. */
  get engine(): EngineKind {
    return this.#engine.kind;
  }

  /** Column names, once the first ROWS frame has been read. */
  get columns(): readonly string[] | undefined {
    return this.#columns;
  }

  get framesRead(): number {
    return this.#frames;
  }

  get rowsRead(): number {
    return this.#rows;
  }

  /** The final state once the result has ended, else undefined. */
  get ended(): ResultState | undefined {
    return this.#ended;
  }

  /**
   * Decodes the whole frames at the front of `bytes`. `base` is the stream offset of `bytes[0]`,
   * added to error offsets.
   */
  read(bytes: Uint8Array, base = 0): ResultStep {
    if (this.#poison !== undefined) {
      throw new PoisonedError("POISONED", `result reader failed earlier: ${this.#poison.message}`, { cause: this.#poison, offset: base });
    }
    if (this.#ended !== undefined) {
      throw new WireError("BAD_STATE", `result already ended (${this.#ended}); read no more frames into it`, { offset: base });
    }
    try {
      return this.#read(bytes, base);
    } catch (error) {
      if (error instanceof DecodeError) this.#poison = error;
      throw error;
    }
  }

  #read(bytes: Uint8Array, base: number): ResultStep {
    if (bytes.length > INT32_MAX) throw new WireError("LIMIT", "read() takes at most 2^31 - 1 bytes per call");
    const { maxMessageBytes } = this.limits;
    const length = bytes.length;

    // The run of whole ROWS frames (schema 0) at the front; only headers are read. An oversized
    // header raises only once the frames before it have been returned.
    const run = scanRun(bytes, 0, length, ResponseType.Rows, 0, maxMessageBytes, base);
    if (run.first !== undefined) return this.#decodeRows(bytes, run.end, run.first, base);
    const next = run.other;
    if (next === undefined || next.frameBytes > length) return { consumed: 0, batch: undefined, state: "more" };
    const end = decodeResultEnd(next, bytes.subarray(0, next.frameBytes), base, this.#frames > 0, this.#codecOptions);
    this.#ended = end.state;
    return end.state === "failed"
      ? { consumed: next.frameBytes, batch: undefined, state: "failed", error: end.error }
      : { consumed: next.frameBytes, batch: undefined, state: end.state };
  }

  #decodeRows(bytes: Uint8Array, spanEnd: number, firstFrame: FrameHeader, base: number): ResultStep {
    const first = this.#columnCount < 0;
    let columns = this.#columnCount;
    if (first) {
      // Size the outputs from the first frame's count; the core validates it in order later.
      const bodyBytes = firstFrame.frameBytes - HEADER_BYTES;
      const count = bodyBytes >= ROWS_COLUMN_COUNT_END_BYTES ? (readRowsColumnCount(bytes, HEADER_BYTES) ?? 0) : 0;
      columns = count <= this.#coreLimits.maxColumns && count * WORD_BYTES <= bodyBytes - ROWS_COLUMN_COUNT_END_BYTES ? count : 0;
      this.#refStart = new Int32Array(columns);
      this.#refLength = new Int32Array(columns);
    }
    // Every row takes at least its header and a word per cell, which bounds the rows of the span.
    const capacity = columns === 0 ? 0 : Math.floor(spanEnd / minRowBytes(columns));
    const { outcome, storage } = this.#engine.decode({
      bytes,
      start: 0,
      end: spanEnd,
      knownColumns: this.#columnCount,
      refBytes: this.#refBytes,
      refStart: this.#refStart,
      refLength: this.#refLength,
      // Kept results count against their caps across calls; streamed ones only within a call.
      framesBefore: this.#keep ? this.#frames : 0,
      rowsBefore: this.#keep ? this.#rows : 0,
      intNumbers: this.intMode === "number",
      limits: this.#coreLimits,
      allocColumns: columns,
      capacity,
    });
    if (outcome.stop === CoreStop.Error) throw rowsDecodeError(outcome, this.#coreLimits, bytes, base);

    if (first) this.#adoptNames(bytes, columns);
    this.#frames += outcome.frames;
    this.#rows += outcome.rows;
    // Text and blob cells are spans of the input: keep a copy unless the caller lends its bytes.
    const retained = this.#borrow || !outcome.hasSpans ? bytes : bytes.slice(0, outcome.consumedEnd);
    const batch = new RowBatch(this.#columns!, outcome.rows, this.intMode, retained, storage);
    if (outcome.stop === CoreStop.Done) {
      this.#ended = "done";
      return { consumed: outcome.consumedEnd, batch, state: "done" };
    }
    return { consumed: outcome.consumedEnd, batch, state: "more" };
  }

  /** Keeps the first frame's names: as strings, and as bytes for the drift check. */
  #adoptNames(bytes: Uint8Array, columns: number): void {
    const names: string[] = new Array(columns);
    let total = 0;
    for (let c = 0; c < columns; c++) total += this.#refLength[c]!;
    const ref = new Uint8Array(total);
    let at = 0;
    for (let c = 0; c < columns; c++) {
      const start = this.#refStart[c]!;
      const len = this.#refLength[c]!;
      names[c] = decodeCheckedUtf8(bytes, start, start + len);
      ref.set(bytes.subarray(start, start + len), at);
      this.#refStart[c] = at;
      at += len;
    }
    this.#refBytes = ref;
    this.#columns = Object.freeze(names);
    this.#columnCount = columns;
  }
}
