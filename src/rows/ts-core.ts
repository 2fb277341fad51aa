// The row core in plain TypeScript: the fallback where WebAssembly is missing, and the reference
// the WASM core (assembly/rows.ts) must match fault for fault. It is the same algorithm in the
// same named steps (frame, column names, row header, cells by kind), so the two files read side
// by side. Outputs go into preallocated column-major arrays; nothing is created per row or per
// cell. Steps return the position after what they read, or FAILED once `fail` has recorded the
// fault in the outcome.

import { CoreFault, CoreStop } from "./core-abi.ts";
import type { CoreLimits, CoreOutcome, EngineRequest } from "./core-call.ts";
import { rowHeaderBytes } from "../values/tuple.ts";
import { frameEnd } from "../wire/frame-scanner.ts";
import { FrameLayout, RowsLayout, ValueCode, ValueCodeSet } from "../wire/layout.ts";
import { isValidUtf8 } from "../wire/utf8.ts";

const FAILED = -1;
const TWO_POW_32 = 2 ** 32;

/** 1 where a nibble is a cell type (protocol.md §3). */
const VALID_NIBBLE = Uint8Array.from({ length: 1 << RowsLayout.NibbleBits }, (_, nibble) => (ValueCodeSet.Valid >> nibble) & 1);

/** Everything a core call reads, plus the views the TS core writes through. */
export interface CoreCall extends EngineRequest {
  view: DataView;
  types: Uint8Array;
  slots32: Uint32Array;
  slotsF64: Float64Array;
}

export function newOutcome(): CoreOutcome {
  return {
    stop: CoreStop.Part,
    consumedEnd: 0,
    frames: 0,
    rows: 0,
    columns: -1,
    frameIndex: -1,
    hasSpans: false,
    nonAsciiText: false,
    fault: CoreFault.None,
    offset: -1,
    row: -1,
    column: -1,
    detail: 0,
  };
}

/** Decodes every frame of [call.start, call.end) until a DONE frame or a fault. */
export function decodeSpanTs(call: CoreCall, out: CoreOutcome): CoreOutcome {
  return new TsRowCore(call, out).decodeSpan();
}

class TsRowCore {
  readonly call: CoreCall;
  readonly out: CoreOutcome;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly limits: CoreLimits;
  readonly capacity: number;
  readonly intNumbers: boolean;
  readonly types: Uint8Array;
  readonly slots32: Uint32Array;
  readonly slotsF64: Float64Array;
  /** Column names of the first frame: their bytes, and (start, length) per column. */
  refBytes: Uint8Array;
  rowsTotal: number;
  outRow = 0;
  hasSpans = false;
  nonAsciiText = false;
  /** The frame's end marker, once `decodeRows` has met it. */
  marker: CoreStop = CoreStop.Part;

  constructor(call: CoreCall, out: CoreOutcome) {
    this.call = call;
    this.out = out;
    this.bytes = call.bytes;
    this.view = call.view;
    this.limits = call.limits;
    this.capacity = call.capacity;
    this.intNumbers = call.intNumbers;
    this.types = call.types;
    this.slots32 = call.slots32;
    this.slotsF64 = call.slotsF64;
    this.refBytes = call.refBytes;
    this.rowsTotal = call.rowsBefore;
  }

  fail(fault: CoreFault, offset: number, row: number, column: number, detail = 0): number {
    const out = this.out;
    out.stop = CoreStop.Error;
    out.fault = fault;
    out.offset = offset;
    out.row = row;
    out.column = column;
    out.detail = detail;
    out.frameIndex = out.frames;
    return FAILED;
  }

  // ---- The call: frame after frame -------------------------------------------------------

  decodeSpan(): CoreOutcome {
    const { call, out, view, limits } = this;
    const spanEnd = call.end;
    let columns = call.knownColumns;
    let frame = call.start;
    out.consumedEnd = frame;
    out.columns = columns;

    while (frame < spanEnd) {
      // The frame: the span holds whole frames (a scan found them), so one past it is the caller's bug.
      const end = frameEnd(view, frame, spanEnd);
      if (end < 0) return this.failFrame(CoreFault.Internal, frame);
      if (call.framesBefore + out.frames + 1 > limits.maxFramesPerResult) return this.failFrame(CoreFault.FramesPerResult, frame);

      // The column count: a uint64; every name takes at least a word.
      const body = frame + FrameLayout.HeaderBytes;
      const count = this.columnCount(body, end);
      if (count === FAILED) return out;
      const first = columns < 0;
      if (!first && count !== columns) return this.failFrame(CoreFault.ColumnCountDrift, body);
      if (count !== call.allocColumns) return this.failFrame(CoreFault.Internal, body);

      const pos = this.columnNames(body + RowsLayout.ColumnCountBytes, end, count, first);
      if (pos === FAILED) return out;
      if (first) {
        columns = count;
        this.refBytes = this.bytes;
        out.columns = count;
      }
      if (this.decodeRows(pos, end, columns) === FAILED) return out;

      out.frames++;
      out.rows = this.outRow;
      out.consumedEnd = end;
      out.hasSpans = this.hasSpans;
      out.nonAsciiText = this.nonAsciiText;
      frame = end;
      if (this.marker === CoreStop.Done) break;
    }
    // After a DONE frame the result is complete: later frames of the span are not consumed.
    out.stop = this.marker;
    return out;
  }

  /** A fault outside any row or column, as the call's outcome. */
  failFrame(fault: CoreFault, offset: number): CoreOutcome {
    this.fail(fault, offset, -1, -1);
    return this.out;
  }

  // ---- Step: the column count of a frame -------------------------------------------------

  /** The column count at the start of the body at `body`, checked against the cap and the body. */
  columnCount(body: number, end: number): number {
    const { view, limits } = this;
    const countAt = body + RowsLayout.ColumnCountOffset;
    if (end - countAt < RowsLayout.ColumnCountBytes) return this.fail(CoreFault.BodyTooShort, body, -1, -1);
    const countLo = view.getUint32(countAt, true);
    const countHi = view.getUint32(countAt + 4, true);
    if (countHi !== 0 || countLo > limits.maxColumns) return this.fail(CoreFault.ColumnsLimit, body, -1, -1);
    const namesAt = countAt + RowsLayout.ColumnCountBytes;
    if (countLo * FrameLayout.WordBytes > end - namesAt) return this.fail(CoreFault.ColumnsDoNotFit, body, -1, -1);
    return countLo;
  }

  // ---- Step: the column names of a frame -------------------------------------------------

  /**
   * Reads `count` names from `pos`: validated on the result's first frame (and kept as
   * references), compared byte for byte with the first frame's on the others (a differing name
   * is then checked for UTF-8 so that bad text reports as BAD_TEXT).
   */
  columnNames(pos: number, end: number, count: number, first: boolean): number {
    const { bytes, limits, refBytes } = this;
    const { refStart, refLength } = this.call;
    for (let c = 0; c < count; c++) {
      const nameAt = pos;
      const searchEnd = Math.min(end, pos + limits.maxNameBytes + 1);
      let nul = pos;
      while (nul < searchEnd && bytes[nul] !== 0) nul++;
      if (nul === searchEnd) {
        if (searchEnd - pos > limits.maxNameBytes) return this.fail(CoreFault.NameTooLong, nameAt, -1, c);
        return this.fail(CoreFault.NameUnterminated, nameAt, -1, c);
      }
      const length = nul - nameAt;
      if (first) {
        if (!isValidUtf8(bytes, nameAt, nul)) return this.fail(CoreFault.NameNotUtf8, nameAt, -1, c);
      } else if (!sameBytes(bytes, nameAt, length, refBytes, refStart[c]!, refLength[c]!)) {
        if (!isValidUtf8(bytes, nameAt, nul)) return this.fail(CoreFault.NameNotUtf8, nameAt, -1, c);
        return this.fail(CoreFault.ColumnNameDrift, nameAt, -1, c);
      }
      const padded = nameAt + ((length + 8) & ~7);
      if (padded > end) return this.fail(CoreFault.NamePadding, nul + 1, -1, c);
      if (first) {
        refStart[c] = nameAt;
        refLength[c] = length;
      }
      pos = padded;
    }
    return pos;
  }

  // ---- Step: the rows of a frame, up to its marker ---------------------------------------

  /** Decodes rows from `pos` until the PART or DONE marker that must end the frame at `end`. */
  decodeRows(pos: number, end: number, columns: number): number {
    const { view, limits } = this;
    const headerBytes = rowHeaderBytes(columns);
    // Counters live in locals while rows are read; they are stored back when the frame ends.
    const rowsBefore = this.rowsTotal;
    const outBefore = this.outRow;
    let outRow = outBefore;
    let row = 0;
    // A one-word header equal to the previous row's was validated already.
    let checkedLo = 0;
    let checkedHi = 0;
    for (;;) {
      if (end - pos < RowsLayout.MarkerBytes) return this.fail(CoreFault.MissingMarker, pos, row, -1);
      const w0 = view.getUint32(pos, true);
      if ((w0 === RowsLayout.DoneHalf || w0 === RowsLayout.PartHalf) && view.getUint32(pos + 4, true) === w0) {
        this.marker = w0 === RowsLayout.DoneHalf ? CoreStop.Done : CoreStop.Part;
        this.outRow = outRow;
        this.rowsTotal = rowsBefore + (outRow - outBefore);
        pos += RowsLayout.MarkerBytes;
        if (pos !== end) return this.fail(CoreFault.TrailingBytes, pos, -1, -1);
        return pos;
      }
      if (columns === 0) return this.fail(CoreFault.MissingMarker, pos, row, -1);
      if (rowsBefore + row + 1 > limits.maxRowsPerResult) return this.fail(CoreFault.RowsPerResult, pos, row, -1);
      if (headerBytes > end - pos) return this.fail(CoreFault.RowHeaderTruncated, pos, row, -1);
      const h1 = headerBytes === 8 ? view.getUint32(pos + 4, true) : 0;
      if (headerBytes !== 8 || w0 !== checkedLo || h1 !== checkedHi || (w0 | h1) === 0) {
        if (this.rowHeader(pos, columns, row) === FAILED) return FAILED;
        checkedLo = w0;
        checkedHi = h1;
      }
      if (outRow >= this.capacity) return this.fail(CoreFault.Internal, pos, row, -1);
      pos = this.decodeRow(pos, headerBytes, end, columns, row, outRow);
      if (pos === FAILED) return FAILED;
      row++;
      outRow++;
      // Checked once the row is read, like the codec: the cap is exclusive.
      if (row >= limits.maxRowsPerFrame) return this.fail(CoreFault.RowsPerFrame, pos, row - 1, -1);
    }
  }

  // ---- Step: a row header ----------------------------------------------------------------

  /**
   * Validates the nibbles of the header at `pos` and notes whether its row has cells that point
   * into the input (text and blobs). Returns pos or FAILED.
   */
  rowHeader(pos: number, columns: number, row: number): number {
    const bytes = this.bytes;
    let kinds = 0;
    for (let c = 0; c < columns; c++) {
      const byte = bytes[pos + (c >> 1)]!;
      const nibble = c & 1 ? byte >> RowsLayout.NibbleBits : byte & RowsLayout.NibbleMask;
      if (VALID_NIBBLE[nibble] === 0) return this.fail(CoreFault.BadNibble, pos + (c >> 1), row, c, nibble);
      kinds |= 1 << nibble;
    }
    if ((kinds & ValueCodeSet.Spans) !== 0) this.hasSpans = true;
    return pos;
  }

  // ---- Step: one row ---------------------------------------------------------------------

  /** Decodes the cells of the row whose header is at `headerAt`, each by its kind. */
  decodeRow(headerAt: number, headerBytes: number, end: number, columns: number, row: number, outRow: number): number {
    const { bytes, types, capacity } = this;
    let pos = headerAt + headerBytes;
    for (let c = 0; c < columns; c++) {
      const byte = bytes[headerAt + (c >> 1)]!;
      const tag = c & 1 ? byte >> RowsLayout.NibbleBits : byte & RowsLayout.NibbleMask;
      const slot = c * capacity + outRow;
      types[slot] = tag;
      switch (tag) {
        case ValueCode.Integer:
        case ValueCode.UnixTime:
          pos = this.integerCell(pos, end, slot, row, c);
          break;
        case ValueCode.Float:
          pos = this.floatCell(pos, end, slot, row, c);
          break;
        case ValueCode.Text:
        case ValueCode.Iso8601:
          pos = this.textCell(pos, end, slot, row, c);
          break;
        case ValueCode.Blob:
          pos = this.blobCell(pos, end, slot, row, c);
          break;
        default:
          pos = this.wordCell(tag, pos, end, slot, row, c);
          break;
      }
      if (pos === FAILED) return FAILED;
    }
    return pos;
  }

  // ---- Step: cells by kind ---------------------------------------------------------------

  /** INTEGER or UNIXTIME: a double in intMode "number" (refused beyond ±(2^53 - 1)), else raw. */
  integerCell(cell: number, end: number, slot: number, row: number, c: number): number {
    if (end - cell < 8) return this.fail(CoreFault.CellTruncated, cell, row, c);
    const lo = this.view.getUint32(cell, true);
    const hi = this.view.getInt32(cell + 4, true);
    if (this.intNumbers) {
      // Exact as a double only within ±(2^53 - 1): hi in [-2^21, 2^21), minus -2^53 itself.
      if (hi < -0x200000 || hi >= 0x200000 || (hi === -0x200000 && lo === 0)) {
        return this.fail(CoreFault.UnsafeInteger, cell, row, c);
      }
      this.slotsF64[slot] = hi * TWO_POW_32 + lo;
    } else {
      this.slots32[slot * 2] = lo;
      this.slots32[slot * 2 + 1] = hi;
    }
    return cell + 8;
  }

  /** FLOAT: the raw bits, so NaN payloads survive. */
  floatCell(cell: number, end: number, slot: number, row: number, c: number): number {
    if (end - cell < 8) return this.fail(CoreFault.CellTruncated, cell, row, c);
    this.slots32[slot * 2] = this.view.getUint32(cell, true);
    this.slots32[slot * 2 + 1] = this.view.getUint32(cell + 4, true);
    return cell + 8;
  }

  /** TEXT or ISO8601: strict UTF-8 up to a NUL, padded to a word; the slot holds (offset, length). */
  textCell(cell: number, end: number, slot: number, row: number, c: number): number {
    const { bytes, view } = this;
    const maxValueBytes = this.limits.maxValueBytes;
    const searchEnd = Math.min(end, cell + maxValueBytes + 1);
    let nul = cell;
    let high = 0;
    // Four bytes at a time while no zero byte is among them, then byte by byte.
    for (; nul + 4 <= searchEnd; nul += 4) {
      const v = view.getUint32(nul, true);
      if (((v - 0x01010101) & ~v & 0x80808080) !== 0) break;
      high |= v;
    }
    for (; nul < searchEnd; nul++) {
      const b = bytes[nul]!;
      if (b === 0) break;
      high |= b;
    }
    if (nul === searchEnd) {
      if (searchEnd - cell > maxValueBytes) return this.fail(CoreFault.TextTooLong, cell, row, c);
      return this.fail(CoreFault.TextUnterminated, cell, row, c);
    }
    if (high & 0x80808080) {
      if (!isValidUtf8(bytes, cell, nul)) return this.fail(CoreFault.TextNotUtf8, cell, row, c);
      this.nonAsciiText = true;
    }
    const length = nul - cell;
    const padded = cell + ((length + 8) & ~7);
    if (padded > end) return this.fail(CoreFault.TextPadding, nul + 1, row, c);
    this.slots32[slot * 2] = cell;
    this.slots32[slot * 2 + 1] = length;
    return padded;
  }

  /** BLOB: a u64 length, the bytes, padding to a word; the slot holds (offset, length). */
  blobCell(cell: number, end: number, slot: number, row: number, c: number): number {
    if (end - cell < 8) return this.fail(CoreFault.CellTruncated, cell, row, c);
    const lengthLo = this.view.getUint32(cell, true);
    const lengthHi = this.view.getUint32(cell + 4, true);
    if (lengthHi !== 0 || lengthLo > this.limits.maxValueBytes) return this.fail(CoreFault.BlobTooLong, cell, row, c);
    const data = cell + 8;
    const padded = (lengthLo + 7) & ~7;
    if (padded > end - data) return this.fail(CoreFault.BlobTruncated, data, row, c);
    this.slots32[slot * 2] = data;
    this.slots32[slot * 2 + 1] = lengthLo;
    return data + padded;
  }

  /** NULL (content ignored) and BOOLEAN (any non-zero word is true): one word each. */
  wordCell(tag: number, cell: number, end: number, slot: number, row: number, c: number): number {
    if (end - cell < 8) return this.fail(CoreFault.CellTruncated, cell, row, c);
    if (tag === ValueCode.Null) this.slotsF64[slot] = 0;
    else this.slotsF64[slot] = (this.view.getUint32(cell, true) | this.view.getUint32(cell + 4, true)) !== 0 ? 1 : 0;
    return cell + 8;
  }
}

/** True when a[aStart, aStart + length) equals b[bStart, bStart + bLength). */
function sameBytes(a: Uint8Array, aStart: number, length: number, b: Uint8Array, bStart: number, bLength: number): boolean {
  if (length !== bLength) return false;
  for (let k = 0; k < length; k++) if (a[aStart + k] !== b[bStart + k]) return false;
  return true;
}
