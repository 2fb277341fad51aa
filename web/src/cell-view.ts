// How a cell looks in the table. The value type comes from the row's own type header (SQLite
// is dynamically typed: one column can hold INTEGER in one row and TEXT in the next), so a FLOAT
// that happens to be whole still reads as a float ("2.0"), and an INTEGER never does.

import { ValueType } from "./library.ts";
import type { CellKind, CellView } from "./worker-protocol.ts";

/** Blob cells show this many bytes in hex, then the length. */
const BLOB_PREVIEW_BYTES = 16;
/** Text cells longer than this are cut in the table (the full value stays in the worker). */
const TEXT_PREVIEW_CHARS = 200;
/** Below this magnitude String(n) of a whole double has no exponent, so ".0" can be appended. */
const PLAIN_NOTATION_LIMIT = 1e21;

const NULL_VIEW: CellView = Object.freeze({ t: "NULL", k: "null" as CellKind });

export function floatText(value: number): string {
  if (Object.is(value, -0)) return "-0.0";
  if (Number.isInteger(value) && Math.abs(value) < PLAIN_NOTATION_LIMIT) return `${value}.0`;
  return String(value);
}

export function blobText(bytes: Uint8Array): string {
  let hex = "";
  const shown = Math.min(bytes.length, BLOB_PREVIEW_BYTES);
  for (let i = 0; i < shown; i++) hex += bytes[i]!.toString(16).padStart(2, "0");
  return bytes.length > shown ? `x'${hex}…' (${bytes.length} bytes)` : `x'${hex}'`;
}

/** The view of one cell, given its wire type code and its decoded value. */
export function cellView(type: number, value: unknown): CellView {
  switch (type) {
    case ValueType.Null:
      return NULL_VIEW;
    case ValueType.Integer:
      return { t: String(value), k: "int" };
    case ValueType.Float:
      return { t: floatText(value as number), k: "float" };
    case ValueType.Text: {
      const text = value as string;
      return { t: text.length > TEXT_PREVIEW_CHARS ? `${text.slice(0, TEXT_PREVIEW_CHARS)}…` : text, k: "text" };
    }
    case ValueType.Blob:
      return { t: blobText(value as Uint8Array), k: "blob" };
    case ValueType.Boolean:
      return { t: value ? "true" : "false", k: "bool" };
    case ValueType.UnixTime:
    case ValueType.Iso8601:
      return { t: String(value), k: "time" };
    default:
      return { t: String(value), k: "text" };
  }
}
