// The WASM and TS engines must be indistinguishable: same batches (types and raw slot bits),
// same values, same errors (class, code, message, offset, field), on generated results, on
// every chunking, and on mutated and truncated input. Both must also agree with the message
// codec on every single ROWS frame.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeFrame } from "../../src/messages/codec.ts";
import { ResultReader } from "../../src/rows/result-reader.ts";
import { initRowEngine } from "../../src/rows/wasm-loader.ts";
import type { Tuple } from "../../src/values/cell.ts";
import type { IntMode } from "../../src/values/int-mode.ts";
import { anyTextBytes, framesOf, patternedResultOf, resultOf, streamOf } from "./arbitraries.ts";
import { rowsFrame } from "./build-frames.ts";
import { drive, valuesAndEnd } from "./drive.ts";

expect(await initRowEngine()).toMatch(/^wasm/);

const intMode = fc.constantFrom<IntMode>("number", "bigint", "string");
const chunking = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 });

describe("WASM and TS engines are identical", () => {
  it("on generated results, whole and in chunks", () => {
    fc.assert(
      fc.property(resultOf(), intMode, chunking, (result, mode, chunks) => {
        const input = streamOf(result);
        const js = drive(input, { engine: "js", intMode: mode });
        const wasm = drive(input, { engine: "wasm", intMode: mode });
        expect(wasm).toEqual(js);
        const jsChunked = drive(input, { engine: "js", intMode: mode, chunks });
        expect(drive(input, { engine: "wasm", intMode: mode, chunks })).toEqual(jsChunked);
        // Any chunking yields the rows of the one-shot decode.
        expect(valuesAndEnd(jsChunked)).toEqual(valuesAndEnd(js));
        if (mode !== "number") {
          expect(js.error).toBeUndefined();
          expect(js.values.length).toBe(result.rows.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("on results whose rows repeat a type pattern, whole, chunked and mutated", () => {
    fc.assert(
      fc.property(
        patternedResultOf(),
        intMode,
        chunking,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
        (result, mode, chunks, edits) => {
          const input = streamOf(result).slice();
          expect(drive(input, { engine: "wasm", intMode: mode, chunks })).toEqual(drive(input, { engine: "js", intMode: mode, chunks }));
          for (const [at, value] of edits) input[at % input.length] = value;
          const cut = input.subarray(0, input.length - (edits.length > 0 ? edits[0]![0] % 24 : 0));
          expect(drive(cut, { engine: "wasm", intMode: mode })).toEqual(drive(cut, { engine: "js", intMode: mode }));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("split at every byte: [0, i) then [i, n) gives the one-shot rows", () => {
    const result = fc.sample(resultOf(), { seed: 7, numRuns: 40 }).find((r) => r.frameSizes.length > 2 && r.rows.length > 3)!;
    const input = streamOf(result);
    for (const engine of ["js", "wasm"] as const) {
      const whole = valuesAndEnd(drive(input, { engine, intMode: "string" }));
      for (let i = 1; i < input.length; i++) {
        expect(valuesAndEnd(drive(input, { engine, intMode: "string", chunks: [i, input.length] }))).toEqual(whole);
      }
    }
  });

  it("on texts of arbitrary bytes (invalid UTF-8 fails the same way)", () => {
    fc.assert(
      fc.property(resultOf(anyTextBytes), (result) => {
        const input = streamOf(result);
        expect(drive(input, { engine: "wasm", intMode: "bigint" })).toEqual(drive(input, { engine: "js", intMode: "bigint" }));
      }),
      { numRuns: 200 },
    );
  });

  it("on mutated and truncated input", () => {
    const mutation = fc.record({
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(
      fc.property(resultOf(), mutation, intMode, chunking, (result, { edits, cut }, mode, chunks) => {
        const input = streamOf(result).slice();
        for (const [at, value] of edits) input[at % input.length] = value;
        const mutated = cut === undefined ? input : input.subarray(0, cut % (input.length + 1));
        const js = drive(mutated, { engine: "js", intMode: mode });
        expect(drive(mutated, { engine: "wasm", intMode: mode })).toEqual(js);
        expect(drive(mutated, { engine: "wasm", intMode: mode, chunks })).toEqual(drive(mutated, { engine: "js", intMode: mode, chunks }));
      }),
      { numRuns: 500 },
    );
  });

  it("under small caps", () => {
    const limits = fc.record({
      maxColumns: fc.integer({ min: 0, max: 8 }),
      maxRowsPerFrame: fc.integer({ min: 0, max: 6 }),
      maxFramesPerResult: fc.integer({ min: 0, max: 4 }),
      maxRowsPerResult: fc.integer({ min: 0, max: 10 }),
      maxNameBytes: fc.integer({ min: 0, max: 10 }),
      maxValueBytes: fc.integer({ min: 0, max: 24 }),
      maxMessageBytes: fc.integer({ min: 8, max: 2048 }),
    });
    fc.assert(
      fc.property(resultOf(), limits, (result, caps) => {
        const input = streamOf(result);
        expect(drive(input, { engine: "wasm", intMode: "string", limits: caps })).toEqual(
          drive(input, { engine: "js", intMode: "string", limits: caps }),
        );
      }),
      { numRuns: 300 },
    );
  });
});

/** The codec's rows as plain values, and the exact bits of each FLOAT cell. */
function codecRows(rows: Tuple[]): unknown[][] {
  return rows.map((row) => row.values);
}

function errorOf(fn: () => unknown): { name: string; code: string; offset: number } | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    const e = error as Error & { code: string; offset: number };
    return { name: e.name, code: e.code, offset: e.offset };
  }
}

describe("the engines agree with the message codec frame by frame", () => {
  for (const engine of ["js", "wasm"] as const) {
    it(`${engine}: values of every frame`, () => {
      fc.assert(
        fc.property(resultOf(), intMode, (result, mode) => {
          for (const frame of framesOf(result)) {
            const codecError = errorOf(() => decodeFrame("response", frame, { intMode: mode }));
            const reader = new ResultReader({ engine, intMode: mode });
            let step: ReturnType<ResultReader["read"]> | undefined;
            const engineError = errorOf(() => (step = reader.read(frame)));
            expect(engineError).toEqual(codecError);
            if (codecError !== undefined) continue;
            const message = decodeFrame("response", frame, { intMode: mode });
            if (message.type !== "ROWS") throw new Error("expected ROWS");
            expect(step!.batch!.columns).toEqual(message.columns);
            expect(step!.batch!.arrays()).toEqual(codecRows(message.rows));
            expect(step!.state).toBe(message.marker === "DONE" ? "done" : "more");
          }
        }),
        { numRuns: 200 },
      );
    });

    it(`${engine}: errors on mutated frame bodies`, () => {
      fc.assert(
        fc.property(
          resultOf(anyTextBytes),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
          intMode,
          (result, edits, mode) => {
            const frame = framesOf(result)[0]!.slice();
            // The header stays intact: a changed size or type is the frame decoder's business.
            for (const [at, value] of edits) if (frame.length > 8) frame[8 + (at % (frame.length - 8))] = value;
            const codecError = errorOf(() => decodeFrame("response", frame, { intMode: mode }));
            const engineError = errorOf(() => new ResultReader({ engine, intMode: mode }).read(frame));
            expect(engineError).toEqual(codecError);
          },
        ),
        { numRuns: 400 },
      );
    });
  }
});

describe("-2^53 in intMode number", () => {
  const frame = rowsFrame(["n"], [[{ type: 1, value: -(2n ** 53n) }]]);
  for (const engine of ["js", "wasm"] as const) {
    it(`${engine} refuses it as UNSAFE_INTEGER`, () => {
      expect(errorOf(() => new ResultReader({ engine }).read(frame))).toEqual({ name: "DecodeError", code: "UNSAFE_INTEGER", offset: 32 });
    });
  }
  it("the codec refuses it too (its fast path once let it through)", () => {
    expect(errorOf(() => decodeFrame("response", frame))).toEqual({ name: "DecodeError", code: "UNSAFE_INTEGER", offset: 32 });
  });
});
