// The frames that end a result without a DONE marker: EMPTY after PART (the query was
// interrupted) and FAILURE (the server reports an error, also mid-result). They are decoded by
// the message codec, so they obey the same rules as everywhere else; any other message in place
// of a ROWS frame is out of sequence.

import { DecodeError, ServerError } from "../errors.ts";
import { type ResolvedDecodeOptions, decodeBody } from "../messages/codec.ts";
import type { FrameHeader } from "../wire/header.ts";

export type ResultEnd = { state: "interrupted" } | { state: "failed"; error: ServerError };

/**
 * Decodes one whole frame met where a result's next ROWS frame belongs (its header already read
 * and size-checked). `afterRows`: at least one ROWS frame of the result came before.
 */
export function decodeResultEnd(
  header: FrameHeader,
  frame: Uint8Array,
  base: number,
  afterRows: boolean,
  options: ResolvedDecodeOptions,
): ResultEnd {
  const message = decodeBody("response", header, frame, 0, options, base);
  if (message.type === "FAILURE") {
    return { state: "failed", error: new ServerError(Number(message.errorCode), message.message, { offset: base }) };
  }
  if (message.type === "EMPTY" && afterRows) return { state: "interrupted" };
  const what = message.type === "EMPTY" ? "EMPTY before any ROWS frame" : `a ${message.type} response`;
  throw new DecodeError("BAD_SEQUENCE", `result: ${what} where a ROWS frame belongs at offset ${base}`, {
    offset: base,
    field: "header.type",
  });
}
