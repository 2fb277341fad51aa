// The proxy's node-to-client relay, offline: the node's stream cut into chunks anywhere must come
// out as the same bytes, with each LEADER and SERVERS frame given back with the proxy's
// addresses; once the stream stops looking like dqlite responses, every byte passes unchanged.

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { encodeResponse } from "../../src/messages/codec.ts";
import type { Response } from "../../src/messages/types.ts";
import { AddressRewriter } from "../../src/proxy/address-rewrite.ts";
import { ResponseRelay } from "../../src/proxy/response-relay.ts";
import { writeHeader } from "../../src/wire/header.ts";

const ROUTES = [
  { target: "10.0.0.1:9001", listen: "127.0.0.1:7001" },
  { target: "10.0.0.2:9001", listen: "127.0.0.1:7002" },
];
const MAX_HELD = 4096;

const frame = (message: Response): Uint8Array => encodeResponse(message);
const rows = frame({ type: "ROWS", columns: ["a"], rows: [{ types: [1], values: [1n] }], marker: "DONE" } as never);
const empty = frame({ type: "EMPTY" } as never);
const leader = (address: string) => frame({ type: "LEADER", id: 1n, address } as never);
const servers = (addresses: string[]) =>
  frame({ type: "SERVERS", nodes: addresses.map((address, i) => ({ id: BigInt(i + 1), address, role: 0 })) } as never);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function cut(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(stream.slice(from, point));
    from = point;
  }
  chunks.push(stream.slice(from));
  return chunks;
}

interface Relayed {
  bytes: Uint8Array;
  rewrittenAt: number[];
  passthrough: { offset: number; why: string }[];
}

const REWRITER = new AddressRewriter(ROUTES);

function relay(chunks: Uint8Array[], rewriter: AddressRewriter | "none" = REWRITER, maxHeld = MAX_HELD): Relayed {
  const rewrittenAt: number[] = [];
  const passthrough: { offset: number; why: string }[] = [];
  const relayer = new ResponseRelay(rewriter === "none" ? undefined : rewriter, () => false, maxHeld, {
    rewritten: (offset) => rewrittenAt.push(offset),
    passthrough: (offset, why) => passthrough.push({ offset, why }),
  });
  const out: Uint8Array[] = [];
  // Each piece is copied as it comes out: the relay may hand out views of a chunk.
  for (const chunk of chunks) for (const piece of relayer.push(chunk)) out.push(piece.slice());
  return { bytes: concat(out), rewrittenAt, passthrough };
}

describe("ResponseRelay", () => {
  const frames = [
    rows,
    leader("10.0.0.1:9001"),
    empty,
    servers(["10.0.0.1:9001", "10.0.0.2:9001", "10.0.0.3:9001"]),
    rows,
    leader("10.0.0.9:9001"),
  ];
  const stream = concat(frames);
  const expected = concat([
    rows,
    leader("127.0.0.1:7001"),
    empty,
    servers(["127.0.0.1:7001", "127.0.0.1:7002", "10.0.0.3:9001"]),
    rows,
    // No listen address for this node: the frame goes out as it came.
    leader("10.0.0.9:9001"),
  ]);
  const offsets: number[] = [];
  for (let i = 0, at = 0; i < frames.length; at += frames[i]!.length, i++) offsets.push(at);

  test("rewrites LEADER and SERVERS addresses and passes every other byte, however the stream is cut", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        const out = relay(cut(stream, cuts));
        expect(Array.from(out.bytes)).toEqual(Array.from(expected));
        expect(out.rewrittenAt).toEqual([offsets[1], offsets[3]]);
        expect(out.passthrough).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  test("one byte at a time gives the same bytes", () => {
    const out = relay(Array.from(stream, (b) => Uint8Array.of(b)));
    expect(Array.from(out.bytes)).toEqual(Array.from(expected));
  });

  test("without a rewriter, or for a frame over the hold cap, the bytes pass unchanged", () => {
    expect(Array.from(relay(cut(stream, [5, 40, 77])).bytes)).toEqual(Array.from(expected));
    expect(Array.from(relay(cut(stream, [5, 40, 77]), "none").bytes)).toEqual(Array.from(stream));
    expect(Array.from(relay(cut(stream, [5, 40, 77]), REWRITER, 16).bytes)).toEqual(Array.from(stream));
  });

  test("a header that cannot be a response: every byte from there on passes unchanged, reported once", () => {
    const bad = new Uint8Array(24).fill(0x5a);
    writeHeader(bad, 0, 2, 200, 0);
    const tail = concat([leader("10.0.0.1:9001"), rows]);
    const broken = concat([rows, bad, tail]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), (cuts) => {
        const out = relay(cut(broken, cuts));
        expect(Array.from(out.bytes)).toEqual(Array.from(broken));
        expect(out.passthrough).toEqual([{ offset: rows.length, why: "unknown response type 200" }]);
      }),
      { numRuns: 200 },
    );
  });

  test("a frame with an empty body: every byte from there on passes unchanged, reported once", () => {
    const bad = new Uint8Array(8);
    writeHeader(bad, 0, 0, 1, 0);
    const broken = concat([rows, leader("10.0.0.1:9001"), bad, leader("10.0.0.1:9001"), rows]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), (cuts) => {
        const out = relay(cut(broken, cuts));
        expect(Array.from(out.bytes)).toEqual(Array.from(concat([rows, leader("127.0.0.1:7001"), bad, leader("10.0.0.1:9001"), rows])));
        expect(out.rewrittenAt).toEqual([rows.length]);
        expect(out.passthrough).toEqual([{ offset: rows.length + leader("10.0.0.1:9001").length, why: "a frame with an empty body" }]);
      }),
      { numRuns: 200 },
    );
  });

  test("frames passed through go out as views of the node's chunks: only a header across chunks is copied", () => {
    const big = frame({
      type: "ROWS",
      columns: ["a"],
      rows: Array.from({ length: 200 }, (_, i) => ({ types: [1], values: [BigInt(i)] })),
      marker: "DONE",
    } as never);
    const bigStream = concat([big, rows, big, empty]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        const chunks = cut(bigStream, cuts);
        const relayer = new ResponseRelay(REWRITER, () => false, MAX_HELD, { rewritten: () => {}, passthrough: () => {} });
        const out = chunks.flatMap((chunk) => relayer.push(chunk));
        expect(Array.from(concat(out))).toEqual(Array.from(bigStream));
        const buffers = new Set(chunks.map((chunk) => chunk.buffer));
        const copied = out.filter((piece) => !buffers.has(piece.buffer));
        // The headers that a chunk boundary cuts: each is copied together, nothing else is.
        const boundaries: number[] = [];
        for (let i = 0, at = 0; i < chunks.length - 1; i++) boundaries.push((at += chunks[i]!.length));
        const starts = [0, big.length, big.length + rows.length, 2 * big.length + rows.length];
        const cutHeaders = starts.filter((start) => boundaries.some((b) => b > start && b < start + 8));
        expect(copied.map((piece) => piece.length)).toEqual(cutHeaders.map(() => 8));
      }),
      { numRuns: 200 },
    );
  });

  test("stopFollowing in the middle of a frame passed through: the rest of it and every later byte pass", () => {
    const tail = concat([leader("10.0.0.1:9001"), rows]);
    for (let split = 1; split < rows.length; split++) {
      const relayer = new ResponseRelay(REWRITER, () => false, MAX_HELD, { rewritten: () => {}, passthrough: () => {} });
      const out: Uint8Array[] = [];
      for (const piece of relayer.push(rows.subarray(0, split))) out.push(piece.slice());
      relayer.stopFollowing();
      for (const piece of relayer.push(concat([rows.subarray(split), tail]))) out.push(piece.slice());
      expect(Array.from(concat(out))).toEqual(Array.from(concat([rows, tail])));
    }
  });

  test("stopFollowing mid-header or mid-frame releases what is held, in order, and passes the rest", () => {
    const held = leader("10.0.0.1:9001");
    for (let split = 1; split < held.length; split++) {
      const relayer = new ResponseRelay(REWRITER, () => false, MAX_HELD, { rewritten: () => {}, passthrough: () => {} });
      const out: Uint8Array[] = [];
      for (const piece of relayer.push(concat([rows, held.subarray(0, split)]))) out.push(piece.slice());
      relayer.stopFollowing();
      for (const piece of relayer.push(held.subarray(split))) out.push(piece.slice());
      expect(relayer.passingThrough).toBe(true);
      expect(Array.from(concat(out))).toEqual(Array.from(concat([rows, held])));
    }
  });
});
