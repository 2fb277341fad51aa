// JSON forms of values that JSON cannot carry directly: 64-bit integers, special doubles, bytes.
// The conventions are documented in docs/json.md; every form reads back to the exact same bits.

import { EncodeError } from "../errors.ts";
import { CANONICAL_NAN_BITS, type CellValue, type Tuple, float64Bits } from "../values/cell.ts";
import { ValueType, valueTypeFromName, valueTypeName } from "../values/value-type.ts";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A 64-bit integer: a JSON number when it is exact as one, else a decimal string. */
export function int64ToJSON(value: bigint | number | string): number | string {
  if (typeof value === "number") return value;
  const big = BigInt(value);
  return big <= MAX_SAFE && big >= -MAX_SAFE ? Number(big) : big.toString();
}

export function int64FromJSON(value: unknown, field: string): bigint {
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  throw new EncodeError(
    "BAD_VALUE",
    `${field}: expected an integer (a number, or a decimal string beyond 2^53), got ${JSON.stringify(value)}`,
    { field },
  );
}

/** A double: a JSON number when finite and not -0; else "NaN", "-0", "Infinity", "-Infinity", or "NaN:<16 hex bits>". */
export function float64ToJSON(value: number, nanBits: bigint | undefined): number | string {
  if (Number.isFinite(value) && !Object.is(value, -0)) return value;
  if (Object.is(value, -0)) return "-0";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  const bits = nanBits ?? float64Bits(value);
  return bits === CANONICAL_NAN_BITS ? "NaN" : `NaN:${bits.toString(16).padStart(16, "0")}`;
}

export function float64FromJSON(value: unknown, field: string): { value: number; nanBits?: bigint } {
  if (typeof value === "number") return { value };
  switch (value) {
    case "NaN":
      return { value: NaN };
    case "-0":
      return { value: -0 };
    case "Infinity":
      return { value: Infinity };
    case "-Infinity":
      return { value: -Infinity };
  }
  if (typeof value === "string" && /^NaN:[0-9a-fA-F]{16}$/.test(value)) {
    return { value: NaN, nanBits: BigInt(`0x${value.slice(4)}`) };
  }
  throw new EncodeError("BAD_VALUE", `${field}: expected a number or a special float string, got ${JSON.stringify(value)}`, { field });
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += bytes[i]!.toString(16).padStart(2, "0");
  return out;
}

export function hexToBytes(hex: string, field: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new EncodeError("BAD_VALUE", `${field}: not an even-length hex string`, { field });
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export interface CellJSON {
  type: string;
  value: number | string | boolean | null;
}

export function cellToJSON(type: ValueType, value: CellValue, nanBits: bigint | undefined): CellJSON {
  const name = valueTypeName(type);
  switch (type) {
    case ValueType.Integer:
    case ValueType.UnixTime:
      return { type: name, value: int64ToJSON(value as bigint | number | string) };
    case ValueType.Float:
      return { type: name, value: float64ToJSON(value as number, nanBits) };
    case ValueType.Blob:
      return { type: name, value: bytesToHex(value as Uint8Array) };
    default:
      return { type: name, value: value as string | boolean | null };
  }
}

/** Reads a list of JSON cells into a tuple (types, values and NaN bits). */
export function tupleFromJSON(cells: unknown, field: string): Tuple {
  if (!Array.isArray(cells)) throw new EncodeError("BAD_VALUE", `${field}: expected an array of cells`, { field });
  const tuple: Tuple = { types: [], values: [] };
  cells.forEach((cell: unknown, i) => {
    const path = `${field}[${i}]`;
    if (cell === null || typeof cell !== "object" || typeof (cell as CellJSON).type !== "string") {
      throw new EncodeError("BAD_VALUE", `${path}: expected {"type", "value"}`, { field: path });
    }
    const { type: typeName, value } = cell as CellJSON;
    const type = valueTypeFromName(typeName);
    if (type === undefined)
      throw new EncodeError("BAD_VALUE_TYPE", `${path}: unknown value type ${JSON.stringify(typeName)}`, { field: path });
    tuple.types.push(type);
    switch (type) {
      case ValueType.Integer:
      case ValueType.UnixTime:
        tuple.values.push(int64FromJSON(value, path));
        break;
      case ValueType.Float: {
        const float = float64FromJSON(value, path);
        if (float.nanBits !== undefined) (tuple.nanBits ??= new Map()).set(i, float.nanBits);
        tuple.values.push(float.value);
        break;
      }
      case ValueType.Blob:
        if (typeof value !== "string") throw new EncodeError("BAD_VALUE", `${path}: a BLOB is a hex string`, { field: path });
        tuple.values.push(hexToBytes(value, path));
        break;
      default:
        tuple.values.push(value as CellValue);
    }
  });
  return tuple;
}

export function tupleToJSON(tuple: Tuple): CellJSON[] {
  return tuple.types.map((type, i) => cellToJSON(type, tuple.values[i]!, tuple.nanBits?.get(i)));
}
