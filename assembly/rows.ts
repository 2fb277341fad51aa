// The row core in AssemblyScript: the same algorithm, fault for fault, as src/rows/ts-core.ts.
// It decodes a span of whole ROWS frames that the caller copied into linear memory and writes
// column-major outputs into regions the caller laid out. Nothing is allocated here.
//
// On success the outputs are packed (see `compact`): slots of all columns, then their types.
//
// Built with --noAssert, so no implicit bound check exists: every load is guarded explicitly
// against the end of the frame being read, and every loop advances by at least one byte of
// input. Offsets in results are relative to the input start. Fault and stop numbers are those
// of src/rows/core-abi.ts.

// Stops.
const STOP_PART: i32 = 1;
const STOP_DONE: i32 = 2;
const STOP_ERROR: i32 = 3;

// Faults.
const F_FRAMES_PER_RESULT: i32 = 1;
const F_BODY_TOO_SHORT: i32 = 2;
const F_COLUMNS_LIMIT: i32 = 3;
const F_COLUMNS_DO_NOT_FIT: i32 = 4;
const F_COLUMN_COUNT_DRIFT: i32 = 5;
const F_NAME_TOO_LONG: i32 = 6;
const F_NAME_UNTERMINATED: i32 = 7;
const F_NAME_NOT_UTF8: i32 = 8;
const F_NAME_PADDING: i32 = 9;
const F_COLUMN_NAME_DRIFT: i32 = 10;
const F_MISSING_MARKER: i32 = 11;
const F_TRAILING_BYTES: i32 = 12;
const F_ROWS_PER_FRAME: i32 = 13;
const F_ROWS_PER_RESULT: i32 = 14;
const F_ROW_HEADER_TRUNCATED: i32 = 15;
const F_BAD_NIBBLE: i32 = 16;
const F_CELL_TRUNCATED: i32 = 17;
const F_UNSAFE_INTEGER: i32 = 18;
const F_TEXT_TOO_LONG: i32 = 19;
const F_TEXT_UNTERMINATED: i32 = 20;
const F_TEXT_NOT_UTF8: i32 = 21;
const F_TEXT_PADDING: i32 = 22;
const F_BLOB_TOO_LONG: i32 = 23;
const F_BLOB_TRUNCATED: i32 = 24;
const F_INTERNAL: i32 = 25;

// Result record: twelve i32 fields at `out`, then 16 bytes of scratch (RESULT_BYTES in all).
const R_STOP: i32 = 0;
const R_CONSUMED_END: i32 = 4;
const R_FRAMES: i32 = 8;
const R_ROWS: i32 = 12;
const R_COLUMNS: i32 = 16;
const R_FRAME_INDEX: i32 = 20;
const R_FAULT: i32 = 24;
const R_OFFSET: i32 = 28;
const R_ROW: i32 = 32;
const R_COLUMN: i32 = 36;
const R_DETAIL: i32 = 40;
/** 1 when a TEXT, ISO8601 or BLOB cell was decoded (its span points into the input). */
const R_HAS_SPANS: i32 = 44;
/** Scratch after the record: the type tags of the cached row header (up to 16 columns). */
const R_TAGS: i32 = 48;
export const RESULT_BYTES: i32 = 64;

const DONE_WORD: u64 = 0xffffffffffffffff;
const PART_WORD: u64 = 0xeeeeeeeeeeeeeeee;
/** Bit n set where nibble n is a value type: 1-5, 9, 10, 11. */
const VALID_NIBBLES: u32 = 0x0e3e;
/** Bit n set where nibble n is a variable-width cell: TEXT, BLOB, ISO8601. */
const VARIABLE_NIBBLES: u32 = (1 << 3) | (1 << 4) | (1 << 10);
const ONES: u64 = 0x0101010101010101;
const HIGHS: u64 = 0x8080808080808080;
const SAFE_MAX: i64 = 9007199254740991;

// Per-call state, set by decodeSpan.
let base: usize = 0;
let out: usize = 0;
let frames: i32 = 0;

// @ts-ignore: AssemblyScript decorator
@inline function fail(fault: i32, offset: u32, row: i32, column: i32, detail: i32): i32 {
  store<i32>(out + R_STOP, STOP_ERROR);
  store<i32>(out + R_FAULT, fault);
  store<i32>(out + R_OFFSET, <i32>offset);
  store<i32>(out + R_ROW, row);
  store<i32>(out + R_COLUMN, column);
  store<i32>(out + R_DETAIL, detail);
  store<i32>(out + R_FRAME_INDEX, frames);
  return STOP_ERROR;
}

// @ts-ignore: AssemblyScript decorator
@inline function byteAt(at: u32): u32 {
  return <u32>load<u8>(base + <usize>at);
}

/** Strict UTF-8 over [start, end) of the input, as a fatal TextDecoder accepts it. */
function validUtf8(start: u32, end: u32): bool {
  let i = start;
  while (i < end) {
    const b0 = byteAt(i);
    if (b0 < 0x80) {
      i++;
      continue;
    }
    if (b0 < 0xc2) return false;
    if (b0 < 0xe0) {
      if (i + 1 >= end || (byteAt(i + 1) & 0xc0) != 0x80) return false;
      i += 2;
      continue;
    }
    if (b0 < 0xf0) {
      if (i + 2 >= end) return false;
      const b1 = byteAt(i + 1);
      const lo: u32 = b0 == 0xe0 ? 0xa0 : 0x80;
      const hi: u32 = b0 == 0xed ? 0x9f : 0xbf;
      if (b1 < lo || b1 > hi || (byteAt(i + 2) & 0xc0) != 0x80) return false;
      i += 3;
      continue;
    }
    if (b0 < 0xf5) {
      if (i + 3 >= end) return false;
      const b1 = byteAt(i + 1);
      const lo: u32 = b0 == 0xf0 ? 0x90 : 0x80;
      const hi: u32 = b0 == 0xf4 ? 0x8f : 0xbf;
      if (b1 < lo || b1 > hi || (byteAt(i + 2) & 0xc0) != 0x80 || (byteAt(i + 3) & 0xc0) != 0x80) return false;
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

// @ts-ignore: AssemblyScript decorator
@inline function minU32(a: u64, b: u64): u32 {
  return <u32>(a < b ? a : b);
}

/**
 * Decodes the ROWS frames of input[start, end). The input is `inLen` bytes at `inPtr`.
 * `refPtr` holds, per column, an (absolute pointer, length) pair of the first frame's name: read
 * when `knownColumns` >= 0, written when the first frame is decoded here. Outputs: types at
 * `typesPtr` and 8-byte slots at `slotsPtr`, column c's rows at c * capacity. Returns the stop.
 */
export function decodeSpan(
  inPtr: usize, inLen: u32, start: u32, spanEnd: u32,
  knownColumns: i32, refPtr: usize, framesBefore: i32, rowsBefore: i32, intNumbers: i32,
  maxColumns: i32, maxRowsPerFrame: i32, maxFramesPerResult: i32, maxRowsPerResult: i32,
  maxNameBytes: i32, maxValueBytes: i32,
  allocColumns: i32, capacity: i32, typesPtr: usize, slotsPtr: usize, outPtr: usize,
): i32 {
  base = inPtr;
  out = outPtr;
  frames = 0;
  store<i32>(out + R_STOP, STOP_PART);
  store<i32>(out + R_CONSUMED_END, <i32>start);
  store<i32>(out + R_FRAMES, 0);
  store<i32>(out + R_ROWS, 0);
  store<i32>(out + R_COLUMNS, knownColumns);
  store<i32>(out + R_FRAME_INDEX, -1);
  store<i32>(out + R_FAULT, 0);
  store<i32>(out + R_OFFSET, -1);
  store<i32>(out + R_ROW, -1);
  store<i32>(out + R_COLUMN, -1);
  store<i32>(out + R_DETAIL, 0);
  store<i32>(out + R_HAS_SPANS, 0);

  // The caller's layout must fit linear memory; nothing below can then leave it.
  const memoryEnd = <u64>memory.size() << 16;
  const refColumns: u64 = <u64>(allocColumns > knownColumns ? allocColumns : knownColumns);
  const cells = <u64>allocColumns * <u64>capacity;
  if (
    allocColumns < 0 || capacity < 0 || start > spanEnd || spanEnd > inLen ||
    <u64>inPtr + <u64>inLen > memoryEnd || <u64>refPtr + refColumns * 8 > memoryEnd ||
    <u64>typesPtr + cells > memoryEnd || <u64>slotsPtr + cells * 8 > memoryEnd ||
    <u64>outPtr + <u64>RESULT_BYTES > memoryEnd
  ) return fail(F_INTERNAL, start, -1, -1, 0);

  let columns = knownColumns;
  let hasSpans: i32 = 0;
  let rowsTotal = rowsBefore;
  let outRow: i32 = 0;
  let frame = start;

  while (frame < spanEnd) {
    if (spanEnd - frame < 8) return fail(F_INTERNAL, frame, -1, -1, 0);
    const frameEnd = <u64>frame + 8 + (<u64>load<u32>(base + <usize>frame) << 3);
    if (frameEnd > <u64>spanEnd) return fail(F_INTERNAL, frame, -1, -1, 0);
    const end = <u32>frameEnd;
    if (framesBefore + frames + 1 > maxFramesPerResult) return fail(F_FRAMES_PER_RESULT, frame, -1, -1, 0);
    const body = frame + 8;
    if (end - body < 8) return fail(F_BODY_TOO_SHORT, body, -1, -1, 0);
    const countLo = load<u32>(base + <usize>body);
    const countHi = load<u32>(base + <usize>body + 4);
    if (countHi != 0 || countLo > <u32>maxColumns) return fail(F_COLUMNS_LIMIT, body, -1, -1, 0);
    const count = <i32>countLo;
    let pos = body + 8;
    if (<u64>countLo * 8 > <u64>(end - pos)) return fail(F_COLUMNS_DO_NOT_FIT, body, -1, -1, 0);
    const first = columns < 0;
    if (!first && count != columns) return fail(F_COLUMN_COUNT_DRIFT, body, -1, -1, 0);
    if (count != allocColumns) return fail(F_INTERNAL, body, -1, -1, 0);

    for (let c: i32 = 0; c < count; c++) {
      const nameAt = pos;
      const searchEnd = minU32(<u64>end, <u64>pos + <u64>maxNameBytes + 1);
      if (!scanText(nameAt, searchEnd)) {
        if (searchEnd - nameAt > <u32>maxNameBytes) return fail(F_NAME_TOO_LONG, nameAt, -1, c, 0);
        return fail(F_NAME_UNTERMINATED, nameAt, -1, c, 0);
      }
      const nul = scanNul;
      const length = nul - nameAt;
      const refAt = refPtr + (<usize>c << 3);
      if (first) {
        if ((scanHigh & HIGHS) != 0 && !validUtf8(nameAt, nul)) return fail(F_NAME_NOT_UTF8, nameAt, -1, c, 0);
      } else {
        const refName = <usize>load<u32>(refAt);
        let same = load<u32>(refAt + 4) == length;
        if (same) same = memory.compare(base + <usize>nameAt, refName, <usize>length) == 0;
        if (!same) {
          if (!validUtf8(nameAt, nul)) return fail(F_NAME_NOT_UTF8, nameAt, -1, c, 0);
          return fail(F_COLUMN_NAME_DRIFT, nameAt, -1, c, 0);
        }
      }
      const padded = <u64>nameAt + <u64>((length + 8) & ~7);
      if (padded > <u64>end) return fail(F_NAME_PADDING, nul + 1, -1, c, 0);
      if (first) {
        store<u32>(refAt, <u32>(base + <usize>nameAt));
        store<u32>(refAt + 4, length);
      }
      pos = <u32>padded;
    }
    if (first) {
      columns = count;
      store<i32>(out + R_COLUMNS, count);
    }

    const headerBytes = <u32>((((columns + 1) >> 1) + 7) >> 3) << 3;
    let marker: i32 = 0;
    let row: i32 = 0;
    // A header equal to the previous row's one-word header needs no second validation.
    let checkedHeader: u64 = 0;
    let fixedRow = false;
    // Rows of the fast path since runStart share the cached tags: their type bytes are written
    // per column in one fill when the run ends (before the cache changes or the frame ends).
    let runStart: i32 = -1;
    while (true) {
      if (end - pos < 8) return fail(F_MISSING_MARKER, pos, row, -1, 0);
      const word = load<u64>(base + <usize>pos);
      if (word == DONE_WORD || word == PART_WORD) {
        if (runStart >= 0) fillTypes(columns, capacity, typesPtr, runStart, outRow);
        marker = word == DONE_WORD ? STOP_DONE : STOP_PART;
        pos += 8;
        if (pos != end) return fail(F_TRAILING_BYTES, pos, -1, -1, 0);
        break;
      }
      if (columns == 0) return fail(F_MISSING_MARKER, pos, row, -1, 0);
      if (rowsTotal + 1 > maxRowsPerResult) return fail(F_ROWS_PER_RESULT, pos, row, -1, 0);
      if (headerBytes > end - pos) return fail(F_ROW_HEADER_TRUNCATED, pos, row, -1, 0);
      if (headerBytes != 8 || word != checkedHeader || word == 0) {
        if (runStart >= 0) {
          fillTypes(columns, capacity, typesPtr, runStart, outRow);
          runStart = -1;
        }
        let fixed = headerBytes == 8;
        for (let c: i32 = 0; c < columns; c++) {
          const b = byteAt(pos + (<u32>c >> 1));
          const nibble = c & 1 ? b >> 4 : b & 0x0f;
          if (((VALID_NIBBLES >> nibble) & 1) == 0) return fail(F_BAD_NIBBLE, pos + (<u32>c >> 1), row, c, <i32>nibble);
          if (((VARIABLE_NIBBLES >> nibble) & 1) != 0) fixed = false;
          if (c < 16) store<u8>(out + R_TAGS + <usize>c, <u8>nibble);
        }
        checkedHeader = word;
        fixedRow = fixed;
      }
      if (outRow >= capacity) return fail(F_INTERNAL, pos, row, -1, 0);
      // Fast path: a header seen (and validated) on the previous row, every cell 8 bytes wide,
      // and the whole row present: one bound check for the row, tags from the cache.
      if (fixedRow && word == checkedHeader && <u64>(end - pos) >= <u64>(8 + (columns << 3))) {
        let cell = pos + 8;
        let slot = slotsPtr + (<usize>outRow << 3);
        const slotStep = <usize>capacity << 3;
        if (runStart < 0) runStart = outRow;
        for (let c: i32 = 0; c < columns; c++) {
          const tag = load<u8>(out + R_TAGS + <usize>c);
          const raw = load<u64>(base + <usize>cell);
          if (tag == 2) {
            store<u64>(slot, raw);
          } else if (tag == 1 || tag == 9) {
            if (intNumbers) {
              const v = <i64>raw;
              if (v > SAFE_MAX || v < -SAFE_MAX) return fail(F_UNSAFE_INTEGER, cell, row, c, 0);
              store<f64>(slot, <f64>v);
            } else {
              store<u64>(slot, raw);
            }
          } else if (tag == 5) {
            store<u64>(slot, 0);
          } else {
            store<f64>(slot, raw != 0 ? 1.0 : 0.0);
          }
          cell += 8;
          slot += slotStep;
        }
        pos = cell;
        row++;
        rowsTotal++;
        outRow++;
        if (row >= maxRowsPerFrame) return fail(F_ROWS_PER_FRAME, pos, row - 1, -1, 0);
        continue;
      }
      if (runStart >= 0) {
        fillTypes(columns, capacity, typesPtr, runStart, outRow);
        runStart = -1;
      }
      const headerAt = pos;
      pos += headerBytes;
      for (let c: i32 = 0; c < columns; c++) {
        const b = byteAt(headerAt + (<u32>c >> 1));
        const tag = c & 1 ? b >> 4 : b & 0x0f;
        const slotIndex = <usize>c * <usize>capacity + <usize>outRow;
        store<u8>(typesPtr + slotIndex, <u8>tag);
        const slot = slotsPtr + (slotIndex << 3);
        const cell = pos;
        switch (tag) {
          case 1:
          case 9: {
            if (end - cell < 8) return fail(F_CELL_TRUNCATED, cell, row, c, 0);
            const v = load<i64>(base + <usize>cell);
            if (intNumbers) {
              if (v > SAFE_MAX || v < -SAFE_MAX) return fail(F_UNSAFE_INTEGER, cell, row, c, 0);
              store<f64>(slot, <f64>v);
            } else {
              store<i64>(slot, v);
            }
            pos = cell + 8;
            break;
          }
          case 2: {
            if (end - cell < 8) return fail(F_CELL_TRUNCATED, cell, row, c, 0);
            store<u64>(slot, load<u64>(base + <usize>cell));
            pos = cell + 8;
            break;
          }
          case 3:
          case 10: {
            const searchEnd = minU32(<u64>end, <u64>cell + <u64>maxValueBytes + 1);
            if (!scanText(cell, searchEnd)) {
              if (searchEnd - cell > <u32>maxValueBytes) return fail(F_TEXT_TOO_LONG, cell, row, c, 0);
              return fail(F_TEXT_UNTERMINATED, cell, row, c, 0);
            }
            const nul = scanNul;
            if ((scanHigh & HIGHS) != 0 && !validUtf8(cell, nul)) return fail(F_TEXT_NOT_UTF8, cell, row, c, 0);
            const length = nul - cell;
            const padded = <u64>cell + <u64>((length + 8) & ~7);
            if (padded > <u64>end) return fail(F_TEXT_PADDING, nul + 1, row, c, 0);
            store<u32>(slot, cell);
            store<u32>(slot + 4, length);
            hasSpans = 1;
            pos = <u32>padded;
            break;
          }
          case 4: {
            if (end - cell < 8) return fail(F_CELL_TRUNCATED, cell, row, c, 0);
            const lengthLo = load<u32>(base + <usize>cell);
            const lengthHi = load<u32>(base + <usize>cell + 4);
            if (lengthHi != 0 || lengthLo > <u32>maxValueBytes) return fail(F_BLOB_TOO_LONG, cell, row, c, 0);
            const data = cell + 8;
            const padded = (<u64>lengthLo + 7) & ~(<u64>7);
            if (padded > <u64>(end - data)) return fail(F_BLOB_TRUNCATED, data, row, c, 0);
            store<u32>(slot, data);
            store<u32>(slot + 4, lengthLo);
            hasSpans = 1;
            pos = data + <u32>padded;
            break;
          }
          case 5: {
            if (end - cell < 8) return fail(F_CELL_TRUNCATED, cell, row, c, 0);
            store<u64>(slot, 0);
            pos = cell + 8;
            break;
          }
          default: {
            if (end - cell < 8) return fail(F_CELL_TRUNCATED, cell, row, c, 0);
            store<f64>(slot, load<u64>(base + <usize>cell) != 0 ? 1.0 : 0.0);
            pos = cell + 8;
            break;
          }
        }
      }
      row++;
      rowsTotal++;
      outRow++;
      // Checked once the row is read, like the codec: the cap is exclusive.
      if (row >= maxRowsPerFrame) return fail(F_ROWS_PER_FRAME, pos, row - 1, -1, 0);
    }

    frames++;
    store<i32>(out + R_FRAMES, frames);
    store<i32>(out + R_ROWS, outRow);
    store<i32>(out + R_CONSUMED_END, <i32>end);
    store<i32>(out + R_HAS_SPANS, hasSpans);
    frame = end;
    if (marker == STOP_DONE) {
      compact(allocColumns, capacity, outRow, typesPtr, slotsPtr);
      store<i32>(out + R_STOP, STOP_DONE);
      return STOP_DONE;
    }
  }
  compact(allocColumns, capacity, outRow, typesPtr, slotsPtr);
  store<i32>(out + R_STOP, STOP_PART);
  return STOP_PART;
}

/** Writes the cached tags as the type bytes of rows [from, to) of every column. */
function fillTypes(columns: i32, capacity: i32, typesPtr: usize, from: i32, to: i32): void {
  for (let c: i32 = 0; c < columns; c++) {
    memory.fill(typesPtr + <usize>c * <usize>capacity + <usize>from, load<u8>(out + R_TAGS + <usize>c), <usize>(to - from));
  }
}

/**
 * Packs the outputs so that one copy takes them out: column c's slots move to
 * slotsPtr + c * rows * 8, then the types follow the slots, column c at + c * rows. Every move
 * goes to a lower address than its source, and memory.copy is a memmove.
 */
function compact(columns: i32, capacity: i32, rows: i32, typesPtr: usize, slotsPtr: usize): void {
  const rowBytes = <usize>rows;
  for (let c: i32 = 1; c < columns; c++) {
    memory.copy(slotsPtr + ((<usize>c * rowBytes) << 3), slotsPtr + ((<usize>c * <usize>capacity) << 3), rowBytes << 3);
  }
  const packedTypes = slotsPtr + ((<usize>columns * rowBytes) << 3);
  for (let c: i32 = 0; c < columns; c++) {
    memory.copy(packedTypes + <usize>c * rowBytes, typesPtr + <usize>c * <usize>capacity, rowBytes);
  }
}
