// Arrow IPC streams read back by two independent readers, apache-arrow and flechette, as rows in
// the shape `.all()` gives for the same intMode: int64 cells as bigint (intMode "bigint") or
// decimal strings ("string"), timestamp[s] cells as the seconds `.all()` holds (both readers give
// epoch milliseconds), everything else as the reader returns it.

import { tableFromIPC as apacheFromIPC } from "apache-arrow";
import { tableFromIPC as flechetteFromIPC } from "@uwdata/flechette";
import type { CellValue } from "../../src/values/cell.ts";
import type { IntMode } from "../../src/values/int-mode.ts";

export interface ReadBack {
  columns: string[];
  /** Arrow type of each column, as the reader names it. */
  types: string[];
  rows: CellValue[][];
}

function asAll(value: unknown, timestamp: boolean, intMode: IntMode): CellValue {
  if (value === null || value === undefined) return null;
  if (timestamp) {
    const seconds = (value as number) / 1000;
    return intMode === "number" ? seconds : intMode === "bigint" ? BigInt(seconds) : String(seconds);
  }
  if (typeof value === "bigint") return intMode === "string" ? value.toString() : value;
  return value as CellValue;
}

export function readWithApacheArrow(ipc: Uint8Array, intMode: IntMode): ReadBack {
  const table = apacheFromIPC(ipc);
  const fields = table.schema.fields;
  const children = fields.map((_, c) => table.getChildAt(c)!);
  const timestamps = fields.map((field) => String(field.type).startsWith("Timestamp"));
  const rows: CellValue[][] = [];
  for (let r = 0; r < table.numRows; r++) rows.push(children.map((child, c) => asAll(child.get(r), timestamps[c]!, intMode)));
  return { columns: fields.map((field) => field.name), types: fields.map((field) => String(field.type)), rows };
}

export function readWithFlechette(ipc: Uint8Array, intMode: IntMode): ReadBack {
  const table = flechetteFromIPC(ipc, { useBigInt: true });
  const fields = table.schema.fields;
  // flechette's type ids: 10 is Timestamp.
  const timestamps = fields.map((field) => field.type.typeId === 10);
  const rows: CellValue[][] = [];
  for (let r = 0; r < table.numRows; r++) rows.push(table.children.map((child, c) => asAll(child.at(r), timestamps[c]!, intMode)));
  return { columns: fields.map((field) => field.name), types: fields.map((field) => String(field.type.typeId)), rows };
}
