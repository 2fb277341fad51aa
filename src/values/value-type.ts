// The cell types of dqlite tuples (protocol.md §3). Codes 0, 6–8 and 12–15 are invalid.

export const ValueType = {
  Integer: 1,
  Float: 2,
  Text: 3,
  Blob: 4,
  Null: 5,
  UnixTime: 9,
  Iso8601: 10,
  Boolean: 11,
} as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

export const VALUE_TYPE_NAMES = {
  1: "INTEGER",
  2: "FLOAT",
  3: "TEXT",
  4: "BLOB",
  5: "NULL",
  9: "UNIXTIME",
  10: "ISO8601",
  11: "BOOLEAN",
} as const satisfies Record<ValueType, string>;
export type ValueTypeName = (typeof VALUE_TYPE_NAMES)[ValueType];

const CODE_BY_NAME = new Map<string, ValueType>(
  Object.entries(VALUE_TYPE_NAMES).map(([code, name]) => [name, Number(code) as ValueType]),
);

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
