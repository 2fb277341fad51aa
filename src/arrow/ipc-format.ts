// The Arrow IPC stream format, as far as dqlite-wire writes it: the numbers of Arrow's
// Schema.fbs and Message.fbs it uses, the encapsulated message framing, and the metadata of the
// two messages it sends (Schema, RecordBatch). Format reference: the Arrow columnar format
// specification, "Serialization and Interprocess Communication (IPC)".
//
// An encapsulated message is: the continuation marker (int32 -1), the metadata size (int32),
// the Message flatbuffer padded so the body starts 8-aligned, then the body (the buffers, each
// padded to 8 bytes). The stream is the Schema message, the RecordBatch messages, and the
// end-of-stream marker (continuation, then a zero size).

import { type FbTable, encodeFlatBuffer, fb } from "./flatbuffer.ts";

/** MetadataVersion.V5: current since Arrow 1.0. */
const METADATA_V5 = 4;

/** MessageHeader union ids. */
const MessageHeader = { Schema: 1, RecordBatch: 3 } as const;

/** Type union ids of Schema.fbs. */
export const ArrowTypeId = { Null: 1, Int: 2, FloatingPoint: 3, Binary: 4, Utf8: 5, Bool: 6, Timestamp: 10 } as const;

/** FloatingPoint.precision and Timestamp.unit values. */
const Precision = { Double: 2 } as const;
const TimeUnit = { Second: 0 } as const;

/** The 4-byte continuation marker and 4-byte size that open every encapsulated message. */
export const MESSAGE_PREFIX_BYTES = 8;
const CONTINUATION = -1;
/** Arrow requires buffers and message boundaries at multiples of 8 bytes. */
export const ARROW_ALIGN = 8;
/** FieldNode {length, null_count} and Buffer {offset, length}: two int64s each. */
const STRUCT_BYTES = 16;
const INT64_BYTES = 8;

export const padded = (bytes: number): number => Math.ceil(bytes / ARROW_ALIGN) * ARROW_ALIGN;

/** The column types dqlite-wire writes (docs/arrow.md says which cells map to which). */
export type ArrowType = "null" | "int64" | "float64" | "utf8" | "binary" | "bool" | "timestamp[s]";

export const ARROW_TYPES: readonly ArrowType[] = ["null", "int64", "float64", "utf8", "binary", "bool", "timestamp[s]"];

function typeTable(type: ArrowType): { id: number; table: FbTable } {
  switch (type) {
    case "null":
      return { id: ArrowTypeId.Null, table: fb.table() };
    case "int64":
      return { id: ArrowTypeId.Int, table: fb.table(fb.i32(64), fb.bool(true)) };
    case "float64":
      return { id: ArrowTypeId.FloatingPoint, table: fb.table(fb.i16(Precision.Double)) };
    case "utf8":
      return { id: ArrowTypeId.Utf8, table: fb.table() };
    case "binary":
      return { id: ArrowTypeId.Binary, table: fb.table() };
    case "bool":
      return { id: ArrowTypeId.Bool, table: fb.table() };
    case "timestamp[s]":
      return { id: ArrowTypeId.Timestamp, table: fb.table(fb.i16(TimeUnit.Second)) };
  }
}

export interface SchemaField {
  name: string;
  type: ArrowType;
}

/** A Message table around a header. */
function message(headerType: number, header: FbTable, bodyLength: number): FbTable {
  return fb.table(fb.i16(METADATA_V5), fb.u8(headerType), fb.tableField(header), fb.i64(bodyLength));
}

/** The Schema message's flatbuffer. Every field is nullable: any cell may be NULL. */
export function schemaMetadata(fields: readonly SchemaField[]): Uint8Array {
  const fieldTables = fields.map(({ name, type }) => {
    const { id, table } = typeTable(type);
    // Field: name, nullable, type_type, type, dictionary (absent), children (empty, never null:
    // Arrow C++ refuses a field without its children vector).
    return fb.table(fb.string(name), fb.bool(true), fb.u8(id), fb.tableField(table), undefined, fb.tables([]));
  });
  // Schema: endianness (Little, the default), fields.
  return encodeFlatBuffer(message(MessageHeader.Schema, fb.table(undefined, fb.tables(fieldTables)), 0));
}

/** One column's node of a record batch: its length and its null count. */
export interface FieldNode {
  length: number;
  nullCount: number;
}

/** One body buffer: where it starts in the body and its unpadded length. */
export interface BodyBuffer {
  offset: number;
  length: number;
}

/** The RecordBatch message's flatbuffer. */
export function recordBatchMetadata(
  length: number,
  nodes: readonly FieldNode[],
  buffers: readonly BodyBuffer[],
  bodyLength: number,
): Uint8Array {
  const nodeStructs = fb.structs({
    count: nodes.length,
    size: STRUCT_BYTES,
    align: INT64_BYTES,
    write: (view, at, i) => {
      view.setBigInt64(at, BigInt(nodes[i]!.length), true);
      view.setBigInt64(at + INT64_BYTES, BigInt(nodes[i]!.nullCount), true);
    },
  });
  const bufferStructs = fb.structs({
    count: buffers.length,
    size: STRUCT_BYTES,
    align: INT64_BYTES,
    write: (view, at, i) => {
      view.setBigInt64(at, BigInt(buffers[i]!.offset), true);
      view.setBigInt64(at + INT64_BYTES, BigInt(buffers[i]!.length), true);
    },
  });
  return encodeFlatBuffer(message(MessageHeader.RecordBatch, fb.table(fb.i64(length), nodeStructs, bufferStructs), bodyLength));
}

/** Bytes of an encapsulated message whose metadata is `metadataBytes` long (body excluded). */
export function messageHeadBytes(metadataBytes: number): number {
  return MESSAGE_PREFIX_BYTES + padded(metadataBytes);
}

/** Writes the prefix and the padded metadata at `at` of `target`; returns where the body starts. */
export function writeMessageHead(target: Uint8Array, at: number, metadata: Uint8Array): number {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  const size = padded(metadata.length);
  view.setInt32(at, CONTINUATION, true);
  view.setInt32(at + MESSAGE_PREFIX_BYTES / 2, size, true);
  target.set(metadata, at + MESSAGE_PREFIX_BYTES);
  return at + MESSAGE_PREFIX_BYTES + size;
}

/** The Schema message, encapsulated (it has no body). */
export function schemaMessage(fields: readonly SchemaField[]): Uint8Array {
  const metadata = schemaMetadata(fields);
  const out = new Uint8Array(messageHeadBytes(metadata.length));
  writeMessageHead(out, 0, metadata);
  return out;
}

/** The end-of-stream marker: a continuation with a zero metadata size. */
export function endOfStream(): Uint8Array {
  const out = new Uint8Array(MESSAGE_PREFIX_BYTES);
  new DataView(out.buffer).setInt32(0, CONTINUATION, true);
  return out;
}
