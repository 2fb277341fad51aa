// The frames that end a result without a DONE marker: EMPTY after PART (the query was
// interrupted) and FAILURE (the server reports an error, also mid-result). Anything else in
// place of a ROWS frame is out of sequence.

import { DecodeError, ServerError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import { ResponseType } from "../messages/codes.ts";
import { HEADER_BYTES } from "../wire/constants.ts";
import { WireReader } from "../wire/reader.ts";

export type ResultEnd = { state: "interrupted" } | { state: "failed"; error: ServerError };

/** Decodes one whole non-ROWS frame met where a result's next frame belongs. */
export function decodeResultEnd(frame: Uint8Array, base: number, afterRows: boolean, limits: Readonly<Limits>): ResultEnd {
  const type = frame[4]!;
  const reader = new WireReader(frame, HEADER_BYTES, frame.length, base);
  if (type === ResponseType.Failure) {
    const code = reader.u64("FAILURE.code");
    const message = reader.text("FAILURE.message", limits.maxFailureMessageBytes);
    return { state: "failed", error: new ServerError(Number(code), message, { offset: base }) };
  }
  if (type === ResponseType.Empty && afterRows) {
    if (reader.remaining !== 8) reader.fail("BAD_LENGTH", "EMPTY", `body of ${reader.remaining} bytes, expected 8`);
    return { state: "interrupted" };
  }
  const what = type === ResponseType.Empty ? "EMPTY before any ROWS frame" : `response type ${type}`;
  throw new DecodeError("BAD_SEQUENCE", `result: ${what} where a ROWS frame belongs at offset ${base}`, {
    offset: base,
    field: "header.type",
  });
}
