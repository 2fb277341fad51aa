// Bounded resources: every allocation sized from the wire is checked against a cap (and against
// the bytes present) before it is made, every loop counted from the wire is bounded by the bytes
// present, and the stream decoder never buffers more than one max frame plus one chunk.
//
// Each test hands a decoder a frame that lies (a count or length of 2^32-1, 2^64-1, or the cap
// itself with almost no body) and checks three things: the error is a typed WireError with the
// expected code, it points at the lying field (so nothing after it was read or looped over), and
// the largest allocation made while decoding stays within a few times the input. Allocations are
// measured by wrapping the global typed-array and Array constructors (fuzz/alloc-tracker.ts).

import { beforeAll, describe, expect, it } from "vitest";
import { installAllocationTracker, largestAllocation, resetLargestAllocation } from "../../fuzz/alloc-tracker.ts";
import { isWireError, type WireError } from "../../src/errors.ts";
import { DEFAULT_LIMITS } from "../../src/limits.ts";
import { decodeFrame } from "../../src/messages/codec.ts";
import { inspectFrame } from "../../src/messages/inspect.ts";
import type { Side } from "../../src/messages/codes.ts";
import { ResultReader } from "../../src/rows/result-reader.ts";
import { initRowEngine, initRowEngineSync } from "../../src/rows/wasm-loader.ts";
import { FrameDecoder } from "../../src/stream/frame-decoder.ts";

installAllocationTracker();
beforeAll(async () => {
  expect(await initRowEngine()).toMatch(/^wasm/);
  expect(initRowEngineSync()).toMatch(/^wasm/);
});

const U32_MAX = 2n ** 32n - 1n;
const U64_MAX = 2n ** 64n - 1n;
/** Everything a decoder may allocate for a small input: its stream buffer plus a few times the input. */
const SMALL_ALLOCATION_BYTES = 64 * 1024 + 4096;

/** A frame of `type` whose body is the given words (bigint: a uint64; Uint8Array: raw bytes). */
function frame(type: number, parts: (bigint | Uint8Array)[], schema = 0): Uint8Array {
  const chunks = parts.map((part) => {
    if (part instanceof Uint8Array) return part;
    const word = new Uint8Array(8);
    new DataView(word.buffer).setBigUint64(0, part, true);
    return word;
  });
  const bodyBytes = chunks.reduce((n, c) => n + c.length, 0);
  if (bodyBytes % 8 !== 0) throw new Error("test frame body must be whole words");
  const out = new Uint8Array(8 + bodyBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, bodyBytes / 8, true);
  out[4] = type;
  out[5] = schema;
  let at = 8;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

const text = (value: string): Uint8Array => {
  const utf8 = new TextEncoder().encode(value);
  const out = new Uint8Array(Math.ceil((utf8.length + 1) / 8) * 8);
  out.set(utf8);
  return out;
};

const bytesOf = (...values: number[]): Uint8Array => {
  const out = new Uint8Array(Math.ceil(values.length / 8) * 8);
  out.set(values);
  return out;
};

/** Runs `decode`, which must throw a WireError; returns it with the largest allocation made. */
function refused(decode: () => unknown): { error: WireError; allocated: number } {
  resetLargestAllocation();
  let thrown: unknown;
  try {
    decode();
  } catch (error) {
    thrown = error;
  }
  const allocated = largestAllocation().bytes;
  if (!isWireError(thrown)) throw new Error(`expected a WireError, got ${thrown === undefined ? "a result" : String(thrown)}`);
  return { error: thrown, allocated };
}

function expectRefusedByCodec(side: Side, bytes: Uint8Array, code: string, offset: number): void {
  const { error, allocated } = refused(() => decodeFrame(side, bytes));
  expect({ name: error.name, code: error.code, offset: error.offset }).toEqual({ name: "DecodeError", code, offset });
  expect(allocated).toBeLessThanOrEqual(4 * bytes.length + 1024);
  // The inspector walks the same declarations and must stop at the same field.
  const inspection = inspectFrame(side, bytes);
  expect(inspection.error?.code).toBe(code);
  expect(inspection.error?.offset).toBe(offset);
}

function expectRefusedByEngines(bytes: Uint8Array, code: string, offset: number): void {
  for (const engine of ["js", "wasm"] as const) {
    const { error, allocated } = refused(() => new ResultReader({ engine }).read(bytes));
    expect({ engine, name: error.name, code: error.code, offset: error.offset }).toEqual({ engine, name: "DecodeError", code, offset });
    expect(allocated).toBeLessThanOrEqual(4 * bytes.length + 1024);
  }
}

describe("ROWS column count", () => {
  for (const count of [U32_MAX, U64_MAX, 2n ** 63n, BigInt(DEFAULT_LIMITS.maxColumns) + 1n]) {
    it(`${count} columns with 16 bytes of body: LIMIT at the count, nothing allocated for it`, () => {
      const bytes = frame(7, [count, 0xffffffffffffffffn]);
      expectRefusedByCodec("response", bytes, "LIMIT", 8);
      expectRefusedByEngines(bytes, "LIMIT", 8);
    });
  }

  it("the cap itself (2000 columns) with 16 bytes of body: TRUNCATED at the count, before any name is read", () => {
    const bytes = frame(7, [BigInt(DEFAULT_LIMITS.maxColumns), 0xffffffffffffffffn]);
    expectRefusedByCodec("response", bytes, "TRUNCATED", 8);
    expectRefusedByEngines(bytes, "TRUNCATED", 8);
  });

  it("a continuation frame that lies about its count fails at its count, after the first frame's rows", () => {
    const first = frame(7, [1n, text("a"), bytesOf(1), 5n, 0xeeeeeeeeeeeeeeeen]);
    const second = frame(7, [U64_MAX, 0xffffffffffffffffn]);
    const input = new Uint8Array([...first, ...second]);
    for (const engine of ["js", "wasm"] as const) {
      const { error, allocated } = refused(() => new ResultReader({ engine }).read(input));
      expect({ code: error.code, offset: error.offset }).toEqual({ code: "LIMIT", offset: first.length + 8 });
      expect(allocated).toBeLessThanOrEqual(SMALL_ALLOCATION_BYTES);
    }
  });
});

describe("cell and value lengths", () => {
  const rowsWithBlob = (length: bigint, extraWords = 0) =>
    frame(7, [1n, text("b"), bytesOf(4), length, ...Array.from({ length: extraWords }, () => 0n), 0xffffffffffffffffn]);

  for (const length of [U32_MAX, U64_MAX, BigInt(DEFAULT_LIMITS.maxValueBytes) + 1n]) {
    it(`a blob cell of ${length} bytes: LIMIT at the length word`, () => {
      const bytes = rowsWithBlob(length);
      expectRefusedByCodec("response", bytes, "LIMIT", 32);
      expectRefusedByEngines(bytes, "LIMIT", 32);
    });
  }

  it("a blob cell claiming the cap (64 MiB - 64) in a 48-byte frame: TRUNCATED, no 64 MiB copy", () => {
    const bytes = rowsWithBlob(BigInt(DEFAULT_LIMITS.maxValueBytes));
    // Both report where the blob's bytes would start, right after the length word.
    expectRefusedByCodec("response", bytes, "TRUNCATED", 40);
    expectRefusedByEngines(bytes, "TRUNCATED", 40);
  });

  it("a blob param of 2^64-1 bytes: LIMIT at the length word", () => {
    // EXEC db=1 stmt=2, one BLOB param.
    const bytes = frame(5, [bytesOf(1, 0, 0, 0, 2, 0, 0, 0), bytesOf(1, 4), U64_MAX, 0n]);
    expectRefusedByCodec("request", bytes, "LIMIT", 24);
  });

  it("a text with no NUL runs into the cap, not to the end of a large frame", () => {
    // 1 MiB of 'A' with a 4 KiB value cap: the scan stops after cap + 1 bytes.
    const body = new Uint8Array(1024 * 1024).fill(0x41);
    const bytes = frame(7, [1n, text("t"), bytesOf(3), body]);
    const limits = { maxValueBytes: 4096 };
    const { error, allocated } = refused(() => decodeFrame("response", bytes, { limits }));
    expect({ code: error.code, offset: error.offset }).toEqual({ code: "LIMIT", offset: 32 });
    expect(allocated).toBeLessThanOrEqual(4096 * 4);
    for (const engine of ["js", "wasm"] as const) {
      const engineRefusal = refused(() => new ResultReader({ engine, limits }).read(bytes));
      expect({ code: engineRefusal.error.code, offset: engineRefusal.error.offset }).toEqual({ code: "LIMIT", offset: 32 });
    }
  });

  for (const size of [U64_MAX, U32_MAX, BigInt(DEFAULT_LIMITS.maxValueBytes) + 8n]) {
    it(`a FILES entry of ${size} bytes: LIMIT at the size word`, () => {
      const bytes = frame(9, [1n, text("db"), size, 0n]);
      expectRefusedByCodec("response", bytes, "LIMIT", 24);
    });
  }

  it("a FILES entry claiming the cap with 8 bytes of content: TRUNCATED, no copy", () => {
    const bytes = frame(9, [1n, text("db"), BigInt(DEFAULT_LIMITS.maxValueBytes), 0n]);
    expectRefusedByCodec("response", bytes, "TRUNCATED", 32);
  });
});

describe("item counts", () => {
  it("params count 2^32-1 (schema 1): LIMIT at the count", () => {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setUint32(0, 0xffffffff, true);
    const bytes = frame(5, [bytesOf(1, 0, 0, 0, 2, 0, 0, 0), count, 0n], 1);
    expectRefusedByCodec("request", bytes, "LIMIT", 16);
  });

  it("params count at the cap (32766, schema 1) with one word left: TRUNCATED at the count, no type array", () => {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setUint32(0, DEFAULT_LIMITS.maxParams, true);
    const bytes = frame(5, [bytesOf(1, 0, 0, 0, 2, 0, 0, 0), count, 0n], 1);
    expectRefusedByCodec("request", bytes, "TRUNCATED", 16);
  });

  it("params count 255 (schema 0) with one word left: TRUNCATED at the count", () => {
    const bytes = frame(9, [1n, text("SELECT 1"), bytesOf(255, 1), 0n]);
    expectRefusedByCodec("request", bytes, "TRUNCATED", 32);
  });

  for (const count of [U64_MAX, U32_MAX, BigInt(DEFAULT_LIMITS.maxNodes) + 1n]) {
    it(`SERVERS with ${count} nodes: LIMIT at the count`, () => {
      expectRefusedByCodec("response", frame(3, [count, 1n, text("a"), 0n]), "LIMIT", 8);
    });
  }

  it("SERVERS at the node cap with one node's bytes: TRUNCATED at the count", () => {
    expectRefusedByCodec("response", frame(3, [BigInt(DEFAULT_LIMITS.maxNodes), 1n, text("a"), 0n]), "TRUNCATED", 8);
  });

  for (const count of [U64_MAX, U32_MAX, BigInt(DEFAULT_LIMITS.maxFiles) + 1n]) {
    it(`FILES with ${count} files: LIMIT at the count`, () => {
      expectRefusedByCodec("response", frame(9, [count, text("a"), 0n]), "LIMIT", 8);
    });
  }

  it("FILES at the file cap with one file's bytes: TRUNCATED at the count", () => {
    expectRefusedByCodec("response", frame(9, [BigInt(DEFAULT_LIMITS.maxFiles), text("a"), 0n]), "TRUNCATED", 8);
  });

  for (const [name, parts, schema, offset] of [
    ["STMT paramCount", [bytesOf(1, 0, 0, 0, 2, 0, 0, 0), U64_MAX], 0, 16],
    ["STMT tailOffset", [bytesOf(1, 0, 0, 0, 2, 0, 0, 0), 1n, U64_MAX], 1, 24],
  ] as const) {
    it(`${name} 2^64-1: LIMIT`, () => {
      expectRefusedByCodec("response", frame(5, [...parts], schema), "LIMIT", offset);
    });
  }

  it("RESULT rowsAffected 2^63: LIMIT", () => {
    expectRefusedByCodec("response", frame(6, [1n, 2n ** 63n]), "LIMIT", 16);
  });
});

describe("loops counted from the wire stop with the bytes", () => {
  it("rows without an end marker: the row loop ends at the body's end with BAD_MARKER", () => {
    // One INTEGER column, 1000 complete rows, no marker.
    const rows: bigint[] = [];
    for (let i = 0; i < 1000; i++) rows.push(1n, BigInt(i));
    const bytes = frame(7, [1n, text("n"), ...rows]);
    expectRefusedByCodec("response", bytes, "BAD_MARKER", bytes.length);
    expectRefusedByEngines(bytes, "BAD_MARKER", bytes.length);
  });

  it("a frame holding maxRowsPerFrame rows is refused once the cap is reached, not after the frame", () => {
    const rows: bigint[] = [];
    for (let i = 0; i < 10; i++) rows.push(1n, BigInt(i));
    const bytes = frame(7, [1n, text("n"), ...rows, 0xffffffffffffffffn]);
    const limits = { maxRowsPerFrame: 3 };
    const { error } = refused(() => decodeFrame("response", bytes, { limits }));
    // Rows start at 24 (header, count, name); the third one ends at 24 + 3 * 16.
    expect({ code: error.code, offset: error.offset }).toEqual({ code: "LIMIT", offset: 72 });
    for (const engine of ["js", "wasm"] as const) {
      const engineRefusal = refused(() => new ResultReader({ engine, limits }).read(bytes));
      expect({ code: engineRefusal.error.code, offset: engineRefusal.error.offset }).toEqual({ code: "LIMIT", offset: 72 });
    }
  });

  it("frames and rows per result are capped across calls", () => {
    const part = frame(7, [1n, text("n"), 1n, 7n, 0xeeeeeeeeeeeeeeeen]);
    for (const engine of ["js", "wasm"] as const) {
      const frames = new ResultReader({ engine, limits: { maxFramesPerResult: 3 }, retention: "keep" });
      expect(frames.read(new Uint8Array([...part, ...part, ...part])).state).toBe("more");
      const tooMany = refused(() => frames.read(part, 3 * part.length));
      expect({ code: tooMany.error.code, offset: tooMany.error.offset }).toEqual({ code: "LIMIT", offset: 3 * part.length });

      const rows = new ResultReader({ engine, limits: { maxRowsPerResult: 2 }, retention: "keep" });
      expect(rows.read(new Uint8Array([...part, ...part])).state).toBe("more");
      const tooManyRows = refused(() => rows.read(part, 2 * part.length));
      expect(tooManyRows.error.code).toBe("LIMIT");
    }
  });

  it("a span of frames with lying column counts sizes nothing beyond its own words", () => {
    // 500 tiny ROWS frames back to back, each claiming 2000 columns it cannot hold.
    const lie = frame(7, [2000n, 0xffffffffffffffffn]);
    const input = new Uint8Array(lie.length * 500);
    for (let i = 0; i < 500; i++) input.set(lie, i * lie.length);
    for (const engine of ["js", "wasm"] as const) {
      const { error, allocated } = refused(() => new ResultReader({ engine }).read(input));
      expect({ code: error.code, offset: error.offset }).toEqual({ code: "TRUNCATED", offset: 8 });
      expect(allocated).toBeLessThanOrEqual(4 * input.length + 1024);
    }
  });
});

describe("the frame header and the stream buffer", () => {
  it("a header claiming 2^32-1 words is refused before its body: stateless, stream, result reader", () => {
    const header = new Uint8Array([0xff, 0xff, 0xff, 0xff, 7, 0, 0, 0]);
    const stateless = refused(() => decodeFrame("response", header));
    expect({ code: stateless.error.code, offset: stateless.error.offset }).toEqual({ code: "LIMIT", offset: 0 });

    const decoder = new FrameDecoder({ side: "response" });
    decoder.push(header);
    const streamed = refused(() => decoder.next());
    expect({ code: streamed.error.code, offset: streamed.error.offset }).toEqual({ code: "LIMIT", offset: 0 });
    expect(streamed.allocated).toBeLessThanOrEqual(SMALL_ALLOCATION_BYTES);
    expect(decoder.bufferedBytes).toBe(0);
    expect(refused(() => decoder.push(new Uint8Array(8))).error.code).toBe("POISONED");

    for (const engine of ["js", "wasm"] as const) {
      expect(refused(() => new ResultReader({ engine }).read(header)).error.code).toBe("LIMIT");
    }
  });

  it("buffers at most one max frame plus one chunk, whatever the chunking", () => {
    const maxMessageBytes = 1024;
    // FAILURE frames of 24 to 1024 bytes back to back.
    const frames: number[] = [];
    for (let length = 0; length < 1000; length += 53) frames.push(...frame(0, [1n, text("x".repeat(length))]));
    const stream = Uint8Array.from(frames);
    for (const chunkBytes of [1, 7, 64, 1000, 4096]) {
      const decoder = new FrameDecoder({ side: "response", limits: { maxMessageBytes } });
      let decoded = 0;
      for (let at = 0; at < stream.length; at += chunkBytes) {
        const chunk = stream.subarray(at, at + chunkBytes);
        decoder.push(chunk);
        expect(decoder.bufferedBytes).toBeLessThanOrEqual(maxMessageBytes + chunk.length);
        while (decoder.next() !== undefined) decoded++;
        expect(decoder.bufferedBytes).toBeLessThan(maxMessageBytes);
      }
      decoder.end();
      expect(decoded).toBe(19);
    }
  });

  it("a caller that never takes frames out is refused once a max frame is pending", () => {
    const decoder = new FrameDecoder({ side: "response", limits: { maxMessageBytes: 1024 } });
    const chunk = new Uint8Array(600);
    decoder.push(chunk);
    decoder.push(chunk);
    const { error } = refused(() => decoder.push(chunk));
    expect(error.code).toBe("BAD_STATE");
    expect(decoder.bufferedBytes).toBe(1200);
  });
});

describe("stream state after each kind of error", () => {
  it("bad handshake: nothing consumed, the same HandshakeError on every call, not poisoned", () => {
    const decoder = new FrameDecoder({ side: "request" });
    decoder.push(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0));
    const first = refused(() => decoder.next()).error;
    const second = refused(() => decoder.next()).error;
    expect([first.name, first.code, second.name, second.code]).toEqual([
      "HandshakeError",
      "BAD_HANDSHAKE",
      "HandshakeError",
      "BAD_HANDSHAKE",
    ]);
    expect(decoder.bufferedBytes).toBe(8);
    expect(decoder.poisonedBy).toBeUndefined();
  });

  it("bad body: the frame is consumed and the decoder is poisoned with the cause", () => {
    const decoder = new FrameDecoder({ side: "response" });
    decoder.push(frame(7, [1n, text("a"), bytesOf(15)]));
    const error = refused(() => decoder.next()).error;
    expect(error.code).toBe("BAD_VALUE_TYPE");
    expect(decoder.poisonedBy).toBe(error);
    const later = refused(() => decoder.next()).error;
    expect([later.name, later.code, (later as { cause?: unknown }).cause]).toEqual(["PoisonedError", "POISONED", error]);
  });

  it("end of input inside a frame: TRUNCATED, then poisoned", () => {
    const decoder = new FrameDecoder({ side: "response" });
    decoder.push(frame(8, [0n]).subarray(0, 12));
    expect(decoder.next()).toBeUndefined();
    const error = refused(() => decoder.end()).error;
    expect({ code: error.code, offset: error.offset }).toEqual({ code: "TRUNCATED", offset: 0 });
    expect(refused(() => decoder.next()).error.code).toBe("POISONED");
  });

  it("a result reader that met a bad frame refuses every later call", () => {
    for (const engine of ["js", "wasm"] as const) {
      const reader = new ResultReader({ engine });
      expect(refused(() => reader.read(frame(7, [1n, text("a"), bytesOf(15)]))).error.code).toBe("BAD_VALUE_TYPE");
      expect(refused(() => reader.read(frame(8, [0n]))).error.code).toBe("POISONED");
    }
  });
});
