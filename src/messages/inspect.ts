// Frame inspection for people: the decoded message (or the error) plus the byte span of every
// field, row and item, so a viewer can highlight which bytes carry which field.

import { DecodeError, type WireError, isWireError } from "../errors.ts";
import { HEADER_BYTES, HEADER_RESERVED_OFFSET, HEADER_SCHEMA_OFFSET, HEADER_SIZE_OFFSET, HEADER_TYPE_OFFSET } from "../wire/constants.ts";
import { readHeader } from "../wire/header.ts";
import { type DecodeOptions, decodeBody, resolveDecodeOptions } from "./codec.ts";
import type { Side } from "./codes.ts";
import type { FieldSpan } from "./field-kinds.ts";
import type { Message } from "./types.ts";

export type { FieldSpan };

/** The header's four fields as written, whether or not the frame decodes. */
export interface InspectedHeader {
  /** Body length in 8-byte words. */
  sizeWords: number;
  type: number;
  schema: number;
  /** Written as zero; the decoder ignores it. */
  reserved: number;
}

export interface Inspection {
  /** The decoded message, when the frame is valid. */
  message?: Message;
  /** Why the frame is invalid, when it is. */
  error?: WireError;
  /** The header, when the bytes hold one (even if its size is over the cap or the body is bad). */
  header?: InspectedHeader;
  /** Spans of the header fields, then of every body field decoded (up to the error, if any). */
  fields: FieldSpan[];
}

const HEADER_SPANS: FieldSpan[] = [
  { path: "header.size", start: HEADER_SIZE_OFFSET, end: HEADER_TYPE_OFFSET },
  { path: "header.type", start: HEADER_TYPE_OFFSET, end: HEADER_SCHEMA_OFFSET },
  { path: "header.schema", start: HEADER_SCHEMA_OFFSET, end: HEADER_RESERVED_OFFSET },
  { path: "header.reserved", start: HEADER_RESERVED_OFFSET, end: HEADER_BYTES },
];

function inspectHeader(bytes: Uint8Array): InspectedHeader {
  // No cap here: an oversized frame still shows what its header says.
  const { sizeWords, type, schema } = readHeader(bytes, 0, Number.POSITIVE_INFINITY);
  const reserved = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES).getUint16(HEADER_RESERVED_OFFSET, true);
  return { sizeWords, type, schema, reserved };
}

/** Decodes one frame like decodeFrame, and records where every field came from. Never throws a WireError. */
export function inspectFrame(side: Side, bytes: Uint8Array, options?: DecodeOptions): Inspection {
  const resolved = resolveDecodeOptions(options);
  if (bytes.length < HEADER_BYTES) {
    return {
      error: new DecodeError("TRUNCATED", `header: needs ${HEADER_BYTES} bytes, got ${bytes.length} at offset 0`, { offset: 0 }),
      fields: [],
    };
  }
  const header = inspectHeader(bytes);
  const body: FieldSpan[] = [];
  try {
    const frameHeader = readHeader(bytes, 0, resolved.limits.maxMessageBytes);
    if (bytes.length !== frameHeader.frameBytes) {
      throw new DecodeError(
        bytes.length < frameHeader.frameBytes ? "TRUNCATED" : "BAD_LENGTH",
        `frame: header declares ${frameHeader.frameBytes} bytes, ${bytes.length} present at offset 0`,
        { offset: 0, field: "frame" },
      );
    }
    const message = decodeBody(side, frameHeader, bytes, 0, resolved, 0, body);
    return { message, header, fields: [...HEADER_SPANS, ...body] };
  } catch (error) {
    if (!isWireError(error)) throw error;
    return { error, header, fields: [...HEADER_SPANS, ...body] };
  }
}
