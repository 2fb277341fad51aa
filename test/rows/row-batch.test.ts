import { describe, expect, it } from "vitest";
import { ResultReader } from "../../src/rows/result-reader.ts";
import { initRowEngine } from "../../src/rows/wasm-loader.ts";
import { rowsFrame, text } from "./build-frames.ts";

await initRowEngine();

describe("RowBatch", () => {
  const frame = rowsFrame(
    ["a", "__proto__", "a"],
    [
      [{ type: 1, value: 1n }, text("x"), { type: 5 }],
      [text("mixed"), { type: 11, word: 0n }, { type: 4, bytes: Uint8Array.of(9) }],
    ],
  );

  for (const engine of ["js", "wasm"] as const) {
    it(`${engine}: objects keep own keys, later duplicates win, __proto__ is a plain property`, () => {
      const objects = new ResultReader({ engine }).read(frame).batch!.objects();
      expect(Object.getPrototypeOf(objects[0])).toBe(Object.prototype);
      expect(Object.keys(objects[0]!)).toEqual(["a", "__proto__"]);
      expect(objects[0]!.a).toBeNull();
      expect(Object.getOwnPropertyDescriptor(objects[0], "__proto__")!.value).toBe("x");
      expect(objects[1]!.a).toEqual(Uint8Array.of(9));
    });

    it(`${engine}: column accessors check the row and the cell type`, () => {
      const batch = new ResultReader({ engine }).read(frame).batch!;
      const first = batch.column(0);
      expect(first.value(0)).toBe(1);
      expect(first.text(1)).toBe("mixed");
      expect(() => first.text(0)).toThrow(TypeError);
      expect(() => first.blob(0)).toThrow(TypeError);
      expect(() => first.value(2)).toThrow(RangeError);
      expect(() => batch.column(3)).toThrow(RangeError);
      expect(batch.get(1, 1)).toBe(false);
      const blob = batch.column(2).blob(1);
      blob[0] = 0;
      expect(batch.column(2).blob(1)).toEqual(Uint8Array.of(9)); // blob() returns a copy
      expect(batch.column(0)).toBe(first); // views are created once
    });
  }
});
