// The FAILURE record that dqlite 1.11 writes after a partly filled ROWS frame, found from the
// end of the body. Frames built by hand here mirror the ones the real node sent in
// streaming.test.ts (columns only, and columns plus rows).

import { describe, expect, it } from "vitest";
import { failureAtEnd } from "../../src/client/failure-tail.ts";

function frame(words: (number | string)[]): Uint8Array {
  const parts: number[] = [];
  for (const word of words) {
    if (typeof word === "number") {
      for (let i = 0; i < 8; i++) parts.push(i < 4 ? (word >>> (8 * i)) & 0xff : 0);
    } else {
      const bytes = [...new TextEncoder().encode(word), 0];
      while (bytes.length % 8 !== 0) bytes.push(0);
      parts.push(...bytes);
    }
  }
  const out = new Uint8Array(8 + parts.length);
  new DataView(out.buffer).setUint32(0, parts.length / 8, true);
  out[4] = 0; // FAILURE
  out.set(parts, 8);
  return out;
}

describe("failureAtEnd", () => {
  it("finds code and message after column names (a failure before the first row)", () => {
    expect(failureAtEnd(frame([2, "i", "CASE WHEN i > 1 THEN x END", 1, "integer overflow"]))).toEqual({ code: 1, message: "integer overflow" });
  });

  it("finds them after rows as well, whatever the rows hold", () => {
    // Two rows of one INTEGER column: header word (type 1) then the value.
    expect(failureAtEnd(frame([1, "n", 0x01, 5, 0x01, 6, 19, "constraint failed"]))).toEqual({ code: 19, message: "constraint failed" });
  });

  it("handles an empty message and a message filling whole words", () => {
    expect(failureAtEnd(frame([1, "n", 5, ""]))).toEqual({ code: 5, message: "" });
    expect(failureAtEnd(frame([1, "n", 5, "12345678"]))).toEqual({ code: 5, message: "12345678" });
  });

  it("gives up (undefined) on bodies that cannot hold such a record", () => {
    expect(failureAtEnd(frame([]))).toBeUndefined();
    expect(failureAtEnd(frame([7]))).toBeUndefined();
    const badUtf8 = frame([1, "n", 1, "ab"]);
    badUtf8[badUtf8.length - 8] = 0xff;
    expect(failureAtEnd(badUtf8)).toBeUndefined();
    // A message beyond the FAILURE message cap is not taken.
    expect(failureAtEnd(frame([1, "n", 1, "x".repeat(100)]), 99)).toBeUndefined();
    expect(failureAtEnd(frame([1, "n", 1, "x".repeat(99)]), 99)).toEqual({ code: 1, message: "x".repeat(99) });
    const hugeCode = frame([1, "n", 1, "boom"]);
    hugeCode[hugeCode.length - 9] = 0x7f; // top byte of the code word
    expect(failureAtEnd(hugeCode)).toBeUndefined();
  });
});
