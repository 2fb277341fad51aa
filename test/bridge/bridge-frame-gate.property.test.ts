// Properties of the bridge's request frame gate (no network): whatever the client sends, split
// however it likes, the bytes released toward the node are a prefix of what it sent made of the
// handshake and whole frames that decode and are allowed; valid traffic passes unchanged; and
// the first forbidden or broken frame stops everything from itself on.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RequestFrameGate } from "../../src/bridge/frame-gate.ts";
import { StmtResponseWatcher } from "../../src/bridge/statement-watcher.ts";
import { decodeRequest, encodeMessage } from "../../src/messages/codec.ts";
import { hasReturningClause } from "../../src/messages/hazards.ts";
import { FrameDecoder } from "../../src/stream/frame-decoder.ts";
import { BridgeCloseCode } from "../../src/transport/bridge-protocol.ts";
import { messageArb } from "../support/arbitraries.ts";

const HANDSHAKE = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0);
const MAX_FRAME = 64 * 1024;
const ADMIN = new Set(["ADD", "ASSIGN", "REMOVE", "TRANSFER", "WEIGHT", "DUMP"]);
const INTERNAL = new Set(["HEARTBEAT", "CONNECT"]);

const framesArb = fc.array(
  messageArb("request").map((generated) => ({
    type: generated.message["type"] as string,
    message: generated.message,
    bytes: encodeMessage("request", generated.message as never, { allowInternal: true } as never),
  })),
  { minLength: 1, maxLength: 8 },
);

/** Index of the first frame the bridge must refuse (a model of its rules), or -1. */
function firstForbidden(frames: { type: string; message: Record<string, unknown> }[], allowAdmin: boolean): number {
  const finalized = new Set<unknown>();
  return frames.findIndex(({ type, message }) => {
    if (INTERNAL.has(type) || (!allowAdmin && ADMIN.has(type))) return true;
    if ((type === "EXEC_SQL" || type === "QUERY_SQL" || type === "PREPARE") && hasReturningClause(message["sql"] as string)) return true;
    if (type === "EXEC" || type === "QUERY" || type === "FINALIZE") {
      if (finalized.has(message["stmt"])) return true;
      if (type === "FINALIZE") finalized.add(message["stmt"]);
    }
    return false;
  });
}

/** Cut points for splitting `length` bytes into WebSocket messages. */
const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) pieces.push(bytes.subarray(start, point));
    start = Math.max(start, point);
  }
  return pieces;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Feeds `pieces` to a gate until it refuses; returns what it released and its refusal. */
function runGate(pieces: Uint8Array[], allowAdmin: boolean) {
  const gate = new RequestFrameGate({ maxFrameBytes: MAX_FRAME, allowAdmin });
  const released: Uint8Array[] = [];
  for (const piece of pieces) {
    const { forward, refusal } = gate.push(piece);
    if (forward !== undefined) released.push(forward);
    if (refusal !== undefined) return { released: concat(released), refusal };
  }
  return { released: concat(released), refusal: undefined };
}

/** The released bytes re-read: the handshake, then whole frames that decode and are allowed. */
function expectOnlyValidFrames(released: Uint8Array, allowAdmin: boolean): void {
  if (released.length === 0) return;
  expect([...released.subarray(0, 8)]).toEqual([...HANDSHAKE]);
  const decoder = new FrameDecoder({ side: "request", handshake: false, limits: { maxMessageBytes: MAX_FRAME } });
  decoder.push(released.subarray(8));
  for (let frame = decoder.nextFrame(); frame !== undefined; frame = decoder.nextFrame()) {
    const message = decodeRequest(frame.bytes, { limits: { maxMessageBytes: MAX_FRAME }, intMode: "bigint" });
    expect(INTERNAL.has(message.type)).toBe(false);
    if (!allowAdmin) expect(ADMIN.has(message.type)).toBe(false);
  }
  expect(decoder.bufferedBytes).toBe(0);
}

describe("bridge frame gate", () => {
  it("passes valid traffic unchanged up to the first forbidden or node-killing request, however it is split", () => {
    fc.assert(
      fc.property(framesArb, cutsArb, fc.boolean(), (frames, cuts, allowAdmin) => {
        const input = concat([HANDSHAKE, ...frames.map((frame) => frame.bytes)]);
        const { released, refusal } = runGate(split(input, cuts), allowAdmin);
        const forbidden = firstForbidden(frames, allowAdmin);
        const allowedCount = forbidden === -1 ? frames.length : forbidden;
        const expected = concat([HANDSHAKE, ...frames.slice(0, allowedCount).map((frame) => frame.bytes)]);
        expect(Buffer.from(released).equals(Buffer.from(expected))).toBe(true);
        if (forbidden === -1) expect(refusal).toBeUndefined();
        else expect(refusal?.code).toBe(BridgeCloseCode.ForbiddenRequest);
      }),
      { numRuns: 300, seed: 6 },
    );
  });

  it("never releases a broken frame: mutated traffic yields a prefix of whole valid frames", () => {
    const mutationArb = fc.record({ position: fc.nat(), value: fc.constantFrom(0x00, 0xff, 0x80, 0x01, 0x7f) });
    fc.assert(
      fc.property(
        framesArb,
        cutsArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (frames, cuts, mutations, allowAdmin) => {
          const input = concat([HANDSHAKE, ...frames.map((frame) => frame.bytes)]);
          for (const { position, value } of mutations) input[position % input.length] = value;
          const { released, refusal } = runGate(split(input, cuts), allowAdmin);
          // A prefix of what was sent...
          expect(Buffer.from(input.subarray(0, released.length)).equals(Buffer.from(released))).toBe(true);
          // ...made only of the handshake and whole, valid, allowed frames.
          expectOnlyValidFrames(released, allowAdmin);
          if (refusal !== undefined) {
            expect([BridgeCloseCode.MalformedFrame, BridgeCloseCode.FrameTooLarge, BridgeCloseCode.ForbiddenRequest]).toContain(
              refusal.code,
            );
          }
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });

  it("refuses a frame larger than maxFrameBytes on its header alone", () => {
    const gate = new RequestFrameGate({ maxFrameBytes: 1024, allowAdmin: false });
    const header = Uint8Array.of(0x00, 0x01, 0x00, 0x00, 9, 0, 0, 0); // 256 words: 2056 bytes
    const { forward, refusal } = gate.push(concat([HANDSHAKE, header]));
    expect([...(forward ?? [])]).toEqual([...HANDSHAKE]);
    expect(refusal?.code).toBe(BridgeCloseCode.FrameTooLarge);
    expect(gate.heldBytes).toBe(0);
  });

  it("refuses a finalized statement id until a STMT response hands it out again", () => {
    const fresh = new RequestFrameGate({ maxFrameBytes: MAX_FRAME, allowAdmin: false });
    fresh.push(HANDSHAKE);
    const push = (message: Record<string, unknown>) => fresh.push(encodeMessage("request", message as never));
    expect(push({ type: "FINALIZE", db: 0, stmt: 3 }).refusal).toBeUndefined();
    expect(push({ type: "EXEC", db: 0, stmt: 4 }).refusal).toBeUndefined();
    expect(push({ type: "QUERY", db: 0, stmt: 3 }).refusal?.reason).toBe("QUERY of finalized statement 3 refused: dqlite can crash on it");
    const again = new RequestFrameGate({ maxFrameBytes: MAX_FRAME, allowAdmin: false });
    again.push(HANDSHAKE);
    const pushAgain = (message: Record<string, unknown>) => again.push(encodeMessage("request", message as never));
    expect(pushAgain({ type: "FINALIZE", db: 0, stmt: 3 }).refusal).toBeUndefined();
    again.statementPrepared(3);
    expect(pushAgain({ type: "EXEC", db: 0, stmt: 3 }).refusal).toBeUndefined();
  });

  it("refuses SQL with RETURNING but not the word inside a string or comment", () => {
    const gate = new RequestFrameGate({ maxFrameBytes: MAX_FRAME, allowAdmin: false });
    gate.push(HANDSHAKE);
    const push = (sql: string) => gate.push(encodeMessage("request", { type: "QUERY_SQL", db: 0n, sql } as never)).refusal;
    expect(push("SELECT 'returning' -- returning")).toBeUndefined();
    expect(push("INSERT INTO t VALUES (1) RETURNING *")?.reason).toMatch(/^QUERY_SQL with RETURNING refused/);
  });

  it("reads statement ids from STMT responses split at every byte, skipping other frames unbuffered", () => {
    const rows = encodeMessage("response", { type: "ROWS", columns: ["a"], rows: [{ types: [1], values: [1n] }], marker: "DONE" } as never);
    const stmt = encodeMessage("response", { type: "STMT", db: 0, id: 77, paramCount: 0 } as never);
    const stream = concat([
      rows,
      stmt,
      rows,
      encodeMessage("response", { type: "STMT", db: 1, id: 2 ** 32 - 1, paramCount: 2, schema: 1, tailOffset: 5 } as never),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const seen: number[] = [];
      const watcher = new StmtResponseWatcher((id) => seen.push(id));
      watcher.push(stream.subarray(0, cut));
      watcher.push(stream.subarray(cut));
      expect(seen).toEqual([77, 2 ** 32 - 1]);
    }
    const bytewise: number[] = [];
    const watcher = new StmtResponseWatcher((id) => bytewise.push(id));
    for (const byte of stream) watcher.push(Uint8Array.of(byte));
    expect(bytewise).toEqual([77, 2 ** 32 - 1]);
  });
});
