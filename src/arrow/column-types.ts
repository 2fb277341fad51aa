// How a dqlite column gets its one Arrow type. dqlite types each cell; Arrow types each column.
// The rule (docs/arrow.md) is lossless and never coerces a value:
//
// - every cell type maps to one Arrow type: INTEGER to int64 (intModes "bigint" and "string") or
//   float64 (intMode "number": the cells are the exact doubles `.all()` returns, every integer
//   within ±(2^53 - 1), so INTEGER and FLOAT share float64); FLOAT to float64; TEXT and ISO8601
//   to utf8 (the node sends any text as ISO8601, so it is not parsed); BLOB to binary; BOOLEAN to
//   bool; UNIXTIME to timestamp[s]; NULL to a null slot in any column;
// - a column's type is the one declared for it (the `types` option), else that of its first
//   non-NULL cell; a column with no non-NULL cell is of Arrow type null;
// - a non-NULL cell of another Arrow type is an EncodeError (BAD_VALUE_TYPE) naming the row, the
//   column, both types and the way out (CAST in SQL, or a declared type).

import { EncodeError } from "../errors.ts";
import type { RowColumn } from "../rows/row-batch.ts";
import type { IntMode } from "../values/int-mode.ts";
import { VALUE_TYPE_NAMES, ValueType } from "../values/value-type.ts";
import { ARROW_TYPES, type ArrowType } from "./ipc-format.ts";

/** Arrow types by value-type code, one table per intMode family; NULL and invalid codes map to nothing. */
function cellTypeTable(integer: ArrowType): (ArrowType | undefined)[] {
  const table = new Array<ArrowType | undefined>(16).fill(undefined);
  table[ValueType.Integer] = integer;
  table[ValueType.Float] = "float64";
  table[ValueType.Text] = "utf8";
  table[ValueType.Iso8601] = "utf8";
  table[ValueType.Blob] = "binary";
  table[ValueType.Boolean] = "bool";
  table[ValueType.UnixTime] = "timestamp[s]";
  return table;
}

const CELL_TYPES_NUMBER = cellTypeTable("float64");
const CELL_TYPES_INT64 = cellTypeTable("int64");

/** The Arrow type of a non-NULL cell of value type `code` (undefined for NULL). */
export function cellArrowType(code: number, intMode: IntMode): ArrowType | undefined {
  return (intMode === "number" ? CELL_TYPES_NUMBER : CELL_TYPES_INT64)[code];
}

/**
 * Per value-type code: 1 when a cell of that code may stand in a column of `type` (NULL always
 * may). INTEGER cells may also stand in an int64 column in intMode "number" (a column declared
 * int64 there): each is a safe integer, written as int64 exactly.
 */
export function acceptedCodes(type: ArrowType, intMode: IntMode): Uint8Array {
  const table = intMode === "number" ? CELL_TYPES_NUMBER : CELL_TYPES_INT64;
  const accepts = new Uint8Array(16);
  accepts[ValueType.Null] = 1;
  table.forEach((cellType, code) => {
    if (cellType === type) accepts[code] = 1;
  });
  if (type === "int64") accepts[ValueType.Integer] = 1;
  return accepts;
}

/** Checks a declared type name (the `types` option), with the list of names when it is none. */
export function declaredType(column: string, type: string): ArrowType {
  if (!(ARROW_TYPES as readonly string[]).includes(type)) {
    throw new EncodeError(
      "UNSUPPORTED_VALUE",
      `types.${column}: "${type}" is not an Arrow type dqlite-wire writes (${ARROW_TYPES.join(", ")})`,
      { field: column },
    );
  }
  return type as ArrowType;
}

/**
 * Where a column's type came from, for the error that names it: declared, its first non-NULL
 * cell, or none (a stream fixes its schema from its first batch; a column that was NULL
 * throughout that batch is of type null).
 */
export type TypeOrigin = { kind: "declared" } | { kind: "cell"; row: number; cell: string } | { kind: "none" };

/** The error for a cell whose Arrow type is not its column's. */
export function typeMismatch(column: RowColumn, row: number, resultRow: number, type: ArrowType, origin: TypeOrigin): EncodeError {
  const code = column.types[row]!;
  const cell = VALUE_TYPE_NAMES[code as ValueType] ?? `type ${code}`;
  const cellType = cellArrowType(code, column.intMode);
  const why =
    origin.kind === "declared"
      ? "declared in types"
      : origin.kind === "cell"
        ? `from its first non-NULL cell, ${origin.cell} at row ${origin.row}`
        : "NULL throughout the first batch";
  const ways = ["CAST it in SQL so that every row has one type"];
  if (origin.kind === "none") ways.unshift(`declare its type (types: { ${JSON.stringify(column.name)}: "${cellType}" })`);
  if (column.intMode !== "number" && (type === "float64" || type === "int64") && (cellType === "float64" || cellType === "int64")) {
    ways.push('read it with intMode "number", where INTEGER and FLOAT are both float64');
  }
  return new EncodeError(
    "BAD_VALUE_TYPE",
    `Arrow column ${column.index} "${column.name}" is ${type} (${why}), but row ${resultRow} holds ${cell} (${cellType}); an Arrow column has one type: ${ways.join(", or ")}`,
    { field: `rows[${resultRow}][${column.index}]` },
  );
}
