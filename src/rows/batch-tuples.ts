// A batch's rows as the message codec decodes ROWS frames: a tuple per row, with each cell's
// type code and value, and the exact bits of NaN cells whose payload is not the canonical one.
// For raw `request()` callers, who get whole messages; the row modes of a result shape batches
// their own way.

import { CANONICAL_NAN_BITS, type CellValue, type Tuple } from "../values/cell.ts";
import { ValueType } from "../values/value-type.ts";
import type { RowBatch } from "./row-batch.ts";

export function batchTuples(batch: RowBatch): Tuple[] {
  const columns = batch.columns.map((_, index) => batch.column(index));
  const tuples: Tuple[] = new Array(batch.rowCount);
  for (let row = 0; row < batch.rowCount; row++) {
    const types: ValueType[] = new Array(columns.length);
    const values: CellValue[] = new Array(columns.length);
    const tuple: Tuple = { types, values };
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c]!;
      const type = column.types[row]! as ValueType;
      types[c] = type;
      values[c] = column.value(row);
      if (type === ValueType.Float && Number.isNaN(column.numbers[row])) {
        // The slot holds the frame's 8 bytes as they were: read them as an integer.
        const bits = BigInt.asUintN(64, column.int64s[row]!);
        if (bits !== CANONICAL_NAN_BITS) (tuple.nanBits ??= new Map()).set(c, bits);
      }
    }
    tuples[row] = tuple;
  }
  return tuples;
}
