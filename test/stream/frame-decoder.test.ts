import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DecodeError, HandshakeError, PoisonedError } from "../../src/errors.ts";
import { encodeMessage } from "../../src/messages/codec.ts";
import type { Message } from "../../src/messages/types.ts";
import { FrameDecoder } from "../../src/stream/frame-decoder.ts";
import { FrameDecoderStream } from "../../src/stream/frame-stream.ts";
import { messageArb } from "../support/arbitraries.ts";
import { goldenVectors, hexToBytes } from "../vectors/protocol-examples.ts";

const HANDSHAKE_V1 = hexToBytes("0100000000000000");
const HANDSHAKE_LEGACY = hexToBytes("e53f4360d74d1086");

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function decodeChunks(side: "request" | "response", chunks: Uint8Array[]): Message[] {
  const decoder = new FrameDecoder({ side, intMode: "bigint" });
  const out: Message[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let m = decoder.next(); m !== undefined; m = decoder.next()) out.push(m);
  }
  decoder.end();
  return out;
}

const requestStream = concat([HANDSHAKE_V1, ...goldenVectors.filter((v) => v.side === "request").map((v) => hexToBytes(v.hex))]);
const responseStream = concat(goldenVectors.filter((v) => v.side === "response" && !v.legacy).map((v) => hexToBytes(v.hex)));

describe("incremental frame decoder", () => {
  for (const [side, stream] of [
    ["request", requestStream],
    ["response", responseStream],
  ] as const) {
    const whole = decodeChunks(side, [stream]);

    test(`${side} stream: whole-buffer decode yields every frame`, () => {
      expect(whole.length).toBe(goldenVectors.filter((v) => v.side === side && !v.legacy).length);
    });

    test(`${side} stream: split at every byte position gives the same messages`, () => {
      for (let i = 0; i <= stream.length; i++) {
        expect(decodeChunks(side, [stream.subarray(0, i), stream.subarray(i)])).toEqual(whole);
      }
    });

    test(`${side} stream: one byte at a time gives the same messages`, () => {
      const bytes = Array.from(stream, (b) => Uint8Array.of(b));
      expect(decodeChunks(side, bytes)).toEqual(whole);
    });
  }

  test("a long generated stream split at random points gives the same messages", () => {
    fc.assert(
      fc.property(
        fc.array(
          messageArb("response").filter((g) => !g.legacy),
          { minLength: 1, maxLength: 30 },
        ),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (generated, cuts) => {
          const stream = concat(generated.map((g) => encodeMessage("response", g.message as never)));
          const whole = decodeChunks("response", [stream]);
          const chunks: Uint8Array[] = [];
          for (let at = 0, i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            chunks.push(stream.subarray(at, at + size));
            at += size;
          }
          expect(decodeChunks("response", chunks)).toEqual(whole);
          expect(whole.length).toBe(generated.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("the legacy handshake is accepted and recorded (it selects the address-only LEADER response)", () => {
    const decoder = new FrameDecoder({ side: "request" });
    decoder.push(concat([HANDSHAKE_LEGACY, hexToBytes("0100000000000000 0000000000000000")]));
    expect(decoder.next()).toMatchObject({ type: "LEADER" });
    expect(decoder.protocolVersion).toBe(0x86104dd760433fe5n);
    expect(decoder.legacy).toBe(true);
  });

  test("a bad handshake is a HandshakeError; the bytes stay and the error repeats", () => {
    const decoder = new FrameDecoder({ side: "request" });
    decoder.push(hexToBytes("0200000000000000 0100000000000000 0000000000000000"));
    expect(() => decoder.next()).toThrow(HandshakeError);
    expect(decoder.bufferedBytes).toBe(24);
    expect(() => decoder.next()).toThrow(HandshakeError);
  });

  test("requests before the handshake are not decoded", () => {
    const decoder = new FrameDecoder({ side: "request" });
    decoder.push(hexToBytes("0100000000"));
    expect(decoder.next()).toBeUndefined();
  });

  test("an oversized declared size is refused from the header alone", () => {
    const decoder = new FrameDecoder({ side: "response", limits: { maxMessageBytes: 1024 } });
    decoder.push(hexToBytes("ffffff0007000000")); // 16 Mi words declared, no body yet
    const error = (() => {
      try {
        decoder.next();
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe("LIMIT");
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("a poisoned decoder stays poisoned on every later call", () => {
    const decoder = new FrameDecoder({ side: "response" });
    // DB with a 16-byte body (two words: one too many), then a good DB frame.
    decoder.push(hexToBytes("0200000004000000 0000000000000000 0000000000000000 0100000004000000 0100000000000000"));
    expect(() => decoder.next()).toThrow(DecodeError);
    for (let i = 0; i < 3; i++) {
      expect(() => decoder.next()).toThrow(PoisonedError);
      expect(() => decoder.nextFrame()).toThrow(PoisonedError);
      expect(() => decoder.push(Uint8Array.of(1))).toThrow(PoisonedError);
    }
    try {
      decoder.next();
    } catch (e) {
      expect((e as PoisonedError).code).toBe("POISONED");
      expect((e as PoisonedError).cause).toBeInstanceOf(DecodeError);
      expect((e as PoisonedError).message).toContain("BAD_LENGTH");
    }
  });

  test("the end of input inside a frame is TRUNCATED, never a partial message", () => {
    const decoder = new FrameDecoder({ side: "response" });
    decoder.push(hexToBytes("0100000004000000 01000000"));
    expect(decoder.next()).toBeUndefined();
    expect(() => decoder.end()).toThrow(expect.objectContaining({ code: "TRUNCATED" }));
    expect(() => decoder.next()).toThrow(PoisonedError);
  });

  test("error offsets count from the start of the stream", () => {
    const decoder = new FrameDecoder({ side: "response" });
    // A good DB frame (16 bytes), then a LEADER response whose address has no NUL.
    decoder.push(hexToBytes("0100000004000000 0100000000000000 0200000001000000 0100000000000000 4141414141414141"));
    expect(decoder.next()).toMatchObject({ type: "DB" });
    expect(() => decoder.next()).toThrow(expect.objectContaining({ code: "BAD_TEXT", offset: 32 }));
  });

  test("buffered bytes stay within one max frame plus one chunk", () => {
    const decoder = new FrameDecoder({ side: "response", limits: { maxMessageBytes: 4096 } });
    const frame = encodeMessage("response", { type: "RESULT", lastInsertId: 1n, rowsAffected: 1 });
    const chunk = concat(Array.from({ length: 200 }, () => frame)); // 4800 bytes of whole frames
    let peak = 0;
    for (let round = 0; round < 50; round++) {
      decoder.push(chunk);
      peak = Math.max(peak, decoder.bufferedBytes);
      while (decoder.next() !== undefined);
    }
    expect(peak).toBeLessThanOrEqual(4096 + chunk.length);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("a caller that never drains is refused instead of buffering without bound", () => {
    const decoder = new FrameDecoder({ side: "response", limits: { maxMessageBytes: 64 } });
    const big = new Uint8Array(100);
    decoder.push(big); // header says an empty LEADER request... body junk; not drained
    expect(() => decoder.push(big)).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
  });

  test("TransformStream: bytes in, messages out, errors error the stream", async () => {
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < responseStream.length; i += 5) controller.enqueue(responseStream.slice(i, i + 5));
        controller.close();
      },
    });
    const messages: Message[] = [];
    for await (const message of source.pipeThrough(
      new FrameDecoderStream({ side: "response", intMode: "bigint" }),
    ) as unknown as AsyncIterable<Message>) {
      messages.push(message);
    }
    expect(messages).toEqual(decodeChunks("response", [responseStream]));

    const cut = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(responseStream.slice(0, 20));
        controller.close();
      },
    });
    const reader = cut.pipeThrough(new FrameDecoderStream({ side: "response" })).getReader();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toMatchObject({ code: "TRUNCATED" });
  });
});
