// The FAILURE a query gets when it fails after the node started its reply (dqlite 1.11: the
// columns, the rows already written into the frame, then the code and message; see
// src/messages/failure-record.ts). Frames here are built word by word; the real node's frames are
// in test/corpus/seeds (response-query-sql-failure-after-*).

import { describe, expect, it } from "vitest";
import { DecodeError, EncodeError } from "../../src/errors.ts";
import { decodeFrame, encodeResponse } from "../../src/messages/codec.ts";

/** A FAILURE frame of these words: numbers as u64, strings as padded text. */
function failure(words: (number | string)[]): Uint8Array {
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
  out.set(parts, 8);
  return out;
}

const decoded = (bytes: Uint8Array) =>
  decodeFrame("response", bytes) as { columns?: string[]; rows?: { values: unknown[] }[]; errorCode: bigint; message: string };

describe("FAILURE after the start of a result", () => {
  it("reads the record after the column names (a failure before the first row)", () => {
    expect(decodeFrame("response", failure([2, "i", "CASE WHEN i > 1 THEN x END", 1, "integer overflow"]))).toMatchObject({
      type: "FAILURE",
      columns: ["i", "CASE WHEN i > 1 THEN x END"],
      errorCode: 1n,
      message: "integer overflow",
    });
  });

  it("reads the rows before the record, whatever they hold", () => {
    // Two rows of one INTEGER column: header word (type 1) then the value; the second a TEXT.
    const message = decoded(failure([1, "n", 0x01, 5, 0x03, "six", 19, "constraint failed"]));
    expect(message).toMatchObject({ columns: ["n"], errorCode: 19n, message: "constraint failed" });
    expect(message.rows!.map((row) => row.values)).toEqual([[5], ["six"]]);
  });

  it("handles an empty message and a message filling whole words", () => {
    expect(decoded(failure([1, "n", 0x01, 7, 5, ""]))).toMatchObject({ errorCode: 5n, message: "" });
    expect(decoded(failure([1, "n", 0x01, 7, 5, "12345678"]))).toMatchObject({ errorCode: 5n, message: "12345678" });
  });

  it("refuses bodies that hold no such record", () => {
    const badUtf8 = failure([1, "n", 0x01, 7, 1, "ab"]);
    badUtf8[badUtf8.length - 8] = 0xff;
    expect(() => decodeFrame("response", badUtf8)).toThrow(DecodeError);
    // A message beyond the FAILURE message cap is not taken.
    expect(() =>
      decodeFrame("response", failure([1, "n", 0x01, 7, 1, "x".repeat(100)]), { limits: { maxFailureMessageBytes: 99 } }),
    ).toThrow(DecodeError);
    expect(
      decodeFrame("response", failure([1, "n", 0x01, 7, 1, "x".repeat(99)]), { limits: { maxFailureMessageBytes: 99 } }),
    ).toMatchObject({ message: "x".repeat(99) });
    const hugeCode = failure([1, "n", 0x01, 7, 1, "boom"]);
    hugeCode[hugeCode.length - 9] = 0x7f; // top byte of the code word
    expect(() => decodeFrame("response", hugeCode)).toThrow(DecodeError);
    // Rows that run into the record.
    expect(() => decodeFrame("response", failure([1, "n", 0x03, 1, "boom"]))).toThrow(DecodeError);
  });

  it("encodes the layout back byte for byte, and refuses what it cannot carry", () => {
    const bytes = failure([1, "n", 0x01, 5, 0x03, "six", 19, "constraint failed"]);
    expect(encodeResponse(decodeFrame("response", bytes) as Parameters<typeof encodeResponse>[0])).toEqual(bytes);
    const base = { type: "FAILURE", columns: ["n"], rows: [{ types: [1], values: [5] }], errorCode: 2n ** 40n, message: "x" } as const;
    expect(() => encodeResponse(base as unknown as Parameters<typeof encodeResponse>[0])).toThrow(EncodeError);
    expect(() => encodeResponse({ ...base, errorCode: 1n, rows: [] } as unknown as Parameters<typeof encodeResponse>[0])).toThrow(
      EncodeError,
    );
  });
});
