// The values users keep (arrays(), objects(), columnValues()): identical from both engines and
// equal to the codec's values, blobs as views that outlive the reader's input, objects that
// behave as plain objects, and text on both sides of the ASCII fast path.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeFrame } from "../../src/messages/codec.ts";
import { ResultReader } from "../../src/rows/result-reader.ts";
import type { RowBatch } from "../../src/rows/row-batch.ts";
import { initRowEngine } from "../../src/rows/wasm-loader.ts";
import { FrameDecoder } from "../../src/stream/frame-decoder.ts";
import type { CellValue } from "../../src/values/cell.ts";
import { ASCII_FAST_PATH_MAX_BYTES } from "../../src/wire/utf8.ts";
import { resultOf, streamOf } from "./arbitraries.ts";
import { float, rowsFrame, text } from "./build-frames.ts";

await initRowEngine();

const intMode = fc.constantFrom("number" as const, "bigint" as const, "string" as const);

/** Every batch of a whole result, read in one call per batch. */
function batchesOf(input: Uint8Array, engine: "js" | "wasm", mode: "number" | "bigint" | "string"): RowBatch[] | string {
  const reader = new ResultReader({ engine, intMode: mode });
  const batches: RowBatch[] = [];
  let at = 0;
  try {
    for (;;) {
      const step = reader.read(input.subarray(at));
      at += step.consumed;
      if (step.batch) batches.push(step.batch);
      if (step.state !== "more" || step.consumed === 0) return batches;
    }
  } catch (error) {
    return (error as Error).message;
  }
}

/** Blobs compared by content (views and copies alike). */
const comparable = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_key, v) => (v instanceof Uint8Array ? { blob: Array.from(v) } : typeof v === "bigint" ? `${v}n` : v)));

describe("row values", () => {
  it("are identical from both engines in every shape, and equal the codec's values", () => {
    fc.assert(
      fc.property(resultOf(), intMode, (result, mode) => {
        const input = streamOf(result);
        const js = batchesOf(input, "js", mode);
        const wasm = batchesOf(input, "wasm", mode);
        if (typeof js === "string") {
          expect(wasm).toBe(js);
          return;
        }
        expect(typeof wasm).not.toBe("string");
        const shapes = (batches: RowBatch[]) =>
          comparable(
            batches.map((b) => ({
              arrays: b.arrays(),
              objects: b.objects(),
              columns: b.columnValues(),
              copied: b.arrays({ blobs: "copy" }),
            })),
          );
        expect(shapes(wasm as RowBatch[])).toEqual(shapes(js));
        // The codec decodes each frame alone: its rows, value for value.
        const codecRows: CellValue[][] = [];
        let at = 0;
        while (at < input.length) {
          const size = 8 + new DataView(input.buffer, input.byteOffset + at).getUint32(0, true) * 8;
          const frame = decodeFrame("response", input.subarray(at, at + size), { intMode: mode });
          if (frame.type === "ROWS") for (const row of frame.rows) codecRows.push(row.values);
          at += size;
        }
        expect(comparable(js.flatMap((b) => b.arrays()))).toEqual(comparable(codecRows));
        // columnValues is arrays() transposed; objects() keys each row by name, later names winning.
        for (const batch of js) {
          const arrays = batch.arrays();
          expect(comparable(batch.columnValues())).toEqual(comparable(batch.columns.map((_, c) => arrays.map((row) => row[c]))));
          const expected = arrays.map((row) => {
            const object: Record<string, unknown> = {};
            batch.columns.forEach((name, c) => {
              Object.defineProperty(object, name, { value: row[c], enumerable: true, writable: true, configurable: true });
            });
            return object;
          });
          expect(comparable(batch.objects())).toEqual(comparable(expected));
        }
      }),
      { numRuns: 300 },
    );
  });

  for (const engine of ["js", "wasm"] as const) {
    it(`${engine}: blob views outlive the input, the reader and the frame decoder's buffer`, () => {
      const frame = rowsFrame(
        ["id", "payload"],
        [
          [
            { type: 1, value: 1n },
            { type: 4, bytes: Uint8Array.of(1, 2, 3) },
          ],
          [
            { type: 1, value: 2n },
            { type: 4, bytes: new Uint8Array(100).fill(7) },
          ],
          [
            { type: 1, value: 3n },
            { type: 4, bytes: new Uint8Array(0) },
          ],
        ],
        "PART",
      );
      const decoder = new FrameDecoder({ side: "response" });
      const reader = new ResultReader({ engine, input: "borrow" });
      decoder.push(frame);
      const step = reader.read(decoder.pending(), decoder.pendingOffset);
      decoder.consume(step.consumed);
      const [arrays, objects, copies] = [step.batch!.arrays(), step.batch!.objects(), step.batch!.arrays({ blobs: "copy" })];
      // The decoder reuses its buffer and the reader goes on: the values must not change.
      decoder.push(frame.map(() => 0xee));
      reader.read(
        rowsFrame(
          ["id", "payload"],
          [
            [
              { type: 1, value: 9n },
              { type: 4, bytes: Uint8Array.of(9) },
            ],
          ],
        ),
      );
      frame.fill(0);
      expect(arrays.map((row) => Array.from(row[1] as Uint8Array))).toEqual([[1, 2, 3], new Array(100).fill(7), []]);
      expect(objects[1]!["payload"]).toEqual(new Uint8Array(100).fill(7));
      // Views of one batch share one buffer holding only the batch's blob bytes; copies do not.
      const views = arrays.map((row) => row[1] as Uint8Array);
      expect(views[0]!.buffer).toBe(views[1]!.buffer);
      expect(views[0]!.buffer.byteLength).toBe(103);
      expect(copies.map((row) => (row[1] as Uint8Array).buffer.byteLength)).toEqual([3, 100, 0]);
    });

    it(`${engine}: objects are plain objects of one shape: keys, spread, JSON, prototype`, () => {
      const frame = rowsFrame(
        ["k", "v", "constructor", "k"],
        [
          [text("a"), { type: 1, value: 1n }, text("c"), text("later")],
          [text("b"), float(2.5), { type: 5 }, { type: 5 }],
        ],
      );
      const objects = new ResultReader({ engine }).read(frame).batch!.objects();
      expect(objects.map((o) => Object.keys(o))).toEqual([
        ["k", "v", "constructor"],
        ["k", "v", "constructor"],
      ]);
      expect(objects[0]).toEqual({ k: "later", v: 1, constructor: "c" });
      expect(Object.getPrototypeOf(objects[1])).toBe(Object.prototype);
      expect({ ...objects[1] }).toEqual({ k: null, v: 2.5, constructor: null });
      expect(JSON.stringify(objects[1])).toBe('{"k":null,"v":2.5,"constructor":null}');
      expect(structuredClone(objects[0])).toEqual({ k: "later", v: 1, constructor: "c" });
      // Two results with the same columns share a shape; the objects stay independent.
      const again = new ResultReader({ engine }).read(frame).batch!.objects();
      again[0]!["k"] = "changed";
      expect(objects[0]!["k"]).toBe("later");
    });

    it(`${engine}: text on both sides of the ASCII fast path and beyond ASCII`, () => {
      const texts = [
        "",
        "x",
        "a".repeat(ASCII_FAST_PATH_MAX_BYTES),
        "b".repeat(ASCII_FAST_PATH_MAX_BYTES + 1),
        "é",
        `${"c".repeat(ASCII_FAST_PATH_MAX_BYTES - 1)}é`,
        "\uFEFFbom",
        "日本語テキスト🎉",
        "\u007f\u0001",
      ];
      const frame = rowsFrame(
        ["t"],
        texts.map((value) => [text(value)]),
      );
      const batch = new ResultReader({ engine }).read(frame).batch!;
      expect(batch.arrays().map((row) => row[0])).toEqual(texts);
      expect(batch.columnValues()[0]).toEqual(texts);
      expect(texts.map((_, row) => batch.column(0).text(row))).toEqual(texts);
    });
  }
});
