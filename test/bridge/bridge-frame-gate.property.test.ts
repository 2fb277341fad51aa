// Properties of the bridge's request frame gate (no network): whatever the client sends, split
// however it likes, the bytes released toward the node are a prefix of what it sent made of the
// handshake and whole frames that decode and are allowed; valid traffic passes unchanged; and
// the first forbidden or broken frame stops everything from itself on.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeRequest, encodeMessage } from "../../src/messages/codec.ts";
import { FrameDecoder } from "../../src/stream/frame-decoder.ts";
import { BridgeCloseCode } from "../../src/transport/bridge-close-codes.ts";
import { RequestFrameGate } from "../../src/transport/bridge-frame-gate.ts";
import { messageArb } from "../support/arbitraries.ts";

const HANDSHAKE = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0);
const MAX_FRAME = 64 * 1024;
const ADMIN = new Set(["ADD", "ASSIGN", "REMOVE", "TRANSFER", "WEIGHT", "DUMP"]);
const INTERNAL = new Set(["HEARTBEAT", "CONNECT"]);

const framesArb = fc.array(
  messageArb("request").map((generated) => ({
    type: generated.message["type"] as string,
    bytes: encodeMessage("request", generated.message as never, { allowInternal: true } as never),
  })),
  { minLength: 1, maxLength: 8 },
);

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
  it("passes valid traffic unchanged up to the first forbidden request, however it is split", () => {
    fc.assert(
      fc.property(framesArb, cutsArb, fc.boolean(), (frames, cuts, allowAdmin) => {
        const input = concat([HANDSHAKE, ...frames.map((frame) => frame.bytes)]);
        const { released, refusal } = runGate(split(input, cuts), allowAdmin);
        const forbidden = frames.findIndex((frame) => INTERNAL.has(frame.type) || (!allowAdmin && ADMIN.has(frame.type)));
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
      fc.property(framesArb, cutsArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), fc.boolean(), (frames, cuts, mutations, allowAdmin) => {
        const input = concat([HANDSHAKE, ...frames.map((frame) => frame.bytes)]);
        for (const { position, value } of mutations) input[position % input.length] = value;
        const { released, refusal } = runGate(split(input, cuts), allowAdmin);
        // A prefix of what was sent...
        expect(Buffer.from(input.subarray(0, released.length)).equals(Buffer.from(released))).toBe(true);
        // ...made only of the handshake and whole, valid, allowed frames.
        expectOnlyValidFrames(released, allowAdmin);
        if (refusal !== undefined) {
          expect([BridgeCloseCode.MalformedFrame, BridgeCloseCode.FrameTooLarge, BridgeCloseCode.ForbiddenRequest]).toContain(refusal.code);
        }
      }),
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
});
