// Strict UTF-8 both ways, with one ASCII fast path for the short strings that dominate rows.

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// For bytes already checked as strict UTF-8; ignoreBOM keeps a leading U+FEFF as a character,
// exactly as the strict decoder does.
const checkedDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Up to this many bytes, ASCII text is built by one `String.fromCharCode` call over a reused
 * argument array: one flat string and no intermediate ones. A TextDecoder call costs more than
 * that for short strings (a view per call and a trip into the runtime); past a few dozen bytes
 * TextDecoder wins. bench/ measures both on 16–24-byte names.
 */
export const ASCII_FAST_PATH_MAX_BYTES = 64;

/** One argument array per length, refilled for each string (decoding is synchronous). */
const charCodes: number[][] = Array.from({ length: ASCII_FAST_PATH_MAX_BYTES + 1 }, (_, length) => new Array<number>(length).fill(0));

/**
 * The text of bytes[start, end) when it is at most ASCII_FAST_PATH_MAX_BYTES bytes of ASCII, else
 * undefined (the caller then decodes it as UTF-8).
 */
export function shortAscii(bytes: Uint8Array, start: number, end: number): string | undefined {
  const length = end - start;
  if (length > ASCII_FAST_PATH_MAX_BYTES) return undefined;
  const codes = charCodes[length]!;
  let high = 0;
  for (let k = 0; k < length; k++) {
    const byte = bytes[start + k]!;
    high |= byte;
    codes[k] = byte;
  }
  if (high >= 0x80) return undefined;
  return String.fromCharCode.apply(null, codes);
}

/** Decodes bytes[start, end) as strict UTF-8; returns undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  const ascii = shortAscii(bytes, start, end);
  if (ascii !== undefined) return ascii;
  try {
    return strictDecoder.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}

/** Decodes bytes[start, end) that were already checked as strict UTF-8 (a row core does that). */
export function decodeCheckedUtf8(bytes: Uint8Array, start: number, end: number): string {
  return shortAscii(bytes, start, end) ?? checkedDecoder.decode(bytes.subarray(start, end));
}

/** True when the string is well-formed UTF-16 (no lone surrogates), so it encodes losslessly. */
export function isWellFormed(text: string): boolean {
  // String.prototype.isWellFormed is ES2024; Node 20 has it, older engines may not.
  const native = (text as { isWellFormed?: () => boolean }).isWellFormed;
  if (typeof native === "function") return native.call(text);
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** UTF-8 byte length of a well-formed string, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
