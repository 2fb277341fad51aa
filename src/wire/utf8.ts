// Strict UTF-8 both ways, with an ASCII fast path for the short strings that dominate rows.

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Below this many bytes a hand loop beats a TextDecoder call for ASCII. */
const ASCII_FAST_PATH_MAX_BYTES = 32;

/** Decodes bytes[start, end) as strict UTF-8; returns undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  const length = end - start;
  if (length <= ASCII_FAST_PATH_MAX_BYTES) {
    let out = "";
    let i = start;
    for (; i < end; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) break;
      out += String.fromCharCode(byte);
    }
    if (i === end) return out;
  }
  try {
    return strictDecoder.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
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
