// Decoding of text cells on access. The cores have already checked every text cell as strict
// UTF-8 while decoding (an invalid one fails the whole batch with BAD_TEXT, as the eager codec
// does), so reading a cell later cannot fail and never needs a fatal decoder.

/**
 * Up to this many bytes, ASCII text is built by hand: sixteen, then four, then one character per
 * fromCharCode call, which makes few intermediate strings. For 16–24-byte names that is ~105 ns
 * against ~180 ns through TextDecoder, strings kept alive as in `arrays()` (Node 20).
 */
export const ASCII_FAST_PATH_MAX_BYTES = 48;

// ignoreBOM keeps a leading U+FEFF as a character, exactly as the codec's strict decoder does.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The string of bytes[start, start + length), which the core validated as UTF-8. */
export function decodeCheckedUtf8(bytes: Uint8Array, start: number, length: number): string {
  if (length <= ASCII_FAST_PATH_MAX_BYTES) {
    const text = asciiString(bytes, start, start + length);
    if (text !== undefined) return text;
  }
  return decoder.decode(bytes.subarray(start, start + length));
}

/** The text of bytes[start, end) when they are all ASCII, else undefined. */
function asciiString(b: Uint8Array, start: number, end: number): string | undefined {
  let out = "";
  let i = start;
  for (; i + 16 <= end; i += 16) {
    const c0 = b[i]!, c1 = b[i + 1]!, c2 = b[i + 2]!, c3 = b[i + 3]!, c4 = b[i + 4]!, c5 = b[i + 5]!, c6 = b[i + 6]!, c7 = b[i + 7]!;
    const c8 = b[i + 8]!, c9 = b[i + 9]!, c10 = b[i + 10]!, c11 = b[i + 11]!, c12 = b[i + 12]!, c13 = b[i + 13]!, c14 = b[i + 14]!, c15 = b[i + 15]!;
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15) >= 0x80) return undefined;
    out += String.fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
  }
  for (; i + 4 <= end; i += 4) {
    const c0 = b[i]!, c1 = b[i + 1]!, c2 = b[i + 2]!, c3 = b[i + 3]!;
    if ((c0 | c1 | c2 | c3) >= 0x80) return undefined;
    out += String.fromCharCode(c0, c1, c2, c3);
  }
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x80) return undefined;
    out += String.fromCharCode(c);
  }
  return out;
}
