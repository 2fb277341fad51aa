// The frame scanner against an independent walk: frames of random types, schemas and sizes are
// laid end to end, cut into chunks anywhere and fed in copy and in borrow mode; every way of
// feeding them must yield the frames a plain whole-buffer walk finds (header, bytes, stream
// offset). Skipping, passing through, the size cap and the run scan are held to the same walk.

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DecodeError } from "../../src/errors.ts";
import { FrameScanner, type FrameScannerOptions, frameEnd, scanRun } from "../../src/wire/frame-scanner.ts";
import { writeHeader } from "../../src/wire/header.ts";
import { FrameLayout } from "../../src/wire/layout.ts";

interface FrameSpec {
  type: number;
  schema: number;
  body: Uint8Array;
}

interface WalkedFrame {
  header: { sizeWords: number; type: number; schema: number; frameBytes: number };
  bytes: Uint8Array;
  streamOffset: number;
}

/** Few types and schemas, so that runs of one kind and changes of kind both happen often. */
const frameSpecArb: fc.Arbitrary<FrameSpec> = fc.record({
  type: fc.constantFrom(0, 7, 255),
  schema: fc.constantFrom(0, 1),
  body: fc.integer({ min: 0, max: 12 }).chain((words) => fc.uint8Array({ minLength: words * 8, maxLength: words * 8 })),
});

const framesArb = fc.array(frameSpecArb, { minLength: 0, maxLength: 12 });

function buildStream(frames: FrameSpec[]): Uint8Array {
  const total = frames.reduce((n, f) => n + FrameLayout.HeaderBytes + f.body.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const frame of frames) {
    writeHeader(out, at, frame.body.length / FrameLayout.WordBytes, frame.type, frame.schema);
    out.set(frame.body, at + FrameLayout.HeaderBytes);
    at += FrameLayout.HeaderBytes + frame.body.length;
  }
  return out;
}

/** The reference: header after header through a DataView, no scanner code involved. */
function walkWhole(stream: Uint8Array): WalkedFrame[] {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const out: WalkedFrame[] = [];
  for (let at = 0; at < stream.length; ) {
    const sizeWords = view.getUint32(at, true);
    const frameBytes = 8 + sizeWords * 8;
    out.push({
      header: { sizeWords, type: stream[at + 4]!, schema: stream[at + 5]!, frameBytes },
      bytes: stream.slice(at, at + frameBytes),
      streamOffset: at,
    });
    at += frameBytes;
  }
  return out;
}

/** Cuts `stream` at the given positions (sorted, duplicates give empty chunks). */
function cut(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = cuts.map((c) => Math.min(c, stream.length)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(stream.slice(from, point));
    from = point;
  }
  chunks.push(stream.slice(from));
  return chunks;
}

const cutsArb = fc.array(fc.nat({ max: 800 }), { maxLength: 20 });

/**
 * Feeds the chunks and takes every whole frame after each push. In copy mode a frame is a view of
 * the scanner's buffer, so it is copied at once; in borrow mode the view itself is kept, to be
 * compared only after every later push.
 */
function scanChunks(chunks: Uint8Array[], options: FrameScannerOptions): WalkedFrame[] {
  const scanner = new FrameScanner(options);
  const out: WalkedFrame[] = [];
  for (const chunk of chunks) {
    scanner.push(chunk);
    for (let frame = scanner.next(); frame !== undefined; frame = scanner.next()) {
      out.push({ ...frame, bytes: options.input === "borrow" ? frame.bytes : frame.bytes.slice() });
    }
  }
  expect(scanner.buffered).toBe(0);
  return out;
}

/**
 * Two frames (16 and 24 bytes) cut 4 bytes into the second, the first chunk pushed into a
 * borrow-mode scanner: the first frame lies within one chunk, the second spans both.
 */
function twoFramesCutInTheSecond() {
  const stream = buildStream([
    { type: 1, schema: 0, body: new Uint8Array(8).fill(3) },
    { type: 2, schema: 0, body: new Uint8Array(16).fill(4) },
  ]);
  const first = stream.slice(0, 20);
  const second = stream.slice(20);
  const scanner = new FrameScanner({ input: "borrow" });
  scanner.push(first);
  return { stream, first, second, scanner };
}

const MODES: FrameScannerOptions[] = [
  { input: "copy" },
  // A buffer smaller than most frames: it must grow, and compact once frames are taken.
  { input: "copy", initialBytes: 8 },
  { input: "borrow" },
];

describe("FrameScanner: chunks cut anywhere", () => {
  for (const mode of MODES) {
    test(`${mode.input} mode (initial ${mode.initialBytes ?? "default"} bytes) yields the frames of a whole-buffer walk`, () => {
      fc.assert(
        fc.property(framesArb, cutsArb, (frames, cuts) => {
          const stream = buildStream(frames);
          const expected = walkWhole(stream);
          expect(expected.length).toBe(frames.length);
          expect(scanChunks(cut(stream, cuts), mode)).toEqual(expected);
        }),
        { numRuns: 300 },
      );
    });
  }

  test("one byte at a time, in both modes, yields the same frames", () => {
    const frames: FrameSpec[] = [
      { type: 7, schema: 0, body: new Uint8Array(24).fill(1) },
      { type: 0, schema: 1, body: new Uint8Array(0) },
      { type: 255, schema: 0, body: new Uint8Array(8).fill(2) },
    ];
    const stream = buildStream(frames);
    const bytes = Array.from(stream, (b) => Uint8Array.of(b));
    for (const mode of MODES) expect(scanChunks(bytes, mode)).toEqual(walkWhole(stream));
  });

  test("borrow mode: a frame within one chunk is a view of that chunk, a frame across chunks is a copy", () => {
    const { stream, first, second, scanner } = twoFramesCutInTheSecond();
    const inOne = scanner.next()!;
    expect(inOne.bytes.buffer).toBe(first.buffer);
    expect(scanner.next()).toBeUndefined();
    scanner.push(second);
    const across = scanner.next()!;
    expect(across.bytes.buffer).not.toBe(first.buffer);
    expect(across.bytes.buffer).not.toBe(second.buffer);
    // A later push must not reuse the array the spanning frame was assembled in.
    scanner.push(stream.slice(0, 4));
    scanner.push(stream.slice(4, 16));
    expect(Array.from(across.bytes)).toEqual(Array.from(stream.subarray(16)));
    expect(across.streamOffset).toBe(16);
  });

  // A reader may push again before taking every frame: in borrow mode the spill then holds
  // several frames, and the one handed out must not be moved under by the taking of it.
  test("frames left pending across pushes are taken intact, in both modes", () => {
    fc.assert(
      fc.property(framesArb, cutsArb, fc.array(fc.boolean()), fc.constantFrom(...MODES), (frames, cuts, walkAfter, mode) => {
        const stream = buildStream(frames);
        const scanner = new FrameScanner(mode);
        const out: WalkedFrame[] = [];
        const take = () => {
          for (let frame = scanner.next(); frame !== undefined; frame = scanner.next()) {
            out.push({ ...frame, bytes: mode.input === "borrow" ? frame.bytes : frame.bytes.slice() });
          }
        };
        cut(stream, cuts).forEach((chunk, i) => {
          scanner.push(chunk);
          if (walkAfter[i] === true) take();
        });
        take();
        expect(out).toEqual(walkWhole(stream));
        expect(scanner.buffered).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  test("copy mode: the caller may reuse a chunk as soon as push returns", () => {
    const stream = buildStream([{ type: 9, schema: 0, body: new Uint8Array(16).fill(5) }]);
    const chunk = stream.slice(0, 12);
    const scanner = new FrameScanner({ input: "copy" });
    scanner.push(chunk);
    chunk.fill(0xaa);
    scanner.push(stream.slice(12));
    expect(Array.from(scanner.next()!.bytes)).toEqual(Array.from(stream));
  });
});

describe("FrameScanner: skipFrame", () => {
  test("a frame skipped on its header alone: the rest of it is dropped as it arrives, the frames after it come whole", () => {
    fc.assert(
      fc.property(
        framesArb.filter((f) => f.length > 0),
        fc.nat(),
        cutsArb,
        fc.constantFrom<"copy" | "borrow">("copy", "borrow"),
        (frames, pick, cuts, input) => {
          const skipped = pick % frames.length;
          const stream = buildStream(frames);
          const expected = walkWhole(stream);
          const skippedAt = expected[skipped]!.streamOffset;
          const scanner = new FrameScanner({ input });
          const taken: WalkedFrame[] = [];
          let skippedDone = false;
          for (const chunk of cut(stream, cuts)) {
            scanner.push(chunk);
            for (;;) {
              if (!skippedDone && scanner.offset === skippedAt) {
                if (scanner.header() === undefined) break;
                scanner.skipFrame();
                skippedDone = true;
                continue;
              }
              const frame = scanner.next();
              if (frame === undefined) break;
              taken.push({ ...frame, bytes: frame.bytes.slice() });
            }
            // While the skipped frame's bytes are still arriving, none of them is held.
            if (skippedDone && scanner.offset < skippedAt + expected[skipped]!.header.frameBytes) {
              expect(scanner.buffered).toBe(0);
            }
          }
          expect(skippedDone).toBe(true);
          expect(taken).toEqual(expected.filter((_, i) => i !== skipped));
          expect(scanner.offset).toBe(stream.length);
          expect(scanner.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a large frame skipped before its body arrives holds none of it", () => {
    const big = buildStream([{ type: 6, schema: 0, body: new Uint8Array(8 * 1000).fill(7) }]);
    const after = buildStream([{ type: 8, schema: 0, body: new Uint8Array(8).fill(9) }]);
    for (const input of ["copy", "borrow"] as const) {
      const scanner = new FrameScanner({ input });
      scanner.push(big.subarray(0, 8));
      expect(scanner.header()?.frameBytes).toBe(8 + 8000);
      scanner.skipFrame();
      expect(scanner.buffered).toBe(0);
      scanner.push(big.subarray(8, 4008));
      expect(scanner.buffered).toBe(0);
      expect(scanner.offset).toBe(4008);
      const tail = new Uint8Array(big.length - 4008 + after.length);
      tail.set(big.subarray(4008));
      tail.set(after, big.length - 4008);
      scanner.push(tail);
      const next = scanner.next()!;
      expect(next.streamOffset).toBe(big.length);
      expect(Array.from(next.bytes)).toEqual(Array.from(after));
      expect(scanner.buffered).toBe(0);
    }
  });

  test("skipFrame with no header pending is refused", () => {
    const scanner = new FrameScanner();
    scanner.push(new Uint8Array(7));
    expect(() => scanner.skipFrame()).toThrow(RangeError);
    expect(scanner.buffered).toBe(7);
  });
});

type Way = "take" | "skip" | "pass";

/**
 * Feeds the chunks and handles each frame as soon as its header is in, the way `ways` says (by
 * the frame's index, "take" past its end): taken whole by next(), skipped, or passed. Returns the
 * stream's bytes as they came out (taken frames and passed bytes, in order) and the frames taken.
 * In borrow mode the views themselves are kept, to be compared only after every later push; in
 * copy mode a view of the scanner's buffer is copied at once. `check` runs after each chunk
 * walked; `walkAfter[i]` false leaves chunk i's frames pending until a later chunk (the last
 * chunk is always walked).
 */
function passChunks(
  stream: Uint8Array,
  chunks: Uint8Array[],
  ways: Way[],
  options: FrameScannerOptions,
  check: (scanner: FrameScanner) => void = () => {},
  walkAfter: boolean[] = [],
): { out: Uint8Array[]; taken: WalkedFrame[]; scanner: FrameScanner } {
  const walked = walkWhole(stream);
  const indexAt = new Map(walked.map((frame, i) => [frame.streamOffset, i]));
  const keep = (bytes: Uint8Array) => (options.input === "borrow" ? bytes : bytes.slice());
  const scanner = new FrameScanner(options);
  const out: Uint8Array[] = [];
  const taken: WalkedFrame[] = [];
  for (const [i, chunk] of chunks.entries()) {
    // A view of the chunk in both modes: the test never reuses a chunk.
    out.push(scanner.push(chunk));
    if (walkAfter[i] === false && i < chunks.length - 1) continue;
    for (let header = scanner.header(); header !== undefined; header = scanner.header()) {
      const way = ways[indexAt.get(scanner.offset)!] ?? "take";
      if (way === "skip") scanner.skipFrame();
      else if (way === "pass") for (const piece of scanner.passFrame()) out.push(keep(piece));
      else {
        const frame = scanner.next();
        if (frame === undefined) break;
        out.push(keep(frame.bytes));
        taken.push({ ...frame, bytes: keep(frame.bytes) });
      }
    }
    check(scanner);
  }
  return { out, taken, scanner };
}

function joined(parts: Uint8Array[]): number[] {
  return parts.flatMap((part) => Array.from(part));
}

const waysArb = fc.array(fc.constantFrom<Way>("take", "skip", "pass"), { maxLength: 12 });

describe("FrameScanner: passFrame", () => {
  for (const mode of MODES) {
    test(`${mode.input} mode (initial ${mode.initialBytes ?? "default"} bytes): taking, skipping and passing frames gives back the stream's bytes in order, less the skipped frames`, () => {
      fc.assert(
        fc.property(framesArb, waysArb, cutsArb, (frames, ways, cuts) => {
          const stream = buildStream(frames);
          const walked = walkWhole(stream);
          const wayOf = (i: number): Way => ways[i] ?? "take";
          const inPassed = (offset: number) =>
            walked.some((f, i) => wayOf(i) !== "take" && offset > f.streamOffset && offset < f.streamOffset + f.header.frameBytes);
          // Borrow mode allocates only for frames taken across chunks (the spill doubles), and
          // for a header across chunks: never for the body of a frame skipped or passed.
          const largestTaken = Math.max(
            FrameLayout.HeaderBytes,
            ...walked.filter((_, i) => wayOf(i) === "take").map((f) => f.header.frameBytes),
          );
          const { out, taken, scanner } = passChunks(stream, cut(stream, cuts), ways, mode, (scanner) => {
            // While a skipped or passed frame is still arriving, none of it is held.
            if (inPassed(scanner.offset)) expect(scanner.buffered).toBe(0);
            if (mode.input === "borrow") expect(scanner.capacity).toBeLessThanOrEqual(2 * largestTaken);
          });
          const expected = walked.filter((_, i) => wayOf(i) !== "skip").flatMap((f) => Array.from(f.bytes));
          expect(joined(out)).toEqual(expected);
          expect(taken).toEqual(walked.filter((_, i) => wayOf(i) === "take"));
          expect(scanner.offset).toBe(stream.length);
          expect(scanner.buffered).toBe(0);
        }),
        { numRuns: 300 },
      );
    });
  }

  // Several frames pending at once: in borrow mode the spill then holds more than the frame
  // passed, and what follows it must not move under the view handed out.
  test("frames left pending across pushes are passed intact", () => {
    const skipOrPass = fc.array(fc.constantFrom<Way>("skip", "pass"), { minLength: 12, maxLength: 12 });
    fc.assert(
      fc.property(
        framesArb,
        skipOrPass,
        cutsArb,
        fc.array(fc.boolean()),
        fc.constantFrom(...MODES),
        (frames, ways, cuts, walkAfter, mode) => {
          const stream = buildStream(frames);
          const walked = walkWhole(stream);
          const { out, taken, scanner } = passChunks(stream, cut(stream, cuts), ways, mode, undefined, walkAfter);
          expect(joined(out)).toEqual(walked.filter((_, i) => ways[i] === "pass").flatMap((f) => Array.from(f.bytes)));
          expect(taken).toEqual([]);
          expect(scanner.offset).toBe(stream.length);
          expect(scanner.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("passing every frame, one byte at a time, gives back every byte and holds at most a header", () => {
    const stream = buildStream([
      { type: 7, schema: 0, body: new Uint8Array(24).fill(1) },
      { type: 0, schema: 1, body: new Uint8Array(0) },
      { type: 255, schema: 0, body: new Uint8Array(8).fill(2) },
    ]);
    for (const mode of MODES) {
      const { out, scanner } = passChunks(
        stream,
        Array.from(stream, (b) => Uint8Array.of(b)),
        ["pass", "pass", "pass"],
        mode,
        (scanner) => {
          expect(scanner.buffered).toBeLessThan(FrameLayout.HeaderBytes);
          if (mode.input === "borrow") expect(scanner.capacity).toBeLessThanOrEqual(2 * FrameLayout.HeaderBytes);
        },
      );
      expect(joined(out)).toEqual(Array.from(stream));
      expect(scanner.offset).toBe(stream.length);
    }
  });

  test("a large frame passed on its header alone holds none of it: the rest comes back from push, a view of each chunk", () => {
    const big = buildStream([{ type: 6, schema: 0, body: Uint8Array.from({ length: 8 * 1000 }, (_, i) => i) }]);
    const after = buildStream([{ type: 8, schema: 0, body: new Uint8Array(8).fill(9) }]);
    for (const mode of [{ input: "copy", initialBytes: 16 }, { input: "borrow" }] as const) {
      const scanner = new FrameScanner(mode);
      expect(scanner.push(big.subarray(0, 8)).length).toBe(0);
      expect(scanner.header()?.frameBytes).toBe(8 + 8000);
      const head = scanner.passFrame();
      expect(joined(head)).toEqual(Array.from(big.subarray(0, 8)));
      expect(scanner.buffered).toBe(0);
      const middle = big.subarray(8, 4008);
      const passed = scanner.push(middle);
      expect(passed.buffer).toBe(middle.buffer);
      expect(passed.byteOffset).toBe(middle.byteOffset);
      expect(passed.length).toBe(4000);
      expect(scanner.buffered).toBe(0);
      expect(scanner.offset).toBe(4008);
      const tail = new Uint8Array(big.length - 4008 + after.length);
      tail.set(big.subarray(4008));
      tail.set(after, big.length - 4008);
      expect(Array.from(scanner.push(tail))).toEqual(Array.from(big.subarray(4008)));
      const next = scanner.next()!;
      expect(next.streamOffset).toBe(big.length);
      expect(Array.from(next.bytes)).toEqual(Array.from(after));
      expect(scanner.buffered).toBe(0);
      expect(scanner.capacity).toBeLessThanOrEqual(16);
      // The frame passed, later pushes hand nothing out.
      expect(scanner.push(after).length).toBe(0);
    }
  });

  test("borrow mode: the bytes of a passed frame in one chunk are a view of it; a header across chunks comes from the spill", () => {
    const { stream, first, second, scanner } = twoFramesCutInTheSecond();
    const inOne = scanner.passFrame();
    expect(inOne.length).toBe(1);
    expect(inOne[0]!.buffer).toBe(first.buffer);
    expect(scanner.header()).toBeUndefined();
    scanner.push(second);
    const across = scanner.passFrame();
    expect(across.map((piece) => piece.length)).toEqual([8, 16]);
    expect(across[0]!.buffer).not.toBe(first.buffer);
    expect(across[1]!.buffer).toBe(second.buffer);
    // A later push must not reuse the array the header was assembled in.
    scanner.push(stream.slice(0, 4));
    scanner.push(stream.slice(4, 16));
    expect(joined([...inOne, ...across])).toEqual(Array.from(stream));
    expect(scanner.offset).toBe(stream.length);
    expect(scanner.buffered).toBe(16);
  });

  test("passFrame with no header pending is refused", () => {
    const scanner = new FrameScanner({ input: "borrow" });
    scanner.push(new Uint8Array(7));
    expect(() => scanner.passFrame()).toThrow(RangeError);
    expect(scanner.buffered).toBe(7);
  });
});

describe("FrameScanner: the size cap", () => {
  for (const input of ["copy", "borrow"] as const) {
    test(`${input} mode: a header over maxMessageBytes raises DecodeError LIMIT at its stream offset, consuming nothing`, () => {
      const ok = buildStream([{ type: 1, schema: 0, body: new Uint8Array(16) }]);
      const over = new Uint8Array(8);
      writeHeader(over, 0, 100, 2, 0);
      const scanner = new FrameScanner({ input, maxMessageBytes: 64 });
      scanner.push(ok.subarray(0, 10));
      scanner.push(ok.subarray(10));
      // The header arrives in two pieces, so borrow mode reads it from its spill.
      scanner.push(over.subarray(0, 3));
      expect(scanner.next()?.streamOffset).toBe(0);
      expect(scanner.header()).toBeUndefined();
      scanner.push(over.subarray(3));
      for (const read of [() => scanner.header(), () => scanner.next(), () => scanner.skipFrame()]) {
        let caught: unknown;
        try {
          read();
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(DecodeError);
        expect((caught as DecodeError).code).toBe("LIMIT");
        expect((caught as DecodeError).field).toBe("header.size");
        expect((caught as DecodeError).offset).toBe(ok.length);
      }
      expect(scanner.offset).toBe(ok.length);
      expect(scanner.buffered).toBe(8);
    });
  }

  test("a frame of exactly maxMessageBytes passes", () => {
    const frame = buildStream([{ type: 1, schema: 0, body: new Uint8Array(56) }]);
    const scanner = new FrameScanner({ maxMessageBytes: 64 });
    scanner.push(frame);
    expect(scanner.next()?.header.frameBytes).toBe(64);
  });
});

describe("scanRun and frameEnd", () => {
  test("scanRun takes the longest run of the first frame's type and schema, stopping at another kind or a partial frame", () => {
    fc.assert(
      fc.property(
        framesArb.filter((f) => f.length > 0),
        fc.nat(),
        (frames, cutAt) => {
          const stream = buildStream(frames);
          const end = cutAt % (stream.length + 1);
          const walked = walkWhole(stream);
          const { type, schema } = frames[0]!;
          let expectedEnd = 0;
          let expectedFrames = 0;
          let expectedOther: WalkedFrame["header"] | undefined;
          for (const frame of walked) {
            if (end - frame.streamOffset < 8) break;
            if (frame.header.type !== type || frame.header.schema !== schema) {
              expectedOther = frame.header;
              break;
            }
            if (frame.streamOffset + frame.header.frameBytes > end) break;
            expectedEnd = frame.streamOffset + frame.header.frameBytes;
            expectedFrames++;
          }
          const run = scanRun(stream, 0, end, type, schema, Number.POSITIVE_INFINITY);
          expect(run.end).toBe(expectedEnd);
          expect(run.frames).toBe(expectedFrames);
          expect(run.other).toEqual(expectedOther);
          expect(run.first).toEqual(expectedFrames > 0 ? walked[0]!.header : undefined);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("scanRun: another schema ends the run as another type does", () => {
    const stream = buildStream([
      { type: 7, schema: 0, body: new Uint8Array(8) },
      { type: 7, schema: 0, body: new Uint8Array(0) },
      { type: 7, schema: 1, body: new Uint8Array(8) },
    ]);
    const run = scanRun(stream, 0, stream.length, 7, 0, Number.POSITIVE_INFINITY);
    expect(run).toMatchObject({ end: 24, frames: 2, other: { type: 7, schema: 1 } });
  });

  test("scanRun: a partial frame of the run's type ends it with no other header", () => {
    const stream = buildStream([
      { type: 7, schema: 0, body: new Uint8Array(8) },
      { type: 7, schema: 0, body: new Uint8Array(16) },
    ]);
    const run = scanRun(stream, 0, stream.length - 1, 7, 0, Number.POSITIVE_INFINITY);
    expect(run).toEqual({ end: 16, frames: 1, first: { sizeWords: 1, type: 7, schema: 0, frameBytes: 16 }, other: undefined });
  });

  test("scanRun: a header over the cap raises when first, ends the run after a frame", () => {
    const stream = buildStream([
      { type: 7, schema: 0, body: new Uint8Array(8) },
      { type: 7, schema: 0, body: new Uint8Array(80) },
    ]);
    expect(() => scanRun(stream, 16, stream.length, 7, 0, 32, 1000)).toThrow(expect.objectContaining({ code: "LIMIT", offset: 1016 }));
    expect(scanRun(stream, 0, stream.length, 7, 0, 32)).toMatchObject({ end: 16, frames: 1, other: undefined });
  });

  test("frameEnd: the end of a whole frame, -1 for a cut header or body", () => {
    const stream = buildStream([{ type: 1, schema: 0, body: new Uint8Array(16) }]);
    const view = new DataView(stream.buffer);
    expect(frameEnd(view, 0, stream.length)).toBe(24);
    expect(frameEnd(view, 0, stream.length - 1)).toBe(-1);
    expect(frameEnd(view, 0, 7)).toBe(-1);
  });
});

describe("FrameScanner: run, prefix and pending", () => {
  test("run() takes the frames of one kind at the front as one view, in both modes", () => {
    fc.assert(
      fc.property(
        framesArb.filter((f) => f.length > 0),
        cutsArb,
        fc.constantFrom<"copy" | "borrow">("copy", "borrow"),
        (frames, cuts, input) => {
          const stream = buildStream(frames);
          const walked = walkWhole(stream);
          const scanner = new FrameScanner({ input });
          const seen: number[] = [];
          for (const chunk of cut(stream, cuts)) {
            scanner.push(chunk);
            for (;;) {
              const header = scanner.header();
              if (header === undefined) break;
              const taken = scanner.run(header.type, header.schema);
              if (taken === undefined) break;
              // Every frame of the run is one of the walk's, in order, all of the same kind.
              let at = 0;
              for (let i = 0; i < taken.frames; i++) {
                const frame = walked[seen.length]!;
                expect(frame.streamOffset).toBe(taken.streamOffset + at);
                expect(frame.header.type).toBe(header.type);
                expect(frame.header.schema).toBe(header.schema);
                expect(Array.from(taken.bytes.subarray(at, at + frame.header.frameBytes))).toEqual(Array.from(frame.bytes));
                seen.push(frame.streamOffset);
                at += frame.header.frameBytes;
              }
              expect(at).toBe(taken.bytes.length);
            }
          }
          expect(seen).toEqual(walked.map((f) => f.streamOffset));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("prefix() and pending() show bytes without taking them", () => {
    const stream = buildStream([{ type: 3, schema: 0, body: Uint8Array.from({ length: 16 }, (_, i) => i) }]);
    for (const input of ["copy", "borrow"] as const) {
      const scanner = new FrameScanner({ input });
      scanner.push(stream.subarray(0, 5));
      scanner.push(stream.subarray(5, 13));
      expect(scanner.prefix(14)).toBeUndefined();
      expect(Array.from(scanner.prefix(12)!)).toEqual(Array.from(stream.subarray(0, 12)));
      expect(Array.from(scanner.pending())).toEqual(Array.from(stream.subarray(0, 13)));
      expect(scanner.buffered).toBe(13);
      expect(scanner.offset).toBe(0);
      scanner.push(stream.subarray(13));
      expect(scanner.next()?.bytes.length).toBe(stream.length);
    }
  });
});

describe("FrameScanner: capacity", () => {
  test("copy mode: the buffer doubles to fit the pending bytes and is reused once they are taken", () => {
    const stream = buildStream([{ type: 1, schema: 0, body: new Uint8Array(96) }]);
    const scanner = new FrameScanner({ input: "copy", initialBytes: 16 });
    expect(scanner.capacity).toBe(16);
    scanner.push(stream);
    expect(scanner.capacity).toBe(128);
    scanner.next();
    scanner.push(stream);
    expect(scanner.capacity).toBe(128);
  });

  test("borrow mode: only a frame spanning chunks is allocated for", () => {
    const stream = buildStream([{ type: 1, schema: 0, body: new Uint8Array(96) }]);
    const scanner = new FrameScanner({ input: "borrow" });
    scanner.push(stream);
    expect(scanner.capacity).toBe(0);
    scanner.next();
    scanner.push(stream.subarray(0, 50));
    scanner.push(stream.subarray(50));
    expect(scanner.capacity).toBeGreaterThanOrEqual(50);
    // The spill goes with the frame handed out.
    expect(scanner.next()?.bytes.length).toBe(stream.length);
    expect(scanner.capacity).toBe(0);
  });
});
