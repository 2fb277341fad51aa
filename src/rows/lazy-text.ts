// Decoding of text cells on access. The cores have already checked every text cell as strict
// UTF-8 while decoding (an invalid one fails the whole batch with BAD_TEXT, as the eager codec
// does), so reading a cell later cannot fail and never needs a fatal decoder.

/** Up to this many bytes, a hand loop over ASCII beats a TextDecoder call (measured in bench/). */
export const ASCII_FAST_PATH_MAX_BYTES = 24;

// ignoreBOM keeps a leading U+FEFF as a character, exactly as the codec's strict decoder does.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The string of bytes[start, start + length), which the core validated as UTF-8. */
export function decodeCheckedUtf8(bytes: Uint8Array, start: number, length: number): string {
  if (length <= ASCII_FAST_PATH_MAX_BYTES) {
    const end = start + length;
    let out = "";
    let i = start;
    for (; i < end; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) break;
      out += String.fromCharCode(byte);
    }
    if (i === end) return out;
  }
  return decoder.decode(bytes.subarray(start, start + length));
}
