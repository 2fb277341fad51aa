// Tuples (protocol.md §5): params tuples of requests (8- or 32-bit count, one type byte per
// cell) and row tuples of ROWS responses (4-bit type nibbles, no count).

import { EncodeError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import { WORD_BYTES, padToWord } from "../wire/constants.ts";
import type { WireReader } from "../wire/reader.ts";
import type { WireWriter } from "../wire/writer.ts";
import { type CellValue, type ParamInput, type PreparedCell, type Tuple, prepareCell, readCell, typeParam } from "./cell.ts";
import type { IntMode } from "./int-mode.ts";
import { ValueType, isValueType, valueTypeName } from "./value-type.ts";

/** Receives the byte span [start, end) of each part of a tuple, in reader positions (inspectors). */
export type SpanSink = (path: string, start: number, end: number) => void;

/** Largest params count of schema 0 (a uint8 count). */
export const PARAMS_V0_MAX = 255;

/**
 * Decoded params: a tuple, plus how an empty tuple was written. go-dqlite writes nothing for no
 * params; the C client writes one zero word. Both decode to zero params; `emptyWord` remembers
 * the second form so re-encoding is byte-identical.
 */
export interface ParamsTuple extends Tuple {
  emptyWord?: boolean;
}

/** Params tuple: count (uint8 in schema 0, uint32 in schema 1), type bytes, pad, values. */
export function readParams(
  reader: WireReader,
  schema: number,
  bodyStart: number,
  field: string,
  intMode: IntMode,
  limits: Readonly<Limits>,
  spans?: SpanSink,
): ParamsTuple {
  const tuple: ParamsTuple = { types: [], values: [] };
  if (reader.remaining === 0) return tuple;
  const countAt = reader.pos;
  const count = schema === 0 ? reader.u8(`${field}.count`) : reader.u32(`${field}.count`);
  if (count > limits.maxParams) {
    reader.fail("LIMIT", `${field}.count`, `${count} params exceed the cap of ${limits.maxParams}`, countAt);
  }
  // Every cell takes at least one type byte and one word, so the count must fit what is left.
  if (count * (1 + WORD_BYTES) > reader.end - reader.pos) {
    reader.fail("TRUNCATED", `${field}.count`, `${count} params cannot fit the ${reader.end - reader.pos} bytes left`, countAt);
  }
  const types: ValueType[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = reader.pos;
    const code = reader.u8(`${field}.types[${i}]`);
    if (!isValueType(code) || code === ValueType.UnixTime) {
      reader.fail("BAD_VALUE_TYPE", `${field}.types[${i}]`, `${valueTypeName(code)} is not a parameter type`, at);
    }
    types[i] = code;
  }
  reader.alignTo(bodyStart, `${field}.padding`);
  spans?.(`${field}.header`, countAt, reader.pos);
  if (count === 0) tuple.emptyWord = true;
  tuple.types = types;
  tuple.values = new Array(count);
  readCells(reader, tuple, `${field}`, intMode, limits, spans);
  return tuple;
}

function readCells(
  reader: WireReader,
  tuple: Tuple,
  field: string,
  intMode: IntMode,
  limits: Readonly<Limits>,
  spans: SpanSink | undefined,
): void {
  const { types, values } = tuple;
  for (let i = 0; i < types.length; i++) {
    const start = reader.pos;
    values[i] = readCell(reader, types[i]!, `${field}[${i}]`, intMode, limits, tuple, i);
    spans?.(`${field}[${i}]`, start, reader.pos);
  }
}

/** Anything the encoder accepts as params: a decoded tuple or plain/typed JS values. */
export type ParamsInput = Tuple | ParamsTuple | readonly ParamInput[];

export function isTuple(value: unknown): value is Tuple {
  return value !== null && typeof value === "object" && Array.isArray((value as Tuple).types) && Array.isArray((value as Tuple).values);
}

/** Checks and types every parameter (throws EncodeError naming the param). */
export function prepareParams(
  input: ParamsInput | undefined,
  field: string,
  limits: Readonly<Limits>,
): { cells: PreparedCell[]; emptyWord: boolean } {
  if (input === undefined) return { cells: [], emptyWord: false };
  const cells: PreparedCell[] = [];
  if (isTuple(input)) {
    if (input.types.length !== input.values.length) {
      throw new EncodeError("BAD_VALUE", `${field}: ${input.types.length} types for ${input.values.length} values`, { field });
    }
    checkCount(input.types.length, field, limits);
    for (let i = 0; i < input.types.length; i++) {
      const type = input.types[i]!;
      if (type === ValueType.UnixTime) {
        throw new EncodeError("BAD_VALUE_TYPE", `${field}[${i}]: UNIXTIME is not a parameter type`, { field: `${field}[${i}]` });
      }
      cells.push(prepareCell(`${field}[${i}]`, type, input.values[i]!, limits, input.nanBits?.get(i)));
    }
    return { cells, emptyWord: (input as ParamsTuple).emptyWord === true && cells.length === 0 };
  }
  if (!Array.isArray(input)) {
    throw new EncodeError("UNSUPPORTED_VALUE", `${field}: params must be an array or a tuple`, { field });
  }
  checkCount(input.length, field, limits);
  for (let i = 0; i < input.length; i++) {
    const { type, value } = typeParam(input[i] as ParamInput, `${field}[${i}]`);
    if (type === ValueType.UnixTime) {
      throw new EncodeError("BAD_VALUE_TYPE", `${field}[${i}]: UNIXTIME is not a parameter type`, { field: `${field}[${i}]` });
    }
    cells.push(prepareCell(`${field}[${i}]`, type, value, limits, undefined));
  }
  return { cells, emptyWord: false };
}

function checkCount(count: number, field: string, limits: Readonly<Limits>): void {
  if (count > limits.maxParams) {
    throw new EncodeError("LIMIT", `${field}: ${count} params exceed the cap of ${limits.maxParams}`, { field });
  }
}

/** The schema a params tuple needs: 0 when the count fits a byte. */
export function paramsSchemaFor(count: number): 0 | 1 {
  return count <= PARAMS_V0_MAX ? 0 : 1;
}

export function writeParams(
  writer: WireWriter,
  cells: PreparedCell[],
  emptyWord: boolean,
  schema: number,
  bodyStart: number,
  field: string,
): void {
  if (cells.length === 0 && !emptyWord) return;
  if (schema === 0) {
    if (cells.length > PARAMS_V0_MAX) {
      throw new EncodeError("LIMIT", `${field}: ${cells.length} params need schema 1 (schema 0 holds ${PARAMS_V0_MAX})`, { field });
    }
    writer.u8(cells.length);
  } else {
    writer.u32(cells.length);
  }
  for (const cell of cells) writer.u8(cell.type);
  writer.padFrom(bodyStart);
  for (const cell of cells) cell.write(writer);
}

/** Bytes of a row header: one nibble per column, padded to whole words. */
export function rowHeaderBytes(columns: number): number {
  return padToWord(Math.ceil(columns / 2));
}

/** Reads one row tuple whose header starts at the cursor (markers already ruled out). */
export function readRow(
  reader: WireReader,
  columns: number,
  field: string,
  intMode: IntMode,
  limits: Readonly<Limits>,
  spans?: SpanSink,
): Tuple {
  const headerAt = reader.pos;
  const headerBytes = rowHeaderBytes(columns);
  reader.need(headerBytes, `${field}.header`);
  const types: ValueType[] = new Array(columns);
  const bytes = reader.bytes;
  for (let i = 0; i < columns; i++) {
    const byte = bytes[headerAt + (i >> 1)]!;
    const code = i & 1 ? byte >> 4 : byte & 0x0f;
    if (!isValueType(code)) {
      reader.fail("BAD_VALUE_TYPE", `${field}.header[${i}]`, `nibble ${code} is not a value type`, headerAt + (i >> 1));
    }
    types[i] = code;
  }
  reader.pos = headerAt + headerBytes;
  spans?.(`${field}.header`, headerAt, reader.pos);
  const tuple: Tuple = { types, values: new Array(columns) };
  readCells(reader, tuple, field, intMode, limits, spans);
  return tuple;
}

/** Checks a row and returns a writer for it. Rows carry any type, UNIXTIME included. */
export function prepareRow(row: Tuple, columns: number, field: string, limits: Readonly<Limits>): (writer: WireWriter) => void {
  if (!isTuple(row)) throw new EncodeError("UNSUPPORTED_VALUE", `${field}: a row must be a tuple { types, values }`, { field });
  if (row.types.length !== columns || row.values.length !== columns) {
    throw new EncodeError(
      "BAD_VALUE",
      `${field}: row has ${row.values.length} values and ${row.types.length} types for ${columns} columns`,
      { field },
    );
  }
  const cells: PreparedCell[] = [];
  for (let i = 0; i < columns; i++) {
    const type = row.types[i]!;
    if (!isValueType(type)) {
      throw new EncodeError("BAD_VALUE_TYPE", `${field}[${i}]: ${valueTypeName(type)} is not a value type`, { field: `${field}[${i}]` });
    }
    cells.push(prepareCell(`${field}[${i}]`, type, row.values[i] as CellValue, limits, row.nanBits?.get(i)));
  }
  return (writer) => {
    const headerStart = writer.pos;
    for (let i = 0; i < columns; i += 2) {
      writer.u8(cells[i]!.type | ((cells[i + 1]?.type ?? 0) << 4));
    }
    writer.padFrom(headerStart);
    for (const cell of cells) cell.write(writer);
  };
}
