import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DecodeError, PoisonedError, ServerError } from "../../src/errors.ts";
import { ResultReader } from "../../src/rows/result-reader.ts";
import type { EngineChoice } from "../../src/rows/engine.ts";
import { initRowEngine } from "../../src/rows/wasm-loader.ts";
import { concat, emptyFrame, failureFrame, float, frame, hex, rowsFrame, text } from "./build-frames.ts";

await initRowEngine();

function expectDecodeError(fn: () => unknown, code: string, offset?: number): DecodeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe(code);
    if (offset !== undefined) expect((error as DecodeError).offset).toBe(offset);
    return error as DecodeError;
  }
  throw new Error(`expected a DecodeError ${code}`);
}

for (const engine of ["js", "wasm"] as EngineChoice[]) {
  describe(`ResultReader (${engine})`, () => {
    it("decodes the protocol.md ROWS example", () => {
      const bytes = hex(
        "0700000007000000 0200000000000000 6964000000000000 6e616d6500000000 3100000000000000 0100000000000000 616c696365000000 ffffffffffffffff",
      );
      const reader = new ResultReader({ engine });
      const step = reader.read(bytes);
      expect(step.state).toBe("done");
      expect(step.consumed).toBe(bytes.length);
      expect(reader.columns).toEqual(["id", "name"]);
      expect(step.batch!.arrays()).toEqual([[1, "alice"]]);
      expect(step.batch!.objects()).toEqual([{ id: 1, name: "alice" }]);
      const id = step.batch!.column(0);
      expect(Array.from(id.types)).toEqual([1]);
      expect(id.numbers[0]).toBe(1);
      expect(step.batch!.column(1).text(0)).toBe("alice");
      expect(Array.from(step.batch!.column(1).spans)).toEqual([48, 5]);
    });

    it("decodes zero-column and zero-row frames", () => {
      const zeroColumns = new ResultReader({ engine }).read(hex("0200000007000000 0000000000000000 ffffffffffffffff"));
      expect(zeroColumns.state).toBe("done");
      expect(zeroColumns.batch!.columns).toEqual([]);
      expect(zeroColumns.batch!.rowCount).toBe(0);
      const noRows = new ResultReader({ engine }).read(hex("0300000007000000 0100000000000000 7800000000000000 ffffffffffffffff"));
      expect(noRows.batch!.columns).toEqual(["x"]);
      expect(noRows.batch!.arrays()).toEqual([]);
    });

    it("reads every value type, types changing from row to row", () => {
      const names = ["a", "b"];
      const rows = [
        [{ type: 1 as const, value: -5n }, text("héllo")],
        [float(-0), { type: 4 as const, bytes: Uint8Array.of(0xde, 0xad) }],
        [
          { type: 5 as const, filler: 123n },
          { type: 11 as const, word: 7n },
        ],
        [{ type: 9 as const, value: 1700000000n }, text("2024-01-02", 10)],
      ];
      const step = new ResultReader({ engine }).read(rowsFrame(names, rows));
      const arrays = step.batch!.arrays();
      expect(arrays[0]).toEqual([-5, "héllo"]);
      expect(Object.is(arrays[1]![0], -0)).toBe(true);
      expect(arrays[1]![1]).toEqual(Uint8Array.of(0xde, 0xad));
      expect(arrays[2]).toEqual([null, true]);
      expect(arrays[3]).toEqual([1700000000, "2024-01-02"]);
      expect(Array.from(step.batch!.column(0).types)).toEqual([1, 2, 5, 9]);
      expect(Array.from(step.batch!.column(1).types)).toEqual([3, 4, 11, 10]);
    });

    it("keeps NaN payload bits in the numbers column", () => {
      const bits = 0x7ff4000000000123n;
      const step = new ResultReader({ engine }).read(rowsFrame(["f"], [[{ type: 2, bits }]]));
      const column = step.batch!.column(0);
      expect(new BigUint64Array(column.numbers.buffer, column.numbers.byteOffset, 1)[0]).toBe(bits);
    });

    it("follows intMode for integers beyond 2^53", () => {
      const big = 2n ** 62n + 1n;
      const frameBytes = rowsFrame(["n"], [[{ type: 1, value: big }], [{ type: 1, value: -(2n ** 63n) }]]);
      expect(new ResultReader({ engine, intMode: "bigint" }).read(frameBytes).batch!.arrays()).toEqual([[big], [-(2n ** 63n)]]);
      expect(new ResultReader({ engine, intMode: "string" }).read(frameBytes).batch!.arrays()).toEqual([
        [big.toString()],
        [(-(2n ** 63n)).toString()],
      ]);
      expectDecodeError(() => new ResultReader({ engine }).read(frameBytes), "UNSAFE_INTEGER", 8 + 8 + 8 + 8);
      const edges = rowsFrame(["n"], [[{ type: 1, value: 2n ** 53n - 1n }], [{ type: 1, value: -(2n ** 53n - 1n) }]]);
      expect(new ResultReader({ engine }).read(edges).batch!.arrays()).toEqual([[2 ** 53 - 1], [-(2 ** 53 - 1)]]);
      expectDecodeError(() => new ResultReader({ engine }).read(rowsFrame(["n"], [[{ type: 1, value: -(2n ** 53n) }]])), "UNSAFE_INTEGER");
    });

    it("assembles PART frames across calls and checks the column names", () => {
      const a = rowsFrame(["x", "y"], [[{ type: 1, value: 1n }, text("a")]], "PART");
      const b = rowsFrame(["x", "y"], [[{ type: 1, value: 2n }, text("b")]], "PART");
      const c = rowsFrame(["x", "y"], [[{ type: 1, value: 3n }, text("c")]], "DONE");
      const reader = new ResultReader({ engine });
      const all = concat([a, b, c]);
      const first = reader.read(all.subarray(0, a.length + 5));
      expect(first.state).toBe("more");
      expect(first.consumed).toBe(a.length);
      expect(first.batch!.arrays()).toEqual([[1, "a"]]);
      const second = reader.read(all.subarray(a.length), a.length);
      expect(second.state).toBe("done");
      expect(second.batch!.arrays()).toEqual([
        [2, "b"],
        [3, "c"],
      ]);
      expect(reader.framesRead).toBe(3);
      expect(reader.rowsRead).toBe(3);

      const renamed = rowsFrame(["x", "z"], [], "DONE");
      const drift = new ResultReader({ engine });
      drift.read(a);
      expectDecodeError(() => drift.read(renamed, 1000), "INCONSISTENT", 1000 + 24);
      expect(() => drift.read(renamed)).toThrow(PoisonedError);
      const fewer = new ResultReader({ engine });
      fewer.read(a);
      expectDecodeError(() => fewer.read(rowsFrame(["x"], [], "DONE")), "INCONSISTENT", 8);
    });

    it("stops after DONE and before a frame that is not ROWS", () => {
      const done = rowsFrame(["x"], [[{ type: 1, value: 1n }]], "DONE");
      const next = rowsFrame(["y"], [], "DONE");
      const step = new ResultReader({ engine }).read(concat([done, next]));
      expect(step.consumed).toBe(done.length);
      const part = rowsFrame(["x"], [[{ type: 1, value: 1n }]], "PART");
      const reader = new ResultReader({ engine });
      const input = concat([part, emptyFrame()]);
      const s1 = reader.read(input);
      expect(s1).toMatchObject({ consumed: part.length, state: "more" });
      const s2 = reader.read(input.subarray(part.length));
      expect(s2).toMatchObject({ consumed: 16, state: "interrupted", batch: undefined });
    });

    it("reports FAILURE as a ServerError, also mid-result", () => {
      const part = rowsFrame(["x"], [[{ type: 1, value: 1n }]], "PART");
      const failure = failureFrame(10250n, "not leader");
      const reader = new ResultReader({ engine });
      const input = concat([part, failure]);
      reader.read(input);
      const step = reader.read(input.subarray(part.length));
      expect(step.state).toBe("failed");
      expect(step.consumed).toBe(failure.length);
      expect(step.error).toBeInstanceOf(ServerError);
      expect(step.error!.sqliteCode).toBe(10250);
      expect(step.error!.message).toBe("not leader");
      expectDecodeError(() => new ResultReader({ engine }).read(emptyFrame()), "BAD_SEQUENCE", 0);
    });

    it("reports the FAILURE a real node sends after some rows (columns, rows, record) as the end of the result", () => {
      for (const seed of ["response-query-sql-failure-after-rows", "response-query-sql-failure-after-columns"]) {
        const bytes = hex(JSON.parse(readFileSync(`test/corpus/seeds/${seed}.json`, "utf8")).hex);
        const reader = new ResultReader({ engine });
        const step = reader.read(bytes);
        expect(step).toMatchObject({ state: "failed", consumed: bytes.length, batch: undefined });
        expect(step.error).toBeInstanceOf(ServerError);
        expect(step.error!.sqliteCode).toBe(1);
        expect(step.error!.message).toBe("integer overflow");
      }
      // After a PART frame too, and whatever the rows hold.
      const part = rowsFrame(["n"], [[{ type: 1, value: 1n }]], "PART");
      const rowsThenFailure = concat([
        frame(
          0,
          concat([
            rowsFrame(["n"], [[{ type: 1, value: 5n }], [text("x")]]).subarray(8, -8),
            failureFrame(19n, "constraint failed").subarray(8),
          ]),
        ),
      ]);
      const reader = new ResultReader({ engine });
      reader.read(part);
      expect(reader.read(rowsThenFailure)).toMatchObject({
        state: "failed",
        consumed: rowsThenFailure.length,
        error: { sqliteCode: 19, message: "constraint failed" },
      });
    });

    it("refuses ROWS with a schema above 0, unknown types and other responses in a result", () => {
      const rows = rowsFrame(["x"], [], "DONE");
      const schema1 = rows.slice();
      schema1[5] = 1;
      expectDecodeError(() => new ResultReader({ engine }).read(schema1, 100), "BAD_SCHEMA", 105);
      const unknown = rows.slice();
      unknown[4] = 0x1f;
      expectDecodeError(() => new ResultReader({ engine }).read(unknown), "UNKNOWN_TYPE", 4);
      const part = rowsFrame(["x"], [], "PART");
      const reader = new ResultReader({ engine });
      reader.read(part);
      expectDecodeError(() => reader.read(hex("0100000004000000 0100000000000000")), "BAD_SEQUENCE", 0);
    });

    it("waits for whole frames", () => {
      const f = rowsFrame(["x"], [[{ type: 1, value: 1n }]], "DONE");
      const reader = new ResultReader({ engine });
      for (let i = 0; i < f.length; i++) expect(reader.read(f.subarray(0, i))).toMatchObject({ consumed: 0, state: "more" });
      expect(reader.read(f).state).toBe("done");
    });

    it("rejects torn markers, missing markers and trailing bytes", () => {
      const torn = hex("0300000007000000 0100000000000000 7800000000000000 ff00000000000000");
      const e = expectDecodeError(() => new ResultReader({ engine }).read(torn), "BAD_VALUE_TYPE", 24);
      expect(e.message).toContain("nibble 15");
      const tornPart = hex("0300000007000000 0100000000000000 7800000000000000 eeeeeeeeeeeeee00");
      expectDecodeError(() => new ResultReader({ engine }).read(tornPart), "BAD_VALUE_TYPE", 24);
      // 0xe1 as header byte: column 0 INTEGER, then a truncated cell.
      const missing = hex("0200000007000000 0100000000000000 7800000000000000");
      expectDecodeError(() => new ResultReader({ engine }).read(missing), "BAD_MARKER", 24);
      const zeroColTorn = hex("0200000007000000 0000000000000000 ffffffffffffff00");
      expectDecodeError(() => new ResultReader({ engine }).read(zeroColTorn), "BAD_MARKER", 16);
      const trailing = hex("0400000007000000 0100000000000000 7800000000000000 ffffffffffffffff 0000000000000000");
      expectDecodeError(() => new ResultReader({ engine }).read(trailing), "BAD_LENGTH", 32);
      const reserved = hex("03000000070012ab 0100000000000000 7800000000000000 ffffffffffffffff");
      expect(new ResultReader({ engine }).read(reserved).state).toBe("done");
    });

    it("enforces the caps", () => {
      const rows = (n: number) => Array.from({ length: n }, (_, i) => [{ type: 1 as const, value: BigInt(i) }]);
      expect(new ResultReader({ engine, limits: { maxRowsPerFrame: 4 } }).read(rowsFrame(["x"], rows(3))).batch!.rowCount).toBe(3);
      expectDecodeError(() => new ResultReader({ engine, limits: { maxRowsPerFrame: 3 } }).read(rowsFrame(["x"], rows(3))), "LIMIT");
      const part = rowsFrame(["x"], rows(2), "PART");
      const reader = new ResultReader({ engine, limits: { maxRowsPerResult: 3 }, retention: "keep" });
      reader.read(part);
      expectDecodeError(() => reader.read(part), "LIMIT");
      const frames = new ResultReader({ engine, limits: { maxFramesPerResult: 2 }, retention: "keep" });
      expectDecodeError(() => frames.read(concat([part, part, part])), "LIMIT", part.length * 2);
      // Streamed (the default): the result-wide caps bound kept results only.
      const streamed = new ResultReader({ engine, limits: { maxRowsPerResult: 3, maxFramesPerResult: 2 } });
      expect(streamed.read(concat([part, part, part])).batch!.rowCount).toBe(6);
      expect(streamed.read(concat([part, rowsFrame(["x"], rows(2))])).state).toBe("done");
      expect([streamed.rowsRead, streamed.framesRead]).toEqual([10, 5]);
      expectDecodeError(() => new ResultReader({ engine, limits: { maxColumns: 1 } }).read(rowsFrame(["a", "b"], [])), "LIMIT", 8);
      expectDecodeError(() => new ResultReader({ engine, limits: { maxNameBytes: 3 } }).read(rowsFrame(["abcd"], [])), "LIMIT", 16);
      expect(new ResultReader({ engine, limits: { maxNameBytes: 4 } }).read(rowsFrame(["abcd"], [])).batch!.columns).toEqual(["abcd"]);
      expectDecodeError(
        () => new ResultReader({ engine, limits: { maxValueBytes: 4 } }).read(rowsFrame(["t"], [[text("abcde")]])),
        "LIMIT",
      );
      expectDecodeError(
        () => new ResultReader({ engine, limits: { maxValueBytes: 4 } }).read(rowsFrame(["b"], [[{ type: 4, bytes: new Uint8Array(5) }]])),
        "LIMIT",
      );
      expectDecodeError(() => new ResultReader({ engine, limits: { maxMessageBytes: 16 } }).read(rowsFrame(["b"], [])), "LIMIT", 0);
    });

    it("keeps a copy of the input for text and blobs unless told to borrow it", () => {
      const input = rowsFrame(["t", "b"], [[text("hello"), { type: 4, bytes: Uint8Array.of(1, 2, 3) }]]);
      const copied = new ResultReader({ engine }).read(input).batch!;
      const borrowed = new ResultReader({ engine, input: "borrow" }).read(input).batch!;
      expect(borrowed.bytes).toBe(input);
      input.fill(0x41); // the caller reuses its buffer
      expect(copied.arrays()).toEqual([["hello", Uint8Array.of(1, 2, 3)]]);
      expect(borrowed.column(0).text(0)).toBe("AAAAA");
      // Numbers need no input bytes: nothing is copied.
      const numbers = rowsFrame(["n"], [[{ type: 1, value: 7n }]]);
      expect(new ResultReader({ engine }).read(numbers).batch!.bytes).toBe(numbers);
    });

    it("rejects invalid UTF-8 at decode time with BAD_TEXT", () => {
      const bad = { type: 3 as const, utf8: Uint8Array.of(0x61, 0xc3) };
      expectDecodeError(() => new ResultReader({ engine }).read(rowsFrame(["t"], [[bad]])), "BAD_TEXT", 32);
      expectDecodeError(() => new ResultReader({ engine }).read(rowsFrame([Uint8Array.of(0xff)], [])), "BAD_TEXT", 16);
      const surrogate = { type: 3 as const, utf8: Uint8Array.of(0xed, 0xa0, 0x80) };
      expectDecodeError(() => new ResultReader({ engine }).read(rowsFrame(["t"], [[surrogate]])), "BAD_TEXT");
    });
  });
}
