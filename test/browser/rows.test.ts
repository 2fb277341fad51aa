// Both row engines in Chromium (vitest browser mode): the WASM module loads asynchronously from
// the inlined bytes, and the engines agree on generated results, chunkings and mutated input.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ResultReader } from "../../src/rows/result-reader.ts";
import { initRowEngine } from "../../src/rows/wasm-loader.ts";
import { anyTextBytes, resultOf, streamOf } from "../rows/arbitraries.ts";
import { rowsFrame, text } from "../rows/build-frames.ts";
import { drive } from "../rows/drive.ts";

describe("row engines in the browser", () => {
  it("runs in a browser and loads the WASM engine asynchronously", async () => {
    expect(typeof window).toBe("object");
    expect(await initRowEngine()).toMatch(/^wasm/);
    const reader = new ResultReader({ engine: "auto" });
    expect(reader.engine).toMatch(/^wasm/);
    const step = reader.read(rowsFrame(["id", "name"], [[{ type: 1, value: 7n }, text("héllo")]]));
    expect(step.batch!.objects()).toEqual([{ id: 7, name: "héllo" }]);
  });

  it("WASM and TS engines agree on generated results in chunks", async () => {
    await initRowEngine();
    fc.assert(
      fc.property(
        resultOf(),
        fc.constantFrom("number", "bigint", "string" as const),
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 4 }),
        (result, intMode, chunks) => {
          const input = streamOf(result);
          expect(drive(input, { engine: "wasm", intMode, chunks })).toEqual(drive(input, { engine: "js", intMode, chunks }));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("WASM and TS engines fail alike on mutated input and invalid text", async () => {
    await initRowEngine();
    fc.assert(
      fc.property(
        resultOf(anyTextBytes),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (result, edits) => {
          const input = streamOf(result).slice();
          for (const [at, value] of edits) input[at % input.length] = value;
          expect(drive(input, { engine: "wasm", intMode: "bigint" })).toEqual(drive(input, { engine: "js", intMode: "bigint" }));
        },
      ),
      { numRuns: 150 },
    );
  });
});
