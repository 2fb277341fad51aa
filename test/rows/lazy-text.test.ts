// Text cells are checked as strict UTF-8 while decoding (invalid text fails the batch with
// BAD_TEXT, like the eager codec) and decoded only when read: the lazy string must equal what a
// fatal TextDecoder (ignoreBOM, as the codec uses) gives for the same bytes.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../../src/errors.ts";
import { ResultReader } from "../../src/rows/result-reader.ts";
import { initRowEngine } from "../../src/rows/wasm-loader.ts";
import { rowsFrame } from "./build-frames.ts";

await initRowEngine();
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function strictDecode(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

const textBytes = fc
  .oneof(
    fc.string({ unit: "binary", maxLength: 60 }).map((s) => new TextEncoder().encode(s)),
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom(
      Uint8Array.of(0xef, 0xbb, 0xbf, 0x41), // BOM kept as U+FEFF
      Uint8Array.of(0xc0, 0x80), // overlong NUL
      Uint8Array.of(0xed, 0xa0, 0x80), // surrogate
      Uint8Array.of(0xf4, 0x90, 0x80, 0x80), // above U+10FFFF
      Uint8Array.of(0xe2, 0x82), // truncated
    ),
  )
  .map((b) => b.map((x) => (x === 0 ? 0x20 : x)));

describe("lazy text", () => {
  for (const engine of ["js", "wasm"] as const) {
    it(`${engine}: equals a fatal TextDecoder, or fails with BAD_TEXT where it throws`, () => {
      fc.assert(
        fc.property(fc.array(textBytes, { minLength: 1, maxLength: 5 }), (texts) => {
          const frame = rowsFrame(
            ["t"],
            texts.map((utf8) => [{ type: 3, utf8 }]),
          );
          const expected = texts.map(strictDecode);
          const reader = new ResultReader({ engine });
          if (expected.includes(undefined)) {
            expect(() => reader.read(frame)).toThrow(DecodeError);
            try {
              new ResultReader({ engine }).read(frame);
            } catch (error) {
              expect((error as DecodeError).code).toBe("BAD_TEXT");
            }
            return;
          }
          const column = reader.read(frame).batch!.column(0);
          expect(texts.map((_, row) => column.text(row))).toEqual(expected);
          expect(texts.map((_, row) => column.value(row))).toEqual(expected);
        }),
        { numRuns: 400 },
      );
    });
  }
});
