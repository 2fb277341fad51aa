// Frame inspection for people: the decoded message (or the error) plus the byte span of every
// field, row and item, so a viewer can highlight which bytes carry which field.

import { DecodeError, type WireError, isWireError } from "../errors.ts";
import { HEADER_BYTES } from "../wire/constants.ts";
import { readHeader } from "../wire/header.ts";
import { type DecodeOptions, decodeBody, resolveDecodeOptions } from "./codec.ts";
import type { Side } from "./codes.ts";
import type { FieldSpan } from "./field-kinds.ts";
import type { Message } from "./types.ts";

export type { FieldSpan };

export interface Inspection {
  /** The decoded message, when the frame is valid. */
  message?: Message;
  /** Why the frame is invalid, when it is. */
  error?: WireError;
  /** Spans of the header fields, then of every body field decoded (up to the error, if any). */
  fields: FieldSpan[];
}

const HEADER_SPANS: FieldSpan[] = [
  { path: "header.size", start: 0, end: 4 },
  { path: "header.type", start: 4, end: 5 },
  { path: "header.schema", start: 5, end: 6 },
  { path: "header.reserved", start: 6, end: 8 },
];

/** Decodes one frame like decodeFrame, and records where every field came from. Never throws a WireError. */
export function inspectFrame(side: Side, bytes: Uint8Array, options?: DecodeOptions): Inspection {
  const resolved = resolveDecodeOptions(options);
  if (bytes.length < HEADER_BYTES) {
    return { error: new DecodeError("TRUNCATED", `header: needs ${HEADER_BYTES} bytes, got ${bytes.length} at offset 0`, { offset: 0 }), fields: [] };
  }
  const body: FieldSpan[] = [];
  try {
    const header = readHeader(bytes, 0, resolved.limits.maxMessageBytes);
    if (bytes.length !== header.frameBytes) {
      throw new DecodeError(
        bytes.length < header.frameBytes ? "TRUNCATED" : "BAD_LENGTH",
        `frame: header declares ${header.frameBytes} bytes, ${bytes.length} present at offset 0`,
        { offset: 0, field: "frame" },
      );
    }
    const message = decodeBody(side, header, bytes, 0, resolved, 0, body);
    return { message, fields: [...HEADER_SPANS, ...body] };
  } catch (error) {
    if (!isWireError(error)) throw error;
    return { error, fields: [...HEADER_SPANS, ...body] };
  }
}
