// The core codec in a real browser (Debian's Chromium): golden vectors both ways, streaming.

import { describe, expect, test } from "vitest";
import { decodeFrame, encodeMessage } from "../../src/messages/codec.ts";
import { FrameDecoder } from "../../src/stream/frame-decoder.ts";
import { bytesToHex, goldenVectors, hexToBytes } from "../vectors/protocol-examples.ts";

describe("codec in the browser", () => {
  test("runs in a browser, not in Node", () => {
    expect(typeof navigator).toBe("object");
    expect(navigator.userAgent).toMatch(/Chrome/);
    expect((globalThis as { process?: unknown }).process).toBeUndefined();
  });

  for (const vector of goldenVectors) {
    test(`${vector.name}: decodes and re-encodes byte for byte`, () => {
      const options = { intMode: "bigint" as const, legacy: vector.legacy === true };
      const bytes = hexToBytes(vector.hex);
      const message = decodeFrame(vector.side, bytes, options) as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(vector.message)) expect(message[key], key).toEqual(value);
      expect(bytesToHex(encodeMessage(vector.side, message as never, options))).toBe(bytesToHex(bytes));
    });
  }

  test("the frame decoder takes a response stream one byte at a time", () => {
    const frames = goldenVectors.filter((v) => v.side === "response" && !v.legacy).map((v) => hexToBytes(v.hex));
    const decoder = new FrameDecoder({ side: "response", intMode: "bigint" });
    const types: string[] = [];
    for (const frame of frames) {
      for (const byte of frame) {
        decoder.push(Uint8Array.of(byte));
        for (let m = decoder.next(); m !== undefined; m = decoder.next()) types.push(m.type);
      }
    }
    expect(types).toEqual(frames.map((f) => decodeFrame("response", f, { intMode: "bigint" }).type));
  });
});
