// A FAILURE that interrupts a result in the middle of a frame. dqlite 1.11 builds each ROWS
// frame in a buffer and, when a later row fails (an overflow, a constraint in a function…),
// writes the FAILURE record after what the buffer already holds: the body is then
// `[column count][column names][rows…][code][message]`. The rows have no count and no marker,
// so the record is found from the end: the message is the NUL-terminated, zero-padded text
// that ends the body, and the code is the word before it (a small number: its top bytes are 0).

import { DEFAULT_LIMITS } from "../limits.ts";
import { HEADER_BYTES, WORD_BYTES } from "../wire/constants.ts";

const MAX_FAILURE_CODE = 0xffffffff;
const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The FAILURE record at the end of a frame's body, or undefined when it cannot be found or its
 * message is longer than `maxMessageBytes` (the FAILURE message cap).
 */
export function failureAtEnd(
  frame: Uint8Array,
  maxMessageBytes: number = DEFAULT_LIMITS.maxFailureMessageBytes,
): { code: number; message: string } | undefined {
  const body = frame.subarray(HEADER_BYTES);
  const length = body.length;
  if (length < 2 * WORD_BYTES || length % WORD_BYTES !== 0) return undefined;
  // A message ends with 1 to 8 zero bytes (its NUL and padding). More zeros than that: the
  // message is empty (one zero word) and the zeros run on into the code's top bytes.
  let last = length - 1;
  while (last >= 0 && body[last] === 0) last--;
  let textStart: number;
  if (length - 1 - last > WORD_BYTES) {
    textStart = length - WORD_BYTES;
    last = textStart - 1;
  } else {
    let first = last;
    while (first > 0 && body[first - 1] !== 0) first--;
    textStart = first;
  }
  // The text takes whole words: its bytes, the NUL, the padding.
  const textBytes = last < textStart ? 0 : last - textStart + 1;
  if (textBytes > maxMessageBytes) return undefined;
  const paddedText = Math.ceil((textBytes + 1) / WORD_BYTES) * WORD_BYTES;
  if (textStart % WORD_BYTES !== 0 || textStart < WORD_BYTES || textStart + paddedText !== length) return undefined;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const code = view.getBigUint64(textStart - WORD_BYTES, true);
  if (code > BigInt(MAX_FAILURE_CODE)) return undefined;
  let message: string;
  try {
    message = fatalUtf8.decode(body.subarray(textStart, textStart + textBytes));
  } catch {
    return undefined;
  }
  return { code: Number(code), message };
}
