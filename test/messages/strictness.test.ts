// One test (at least) per strictness rule and cap of protocol.md §7, decode and encode side.

import { describe, expect, test } from "vitest";
import { DecodeError, EncodeError, type WireErrorCode } from "../../src/errors.ts";
import { type DecodeOptions, decodeFrame, encodeMessage } from "../../src/messages/codec.ts";
import type { Side } from "../../src/messages/codes.ts";
import { hexToBytes } from "../vectors/protocol-examples.ts";

function decodeError(side: Side, hex: string, options?: DecodeOptions): DecodeError {
  try {
    decodeFrame(side, hexToBytes(hex), options);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error(`decoded without error: ${hex}`);
}

function expectDecodeError(side: Side, hex: string, code: WireErrorCode, options?: DecodeOptions): DecodeError {
  const error = decodeError(side, hex, options);
  expect(error.code, error.message).toBe(code);
  expect(error.message).toMatch(/at offset \d+/);
  return error;
}

function expectEncodeError(side: Side, message: unknown, code: WireErrorCode, options?: DecodeOptions): EncodeError {
  try {
    encodeMessage(side, message as never, options);
  } catch (error) {
    expect(error).toBeInstanceOf(EncodeError);
    expect((error as EncodeError).code, (error as Error).message).toBe(code);
    return error as EncodeError;
  }
  throw new Error(`encoded without error: ${JSON.stringify(message, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`);
}

const text = (s: string) => {
  const bytes = new TextEncoder().encode(s);
  const padded = new Uint8Array(Math.ceil((bytes.length + 1) / 8) * 8);
  padded.set(bytes);
  return Array.from(padded, (b) => b.toString(16).padStart(2, "0")).join("");
};
const u64 = (n: bigint | number) => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(n), true);
  return Array.from(new Uint8Array(view.buffer), (b) => b.toString(16).padStart(2, "0")).join("");
};
/** A frame from a body given as hex: the header is computed. */
const frame = (type: number, body: string, schema = 0) => {
  const clean = body.replace(/\s+/g, "");
  const words = clean.length / 16;
  const header = new DataView(new ArrayBuffer(8));
  header.setUint32(0, words, true);
  header.setUint8(4, type);
  header.setUint8(5, schema);
  return Array.from(new Uint8Array(header.buffer), (b) => b.toString(16).padStart(2, "0")).join("") + clean;
};

describe("framing", () => {
  test("a frame larger than maxMessageBytes is refused from its header", () => {
    expectDecodeError("response", "ffffffff07000000", "LIMIT");
    expectDecodeError("response", frame(4, "0100000000000000"), "LIMIT", { limits: { maxMessageBytes: 15 } });
  });
  test("a short header or body is TRUNCATED", () => {
    expectDecodeError("response", "01000000", "TRUNCATED");
    expectDecodeError("response", "0200000004000000 0100000000000000", "TRUNCATED");
  });
  test("bytes after the frame are refused by the stateless decoder", () => {
    expectDecodeError("response", frame(4, "0100000000000000") + "00", "BAD_LENGTH");
  });
  test("unknown type codes are refused, per side", () => {
    expectDecodeError("response", frame(11, "0000000000000000"), "UNKNOWN_TYPE");
    expectDecodeError("request", frame(20, "0000000000000000"), "UNKNOWN_TYPE");
    expectEncodeError("request", { type: "NOPE" }, "UNKNOWN_TYPE");
    expectEncodeError("response", { type: "QUERY_SQL", db: 0, sql: "x" }, "UNKNOWN_TYPE");
  });
  test("schema above the ceiling of the type is refused", () => {
    expectDecodeError("request", frame(1, u64(42), 1), "BAD_SCHEMA");
    expectDecodeError("request", frame(5, "0100000002000000", 2), "BAD_SCHEMA");
    expectEncodeError("request", { type: "CLIENT", id: 1, schema: 1 }, "BAD_SCHEMA");
  });
  test("HEARTBEAT and CONNECT are refused unless allowed", () => {
    expectDecodeError("request", frame(2, u64(1)), "INTERNAL_MESSAGE");
    expectDecodeError("request", frame(11, u64(1) + text("a:1")), "INTERNAL_MESSAGE");
    expect(decodeFrame("request", hexToBytes(frame(2, u64(7))), { allowInternal: true })).toMatchObject({
      type: "HEARTBEAT",
      timestamp: 7n,
    });
  });
});

describe("fixed-size bodies are exact", () => {
  test("DB with an extra word, CLIENT with none", () => {
    expectDecodeError("response", frame(4, "0100000000000000 0000000000000000"), "BAD_LENGTH");
    expectDecodeError("request", frame(1, ""), "TRUNCATED");
  });
  test("STMT body length must match its schema (16 vs 24 bytes)", () => {
    expectDecodeError("response", frame(5, "0100000005000000 0300000000000000 2a00000000000000", 0), "BAD_LENGTH");
    expectDecodeError("response", frame(5, "0100000005000000 0300000000000000", 1), "TRUNCATED");
    expectEncodeError("response", { type: "STMT", schema: 0, db: 1, id: 5, paramCount: 3, tailOffset: 42 }, "BAD_VALUE");
  });
  test("LEADER request word must be zero", () => {
    expectDecodeError("request", frame(0, u64(1)), "BAD_VALUE");
  });
  test("EMPTY word and DB pad are not checked (lenient spots)", () => {
    expect(decodeFrame("response", hexToBytes(frame(8, u64(99))))).toMatchObject({ type: "EMPTY" });
    expect(decodeFrame("response", hexToBytes(frame(4, "01000000ffffffff")))).toMatchObject({ type: "DB", id: 1 });
  });
  test("header reserved bytes are ignored", () => {
    expect(decodeFrame("response", hexToBytes("010000000400ffff 0100000000000000"))).toMatchObject({ type: "DB", id: 1 });
  });
});

describe("text", () => {
  test("no NUL terminator before the body ends", () => {
    expectDecodeError("request", frame(15, "4141414141414141"), "BAD_TEXT");
  });
  test("invalid UTF-8", () => {
    expectDecodeError("request", frame(15, "c328000000000000"), "BAD_TEXT");
    expectDecodeError("request", frame(15, "eda0800000000000"), "BAD_TEXT"); // an encoded surrogate
  });
  test("over its cap: failure message, address, dump name, column name", () => {
    expectDecodeError("response", frame(0, u64(1) + text("x".repeat(100))), "LIMIT", { limits: { maxFailureMessageBytes: 64 } });
    expectDecodeError("response", frame(1, u64(1) + text("a".repeat(300))), "LIMIT");
    expectDecodeError("request", frame(15, text("d".repeat(1020))), "LIMIT");
    expectDecodeError("response", frame(7, u64(1) + text("c".repeat(40)) + "ffffffffffffffff"), "LIMIT", { limits: { maxNameBytes: 32 } });
    expectEncodeError("request", { type: "DUMP", name: "d".repeat(1020) }, "LIMIT");
    expectEncodeError("request", { type: "ADD", id: 1, address: "a".repeat(257) }, "LIMIT");
  });
  test("the encoder refuses embedded NUL and lone surrogates", () => {
    expectEncodeError("request", { type: "OPEN", name: "a\0b", flags: 0, vfs: "" }, "BAD_TEXT");
    expectEncodeError("request", { type: "QUERY_SQL", db: 0, sql: "SELECT '\ud800'" }, "BAD_TEXT");
  });
});

describe("params tuples", () => {
  test("count above maxParams", () => {
    expectDecodeError("request", frame(5, "0100000002000000 0300000001010100", 0), "LIMIT", { limits: { maxParams: 2 } });
    expectEncodeError("request", { type: "EXEC", db: 1, stmt: 2, params: [1, 2, 3] }, "LIMIT", { limits: { maxParams: 2 } });
  });
  test("a count that cannot fit the body", () => {
    expectDecodeError("request", frame(5, "0100000002000000 ff01000000000000", 0), "TRUNCATED");
    expectDecodeError("request", frame(5, "0100000002000000 ffffffff01000000", 1), "LIMIT");
  });
  test("invalid type codes, and UNIXTIME, are not parameter types", () => {
    for (const code of ["00", "06", "07", "08", "0c", "0f", "ff", "09"]) {
      expectDecodeError("request", frame(5, `0100000002000000 01${code}000000000000 0000000000000000`, 0), "BAD_VALUE_TYPE");
    }
    expectEncodeError("request", { type: "EXEC", db: 1, stmt: 2, params: [{ type: "UNIXTIME", value: 1 }] }, "BAD_VALUE_TYPE");
  });
  test("schema 0 holds at most 255 params; the encoder picks schema 1 when it must", () => {
    expectEncodeError("request", { type: "EXEC", schema: 0, db: 1, stmt: 2, params: new Array(256).fill(1) }, "LIMIT");
    const bytes = encodeMessage("request", { type: "EXEC", db: 1, stmt: 2, params: new Array(256).fill(1) });
    expect(bytes[5]).toBe(1);
    expect(encodeMessage("request", { type: "EXEC", db: 1, stmt: 2, params: new Array(255).fill(1) })[5]).toBe(0);
  });
  test("a JS value the protocol cannot carry is an EncodeError naming the param", () => {
    const error = expectEncodeError("request", { type: "EXEC", db: 1, stmt: 2, params: [1, undefined] }, "UNSUPPORTED_VALUE");
    expect(error.field).toBe("EXEC.params[1]");
    expectEncodeError("request", { type: "EXEC", db: 1, stmt: 2, params: [() => 1] }, "UNSUPPORTED_VALUE");
    expectEncodeError("request", { type: "EXEC", db: 1, stmt: 2, params: [Symbol("x")] }, "UNSUPPORTED_VALUE");
    expectEncodeError("request", { type: "EXEC", db: 1, stmt: 2, params: [2 ** 60] }, "UNSAFE_INTEGER");
    expectEncodeError("request", { type: "EXEC", db: 1, stmt: 2, params: [2n ** 63n] }, "BAD_VALUE");
    expectEncodeError("request", { type: "EXEC", db: 1, stmt: 2, params: [{ type: "ISO8601", value: 12 }] }, "UNSUPPORTED_VALUE");
  });
  test("blob length over the cap or past the body", () => {
    expectDecodeError("request", frame(5, `0100000002000000 0104000000000000 ${u64(2 ** 40)}`, 0), "LIMIT");
    expectDecodeError("request", frame(5, `0100000002000000 0104000000000000 ${u64(64)} 0000000000000000`, 0), "TRUNCATED");
  });
});

describe("integers", () => {
  test("intMode number refuses integers a double cannot hold exactly", () => {
    const rows = frame(7, u64(1) + text("x") + "0100000000000000" + u64(2n ** 53n) + "ffffffffffffffff");
    expectDecodeError("response", rows, "UNSAFE_INTEGER");
    expect(decodeFrame("response", hexToBytes(rows), { intMode: "bigint" })).toMatchObject({ rows: [{ values: [2n ** 53n] }] });
    expect(decodeFrame("response", hexToBytes(rows), { intMode: "string" })).toMatchObject({ rows: [{ values: ["9007199254740992"] }] });
    expect(
      decodeFrame("response", hexToBytes(frame(7, u64(1) + text("x") + "0100000000000000" + u64(2n ** 53n - 1n) + "ffffffffffffffff"))),
    ).toMatchObject({
      rows: [{ values: [2 ** 53 - 1] }],
    });
  });
  test("the encoder refuses integers out of range for the field's width", () => {
    expectEncodeError("request", { type: "EXEC", db: 2 ** 32, stmt: 0 }, "BAD_VALUE");
    expectEncodeError("request", { type: "EXEC", db: -1, stmt: 0 }, "BAD_VALUE");
    expectEncodeError("request", { type: "CLIENT", id: -1n }, "BAD_VALUE");
    expectEncodeError("request", { type: "CLIENT", id: 2n ** 64n }, "BAD_VALUE");
    expectEncodeError("request", { type: "CLIENT", id: 2 ** 60 }, "BAD_VALUE");
    expectEncodeError("request", { type: "CLIENT", id: 1.5 }, "BAD_VALUE");
  });
  test("RESULT rowsAffected, STMT paramCount and tailOffset are capped", () => {
    expectDecodeError("response", frame(6, u64(1) + u64(2 ** 31)), "LIMIT");
    expectDecodeError("response", frame(5, "0100000005000000" + u64(40000)), "LIMIT");
    expectDecodeError("response", frame(5, "0100000005000000" + u64(1) + u64(2 ** 30), 1), "LIMIT");
    expectEncodeError("response", { type: "RESULT", lastInsertId: 1, rowsAffected: 2 ** 31 }, "LIMIT");
  });
  test("RESULT last_insert_id is unsigned: rowid -1 arrives as 2^64 - 1", () => {
    expect(decodeFrame("response", hexToBytes(frame(6, "ffffffffffffffff" + u64(1))))).toMatchObject({ lastInsertId: 2n ** 64n - 1n });
  });
});

describe("ROWS", () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => text(`c${i}`)).join("");
  test("column count above the cap, or not fitting the body", () => {
    expectDecodeError("response", frame(7, u64(3) + names(3) + "ffffffffffffffff"), "LIMIT", { limits: { maxColumns: 2 } });
    expectDecodeError("response", frame(7, u64(1000) + names(1) + "ffffffffffffffff"), "TRUNCATED");
    expectEncodeError("response", { type: "ROWS", columns: ["a", "b", "c"], rows: [], marker: "DONE" }, "LIMIT", {
      limits: { maxColumns: 2 },
    });
  });
  test("invalid type nibbles", () => {
    for (const nibble of ["00", "06", "07", "08", "0c", "0d"]) {
      expectDecodeError(
        "response",
        frame(7, u64(1) + names(1) + `${nibble}00000000000000 0000000000000000 ffffffffffffffff`),
        "BAD_VALUE_TYPE",
      );
    }
  });
  test("markers are compared on all 8 bytes: a torn marker fails", () => {
    expectDecodeError("response", frame(7, u64(1) + names(1) + "ff00000000000000"), "BAD_VALUE_TYPE");
    expectDecodeError("response", frame(7, u64(1) + names(1) + "eeeeeeeeeeeeeeef"), "BAD_VALUE_TYPE");
    expect(decodeFrame("response", hexToBytes(frame(7, u64(1) + names(1) + "eeeeeeeeeeeeeeee")))).toMatchObject({ marker: "PART" });
  });
  test("a missing marker", () => {
    expectDecodeError("response", frame(7, u64(1) + names(1)), "BAD_MARKER");
    expectDecodeError("response", frame(7, u64(1) + names(1) + "0100000000000000" + u64(5)), "BAD_MARKER");
  });
  test("bytes after the marker", () => {
    expectDecodeError("response", frame(7, u64(1) + names(1) + "ffffffffffffffff 0000000000000000"), "BAD_LENGTH");
  });
  test("a zero-column result holds only its marker; the encoder refuses rows there", () => {
    expectDecodeError("response", frame(7, u64(0) + "0000000000000000 ffffffffffffffff"), "BAD_MARKER");
    expectEncodeError("response", { type: "ROWS", columns: [], rows: [{ types: [], values: [] }], marker: "DONE" }, "BAD_VALUE");
  });
  test("rows per frame cap is exclusive", () => {
    const row = "0100000000000000" + u64(7);
    const two = frame(7, u64(1) + names(1) + row + row + "ffffffffffffffff");
    expectDecodeError("response", two, "LIMIT", { limits: { maxRowsPerFrame: 2 } });
    expect(decodeFrame("response", hexToBytes(two), { limits: { maxRowsPerFrame: 3 } })).toMatchObject({ rows: [{}, {}] });
  });
  test("the encoder checks row width and cell types", () => {
    expectEncodeError("response", { type: "ROWS", columns: ["a"], rows: [{ types: [1, 1], values: [1, 2] }], marker: "DONE" }, "BAD_VALUE");
    expectEncodeError("response", { type: "ROWS", columns: ["a"], rows: [{ types: [7], values: [1] }], marker: "DONE" }, "BAD_VALUE_TYPE");
    expectEncodeError(
      "response",
      { type: "ROWS", columns: ["a"], rows: [{ types: [3], values: [1] }], marker: "DONE" },
      "UNSUPPORTED_VALUE",
    );
    expectEncodeError("response", { type: "ROWS", columns: ["a"], rows: [], marker: "MORE" }, "BAD_VALUE");
  });
});

describe("SERVERS, FILES, LEADER", () => {
  const node = (id: number, address: string, role: number) => u64(id) + text(address) + u64(role);
  test("node id 0, duplicate ids, unknown roles and empty addresses are refused", () => {
    expectDecodeError("response", frame(3, u64(1) + node(0, "a:1", 0)), "BAD_VALUE");
    expectDecodeError("response", frame(3, u64(2) + node(5, "a:1", 0) + node(5, "b:1", 1)), "INCONSISTENT");
    expectDecodeError("response", frame(3, u64(1) + node(5, "a:1", 3)), "BAD_VALUE");
    expectDecodeError("response", frame(3, u64(1) + node(5, "", 0)), "BAD_VALUE");
    expectEncodeError("response", { type: "SERVERS", nodes: [{ id: 0, address: "a:1", role: 0 }] }, "BAD_VALUE");
    expectEncodeError(
      "response",
      {
        type: "SERVERS",
        nodes: [
          { id: 1, address: "a:1", role: 0 },
          { id: 1n, address: "b:1", role: 0 },
        ],
      },
      "INCONSISTENT",
    );
  });
  test("node count above the cap, or not fitting", () => {
    expectDecodeError("response", frame(3, u64(2) + node(5, "a:1", 0) + node(6, "b:1", 0)), "LIMIT", { limits: { maxNodes: 1 } });
    expectDecodeError("response", frame(3, u64(2 ** 40) + node(5, "a:1", 0)), "LIMIT");
    expectDecodeError("response", frame(3, u64(9) + node(5, "a:1", 0)), "TRUNCATED");
  });
  test("FILES: duplicate names, sizes not a multiple of 8, count cap", () => {
    const file = (name: string, size: number) => text(name) + u64(size) + "00".repeat(size);
    expectDecodeError("response", frame(9, u64(2) + file("a", 8) + file("a", 8)), "INCONSISTENT");
    expectDecodeError("response", frame(9, u64(1) + text("a") + u64(4) + "0000000000000000"), "BAD_VALUE");
    expectDecodeError("response", frame(9, u64(2) + file("a", 8) + file("b", 8)), "LIMIT", { limits: { maxFiles: 1 } });
    expectEncodeError("response", { type: "FILES", files: [{ name: "a", content: new Uint8Array(12) }] }, "BAD_VALUE");
    expectEncodeError(
      "response",
      {
        type: "FILES",
        files: [
          { name: "a", content: new Uint8Array(8) },
          { name: "a", content: new Uint8Array(8) },
        ],
      },
      "INCONSISTENT",
    );
  });
  test('LEADER: (0, "") is no leader; (0, address) is refused both ways', () => {
    expect(decodeFrame("response", hexToBytes(frame(1, u64(0) + text(""))))).toMatchObject({ id: 0n, address: "" });
    expectDecodeError("response", frame(1, u64(0) + text("a:1")), "BAD_VALUE");
    expectEncodeError("response", { type: "LEADER", id: 0, address: "a:1" }, "BAD_VALUE");
  });
  test("ADD and CONNECT refuse an empty address both ways", () => {
    expectDecodeError("request", frame(12, u64(5) + text("")), "BAD_VALUE");
    expectEncodeError("request", { type: "ADD", id: 5, address: "" }, "BAD_VALUE");
  });
  test("ADD, ASSIGN and REMOVE refuse node id 0; ASSIGN refuses unknown roles", () => {
    expectDecodeError("request", frame(12, u64(0) + text("a:1")), "BAD_VALUE");
    expectDecodeError("request", frame(13, u64(5) + u64(3)), "BAD_VALUE");
    expectDecodeError("request", frame(14, u64(0)), "BAD_VALUE");
    expectEncodeError("request", { type: "ASSIGN", id: 0, role: 1 }, "BAD_VALUE");
    expectEncodeError("request", { type: "ASSIGN", id: 1, role: 7 }, "BAD_VALUE");
  });
  test("legacy PROMOTE (ASSIGN with the node id alone) decodes without a role and re-encodes as it was", () => {
    const bytes = hexToBytes(frame(13, u64(9)));
    const message = decodeFrame("request", bytes, { intMode: "bigint" });
    expect(message).toEqual({ type: "ASSIGN", code: 13, schema: 0, id: 9n });
    expect(encodeMessage("request", message)).toEqual(bytes);
  });
  test("FAILURE with columns: decoded when the plain layout leaves bytes; refused on encode when ambiguous", () => {
    const withColumns = frame(0, u64(1) + text("id") + u64(19) + text("constraint failed"));
    expect(decodeFrame("response", hexToBytes(withColumns))).toMatchObject({
      columns: ["id"],
      errorCode: 19n,
      message: "constraint failed",
    });
    // No columns and a code with no zero byte: the plain layout reads the same bytes exactly
    // (code 0, then the code word as the start of the message), so the frame is refused.
    expectEncodeError("response", { type: "FAILURE", columns: [], errorCode: 0x0101010101010101n, message: "" }, "BAD_VALUE");
    const plain = encodeMessage("response", { type: "FAILURE", columns: [], errorCode: 0x80n, message: "" });
    expect(decodeFrame("response", plain)).toMatchObject({ columns: [], errorCode: 0x80n });
    // A FAILURE message over its cap is LIMIT, not a second reading of the body.
    expectDecodeError("response", frame(0, u64(1) + text("m".repeat(80))), "LIMIT", { limits: { maxFailureMessageBytes: 64 } });
  });
  test("DESCRIBE format must be 0; CLUSTER format 0 or 1", () => {
    expectDecodeError("request", frame(18, u64(1)), "BAD_VALUE");
    expectDecodeError("request", frame(16, u64(2)), "BAD_VALUE");
    expectEncodeError("request", { type: "DESCRIBE", format: 1 }, "BAD_VALUE");
  });
  test("the encoder refuses unknown properties and missing fields", () => {
    expectEncodeError("request", { type: "CLIENT", id: 1, extra: 2 }, "BAD_VALUE");
    expectEncodeError("request", { type: "OPEN", name: "x" }, "BAD_VALUE");
    expectEncodeError("request", { type: "CLIENT", code: 3, id: 1 }, "BAD_VALUE");
  });
});

describe("the int64 fast path of intMode number", () => {
  test("±(2^53 - 1) decode; ±2^53 are refused", () => {
    const rowsOf = (value: bigint) =>
      frame(7, u64(1) + text("x") + "0100000000000000" + u64(BigInt.asUintN(64, value)) + "ffffffffffffffff");
    expect(decodeFrame("response", hexToBytes(rowsOf(2n ** 53n - 1n)))).toMatchObject({ rows: [{ values: [2 ** 53 - 1] }] });
    expect(decodeFrame("response", hexToBytes(rowsOf(-(2n ** 53n) + 1n)))).toMatchObject({ rows: [{ values: [-(2 ** 53) + 1] }] });
    expectDecodeError("response", rowsOf(2n ** 53n), "UNSAFE_INTEGER");
    expectDecodeError("response", rowsOf(-(2n ** 53n)), "UNSAFE_INTEGER");
    expect(decodeFrame("response", hexToBytes(rowsOf(-(2n ** 32n))))).toMatchObject({ rows: [{ values: [-(2 ** 32)] }] });
    expect(decodeFrame("response", hexToBytes(rowsOf(-1n)))).toMatchObject({ rows: [{ values: [-1] }] });
  });
});
