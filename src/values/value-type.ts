// The cell types of dqlite tuples (protocol.md §3). Codes 0, 6–8 and 12–15 are invalid. The
// numbers are those of src/wire/layout.ts, which the row cores read too.

import { ValueCode } from "../wire/layout.ts";

export const ValueType = {
  Integer: ValueCode.Integer,
  Float: ValueCode.Float,
  Text: ValueCode.Text,
  Blob: ValueCode.Blob,
  Null: ValueCode.Null,
  UnixTime: ValueCode.UnixTime,
  Iso8601: ValueCode.Iso8601,
  Boolean: ValueCode.Boolean,
} as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

export const VALUE_TYPE_NAMES = {
  [ValueCode.Integer]: "INTEGER",
  [ValueCode.Float]: "FLOAT",
  [ValueCode.Text]: "TEXT",
  [ValueCode.Blob]: "BLOB",
  [ValueCode.Null]: "NULL",
  [ValueCode.UnixTime]: "UNIXTIME",
  [ValueCode.Iso8601]: "ISO8601",
  [ValueCode.Boolean]: "BOOLEAN",
} as const satisfies Record<ValueType, string>;
export type ValueTypeName = (typeof VALUE_TYPE_NAMES)[ValueType];

const CODE_BY_NAME = new Map<string, ValueType>(Object.entries(VALUE_TYPE_NAMES).map(([code, name]) => [name, Number(code) as ValueType]));

/** A lookup table: 1 where the code is a valid cell type. Indexed by nibble or byte. */
const VALID = new Uint8Array(256);
for (const code of Object.values(ValueType)) VALID[code] = 1;

export function isValueType(code: number): code is ValueType {
  return VALID[code] === 1;
}

export function valueTypeFromName(name: string): ValueType | undefined {
  return CODE_BY_NAME.get(name);
}

export function valueTypeName(code: number): string {
  return (VALUE_TYPE_NAMES as Record<number, string>)[code] ?? `invalid type ${code}`;
}
