// The row core in AssemblyScript: the same algorithm, fault for fault, as src/rows/ts-core.ts,
// in the same named steps (frame, column names, row header, cells by kind), so that the two can
// be read side by side. It decodes a span of whole ROWS frames that the caller copied into linear
// memory and writes column-major outputs into regions the caller laid out. Nothing is allocated
// here.
//
// The call arrives as a record in memory (CallField), the outcome leaves as one (ResultField);
// both layouts, the stops and the faults come from src/rows/core-abi.ts, imported as is. The
// numbers of the wire (frame header, column count, markers, nibbles, value types, UTF-8 bounds)
// come from src/wire/layout.ts, imported as is too. The frames of the span were found by the
// frame scanner (src/wire/frame-scanner.ts); this core steps over them as its `frameEnd` does.
// On success the outputs are packed (see `compact`): slots of all columns, then their types.
//
// Built with --noAssert, so no implicit bound check exists: every load is guarded explicitly
// against the end of the frame being read, and every loop advances by at least one byte of
// input. Offsets in results are relative to the input start. Steps return the position after
// what they read, or FAILED once `fail` has written the fault.

import { CallField, CoreFault, CoreStop, ResultField, TagCache } from "../src/rows/core-abi";
import { FrameLayout, RowsLayout, Utf8Bound, ValueCode, ValueCodeSet } from "../src/wire/layout";

const FAILED: u32 = 0xffffffff;
/** A marker word: its byte in every byte. */
const DONE_WORD: u64 = <u64>RowsLayout.DoneByte * 0x0101010101010101;
const PART_WORD: u64 = <u64>RowsLayout.PartByte * 0x0101010101010101;
/** Bit n set where nibble n is a value type. */
const VALID_NIBBLES: u32 = ValueCodeSet.Valid;
/** Bit n set where nibble n is a variable-width cell: TEXT, BLOB, ISO8601. */
const VARIABLE_NIBBLES: u32 = ValueCodeSet.Spans;
const ONES: u64 = 0x0101010101010101;
const HIGHS: u64 = 0x8080808080808080;
const SAFE_MAX: i64 = 9007199254740991;

// The call, read once from the call record.
let base: usize = 0;
let out: usize = 0;
let typesPtr: usize = 0;
let slotsPtr: usize = 0;
let refPtr: usize = 0;
let capacity: i32 = 0;
let intNumbers: bool = false;
let maxNameBytes: u32 = 0;
let maxValueBytes: u32 = 0;
let maxRowsPerFrame: i32 = 0;
let maxRowsPerResult: i32 = 0;

// Progress of the call.
let frames: i32 = 0;
let rowsTotal: i32 = 0;
let outRow: i32 = 0;
let hasSpans: i32 = 0;
let nonAsciiText: i32 = 0;

/** Records a fault in the result record; an ordinary call, so the hot loops stay small. */
function fail(fault: CoreFault, offset: u32, row: i32, column: i32, detail: i32 = 0): u32 {
  store<i32>(out + ResultField.Stop, CoreStop.Error);
  store<i32>(out + ResultField.Fault, fault);
  store<i32>(out + ResultField.Offset, <i32>offset);
  store<i32>(out + ResultField.Row, row);
  store<i32>(out + ResultField.Column, column);
  store<i32>(out + ResultField.Detail, detail);
  store<i32>(out + ResultField.FrameIndex, frames);
  return FAILED;
}

// @ts-ignore: AssemblyScript decorator
@inline function byteAt(at: u32): u32 {
  return <u32>load<u8>(base + <usize>at);
}

// @ts-ignore: AssemblyScript decorator
@inline function callField(call: usize, field: CallField): i32 {
  return load<i32>(call + <usize>field);
}

// @ts-ignore: AssemblyScript decorator
@inline function minU32(a: u64, b: u64): u32 {
  return <u32>(a < b ? a : b);
}

// @ts-ignore: AssemblyScript decorator
@inline function isContinuation(byte: u32): bool {
  return (byte & Utf8Bound.ContinuationMask) == Utf8Bound.Continuation;
}

/** Strict UTF-8 over [start, end) of the input, as src/wire/utf8.ts's isValidUtf8 checks it. */
function validUtf8(start: u32, end: u32): bool {
  let i = start;
  while (i < end) {
    const b0 = byteAt(i);
    if (b0 < <u32>Utf8Bound.AsciiEnd) {
      i++;
      continue;
    }
    if (b0 < <u32>Utf8Bound.TwoByteLead) return false;
    if (b0 < <u32>Utf8Bound.ThreeByteLead) {
      if (i + 1 >= end || !isContinuation(byteAt(i + 1))) return false;
      i += 2;
      continue;
    }
    if (b0 < <u32>Utf8Bound.FourByteLead) {
      if (i + 2 >= end) return false;
      const b1 = byteAt(i + 1);
      const lo: u32 = b0 == Utf8Bound.OverlongThreeLead ? Utf8Bound.OverlongThreeMin : Utf8Bound.Continuation;
      const hi: u32 = b0 == Utf8Bound.SurrogateLead ? Utf8Bound.SurrogateMax : Utf8Bound.ContinuationMax;
      if (b1 < lo || b1 > hi || !isContinuation(byteAt(i + 2))) return false;
      i += 3;
      continue;
    }
    if (b0 < <u32>Utf8Bound.LeadEnd) {
      if (i + 3 >= end) return false;
      const b1 = byteAt(i + 1);
      const lo: u32 = b0 == Utf8Bound.OverlongFourLead ? Utf8Bound.OverlongFourMin : Utf8Bound.Continuation;
      const hi: u32 = b0 == Utf8Bound.TopLead ? Utf8Bound.TopMax : Utf8Bound.ContinuationMax;
      if (b1 < lo || b1 > hi || !isContinuation(byteAt(i + 2)) || !isContinuation(byteAt(i + 3))) return false;
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

// Text scan results (a function cannot return two values without allocating).
let scanNul: u32 = 0;
let scanHigh: u64 = 0;

/**
 * Finds the first NUL in [start, searchEnd) and ORs every byte before it into scanHigh. Returns
 * false when there is none. Reads whole words while a word fits before searchEnd, so it never
 * reads past searchEnd (which the caller keeps within the frame).
 */
function scanText(start: u32, searchEnd: u32): bool {
  let q = start;
  let high: u64 = 0;
  if (ASC_FEATURE_SIMD) {
    while (searchEnd - q >= 16) {
      const v = v128.load(base + <usize>q);
      const zeros = i8x16.bitmask(i8x16.eq(v, i8x16.splat(0)));
      if (zeros != 0) break;
      high |= <u64>i8x16.bitmask(v);
      q += 16;
    }
    if (high != 0) high = HIGHS;
  }
  while (searchEnd - q >= 8) {
    const w = load<u64>(base + <usize>q);
    const z = (w - ONES) & ~w & HIGHS;
    if (z != 0) {
      // The lowest flagged byte is always a true zero (false flags only follow a zero).
      const index = <u32>(ctz(z) >> 3);
      if (index != 0) high |= w & ((<u64>1 << (<u64>index * 8)) - 1);
      scanNul = q + index;
      scanHigh = high;
      return true;
    }
    high |= w;
    q += 8;
  }
  while (q < searchEnd) {
    const b = byteAt(q);
    if (b == 0) {
      scanNul = q;
      scanHigh = high;
      return true;
    }
    high |= <u64>b;
    q++;
  }
  scanHigh = high;
  return false;
}

// ---- Step: a frame and its column count ---------------------------------------------------

/**
 * The end of the frame at `frame` (header and body), or FAILED when its header or body runs past
 * `spanEnd`: src/wire/frame-scanner.ts's frameEnd, over linear memory.
 */
// @ts-ignore: AssemblyScript decorator
@inline function frameEndAt(frame: u32, spanEnd: u32): u32 {
  if (spanEnd - frame < <u32>FrameLayout.HeaderBytes) return FAILED;
  const sizeWords = load<u32>(base + <usize>frame + FrameLayout.SizeOffset);
  const next = <u64>frame + FrameLayout.HeaderBytes + (<u64>sizeWords << FrameLayout.WordShift);
  return next > <u64>spanEnd ? FAILED : <u32>next;
}

/** The column count at the start of the body at `body`, checked against the cap and the body; -1 once failed. */
function columnCount(body: u32, end: u32, maxColumns: i32): i32 {
  const countAt = body + RowsLayout.ColumnCountOffset;
  if (end - countAt < <u32>RowsLayout.ColumnCountBytes) return <i32>failFrameAt(CoreFault.BodyTooShort, body);
  const countLo = load<u32>(base + <usize>countAt);
  const countHi = load<u32>(base + <usize>countAt + 4);
  if (countHi != 0 || countLo > <u32>maxColumns) return <i32>failFrameAt(CoreFault.ColumnsLimit, body);
  const namesAt = countAt + RowsLayout.ColumnCountBytes;
  if (<u64>countLo * FrameLayout.WordBytes > <u64>(end - namesAt)) return <i32>failFrameAt(CoreFault.ColumnsDoNotFit, body);
  return <i32>countLo;
}

/** A fault outside any row or column: FAILED. */
function failFrameAt(fault: CoreFault, offset: u32): u32 {
  return fail(fault, offset, -1, -1);
}

// ---- Step: the column names of a frame ---------------------------------------------------

/**
 * Reads `count` names from `pos`: validated on the result's first frame (and kept as
 * references), compared byte for byte with the first frame's on the others (a differing name is
 * then checked for UTF-8 so that bad text reports as BAD_TEXT).
 */
function columnNames(pos: u32, end: u32, count: i32, first: bool): u32 {
  for (let c: i32 = 0; c < count; c++) {
    const nameAt = pos;
    const searchEnd = minU32(<u64>end, <u64>pos + <u64>maxNameBytes + 1);
    if (!scanText(nameAt, searchEnd)) {
      if (searchEnd - nameAt > maxNameBytes) return fail(CoreFault.NameTooLong, nameAt, -1, c);
      return fail(CoreFault.NameUnterminated, nameAt, -1, c);
    }
    const nul = scanNul;
    const length = nul - nameAt;
    const refAt = refPtr + (<usize>c << 3);
    if (first) {
      if ((scanHigh & HIGHS) != 0 && !validUtf8(nameAt, nul)) return fail(CoreFault.NameNotUtf8, nameAt, -1, c);
    } else {
      const refName = <usize>load<u32>(refAt);
      let same = load<u32>(refAt + 4) == length;
      if (same) same = memory.compare(base + <usize>nameAt, refName, <usize>length) == 0;
      if (!same) {
        if (!validUtf8(nameAt, nul)) return fail(CoreFault.NameNotUtf8, nameAt, -1, c);
        return fail(CoreFault.ColumnNameDrift, nameAt, -1, c);
      }
    }
    const padded = <u64>nameAt + <u64>((length + 8) & ~7);
    if (padded > <u64>end) return fail(CoreFault.NamePadding, nul + 1, -1, c);
    if (first) {
      store<u32>(refAt, <u32>(base + <usize>nameAt));
      store<u32>(refAt + 4, length);
    }
    pos = <u32>padded;
  }
  return pos;
}

// ---- Step: a row header ------------------------------------------------------------------

// Set by rowHeader: whether all the cells of the header it validated are 8 bytes wide.
let fixedRow: bool = false;

/**
 * Validates the nibbles of the header at `pos`, caches its tags, and notes whether its row has
 * cells that point into the input (text and blobs). Returns pos or FAILED.
 */
function rowHeader(pos: u32, columns: i32, headerBytes: u32, row: i32): u32 {
  let fixed = headerBytes == 8;
  for (let c: i32 = 0; c < columns; c++) {
    const b = byteAt(pos + (<u32>c >> 1));
    const nibble = c & 1 ? b >> RowsLayout.NibbleBits : b & RowsLayout.NibbleMask;
    if (((VALID_NIBBLES >> nibble) & 1) == 0) return fail(CoreFault.BadNibble, pos + (<u32>c >> 1), row, c, <i32>nibble);
    if (((VARIABLE_NIBBLES >> nibble) & 1) != 0) {
      // A text or blob cell: the row is not fixed-width, and the batch points into the input.
      fixed = false;
      hasSpans = 1;
    }
    if (c < TagCache.Columns) store<u8>(out + ResultField.Tags + <usize>c, <u8>nibble);
  }
  fixedRow = fixed;
  return pos;
}

// ---- Step: cells by kind -----------------------------------------------------------------

/** INTEGER or UNIXTIME: a double in intMode "number" (refused beyond ±(2^53 - 1)), else raw. */
// @ts-ignore: AssemblyScript decorator
@inline function integerCell(cell: u32, end: u32, slot: usize, row: i32, c: i32, asNumber: bool): u32 {
  if (end - cell < 8) return fail(CoreFault.CellTruncated, cell, row, c);
  const v = load<i64>(base + <usize>cell);
  if (asNumber) {
    if (v > SAFE_MAX || v < -SAFE_MAX) return fail(CoreFault.UnsafeInteger, cell, row, c);
    store<f64>(slot, <f64>v);
  } else {
    store<i64>(slot, v);
  }
  return cell + 8;
}

/** FLOAT: the raw bits, so NaN payloads survive. */
// @ts-ignore: AssemblyScript decorator
@inline function floatCell(cell: u32, end: u32, slot: usize, row: i32, c: i32): u32 {
  if (end - cell < 8) return fail(CoreFault.CellTruncated, cell, row, c);
  store<u64>(slot, load<u64>(base + <usize>cell));
  return cell + 8;
}

/** TEXT or ISO8601: strict UTF-8 up to a NUL, padded to a word; the slot holds (offset, length). */
// @ts-ignore: AssemblyScript decorator
@inline function textCell(cell: u32, end: u32, slot: usize, row: i32, c: i32, maxValueBytes: u32): u32 {
  const searchEnd = minU32(<u64>end, <u64>cell + <u64>maxValueBytes + 1);
  if (!scanText(cell, searchEnd)) {
    if (searchEnd - cell > maxValueBytes) return fail(CoreFault.TextTooLong, cell, row, c);
    return fail(CoreFault.TextUnterminated, cell, row, c);
  }
  const nul = scanNul;
  if ((scanHigh & HIGHS) != 0) {
    if (!validUtf8(cell, nul)) return fail(CoreFault.TextNotUtf8, cell, row, c);
    nonAsciiText = 1;
  }
  const length = nul - cell;
  const padded = <u64>cell + <u64>((length + 8) & ~7);
  if (padded > <u64>end) return fail(CoreFault.TextPadding, nul + 1, row, c);
  store<u32>(slot, cell);
  store<u32>(slot + 4, length);
  return <u32>padded;
}

/** BLOB: a u64 length, the bytes, padding to a word; the slot holds (offset, length). */
// @ts-ignore: AssemblyScript decorator
@inline function blobCell(cell: u32, end: u32, slot: usize, row: i32, c: i32, maxValueBytes: u32): u32 {
  if (end - cell < 8) return fail(CoreFault.CellTruncated, cell, row, c);
  const lengthLo = load<u32>(base + <usize>cell);
  const lengthHi = load<u32>(base + <usize>cell + 4);
  if (lengthHi != 0 || lengthLo > maxValueBytes) return fail(CoreFault.BlobTooLong, cell, row, c);
  const data = cell + 8;
  const padded = (<u64>lengthLo + 7) & ~(<u64>7);
  if (padded > <u64>(end - data)) return fail(CoreFault.BlobTruncated, data, row, c);
  store<u32>(slot, data);
  store<u32>(slot + 4, lengthLo);
  return data + <u32>padded;
}

/** NULL (content ignored) and BOOLEAN (any non-zero word is true): one word each. */
// @ts-ignore: AssemblyScript decorator
@inline function wordCell(tag: u32, cell: u32, end: u32, slot: usize, row: i32, c: i32): u32 {
  if (end - cell < 8) return fail(CoreFault.CellTruncated, cell, row, c);
  if (tag == ValueCode.Null) store<u64>(slot, 0);
  else store<f64>(slot, load<u64>(base + <usize>cell) != 0 ? 1.0 : 0.0);
  return cell + 8;
}

// ---- Step: one row -----------------------------------------------------------------------

/** Decodes the cells of the row whose header is at `headerAt`, each by its kind. */
// @ts-ignore: AssemblyScript decorator
@inline function decodeRow(headerAt: u32, headerBytes: u32, end: u32, columns: i32, row: i32, outRow: i32): u32 {
  let pos = headerAt + headerBytes;
  // The call's layout, read once per row rather than once per cell.
  const stride = <usize>capacity;
  const types = typesPtr;
  const slots = slotsPtr;
  const maxValue = maxValueBytes;
  const asNumber = intNumbers;
  for (let c: i32 = 0; c < columns; c++) {
    const b = byteAt(headerAt + (<u32>c >> 1));
    const tag = c & 1 ? b >> RowsLayout.NibbleBits : b & RowsLayout.NibbleMask;
    const slotIndex = <usize>c * stride + <usize>outRow;
    store<u8>(types + slotIndex, <u8>tag);
    const slot = slots + (slotIndex << 3);
    switch (tag) {
      case ValueCode.Integer:
      case ValueCode.UnixTime:
        pos = integerCell(pos, end, slot, row, c, asNumber);
        break;
      case ValueCode.Float:
        pos = floatCell(pos, end, slot, row, c);
        break;
      case ValueCode.Text:
      case ValueCode.Iso8601:
        pos = textCell(pos, end, slot, row, c, maxValue);
        break;
      case ValueCode.Blob:
        pos = blobCell(pos, end, slot, row, c, maxValue);
        break;
      default:
        pos = wordCell(tag, pos, end, slot, row, c);
        break;
    }
    if (pos == FAILED) return FAILED;
  }
  return pos;
}

/**
 * The fast path: a row whose header is the previous row's (already validated), every cell 8
 * bytes wide and the whole row present: one bound check for the row, tags from the cache; the
 * type bytes are written later, per run (see `fillTypes`).
 */
// @ts-ignore: AssemblyScript decorator
@inline function fixedWidthRow(pos: u32, columns: i32, row: i32, outRow: i32, input: usize, tags: usize, slots: usize, slotStep: usize, asNumber: bool): u32 {
  let cell = pos + 8;
  let slot = slots + (<usize>outRow << 3);
  for (let c: i32 = 0; c < columns; c++) {
    const tag = load<u8>(tags + <usize>c);
    const raw = load<u64>(input + <usize>cell);
    if (tag == ValueCode.Float) {
      store<u64>(slot, raw);
    } else if (tag == ValueCode.Integer || tag == ValueCode.UnixTime) {
      if (asNumber) {
        const v = <i64>raw;
        if (v > SAFE_MAX || v < -SAFE_MAX) return fail(CoreFault.UnsafeInteger, cell, row, c);
        store<f64>(slot, <f64>v);
      } else {
        store<u64>(slot, raw);
      }
    } else if (tag == ValueCode.Null) {
      store<u64>(slot, 0);
    } else {
      store<f64>(slot, raw != 0 ? 1.0 : 0.0);
    }
    cell += 8;
    slot += slotStep;
  }
  return cell;
}

// ---- Step: the rows of a frame, up to its marker -------------------------------------------

// The frame's end marker, once `decodeRows` has met it.
let marker: CoreStop = CoreStop.Part;

/** Decodes rows from `pos` until the PART or DONE marker that must end the frame at `end`. */
function decodeRows(pos: u32, end: u32, columns: i32): u32 {
  const headerBytes = <u32>((((columns + 1) >> 1) + 7) >> 3) << 3;
  // Counters live in locals while rows are read; they are stored back when the frame ends.
  const rowsBefore = rowsTotal;
  const outBefore = outRow;
  let outIndex = outBefore;
  let rowIndex: i32 = 0;
  // The last validated header and whether its cells are all 8 bytes wide (rowHeader sets them).
  let checked: u64 = 0;
  let fixed: bool = false;
  const capacityRows = capacity;
  const maxRows = maxRowsPerFrame;
  const maxResultRows = maxRowsPerResult;
  // Fast-path rows since runStart share the cached tags; their type bytes are written per
  // column in one fill when the run ends (before the cache changes or the frame ends).
  let runStart: i32 = -1;
  // The call's layout in locals for the fast path's loop.
  const input = base;
  const tags = out + ResultField.Tags;
  const slots = slotsPtr;
  const slotStep = <usize>capacity << 3;
  const asNumber = intNumbers;
  while (true) {
    if (end - pos < <u32>RowsLayout.MarkerBytes) return fail(CoreFault.MissingMarker, pos, rowIndex, -1);
    const word = load<u64>(base + <usize>pos);
    if (word == DONE_WORD || word == PART_WORD) {
      if (runStart >= 0) fillTypes(columns, runStart, outIndex);
      marker = word == DONE_WORD ? CoreStop.Done : CoreStop.Part;
      outRow = outIndex;
      rowsTotal = rowsBefore + (outIndex - outBefore);
      pos += RowsLayout.MarkerBytes;
      if (pos != end) return fail(CoreFault.TrailingBytes, pos, -1, -1);
      return pos;
    }
    if (columns == 0) return fail(CoreFault.MissingMarker, pos, rowIndex, -1);
    if (rowsBefore + rowIndex + 1 > maxResultRows) return fail(CoreFault.RowsPerResult, pos, rowIndex, -1);
    if (headerBytes > end - pos) return fail(CoreFault.RowHeaderTruncated, pos, rowIndex, -1);
    if (headerBytes != 8 || word != checked || word == 0) {
      if (runStart >= 0) {
        fillTypes(columns, runStart, outIndex);
        runStart = -1;
      }
      if (rowHeader(pos, columns, headerBytes, rowIndex) == FAILED) return FAILED;
      checked = word;
      fixed = fixedRow;
    }
    if (outIndex >= capacityRows) return fail(CoreFault.Internal, pos, rowIndex, -1);
    if (fixed && word == checked && <u64>(end - pos) >= <u64>(8 + (columns << 3))) {
      if (runStart < 0) runStart = outIndex;
      pos = fixedWidthRow(pos, columns, rowIndex, outIndex, input, tags, slots, slotStep, asNumber);
    } else {
      if (runStart >= 0) {
        fillTypes(columns, runStart, outIndex);
        runStart = -1;
      }
      pos = decodeRow(pos, headerBytes, end, columns, rowIndex, outIndex);
    }
    if (pos == FAILED) return FAILED;
    rowIndex++;
    outIndex++;
    // Checked once the row is read, like the codec: the cap is exclusive.
    if (rowIndex >= maxRows) return fail(CoreFault.RowsPerFrame, pos, rowIndex - 1, -1);
  }
}

// ---- The call: frame after frame ----------------------------------------------------------

/**
 * Decodes the ROWS frames described by the call record at `call` (CallField) and writes the
 * result record (ResultField). Returns the stop.
 */
export function decodeSpan(call: usize): i32 {
  base = <usize>callField(call, CallField.InPtr);
  out = <usize>callField(call, CallField.ResultPtr);
  typesPtr = <usize>callField(call, CallField.TypesPtr);
  slotsPtr = <usize>callField(call, CallField.SlotsPtr);
  refPtr = <usize>callField(call, CallField.RefPtr);
  capacity = callField(call, CallField.Capacity);
  intNumbers = callField(call, CallField.IntNumbers) != 0;
  maxNameBytes = <u32>callField(call, CallField.MaxNameBytes);
  maxValueBytes = <u32>callField(call, CallField.MaxValueBytes);
  maxRowsPerFrame = callField(call, CallField.MaxRowsPerFrame);
  maxRowsPerResult = callField(call, CallField.MaxRowsPerResult);
  const maxColumns = callField(call, CallField.MaxColumns);
  const maxFramesPerResult = callField(call, CallField.MaxFramesPerResult);
  const framesBefore = callField(call, CallField.FramesBefore);
  const allocColumns = callField(call, CallField.AllocColumns);
  const inLength = <u32>callField(call, CallField.InLength);
  const start = <u32>callField(call, CallField.Start);
  const spanEnd = <u32>callField(call, CallField.End);
  let columns = callField(call, CallField.KnownColumns);
  frames = 0;
  rowsTotal = callField(call, CallField.RowsBefore);
  outRow = 0;
  hasSpans = 0;
  nonAsciiText = 0;
  startResult(start, columns);

  // The caller's layout must fit linear memory; nothing below can then leave it.
  const memoryEnd = <u64>memory.size() << 16;
  const refColumns: u64 = <u64>(allocColumns > columns ? allocColumns : columns);
  const cells = <u64>allocColumns * <u64>capacity;
  if (
    allocColumns < 0 || capacity < 0 || start > spanEnd || spanEnd > inLength ||
    <u64>base + <u64>inLength > memoryEnd || <u64>refPtr + refColumns * 8 > memoryEnd ||
    <u64>typesPtr + cells > memoryEnd || <u64>slotsPtr + cells * 8 > memoryEnd ||
    <u64>out + <u64>ResultField.Bytes > memoryEnd
  ) return failFrame(CoreFault.Internal, start);

  let frame = start;
  while (frame < spanEnd) {
    // The frame: the span holds whole frames (a scan found them), so one past it is the caller's bug.
    const frameEnd = frameEndAt(frame, spanEnd);
    if (frameEnd == FAILED) return failFrame(CoreFault.Internal, frame);
    const end = frameEnd;
    if (framesBefore + frames + 1 > maxFramesPerResult) return failFrame(CoreFault.FramesPerResult, frame);

    // The column count: a uint64; every name takes at least a word.
    const body = frame + FrameLayout.HeaderBytes;
    const count = columnCount(body, end, maxColumns);
    if (count < 0) return CoreStop.Error;
    const first = columns < 0;
    if (!first && count != columns) return failFrame(CoreFault.ColumnCountDrift, body);
    if (count != allocColumns) return failFrame(CoreFault.Internal, body);

    let pos = columnNames(body + RowsLayout.ColumnCountBytes, end, count, first);
    if (pos == FAILED) return CoreStop.Error;
    if (first) {
      columns = count;
      store<i32>(out + ResultField.Columns, count);
    }
    if (decodeRows(pos, end, columns) == FAILED) return CoreStop.Error;

    frames++;
    store<i32>(out + ResultField.Frames, frames);
    store<i32>(out + ResultField.Rows, outRow);
    store<i32>(out + ResultField.ConsumedEnd, <i32>end);
    store<i32>(out + ResultField.HasSpans, hasSpans);
    store<i32>(out + ResultField.NonAsciiText, nonAsciiText);
    frame = end;
    if (marker == CoreStop.Done) break;
  }
  // After a DONE frame the result is complete: later frames of the span are not consumed.
  compact(allocColumns, outRow);
  store<i32>(out + ResultField.Stop, marker);
  return marker;
}

/** The result record before any frame: nothing consumed, no fault. */
function startResult(start: u32, columns: i32): void {
  store<i32>(out + ResultField.Stop, CoreStop.Part);
  store<i32>(out + ResultField.ConsumedEnd, <i32>start);
  store<i32>(out + ResultField.Frames, 0);
  store<i32>(out + ResultField.Rows, 0);
  store<i32>(out + ResultField.Columns, columns);
  store<i32>(out + ResultField.FrameIndex, -1);
  store<i32>(out + ResultField.Fault, 0);
  store<i32>(out + ResultField.Offset, -1);
  store<i32>(out + ResultField.Row, -1);
  store<i32>(out + ResultField.Column, -1);
  store<i32>(out + ResultField.Detail, 0);
  store<i32>(out + ResultField.HasSpans, 0);
  store<i32>(out + ResultField.NonAsciiText, 0);
  marker = CoreStop.Part;
}

/** A fault outside any row or column, as the call's stop. */
function failFrame(fault: CoreFault, offset: u32): i32 {
  fail(fault, offset, -1, -1);
  return CoreStop.Error;
}

/** Writes the cached tags as the type bytes of rows [from, to) of every column. */
function fillTypes(columns: i32, from: i32, to: i32): void {
  for (let c: i32 = 0; c < columns; c++) {
    memory.fill(typesPtr + <usize>c * <usize>capacity + <usize>from, load<u8>(out + ResultField.Tags + <usize>c), <usize>(to - from));
  }
}

/**
 * Packs the outputs so that one copy takes them out: column c's slots move to
 * slotsPtr + c * rows * 8, then the types follow the slots, column c at + c * rows. Every move
 * goes to a lower address than its source, and memory.copy is a memmove.
 */
function compact(columns: i32, rows: i32): void {
  const rowBytes = <usize>rows;
  for (let c: i32 = 1; c < columns; c++) {
    memory.copy(slotsPtr + ((<usize>c * rowBytes) << 3), slotsPtr + ((<usize>c * <usize>capacity) << 3), rowBytes << 3);
  }
  const packedTypes = slotsPtr + ((<usize>columns * rowBytes) << 3);
  for (let c: i32 = 0; c < columns; c++) {
    memory.copy(packedTypes + <usize>c * rowBytes, typesPtr + <usize>c * <usize>capacity, rowBytes);
  }
}
