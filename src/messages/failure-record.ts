// Where a FAILURE record (uint64 code, text message) starts when it ends a body whose earlier
// part has no length to follow: dqlite 1.11 answers a query that fails after some rows with a
// FAILURE frame holding `[column count][column names][rows…][code][message]` (gateway.c writes
// the record after what query__batch already put in the buffer). Rows carry no count and the
// record no marker, so the record is found from the end of the body:
// - the message is the NUL-terminated text that ends the body, its padding zeroed (the server's
//   text encoder zeroes it), so it is the run of non-zero bytes before the trailing zeros;
// - an empty message is one zero word, so more than eight trailing zeros mean the text is the
//   last word;
// - the code is the word before the text, a SQLite code: its top four bytes are zero, which is
//   also what ends the run of non-zero bytes on the left of the text.

import { WORD_BYTES } from "../wire/constants.ts";

/** The largest code a FAILURE record after rows may carry (SQLite codes fit 32 bits). */
export const FAILURE_RECORD_MAX_CODE = 0xffffffff;

/**
 * The offset in `bytes` where the FAILURE record that ends bytes[start, end) begins, or
 * undefined when no record can end there: the text is not word aligned, longer than
 * `maxMessageBytes`, or the code word before it has bits above 32. `start` and `end` are word
 * aligned relative to each other (whole words of a body).
 */
export function failureRecordStart(bytes: Uint8Array, start: number, end: number, maxMessageBytes: number): number | undefined {
  if (end - start < 2 * WORD_BYTES || (end - start) % WORD_BYTES !== 0) return undefined;
  let last = end - 1;
  while (last >= start && bytes[last] === 0) last--;
  let textStart: number;
  if (end - 1 - last > WORD_BYTES) {
    textStart = end - WORD_BYTES;
  } else {
    textStart = last;
    while (textStart > start && bytes[textStart - 1] !== 0) textStart--;
  }
  const textBytes = textStart > last ? 0 : last - textStart + 1;
  if (textBytes > maxMessageBytes) return undefined;
  const paddedText = Math.ceil((textBytes + 1) / WORD_BYTES) * WORD_BYTES;
  if ((textStart - start) % WORD_BYTES !== 0 || textStart - start < WORD_BYTES || textStart + paddedText !== end) return undefined;
  const codeAt = textStart - WORD_BYTES;
  for (let i = 4; i < WORD_BYTES; i++) if (bytes[codeAt + i] !== 0) return undefined;
  return codeAt;
}
