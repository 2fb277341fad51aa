// Defects the fuzzer found, each pinned by the behaviour the codec must have. The minimised
// inputs themselves are in test/corpus/regressions/ (replayed by corpus.test.ts); these tests
// state the rule each one breaks in plain terms. See docs/fuzzing.md for the list and fixes.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { DEFAULT_LIMITS } from "../../src/limits.ts";
import { decodeFrame, encodeMessage } from "../../src/messages/codec.ts";
import { repoRoot } from "../../fuzz/seed-pool.ts";
import { fromHex, toHex } from "../../fuzz/same.ts";

function errorOf(run: () => unknown): { name: string; code: string; offset: number } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    const e = error as { name: string; code: string; offset: number };
    return { name: e.name, code: e.code, offset: e.offset };
  }
}

describe("ADD and CONNECT with an empty address", () => {
  // Found as: a decoded ADD does not encode (BAD_VALUE ADD.address: must not be empty).
  for (const [name, type] of [
    ["ADD", 12],
    ["CONNECT", 11],
  ] as const) {
    it(`${name}: the decoder refuses what the encoder refuses`, () => {
      // id 2, address "" (one zero word).
      const frame = fromHex(`02000000${type.toString(16).padStart(2, "0")}000000 0200000000000000 0000000000000000`);
      expect(errorOf(() => encodeMessage("request", { type: name, id: 2n, address: "" } as never))?.code).toBe("BAD_VALUE");
      expect(errorOf(() => decodeFrame("request", frame, { allowInternal: true }))).toEqual({
        name: "DecodeError",
        code: "BAD_VALUE",
        offset: 16,
      });
    });
  }
});

describe("ISO8601 cells hold any text", () => {
  // A real node types every text of a DATETIME column ISO8601 ("hello" included): recorded in
  // test/corpus/seeds/response-query-sql-iso-text.json.
  const seed = JSON.parse(readFileSync(join(repoRoot(), "test", "corpus", "seeds", "response-query-sql-iso-text.json"), "utf8")) as {
    hex: string;
  };

  it("a ROWS frame of a real node with non-ISO ISO8601 cells re-encodes byte for byte", () => {
    const frame = fromHex(seed.hex);
    const message = decodeFrame("response", frame);
    expect(message.type === "ROWS" && message.rows.map((row) => row.values[0])).toEqual(["hello", "2026-13-45 nonsense", ""]);
    expect(toHex(encodeMessage("response", message))).toBe(seed.hex);
  });

  it("a decoded EXEC whose ISO8601 param is not a time re-encodes to the same frame", () => {
    // EXEC db=1 stmt=2, one ISO8601 param "soon".
    const hex = "0300000005000000 0100000002000000 010a000000000000 736f6f6e00000000".replace(/ /g, "");
    const message = decodeFrame("request", fromHex(hex));
    expect(toHex(encodeMessage("request", message))).toBe(hex);
  });
});

describe("FAILURE with a message over the cap", () => {
  // Found as: decodes under tight caps (message cap 16) as the columns-prefixed layout, with the
  // first 8 bytes of the message taken as the error code.
  it("is refused as LIMIT, not re-read as the columns-prefixed layout with a garbage code", () => {
    const message = "x".repeat(64 * 1024 + 7);
    const text = new Uint8Array(Math.ceil((message.length + 1) / 8) * 8);
    text.set(new TextEncoder().encode(message));
    const frame = new Uint8Array(16 + text.length);
    new DataView(frame.buffer).setUint32(0, (8 + text.length) / 8, true);
    frame.set(text, 16); // code 0, then the text
    expect(errorOf(() => decodeFrame("response", frame))).toEqual({ name: "DecodeError", code: "LIMIT", offset: 16 });
  });

  it("under a small cap as well", () => {
    // code 0, "SELECT t FROM iso" (17 bytes) with maxFailureMessageBytes 16.
    const frame = fromHex("0400000000000000 0000000000000000 53454c4543542074 2046524f4d206973 6f00000000000000".replace(/ /g, ""));
    expect(decodeFrame("response", frame)).toMatchObject({ type: "FAILURE", errorCode: 0n, message: "SELECT t FROM iso" });
    expect(errorOf(() => decodeFrame("response", frame, { limits: { maxFailureMessageBytes: 16 } }))).toEqual({
      name: "DecodeError",
      code: "LIMIT",
      offset: 16,
    });
  });
});

describe("a FAILURE record after the rows of a frame", () => {
  // Found by reading: the codec caps FAILURE messages at maxFailureMessageBytes, and the record
  // found from the end of a body after rows must obey the same cap.
  it("is not read when its message is longer than the FAILURE message cap", () => {
    const message = "x".repeat(DEFAULT_LIMITS.maxFailureMessageBytes + 1);
    const text = new Uint8Array(Math.ceil((message.length + 1) / 8) * 8);
    text.set(new TextEncoder().encode(message));
    // FAILURE body: one column "a", one INTEGER row, then code 1 and the message.
    const head = fromHex("0100000000000000 6100000000000000 0100000000000000 2a00000000000000 0100000000000000".replace(/ /g, ""));
    const frame = new Uint8Array(8 + head.length + text.length);
    new DataView(frame.buffer).setUint32(0, (head.length + text.length) / 8, true);
    frame[4] = 0;
    frame.set(head, 8);
    frame.set(text, 8 + head.length);
    expect(errorOf(() => decodeFrame("response", frame))?.name).toBe("DecodeError");
    // The same record with a message within the cap is read, rows and all.
    const short = new Uint8Array(8 + head.length + 8);
    new DataView(short.buffer).setUint32(0, (head.length + 8) / 8, true);
    short[4] = 0;
    short.set(head, 8);
    short.set(new TextEncoder().encode("boom"), 8 + head.length);
    expect(decodeFrame("response", short)).toMatchObject({ type: "FAILURE", columns: ["a"], errorCode: 1n, message: "boom" });
    expect((decodeFrame("response", short) as { rows: { values: unknown[] }[] }).rows.map((row) => row.values)).toEqual([[42]]);
  });
});
