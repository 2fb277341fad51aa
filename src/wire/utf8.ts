// Strict UTF-8 both ways, with one ASCII fast path for the short strings that dominate rows. The
// one validator of the TypeScript side is here (the codec's text and the TS row core use it); the
// WebAssembly core mirrors it with the same bounds (layout.ts, Utf8Bound).

import { Utf8Bound } from "./layout.ts";

// For bytes checked as strict UTF-8; ignoreBOM keeps a leading U+FEFF as a character, exactly as
// a strict decoder does.
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

/**
 * Strict UTF-8 (what a fatal TextDecoder accepts): no overlongs, no surrogates, nothing above
 * U+10FFFF, no truncated sequences. Returns true when bytes[start, end) are valid.
 */
export function isValidUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b0 = bytes[i]!;
    if (b0 < Utf8Bound.AsciiEnd) {
      i++;
      continue;
    }
    if (b0 < Utf8Bound.TwoByteLead) return false;
    if (b0 < Utf8Bound.ThreeByteLead) {
      if (i + 1 >= end || !isContinuation(bytes[i + 1]!)) return false;
      i += 2;
      continue;
    }
    if (b0 < Utf8Bound.FourByteLead) {
      if (i + 2 >= end) return false;
      const b1 = bytes[i + 1]!;
      const lo = b0 === Utf8Bound.OverlongThreeLead ? Utf8Bound.OverlongThreeMin : Utf8Bound.Continuation;
      const hi = b0 === Utf8Bound.SurrogateLead ? Utf8Bound.SurrogateMax : Utf8Bound.ContinuationMax;
      if (b1 < lo || b1 > hi || !isContinuation(bytes[i + 2]!)) return false;
      i += 3;
      continue;
    }
    if (b0 < Utf8Bound.LeadEnd) {
      if (i + 3 >= end) return false;
      const b1 = bytes[i + 1]!;
      const lo = b0 === Utf8Bound.OverlongFourLead ? Utf8Bound.OverlongFourMin : Utf8Bound.Continuation;
      const hi = b0 === Utf8Bound.TopLead ? Utf8Bound.TopMax : Utf8Bound.ContinuationMax;
      if (b1 < lo || b1 > hi || !isContinuation(bytes[i + 2]!) || !isContinuation(bytes[i + 3]!)) return false;
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

function isContinuation(byte: number): boolean {
  return (byte & Utf8Bound.ContinuationMask) === Utf8Bound.Continuation;
}

/** Decodes bytes[start, end) as strict UTF-8; returns undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  const ascii = shortAscii(bytes, start, end);
  if (ascii !== undefined) return ascii;
  if (!isValidUtf8(bytes, start, end)) return undefined;
  return checkedDecoder.decode(bytes.subarray(start, end));
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
