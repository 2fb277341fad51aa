// Single body fields read without decoding the frame, for edges that need one value while bytes
// stream past: the bridge reads the statement id of every STMT reply, a result reader can size
// its output from the column count of a ROWS frame. Where such a field sits comes from the
// declarations in schemas.ts (the widths of the fields before it), so it cannot drift from the
// codec.

import { DecodeError } from "../errors.ts";
import { HEADER_BYTES, ROWS_DONE_BYTE, ROWS_PART_BYTE, WORD_BYTES } from "../wire/constants.ts";
import type { FieldKind, FieldSpec, MessageDeclaration } from "./fields.ts";
import { responseSchemas } from "./schemas.ts";

/** Bytes of the fixed-width kinds; text, tuples and lists have none. */
const FIXED_WIDTH_BYTES: Partial<Record<FieldKind, number>> = {
  u32: 4,
  pad32: 4,
  u64: 8,
  count64: 8,
  enum64: 8,
  zero64: 8,
  pad64: 8,
};

/** Where a field starts in a body, in bytes from the body's first byte. */
export interface FieldPlace {
  readonly offset: number;
  readonly kind: FieldKind;
}

/**
 * Where field `name` starts in a body of `declaration`: at the same offset in every layout, with
 * only fixed-width fields before it. Anything else is a mistake of the caller, refused when its
 * module loads.
 */
export function fieldPlace(declaration: MessageDeclaration, name: string): FieldPlace {
  const places = declaration.variants.map((variant) => placeIn(variant.fields, name));
  const first = places[0];
  if (first === undefined || places.some((place) => place?.offset !== first.offset)) {
    throw new Error(`${declaration.type}.${name} is not at one fixed offset in every layout`);
  }
  return first;
}

function placeIn(fields: readonly FieldSpec[], name: string): FieldPlace | undefined {
  let offset = 0;
  for (const spec of fields) {
    if (spec.name === name) return { offset, kind: spec.kind };
    const width = FIXED_WIDTH_BYTES[spec.kind];
    if (width === undefined) return undefined;
    offset += width;
  }
  return undefined;
}

function u32At(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, true);
}

const STMT_ID = fieldPlace(responseSchemas.STMT, "id");
/** Bytes of a STMT body up to the end of its statement id (a uint32). */
export const STMT_ID_END_BYTES = STMT_ID.offset + 4;

/** The statement id of the STMT body that starts at `bodyStart` (STMT_ID_END_BYTES must be there). */
export function readStmtId(bytes: Uint8Array, bodyStart = 0): number {
  if (bytes.length - bodyStart < STMT_ID_END_BYTES) throw truncated("STMT.id", bodyStart + STMT_ID.offset);
  return u32At(bytes, bodyStart + STMT_ID.offset);
}

/** The column names of a ROWS body start with their count, a uint64. */
const ROWS_COLUMNS = fieldPlace(responseSchemas.ROWS, "columns");
/** Bytes of a ROWS body up to the end of its column count. */
export const ROWS_COLUMN_COUNT_END_BYTES = ROWS_COLUMNS.offset + 8;

/**
 * The column count of the ROWS body that starts at `bodyStart`, or undefined when its high
 * 32 bits are not zero (no result has that many columns; the decoder refuses it against
 * maxColumns). ROWS_COLUMN_COUNT_END_BYTES must be there.
 */
export function readRowsColumnCount(bytes: Uint8Array, bodyStart = 0): number | undefined {
  if (bytes.length - bodyStart < ROWS_COLUMN_COUNT_END_BYTES) throw truncated("ROWS.columns", bodyStart + ROWS_COLUMNS.offset);
  const at = bodyStart + ROWS_COLUMNS.offset;
  return u32At(bytes, at + 4) === 0 ? u32At(bytes, at) : undefined;
}

function truncated(field: string, offset: number): DecodeError {
  return new DecodeError("TRUNCATED", `${field}: the body ends before this field at offset ${offset}`, { offset, field });
}

/**
 * How a whole ROWS frame (header and body) ends: its last word is the marker, "PART" when more
 * frames of the result follow, "DONE" at its end; undefined when it is neither.
 */
export function rowsFrameEnd(frame: Uint8Array): "PART" | "DONE" | undefined {
  if (frame.length < HEADER_BYTES + WORD_BYTES) return undefined;
  const marker = frame.subarray(frame.length - WORD_BYTES);
  const fill = marker[0];
  if ((fill !== ROWS_PART_BYTE && fill !== ROWS_DONE_BYTE) || marker.some((byte) => byte !== fill)) return undefined;
  return fill === ROWS_PART_BYTE ? "PART" : "DONE";
}
