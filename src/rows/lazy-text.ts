// Decoding of text cells on access. The cores have already checked every text cell as strict
// UTF-8 while decoding (an invalid one fails the whole batch with BAD_TEXT, as the eager codec
// does), so reading a cell later cannot fail and never needs a fatal decoder.

/**
 * Up to this many bytes, ASCII text is built by hand, eight characters per fromCharCode call:
 * ~80 ns for 20 bytes against ~120 ns for a TextDecoder call (bench/, Node 20).
 */
export const ASCII_FAST_PATH_MAX_BYTES = 48;

// ignoreBOM keeps a leading U+FEFF as a character, exactly as the codec's strict decoder does.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The string of bytes[start, start + length), which the core validated as UTF-8. */
export function decodeCheckedUtf8(bytes: Uint8Array, start: number, length: number): string {
  if (length <= ASCII_FAST_PATH_MAX_BYTES) {
    const end = start + length;
    let out = "";
    let i = start;
    for (; i + 8 <= end; i += 8) {
      const a = bytes[i]!, b = bytes[i + 1]!, c = bytes[i + 2]!, d = bytes[i + 3]!;
      const e = bytes[i + 4]!, f = bytes[i + 5]!, g = bytes[i + 6]!, h = bytes[i + 7]!;
      if ((a | b | c | d | e | f | g | h) >= 0x80) break;
      out += String.fromCharCode(a, b, c, d, e, f, g, h);
    }
    for (; i < end; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) break;
      out += String.fromCharCode(byte);
    }
    if (i === end) return out;
  }
  return decoder.decode(bytes.subarray(start, start + length));
}
