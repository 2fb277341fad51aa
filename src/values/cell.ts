// One tuple cell: how each value type is read from and written to the wire (protocol.md §3),
// and how a JS value is checked against (or given) a type. Shared by params tuples and rows.

import { EncodeError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import type { WireReader } from "../wire/reader.ts";
import type { WireWriter } from "../wire/writer.ts";
import { encodeUtf8, isWellFormed } from "../wire/utf8.ts";
import { type IntMode, MAX_SAFE_BIGINT, MIN_SAFE_BIGINT } from "./int-mode.ts";
import { ValueType, valueTypeFromName, valueTypeName, isValueType } from "./value-type.ts";

/** A decoded cell value. INTEGER and UNIXTIME follow the `intMode`. */
export type CellValue = null | number | bigint | string | Uint8Array | boolean;

/**
 * A tuple as decoded: a type code and a value per cell. `nanBits` keeps the exact bits of FLOAT
 * NaN cells whose payload is not the canonical quiet NaN, since JS engines may rewrite NaN
 * payloads when a double becomes a value.
 */
export interface Tuple {
  types: ValueType[];
  values: CellValue[];
  nanBits?: Map<number, bigint>;
}

/** A parameter with its type stated, for types the encoder does not infer (FLOAT 1.0, ISO8601…). */
export interface TypedParam {
  type: ValueType | "INTEGER" | "FLOAT" | "TEXT" | "BLOB" | "NULL" | "ISO8601" | "BOOLEAN" | "UNIXTIME";
  value: CellValue | Date;
}

/** What callers may pass as one query/exec parameter. */
export type ParamInput = CellValue | Date | TypedParam;

export const CANONICAL_NAN_BITS = 0x7ff8000000000000n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const TWO_POW_32 = 2 ** 32;

const scratch = new DataView(new ArrayBuffer(8));

/** The bits of a double as the engine holds it. */
export function float64Bits(value: number): bigint {
  scratch.setFloat64(0, value, true);
  return scratch.getBigUint64(0, true);
}

export function int64FromMode(value: bigint, mode: IntMode, reader: WireReader, field: string, at: number): number | bigint | string {
  if (mode === "bigint") return value;
  if (mode === "string") return value.toString();
  if (value > MAX_SAFE_BIGINT || value < MIN_SAFE_BIGINT) {
    reader.fail("UNSAFE_INTEGER", field, `integer ${value} does not fit a JS number exactly (use intMode "bigint" or "string")`, at);
  }
  return Number(value);
}

/** Reads one cell of the given (already validated) type. */
export function readCell(
  reader: WireReader,
  type: ValueType,
  field: string,
  intMode: IntMode,
  limits: Readonly<Limits>,
  tuple: Tuple,
  index: number,
): CellValue {
  switch (type) {
    case ValueType.Integer:
    case ValueType.UnixTime: {
      const at = reader.pos;
      reader.need(8, field);
      if (intMode === "number") {
        // Fast path: read two halves and only fall back to bigint when out of the safe range.
        const lo = reader.view.getUint32(at, true);
        const hi = reader.view.getInt32(at + 4, true);
        // hi * 2^32 + lo is within ±(2^53 - 1): hi in (-2^21, 2^21), or hi = -2^21 with lo > 0.
        if ((hi > -0x200000 && hi < 0x200000) || (hi === -0x200000 && lo !== 0)) {
          reader.pos += 8;
          return hi * TWO_POW_32 + lo;
        }
      }
      return int64FromMode(reader.i64(field), intMode, reader, field, at);
    }
    case ValueType.Float: {
      const value = reader.f64(field);
      if (Number.isNaN(value)) {
        const bits = reader.view.getBigUint64(reader.pos - 8, true);
        if (bits !== CANONICAL_NAN_BITS) (tuple.nanBits ??= new Map()).set(index, bits);
      }
      return value;
    }
    case ValueType.Text:
    case ValueType.Iso8601:
      return reader.text(field, limits.maxValueBytes);
    case ValueType.Blob:
      return reader.blob(field, limits.maxValueBytes);
    case ValueType.Null:
      reader.skip(8, field);
      return null;
    case ValueType.Boolean:
      return reader.u64(field) !== 0n;
  }
}

/** Normalises one parameter to a (type, value) pair, inferring the type of plain JS values. */
export function typeParam(input: ParamInput, field: string): { type: ValueType; value: CellValue } {
  if (input !== null && typeof input === "object" && !(input instanceof Uint8Array) && !(input instanceof Date)) {
    if (ArrayBuffer.isView(input)) {
      return { type: ValueType.Blob, value: new Uint8Array(input.buffer, input.byteOffset, input.byteLength) };
    }
    const typed = input as TypedParam;
    const type = typeof typed.type === "string" ? valueTypeFromName(typed.type) : typed.type;
    if (type === undefined || !isValueType(type)) {
      throw new EncodeError("BAD_VALUE_TYPE", `${field}: unknown value type ${String(typed.type)}`, { field });
    }
    const value = typed.value instanceof Date ? isoString(typed.value, field) : typed.value;
    return { type, value };
  }
  if (input === null) return { type: ValueType.Null, value: null };
  if (input instanceof Date) return { type: ValueType.Iso8601, value: isoString(input, field) };
  switch (typeof input) {
    case "boolean":
      return { type: ValueType.Boolean, value: input };
    case "bigint":
      return { type: ValueType.Integer, value: input };
    case "string":
      return { type: ValueType.Text, value: input };
    case "number":
      if (Number.isInteger(input) && !Object.is(input, -0)) {
        if (!Number.isSafeInteger(input)) {
          throw new EncodeError(
            "UNSAFE_INTEGER",
            `${field}: ${input} is not a safe integer; pass a bigint, or { type: "FLOAT", value } for a double`,
            { field },
          );
        }
        return { type: ValueType.Integer, value: input };
      }
      return { type: ValueType.Float, value: input };
    case "object":
      if (input instanceof Uint8Array) return { type: ValueType.Blob, value: input };
  }
  throw new EncodeError("UNSUPPORTED_VALUE", `${field}: a ${typeof input} cannot be sent as a dqlite value`, { field });
}

function isoString(date: Date, field: string): string {
  if (Number.isNaN(date.getTime())) throw new EncodeError("BAD_VALUE", `${field}: invalid Date`, { field });
  return date.toISOString();
}

function badValue(field: string, type: ValueType, value: unknown): never {
  const shown = typeof value === "bigint" ? `${value}n` : typeof value === "string" ? JSON.stringify(value).slice(0, 40) : String(value);
  throw new EncodeError("UNSUPPORTED_VALUE", `${field}: ${shown} is not a valid ${valueTypeName(type)} value`, { field });
}

function toInt64(field: string, type: ValueType, value: CellValue): bigint {
  let big: bigint;
  if (typeof value === "bigint") big = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) big = BigInt(value);
  else if (typeof value === "string" && /^-?\d+$/.test(value)) big = BigInt(value);
  else return badValue(field, type, value);
  if (big < INT64_MIN || big > INT64_MAX) {
    throw new EncodeError("BAD_VALUE", `${field}: ${big} is outside the int64 range`, { field });
  }
  return big;
}

/** The encoded UTF-8 of a text cell, checked: well-formed, no NUL, within the cap. */
export function checkedText(field: string, value: string, maxBytes: number): Uint8Array {
  if (!isWellFormed(value)) throw new EncodeError("BAD_TEXT", `${field}: text has a lone surrogate`, { field });
  const utf8 = encodeUtf8(value);
  if (utf8.indexOf(0) >= 0) throw new EncodeError("BAD_TEXT", `${field}: text has an embedded NUL`, { field });
  if (utf8.length > maxBytes) {
    throw new EncodeError("LIMIT", `${field}: text of ${utf8.length} bytes exceeds the cap of ${maxBytes}`, { field });
  }
  return utf8;
}

/** Cell bytes for one value, checked against its type. Returns the bytes to write later. */
export interface PreparedCell {
  type: ValueType;
  write(writer: WireWriter): void;
}

export function prepareCell(
  field: string,
  type: ValueType,
  value: CellValue,
  limits: Readonly<Limits>,
  nanBits: bigint | undefined,
): PreparedCell {
  switch (type) {
    case ValueType.Integer:
    case ValueType.UnixTime: {
      const big = toInt64(field, type, value);
      return { type, write: (w) => w.i64(big) };
    }
    case ValueType.Float: {
      if (typeof value !== "number") return badValue(field, type, value);
      if (nanBits !== undefined) {
        if (!Number.isNaN(value) || (nanBits & 0x7ff0000000000000n) !== 0x7ff0000000000000n || (nanBits & 0xfffffffffffffn) === 0n) {
          throw new EncodeError("BAD_VALUE", `${field}: NaN bits 0x${nanBits.toString(16)} do not describe a NaN`, { field });
        }
        return { type, write: (w) => w.u64(nanBits) };
      }
      return { type, write: (w) => w.f64(value) };
    }
    // ISO8601 is plain text on the wire: the server binds it as text and returns whatever a
    // DATETIME column holds, so any text is a valid ISO8601 cell.
    case ValueType.Text:
    case ValueType.Iso8601: {
      if (typeof value !== "string") return badValue(field, type, value);
      const utf8 = checkedText(field, value, limits.maxValueBytes);
      return { type, write: (w) => w.text(utf8) };
    }
    case ValueType.Blob: {
      if (!(value instanceof Uint8Array)) return badValue(field, type, value);
      if (value.length > limits.maxValueBytes) {
        throw new EncodeError("LIMIT", `${field}: blob of ${value.length} bytes exceeds the cap of ${limits.maxValueBytes}`, { field });
      }
      return { type, write: (w) => w.blob(value) };
    }
    case ValueType.Null:
      if (value !== null) return badValue(field, type, value);
      return { type, write: (w) => w.zeros(8) };
    case ValueType.Boolean:
      if (typeof value !== "boolean") return badValue(field, type, value);
      return { type, write: (w) => w.u64(value ? 1n : 0n) };
  }
  throw new EncodeError("BAD_VALUE_TYPE", `${field}: ${valueTypeName(type)} is not a cell type`, { field });
}
