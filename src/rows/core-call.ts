// The TypeScript face of the row-core contract (core-abi.ts holds its numbers): what an engine
// is asked (EngineRequest, the call record's fields as an object) and what it reports
// (CoreOutcome, the result record's fields).

import { rowHeaderBytes } from "../values/tuple.ts";
import type { CoreFault, CoreStop } from "./core-abi.ts";

/** Where a fault is: the absolute offset in the input and, when meaningful, row and column. */
export interface CoreErrorRecord {
  fault: CoreFault;
  offset: number;
  /** Row index inside its frame, -1 when not in a row. */
  row: number;
  /** Column index, -1 when not about a column. */
  column: number;
  /** The nibble value for BadNibble; 0 otherwise. */
  detail: number;
}

/** The result record (ResultField) as an object. */
export interface CoreOutcome extends CoreErrorRecord {
  stop: CoreStop;
  consumedEnd: number;
  frames: number;
  rows: number;
  columns: number;
  frameIndex: number;
  hasSpans: boolean;
  /** A TEXT or ISO8601 cell holds non-ASCII bytes; when false every text cell is ASCII. */
  nonAsciiText: boolean;
}

/** The result-wide caps a core enforces, clamped to int32 so both cores compare alike. */
export interface CoreLimits {
  maxColumns: number;
  maxRowsPerFrame: number;
  maxFramesPerResult: number;
  maxRowsPerResult: number;
  maxNameBytes: number;
  maxValueBytes: number;
}

export const INT32_MAX = 0x7fffffff;

/** The fewest bytes one row of `columns` columns can take: header plus one word per cell. */
export function minRowBytes(columns: number): number {
  return rowHeaderBytes(columns) + columns * 8;
}

/** The call record (CallField) as an object: a span of whole ROWS frames and the result's state so far. */
export interface EngineRequest {
  bytes: Uint8Array;
  /** The span of whole ROWS frames to decode: [start, end) of `bytes`. */
  start: number;
  end: number;
  /** The column count fixed by an earlier frame of the result, or -1 before the first frame. */
  knownColumns: number;
  /** Column names of the first frame, for the drift check: bytes and [start, length) per column. */
  refBytes: Uint8Array;
  /** Filled in by the engine when `knownColumns` is -1. */
  refStart: Int32Array;
  refLength: Int32Array;
  framesBefore: number;
  rowsBefore: number;
  intNumbers: boolean;
  limits: CoreLimits;
  /** Columns the outputs were sized for, and rows per column. */
  allocColumns: number;
  capacity: number;
}
