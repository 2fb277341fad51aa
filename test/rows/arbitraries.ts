// fast-check generators of ROWS results for the row-engine tests: every value type and nibble,
// 0 to 2000 columns, types changing between rows, 7/8/9-byte texts, int64 edges, NaN payloads
// and -0, results split into PART … DONE frames.

import fc from "fast-check";
import { type TestCell, concat, rowsFrame } from "./build-frames.ts";

const encoder = new TextEncoder();

const INT64_EDGES = [
  0n,
  1n,
  -1n,
  2n ** 31n,
  -(2n ** 31n),
  2n ** 32n,
  2n ** 53n - 1n,
  -(2n ** 53n - 1n),
  2n ** 53n,
  -(2n ** 53n),
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
];

export const int64 = fc.oneof(
  fc.constantFrom(...INT64_EDGES),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(BigInt),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);

function bitsOf(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, true);
  return view.getBigUint64(0, true);
}

export const floatBits = fc.oneof(
  fc.double().map(bitsOf),
  fc.constantFrom(
    bitsOf(-0),
    bitsOf(0),
    bitsOf(Infinity),
    bitsOf(-Infinity),
    0x7ff8000000000000n,
    0x7ff0000000000001n,
    0xfff8000000000000n,
    0x7ff4000000000123n,
    0x0000000000000001n,
  ),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);

const noNul = (s: string) => s.replace(/\0/g, "x");

/** Valid UTF-8 without NUL, with the 7/8/9-byte boundaries of the text padding well covered. */
export const validText = fc
  .oneof(
    fc.string({ maxLength: 40 }).map(noNul),
    fc.string({ unit: "binary", maxLength: 20 }).map(noNul),
    fc.constantFrom("", "abcdefg", "abcdefgh", "abcdefghi", "\u{1F600}", "é", "\uFEFFbom", "a\u0080b", "日本語テキスト"),
    fc.integer({ min: 0, max: 70 }).map((n) => "q".repeat(n)),
  )
  .map((s) => encoder.encode(s));

/** Any bytes without NUL: mostly invalid UTF-8 once a high byte appears. */
export const anyTextBytes = fc.uint8Array({ maxLength: 12 }).map((b) => b.map((x) => (x === 0 ? 0x41 : x)));

/** A cell of the given type. */
export function cellOfType(type: TestCell["type"], textBytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<TestCell> {
  switch (type) {
    case 1:
    case 9:
      return int64.map((value): TestCell => ({ type, value }));
    case 2:
      return floatBits.map((bits): TestCell => ({ type: 2, bits }));
    case 3:
    case 10:
      return textBytes.map((utf8): TestCell => ({ type, utf8 }));
    case 4:
      return fc.uint8Array({ maxLength: 24 }).map((bytes): TestCell => ({ type: 4, bytes }));
    case 5:
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((filler): TestCell => ({ type: 5, filler }));
    case 11:
      return fc.oneof(fc.constantFrom(0n, 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map((word): TestCell => ({ type: 11, word }));
  }
}

const CELL_TYPES: TestCell["type"][] = [1, 2, 3, 4, 5, 9, 10, 11];

export function cellOf(textBytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<TestCell> {
  return fc.constantFrom(...CELL_TYPES).chain((type) => cellOfType(type, textBytes));
}

/**
 * Results whose rows mostly repeat one type pattern (as real tables do), with a few rows of
 * other patterns mixed in: the WASM core's cached-header fast path runs on these.
 */
export function patternedResultOf(textBytes: fc.Arbitrary<Uint8Array> = validText): fc.Arbitrary<GeneratedResult> {
  return fc.integer({ min: 1, max: 17 }).chain((columns) => {
    const pattern = fc.array(fc.constantFrom(...CELL_TYPES), { minLength: columns, maxLength: columns });
    return fc
      .record({
        main: pattern,
        other: pattern,
        rows: fc.array(fc.nat(9), { maxLength: 40 }),
        cuts: fc.array(fc.nat(), { maxLength: 3 }),
      })
      .chain(({ main, other, rows, cuts }) =>
        fc
          .tuple(...rows.map((pick) => fc.tuple(...(pick === 0 ? other : main).map((type) => cellOfType(type, textBytes)))))
          .map((cells) => ({ names: main.map((_, i) => `c${i}`), rows: cells as TestCell[][], frameSizes: splitRows(cells.length, cuts) })),
      );
  });
}

function splitRows(count: number, cuts: number[]): number[] {
  const points = cuts.map((c) => (count === 0 ? 0 : c % (count + 1))).sort((a, b) => a - b);
  const sizes: number[] = [];
  let last = 0;
  for (const p of points) {
    sizes.push(p - last);
    last = p;
  }
  sizes.push(count - last);
  return sizes;
}

export interface GeneratedResult {
  names: string[];
  rows: TestCell[][];
  /** Rows per frame; the last frame ends with DONE, the others with PART. */
  frameSizes: number[];
}

/** Column counts: mostly small, sometimes across row-header word boundaries, rarely 2000. */
const columnCount = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 6 }) },
  { weight: 2, arbitrary: fc.constantFrom(15, 16, 17, 32, 33) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 2000 }) },
);

export function resultOf(textBytes: fc.Arbitrary<Uint8Array> = validText): fc.Arbitrary<GeneratedResult> {
  return columnCount.chain((columns) => {
    const maxRows = columns === 0 ? 0 : columns > 64 ? 2 : 12;
    return fc
      .record({
        names: fc.array(fc.string({ maxLength: 8 }).map(noNul), { minLength: columns, maxLength: columns }),
        rows: fc.array(fc.array(cellOf(textBytes), { minLength: columns, maxLength: columns }), { maxLength: maxRows }),
        cuts: fc.array(fc.nat(), { maxLength: 4 }),
      })
      .map(({ names, rows, cuts }) => {
        // Split the rows into frames at sorted cut points (frames may be empty).
        const points = cuts.map((c) => (rows.length === 0 ? 0 : c % (rows.length + 1))).sort((a, b) => a - b);
        const frameSizes: number[] = [];
        let last = 0;
        for (const p of points) {
          frameSizes.push(p - last);
          last = p;
        }
        frameSizes.push(rows.length - last);
        return { names, rows, frameSizes };
      });
  });
}

/** The frames of a generated result, in order. */
export function framesOf(result: GeneratedResult): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let at = 0;
  result.frameSizes.forEach((size, i) => {
    const last = i === result.frameSizes.length - 1;
    frames.push(rowsFrame(result.names, result.rows.slice(at, at + size), last ? "DONE" : "PART"));
    at += size;
  });
  return frames;
}

export function streamOf(result: GeneratedResult): Uint8Array {
  return concat(framesOf(result));
}
