// The row core in plain TypeScript: the fallback where WebAssembly is missing, and the reference
// the WASM core (assembly/rows.ts) must match fault for fault. One loop walks every frame of the
// span, one switch per cell writes into preallocated column-major arrays; no object is created
// per row or per cell.

import {
  type CoreOutcome,
  type EngineRequest,
  CoreFault,
  CoreStop,
  rowHeaderBytes,
} from "./core-abi.ts";

const TWO_POW_32 = 2 ** 32;
const DONE_WORD = 0xffffffff;
const PART_WORD = 0xeeeeeeee;

/** 1 where a nibble is a cell type (protocol.md §3). */
const VALID_NIBBLE = new Uint8Array([0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0]);

/** Everything a core call reads, plus the views the TS core writes through. */
export interface CoreCall extends EngineRequest {
  view: DataView;
  types: Uint8Array;
  slots32: Uint32Array;
  slotsF64: Float64Array;
}

export function newOutcome(): CoreOutcome {
  return {
    stop: CoreStop.Part, consumedEnd: 0, frames: 0, rows: 0, columns: -1, frameIndex: -1, hasSpans: false,
    fault: CoreFault.None, offset: -1, row: -1, column: -1, detail: 0,
  };
}

/**
 * Strict UTF-8 (what a fatal TextDecoder accepts): no overlongs, no surrogates, nothing above
 * U+10FFFF, no truncated sequences. Returns true when bytes[start, end) are valid.
 */
export function isValidUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      i++;
      continue;
    }
    if (b0 < 0xc2) return false;
    if (b0 < 0xe0) {
      if (i + 1 >= end || (bytes[i + 1]! & 0xc0) !== 0x80) return false;
      i += 2;
      continue;
    }
    if (b0 < 0xf0) {
      if (i + 2 >= end) return false;
      const b1 = bytes[i + 1]!;
      const lo = b0 === 0xe0 ? 0xa0 : 0x80;
      const hi = b0 === 0xed ? 0x9f : 0xbf;
      if (b1 < lo || b1 > hi || (bytes[i + 2]! & 0xc0) !== 0x80) return false;
      i += 3;
      continue;
    }
    if (b0 < 0xf5) {
      if (i + 3 >= end) return false;
      const b1 = bytes[i + 1]!;
      const lo = b0 === 0xf0 ? 0x90 : 0x80;
      const hi = b0 === 0xf4 ? 0x8f : 0xbf;
      if (b1 < lo || b1 > hi || (bytes[i + 2]! & 0xc0) !== 0x80 || (bytes[i + 3]! & 0xc0) !== 0x80) return false;
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

function fail(out: CoreOutcome, fault: CoreFault, offset: number, row: number, column: number, detail = 0): CoreOutcome {
  out.stop = CoreStop.Error;
  out.fault = fault;
  out.offset = offset;
  out.row = row;
  out.column = column;
  out.detail = detail;
  out.frameIndex = out.frames;
  return out;
}

/** Decodes every frame of [call.start, call.end) until a DONE frame or a fault. */
export function decodeSpanTs(call: CoreCall, out: CoreOutcome): CoreOutcome {
  const { bytes, view, end: spanEnd, limits, types, slots32, slotsF64, capacity, intNumbers } = call;
  let columns = call.knownColumns;
  let refBytes = call.refBytes;
  const refStart = call.refStart;
  const refLength = call.refLength;
  let rowsTotal = call.rowsBefore;
  let hasSpans = false;
  let outRow = 0;
  let frame = call.start;
  out.consumedEnd = frame;
  out.columns = columns;

  while (frame < spanEnd) {
    if (spanEnd - frame < 8) return fail(out, CoreFault.Internal, frame, -1, -1);
    const end = frame + 8 + view.getUint32(frame, true) * 8;
    if (end > spanEnd) return fail(out, CoreFault.Internal, frame, -1, -1);
    if (call.framesBefore + out.frames + 1 > limits.maxFramesPerResult) {
      return fail(out, CoreFault.FramesPerResult, frame, -1, -1);
    }
    const body = frame + 8;
    if (end - body < 8) return fail(out, CoreFault.BodyTooShort, body, -1, -1);
    const countLo = view.getUint32(body, true);
    const countHi = view.getUint32(body + 4, true);
    if (countHi !== 0 || countLo > limits.maxColumns) return fail(out, CoreFault.ColumnsLimit, body, -1, -1);
    const count = countLo;
    let pos = body + 8;
    if (count * 8 > end - pos) return fail(out, CoreFault.ColumnsDoNotFit, body, -1, -1);
    const first = columns < 0;
    if (!first && count !== columns) return fail(out, CoreFault.ColumnCountDrift, body, -1, -1);
    if (count !== call.allocColumns) return fail(out, CoreFault.Internal, body, -1, -1);

    // Column names: validated on the first frame, compared byte for byte on the others (a
    // differing name is then checked for UTF-8 so that bad text reports as BAD_TEXT).
    for (let c = 0; c < count; c++) {
      const nameAt = pos;
      const searchEnd = Math.min(end, pos + limits.maxNameBytes + 1);
      let nul = pos;
      while (nul < searchEnd && bytes[nul] !== 0) nul++;
      if (nul === searchEnd) {
        if (searchEnd - pos > limits.maxNameBytes) return fail(out, CoreFault.NameTooLong, nameAt, -1, c);
        return fail(out, CoreFault.NameUnterminated, nameAt, -1, c);
      }
      const length = nul - nameAt;
      if (first) {
        if (!isValidUtf8(bytes, nameAt, nul)) return fail(out, CoreFault.NameNotUtf8, nameAt, -1, c);
      } else {
        let same = refLength[c] === length;
        if (same) {
          const ref = refStart[c]!;
          for (let k = 0; k < length; k++) {
            if (bytes[nameAt + k] !== refBytes[ref + k]) {
              same = false;
              break;
            }
          }
        }
        if (!same) {
          if (!isValidUtf8(bytes, nameAt, nul)) return fail(out, CoreFault.NameNotUtf8, nameAt, -1, c);
          return fail(out, CoreFault.ColumnNameDrift, nameAt, -1, c);
        }
      }
      const padded = nameAt + ((length + 8) & ~7);
      if (padded > end) return fail(out, CoreFault.NamePadding, nul + 1, -1, c);
      if (first) {
        refStart[c] = nameAt;
        refLength[c] = length;
      }
      pos = padded;
    }
    if (first) {
      columns = count;
      refBytes = bytes;
      out.columns = count;
    }

    const headerBytes = rowHeaderBytes(columns);
    let marker = 0;
    let row = 0;
    let checkedLo = 0;
    let checkedHi = 0;
    for (;;) {
      if (end - pos < 8) return fail(out, CoreFault.MissingMarker, pos, row, -1);
      const w0 = view.getUint32(pos, true);
      if (w0 === DONE_WORD || w0 === PART_WORD) {
        if (view.getUint32(pos + 4, true) === w0) {
          marker = w0 === DONE_WORD ? CoreStop.Done : CoreStop.Part;
          pos += 8;
          if (pos !== end) return fail(out, CoreFault.TrailingBytes, pos, -1, -1);
          break;
        }
      }
      if (columns === 0) return fail(out, CoreFault.MissingMarker, pos, row, -1);
      if (rowsTotal + 1 > limits.maxRowsPerResult) return fail(out, CoreFault.RowsPerResult, pos, row, -1);
      if (headerBytes > end - pos) return fail(out, CoreFault.RowHeaderTruncated, pos, row, -1);
      // A one-word header equal to the previous row's was validated already.
      const h1 = headerBytes === 8 ? view.getUint32(pos + 4, true) : 0;
      if (headerBytes !== 8 || w0 !== checkedLo || h1 !== checkedHi || (w0 | h1) === 0) {
        for (let c = 0; c < columns; c++) {
          const byte = bytes[pos + (c >> 1)]!;
          const nibble = c & 1 ? byte >> 4 : byte & 0x0f;
          if (VALID_NIBBLE[nibble] === 0) return fail(out, CoreFault.BadNibble, pos + (c >> 1), row, c, nibble);
        }
        checkedLo = w0;
        checkedHi = h1;
      }
      if (outRow >= capacity) return fail(out, CoreFault.Internal, pos, row, -1);
      const headerAt = pos;
      pos += headerBytes;
      for (let c = 0; c < columns; c++) {
        const byte = bytes[headerAt + (c >> 1)]!;
        const tag = c & 1 ? byte >> 4 : byte & 0x0f;
        const slot = c * capacity + outRow;
        types[slot] = tag;
        const cell = pos;
        switch (tag) {
          case 1: // INTEGER
          case 9: { // UNIXTIME
            if (end - cell < 8) return fail(out, CoreFault.CellTruncated, cell, row, c);
            const lo = view.getUint32(cell, true);
            const hi = view.getInt32(cell + 4, true);
            if (intNumbers) {
              // Exact as a double only within ±(2^53 - 1): hi in [-2^21, 2^21), minus -2^53 itself.
              if (hi < -0x200000 || hi >= 0x200000 || (hi === -0x200000 && lo === 0)) {
                return fail(out, CoreFault.UnsafeInteger, cell, row, c);
              }
              slotsF64[slot] = hi * TWO_POW_32 + lo;
            } else {
              slots32[slot * 2] = lo;
              slots32[slot * 2 + 1] = hi;
            }
            pos = cell + 8;
            break;
          }
          case 2: // FLOAT: the raw bits, so NaN payloads survive
            if (end - cell < 8) return fail(out, CoreFault.CellTruncated, cell, row, c);
            slots32[slot * 2] = view.getUint32(cell, true);
            slots32[slot * 2 + 1] = view.getUint32(cell + 4, true);
            pos = cell + 8;
            break;
          case 3: // TEXT
          case 10: { // ISO8601
            const searchEnd = Math.min(end, cell + limits.maxValueBytes + 1);
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
              if (searchEnd - cell > limits.maxValueBytes) return fail(out, CoreFault.TextTooLong, cell, row, c);
              return fail(out, CoreFault.TextUnterminated, cell, row, c);
            }
            if (high & 0x80808080 && !isValidUtf8(bytes, cell, nul)) return fail(out, CoreFault.TextNotUtf8, cell, row, c);
            const length = nul - cell;
            const padded = cell + ((length + 8) & ~7);
            if (padded > end) return fail(out, CoreFault.TextPadding, nul + 1, row, c);
            slots32[slot * 2] = cell;
            slots32[slot * 2 + 1] = length;
            hasSpans = true;
            pos = padded;
            break;
          }
          case 4: { // BLOB
            if (end - cell < 8) return fail(out, CoreFault.CellTruncated, cell, row, c);
            const lengthLo = view.getUint32(cell, true);
            const lengthHi = view.getUint32(cell + 4, true);
            if (lengthHi !== 0 || lengthLo > limits.maxValueBytes) return fail(out, CoreFault.BlobTooLong, cell, row, c);
            const data = cell + 8;
            const padded = (lengthLo + 7) & ~7;
            if (padded > end - data) return fail(out, CoreFault.BlobTruncated, data, row, c);
            slots32[slot * 2] = data;
            slots32[slot * 2 + 1] = lengthLo;
            hasSpans = true;
            pos = data + padded;
            break;
          }
          case 5: // NULL: content ignored
            if (end - cell < 8) return fail(out, CoreFault.CellTruncated, cell, row, c);
            slotsF64[slot] = 0;
            pos = cell + 8;
            break;
          default: { // 11, BOOLEAN: any non-zero word is true
            if (end - cell < 8) return fail(out, CoreFault.CellTruncated, cell, row, c);
            const nonZero = (view.getUint32(cell, true) | view.getUint32(cell + 4, true)) !== 0;
            slotsF64[slot] = nonZero ? 1 : 0;
            pos = cell + 8;
            break;
          }
        }
      }
      row++;
      rowsTotal++;
      outRow++;
      // Checked once the row is read, like the codec: the cap is exclusive.
      if (row >= limits.maxRowsPerFrame) return fail(out, CoreFault.RowsPerFrame, pos, row - 1, -1);
    }

    out.frames++;
    out.rows = outRow;
    out.consumedEnd = end;
    out.hasSpans = hasSpans;
    frame = end;
    if (marker === CoreStop.Done) {
      out.stop = CoreStop.Done;
      return out;
    }
  }
  out.stop = CoreStop.Part;
  return out;
}
