// The shown result as an Apache Arrow IPC stream (the page's ".arrow" download), written in the
// worker from the row engine's batches it keeps, and a quick aggregate of it: the stream read
// back by flechette (loaded only when asked for), each column's type and nulls, and min, max and
// sum of the numeric ones.

import { ArrowIpcWriter } from "./library.ts";
import type { RowStore } from "./row-store.ts";
import type { ArrowColumnSummary } from "./worker-protocol.ts";

/** The store's rows as one IPC stream. */
export function arrowOfStore(store: RowStore): Uint8Array {
  const writer = new ArrowIpcWriter();
  const chunks = store.batches.map((batch) => writer.write(batch));
  chunks.push(writer.end(store.columns));
  const out = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

const NUMERIC_TYPE_IDS = new Set([2, 3]); // flechette's Type.Int, Type.Float

/** Each column of the stream, as flechette reads it back. */
export async function summarizeArrow(bytes: Uint8Array): Promise<{ rows: number; columns: ArrowColumnSummary[] }> {
  const { tableFromIPC } = await import("@uwdata/flechette");
  const table = tableFromIPC(bytes, { useBigInt: true });
  const columns = table.schema.fields.map((field, c): ArrowColumnSummary => {
    const column = table.children[c]!;
    const summary: ArrowColumnSummary = { name: field.name, type: typeName(field.type.typeId), nulls: column.nullCount };
    if (!NUMERIC_TYPE_IDS.has(field.type.typeId)) return summary;
    let min: number | bigint | undefined;
    let max: number | bigint | undefined;
    let sum: number | bigint | undefined;
    for (const value of column) {
      if (value === null) continue;
      const v = value as number | bigint;
      if (min === undefined || v < min) min = v;
      if (max === undefined || v > max) max = v;
      sum = sum === undefined ? v : typeof v === "bigint" ? (sum as bigint) + v : (sum as number) + v;
    }
    if (sum !== undefined) Object.assign(summary, { min: String(min), max: String(max), sum: String(sum) });
    return summary;
  });
  return { rows: table.numRows, columns };
}

function typeName(typeId: number): string {
  return { 1: "null", 2: "int64", 3: "float64", 4: "binary", 5: "utf8", 6: "bool", 10: "timestamp[s]" }[typeId] ?? `type ${typeId}`;
}
