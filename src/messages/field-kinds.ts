// How each field kind is read and written. These are the only per-kind routines; messages are
// never hand-coded. Every read is bounded by the body and the caps; every write checks the value
// as strictly as the read would, so the encoder never emits a frame the decoder refuses.

import { EncodeError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import { type Tuple, checkedText } from "../values/cell.ts";
import type { IntMode } from "../values/int-mode.ts";
import { paramsSchemaFor, prepareParams, prepareRow, readParams, readRow, writeParams, type ParamsInput } from "../values/tuple.ts";
import { ROWS_DONE_BYTE, ROWS_PART_BYTE, WORD_BYTES } from "../wire/constants.ts";
import type { WireReader } from "../wire/reader.ts";
import type { WireWriter } from "../wire/writer.ts";
import { FAILURE_RECORD_MAX_CODE, failureRecordStart } from "./failure-record.ts";
import type { FieldKind, FieldSpec } from "./fields.ts";
import type { FileEntry, NodeInfo, NodeInput, RowsMarker } from "./types.ts";

const U32_MAX = 0xffffffff;
const U64_MAX = 2n ** 64n - 1n;

export interface DecodeContext {
  reader: WireReader;
  /** Position of the body's first byte in `reader.bytes` (padding is relative to it). */
  bodyStart: number;
  schema: number;
  intMode: IntMode;
  limits: Readonly<Limits>;
  /** The message decoded so far (later fields may depend on earlier ones). */
  message: Record<string, unknown>;
  /** Field path prefix for errors, e.g. "ROWS". */
  path: string;
  /** When set, every field and item records the bytes it came from (for inspectors). */
  trace?: FieldSpan[];
}

/** Where a decoded field came from: bytes [start, end) of the frame (header included). */
export interface FieldSpan {
  path: string;
  start: number;
  end: number;
}

/** A span sink for tuple readers, or undefined when not tracing. */
function spanSink(ctx: DecodeContext): ((path: string, start: number, end: number) => void) | undefined {
  const trace = ctx.trace;
  if (trace === undefined) return undefined;
  const shift = 8 - ctx.bodyStart;
  return (path, start, end) => trace.push({ path, start: start + shift, end: end + shift });
}

/** Records the span [start, cursor) of an item just read, relative to the frame start. */
function recordSpan(ctx: DecodeContext, path: string, start: number): void {
  ctx.trace?.push({ path, start: start - ctx.bodyStart + 8, end: ctx.reader.pos - ctx.bodyStart + 8 });
}

export interface EncodeContext {
  writer: WireWriter;
  bodyStart: number;
  /** The header schema; `undefined` while the encoder may still choose it. */
  schema: number | undefined;
  limits: Readonly<Limits>;
  message: Record<string, unknown>;
  path: string;
}

interface KindCodec {
  read(ctx: DecodeContext, spec: FieldSpec, name: string): unknown;
  write(ctx: EncodeContext, spec: FieldSpec, name: string, value: unknown): void;
}

function encodeFail(code: "BAD_VALUE" | "LIMIT" | "UNSUPPORTED_VALUE" | "INCONSISTENT", field: string, problem: string): never {
  throw new EncodeError(code, `${field}: ${problem}`, { field });
}

function capOf(spec: FieldSpec, limits: Readonly<Limits>): number {
  return spec.cap === undefined ? Number.MAX_SAFE_INTEGER : limits[spec.cap];
}

/** A uint64 from number or bigint, range-checked. */
function toU64(value: unknown, field: string): bigint {
  if (typeof value === "bigint") {
    if (value < 0n || value > U64_MAX) encodeFail("BAD_VALUE", field, `${value} is outside the uint64 range`);
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      encodeFail("BAD_VALUE", field, `${value} is not a non-negative safe integer (pass a bigint for large values)`);
    }
    return BigInt(value);
  }
  return encodeFail("UNSUPPORTED_VALUE", field, `expected an integer, got ${typeof value}`);
}

function toCount(value: unknown, field: string, cap: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    return encodeFail("BAD_VALUE", field, `expected a non-negative integer, got ${String(value)}`);
  }
  if (value > cap) encodeFail("LIMIT", field, `${value} exceeds the cap of ${cap}`);
  return value;
}

function toText(value: unknown, field: string, spec: FieldSpec, limits: Readonly<Limits>): Uint8Array {
  if (typeof value !== "string") return encodeFail("UNSUPPORTED_VALUE", field, `expected a string, got ${typeof value}`);
  if (spec.nonEmpty && value === "") encodeFail("BAD_VALUE", field, "must not be empty");
  return checkedText(field, value, capOf(spec, limits));
}

/** Reads `count` from a uint64 and checks that `count` items of at least `minBytes` can fit. */
function readCount(ctx: DecodeContext, field: string, cap: number, minBytes: number, what: string): number {
  const { reader } = ctx;
  const at = reader.pos;
  const count = reader.u64AsCount(field, cap, what);
  if (count * minBytes > reader.remaining) {
    reader.fail("TRUNCATED", field, `${count} ${what} cannot fit the ${reader.remaining} bytes left`, at);
  }
  return count;
}

const kinds: Record<FieldKind, KindCodec> = {
  u32: {
    read: (ctx, _spec, name) => ctx.reader.u32(name),
    write(ctx, _spec, name, value) {
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > U32_MAX) {
        encodeFail("BAD_VALUE", name, `${String(value)} is not a uint32`);
      }
      ctx.writer.u32(value);
    },
  },
  u64: {
    read(ctx, spec, name) {
      const at = ctx.reader.pos;
      const value = ctx.reader.u64(name);
      if (spec.nonZero && value === 0n) ctx.reader.fail("BAD_VALUE", name, "must not be 0", at);
      return value;
    },
    write(ctx, spec, name, value) {
      const big = toU64(value, name);
      if (spec.nonZero && big === 0n) encodeFail("BAD_VALUE", name, "must not be 0");
      ctx.writer.u64(big);
    },
  },
  count64: {
    read: (ctx, spec, name) => ctx.reader.u64AsCount(name, capOf(spec, ctx.limits), name),
    write: (ctx, spec, name, value) => ctx.writer.u64(BigInt(toCount(value, name, capOf(spec, ctx.limits)))),
  },
  enum64: {
    read(ctx, spec, name) {
      const at = ctx.reader.pos;
      const value = ctx.reader.u64(name);
      if (value > 255n || !spec.values!.includes(Number(value))) {
        ctx.reader.fail("BAD_VALUE", name, `${value} is not one of ${spec.values!.join(", ")}`, at);
      }
      return Number(value);
    },
    write(ctx, spec, name, value) {
      if (typeof value !== "number" || !spec.values!.includes(value)) {
        encodeFail("BAD_VALUE", name, `${String(value)} is not one of ${spec.values!.join(", ")}`);
      }
      ctx.writer.u64(BigInt(value));
    },
  },
  zero64: {
    read(ctx, _spec, name) {
      const at = ctx.reader.pos;
      if (ctx.reader.u64(name) !== 0n) ctx.reader.fail("BAD_VALUE", name, "reserved word must be zero", at);
      return undefined;
    },
    write: (ctx) => ctx.writer.u64(0n),
  },
  pad32: {
    read: (ctx, _spec, name) => ctx.reader.skip(4, name),
    write: (ctx) => ctx.writer.zeros(4),
  },
  pad64: {
    read: (ctx, _spec, name) => ctx.reader.skip(8, name),
    write: (ctx) => ctx.writer.zeros(8),
  },
  text: {
    read(ctx, spec, name) {
      const at = ctx.reader.pos;
      const value = ctx.reader.text(name, capOf(spec, ctx.limits));
      if (spec.nonEmpty && value === "") ctx.reader.fail("BAD_VALUE", name, "must not be empty", at);
      return value;
    },
    write: (ctx, spec, name, value) => ctx.writer.text(toText(value, name, spec, ctx.limits)),
  },
  params: {
    read: (ctx, _spec, name) => readParams(ctx.reader, ctx.schema, ctx.bodyStart, name, ctx.intMode, ctx.limits, spanSink(ctx)),
    write(ctx, _spec, name, value) {
      const { cells, emptyWord } = prepareParams(value as ParamsInput | undefined, name, ctx.limits);
      ctx.schema ??= paramsSchemaFor(cells.length);
      writeParams(ctx.writer, cells, emptyWord, ctx.schema, ctx.bodyStart, name);
    },
  },
  columns: {
    read(ctx, spec, name) {
      const count = readCount(ctx, name, capOf(spec, ctx.limits), WORD_BYTES, "columns");
      const names: string[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const start = ctx.reader.pos;
        names[i] = ctx.reader.text(`${name}[${i}]`, ctx.limits.maxNameBytes);
        if (ctx.trace !== undefined) recordSpan(ctx, `${name}[${i}]`, start);
      }
      return names;
    },
    write(ctx, spec, name, value) {
      if (!Array.isArray(value)) encodeFail("UNSUPPORTED_VALUE", name, "expected an array of column names");
      toCount(value.length, name, capOf(spec, ctx.limits));
      const encoded = value.map((column, i) => toText(column, `${name}[${i}]`, { kind: "text", cap: "maxNameBytes" }, ctx.limits));
      ctx.writer.u64(BigInt(encoded.length));
      for (const utf8 of encoded) ctx.writer.text(utf8);
    },
  },
  rows: {
    read(ctx, spec, name) {
      const { reader } = ctx;
      const columns = (ctx.message["columns"] as string[]).length;
      const cap = capOf(spec, ctx.limits);
      const spans = spanSink(ctx);
      const rows: Tuple[] = [];
      // Rows before a FAILURE record end where the record begins, found from the end of the body.
      const recordAt =
        spec.until === "failure" ? failureRecordStart(reader.bytes, reader.pos, reader.end, ctx.limits.maxFailureMessageBytes) : undefined;
      if (spec.until === "failure" && (recordAt === undefined || recordAt === reader.pos || columns === 0)) {
        reader.fail("BAD_LENGTH", name, "no rows followed by a FAILURE record end the body");
      }
      for (;;) {
        if (recordAt !== undefined) {
          if (reader.pos === recordAt) return rows;
          if (reader.pos > recordAt) reader.fail("BAD_LENGTH", name, "the rows run into the FAILURE record that ends the body");
        } else {
          if (reader.remaining < WORD_BYTES) reader.fail("BAD_MARKER", name, "rows end without a DONE or PART marker");
          if (reader.isWordOf(ROWS_DONE_BYTE) || reader.isWordOf(ROWS_PART_BYTE)) return rows;
          if (columns === 0) reader.fail("BAD_MARKER", name, "a zero-column result holds only its end marker");
        }
        // Each row takes at least its header, so this loop is bounded by the bytes present.
        const path = `${name}[${rows.length}]`;
        const start = reader.pos;
        rows.push(readRow(reader, columns, path, ctx.intMode, ctx.limits, spans));
        recordSpan(ctx, path, start);
        if (rows.length >= cap) reader.fail("LIMIT", name, `a frame of ${rows.length} rows reaches the cap of ${cap} (exclusive)`);
      }
    },
    write(ctx, spec, name, value) {
      if (!Array.isArray(value)) encodeFail("UNSUPPORTED_VALUE", name, "expected an array of row tuples");
      const columns = (ctx.message["columns"] as readonly string[]).length;
      const cap = capOf(spec, ctx.limits);
      if (value.length >= cap) encodeFail("LIMIT", name, `${value.length} rows reach the per-frame cap of ${cap} (exclusive)`);
      if (columns === 0 && value.length > 0) encodeFail("BAD_VALUE", name, "a zero-column result cannot hold rows");
      if (spec.until === "failure") {
        if (value.length === 0) encodeFail("BAD_VALUE", name, "a FAILURE with rows holds at least one (without rows, leave `rows` out)");
        const code = ctx.message["errorCode"];
        if ((typeof code === "bigint" || typeof code === "number") && BigInt(code) > BigInt(FAILURE_RECORD_MAX_CODE)) {
          encodeFail("BAD_VALUE", "FAILURE.errorCode", `a FAILURE record after rows carries a code of at most 32 bits (got ${code})`);
        }
      }
      const writers = value.map((row: Tuple, i) => prepareRow(row, columns, `${name}[${i}]`, ctx.limits));
      for (const write of writers) write(ctx.writer);
    },
  },
  marker: {
    read(ctx, _spec, name) {
      const { reader } = ctx;
      const marker: RowsMarker = reader.isWordOf(ROWS_DONE_BYTE) ? "DONE" : "PART";
      reader.skip(WORD_BYTES, name);
      return marker;
    },
    write(ctx, _spec, name, value) {
      if (value !== "DONE" && value !== "PART") encodeFail("BAD_VALUE", name, `expected "DONE" or "PART", got ${String(value)}`);
      const byte = value === "DONE" ? ROWS_DONE_BYTE : ROWS_PART_BYTE;
      for (let i = 0; i < WORD_BYTES; i++) ctx.writer.u8(byte);
    },
  },
  nodes: {
    read(ctx, spec, name) {
      const { reader } = ctx;
      // Each node takes at least id (8) + address (8) + role (8) bytes.
      const count = readCount(ctx, name, capOf(spec, ctx.limits), 3 * WORD_BYTES, "nodes");
      const nodes: NodeInfo[] = new Array(count);
      const seen = new Set<bigint>();
      for (let i = 0; i < count; i++) {
        const path = `${name}[${i}]`;
        const idAt = reader.pos;
        const id = reader.u64(`${path}.id`);
        if (id === 0n) reader.fail("BAD_VALUE", `${path}.id`, "node id must not be 0", idAt);
        if (seen.has(id)) reader.fail("INCONSISTENT", `${path}.id`, `duplicate node id ${id}`, idAt);
        seen.add(id);
        const addressAt = reader.pos;
        const address = reader.text(`${path}.address`, ctx.limits.maxAddressBytes);
        if (address === "") reader.fail("BAD_VALUE", `${path}.address`, "address must not be empty", addressAt);
        const roleAt = reader.pos;
        const role = reader.u64(`${path}.role`);
        if (role > 2n) reader.fail("BAD_VALUE", `${path}.role`, `unknown role ${role}`, roleAt);
        nodes[i] = { id, address, role: Number(role) };
        recordSpan(ctx, path, idAt);
      }
      return nodes;
    },
    write(ctx, spec, name, value) {
      if (!Array.isArray(value)) encodeFail("UNSUPPORTED_VALUE", name, "expected an array of nodes");
      toCount(value.length, name, capOf(spec, ctx.limits));
      const seen = new Set<bigint>();
      const prepared = (value as NodeInput[]).map((node, i) => {
        const path = `${name}[${i}]`;
        const id = toU64(node?.id, `${path}.id`);
        if (id === 0n) encodeFail("BAD_VALUE", `${path}.id`, "node id must not be 0");
        if (seen.has(id)) encodeFail("INCONSISTENT", `${path}.id`, `duplicate node id ${id}`);
        seen.add(id);
        const address = toText(node.address, `${path}.address`, { kind: "text", cap: "maxAddressBytes", nonEmpty: true }, ctx.limits);
        if (node.role !== 0 && node.role !== 1 && node.role !== 2)
          encodeFail("BAD_VALUE", `${path}.role`, `unknown role ${String(node.role)}`);
        return { id, address, role: node.role };
      });
      ctx.writer.u64(BigInt(prepared.length));
      for (const node of prepared) {
        ctx.writer.u64(node.id);
        ctx.writer.text(node.address);
        ctx.writer.u64(BigInt(node.role));
      }
    },
  },
  files: {
    read(ctx, spec, name) {
      const { reader } = ctx;
      // Each file takes at least a name word and a size word.
      const count = readCount(ctx, name, capOf(spec, ctx.limits), 2 * WORD_BYTES, "files");
      const files: FileEntry[] = new Array(count);
      const seen = new Set<string>();
      for (let i = 0; i < count; i++) {
        const path = `${name}[${i}]`;
        const nameAt = reader.pos;
        const fileName = reader.text(`${path}.name`, ctx.limits.maxNameBytes);
        if (seen.has(fileName)) reader.fail("INCONSISTENT", `${path}.name`, `duplicate file name ${JSON.stringify(fileName)}`, nameAt);
        seen.add(fileName);
        const sizeAt = reader.pos;
        const size = reader.u64AsCount(`${path}.size`, ctx.limits.maxValueBytes, "file size");
        if (size % WORD_BYTES !== 0) reader.fail("BAD_VALUE", `${path}.size`, `file size ${size} is not a multiple of 8`, sizeAt);
        files[i] = { name: fileName, content: reader.raw(size, `${path}.content`) };
        recordSpan(ctx, path, nameAt);
      }
      return files;
    },
    write(ctx, spec, name, value) {
      if (!Array.isArray(value)) encodeFail("UNSUPPORTED_VALUE", name, "expected an array of files");
      toCount(value.length, name, capOf(spec, ctx.limits));
      const seen = new Set<string>();
      const prepared = (value as FileEntry[]).map((file, i) => {
        const path = `${name}[${i}]`;
        const fileName = toText(file?.name, `${path}.name`, { kind: "text", cap: "maxNameBytes" }, ctx.limits);
        if (seen.has(file.name)) encodeFail("INCONSISTENT", `${path}.name`, `duplicate file name ${JSON.stringify(file.name)}`);
        seen.add(file.name);
        if (!(file.content instanceof Uint8Array)) encodeFail("UNSUPPORTED_VALUE", `${path}.content`, "expected a Uint8Array");
        if (file.content.length % WORD_BYTES !== 0) {
          encodeFail("BAD_VALUE", `${path}.content`, `file content of ${file.content.length} bytes is not a multiple of 8`);
        }
        if (file.content.length > ctx.limits.maxValueBytes) {
          encodeFail("LIMIT", `${path}.content`, `file content exceeds the cap of ${ctx.limits.maxValueBytes} bytes`);
        }
        return { name: fileName, content: file.content };
      });
      ctx.writer.u64(BigInt(prepared.length));
      for (const file of prepared) {
        ctx.writer.text(file.name);
        ctx.writer.u64(BigInt(file.content.length));
        ctx.writer.bytes(file.content);
      }
    },
  },
};

export function readField(ctx: DecodeContext, spec: FieldSpec): unknown {
  const name = spec.name === undefined ? `${ctx.path}.${spec.kind}` : `${ctx.path}.${spec.name}`;
  const start = ctx.reader.pos;
  const value = kinds[spec.kind].read(ctx, spec, name);
  recordSpan(ctx, name, start);
  return value;
}

export function writeField(ctx: EncodeContext, spec: FieldSpec, value: unknown): void {
  const name = spec.name === undefined ? `${ctx.path}.${spec.kind}` : `${ctx.path}.${spec.name}`;
  kinds[spec.kind].write(ctx, spec, name, value);
}
