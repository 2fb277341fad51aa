// The demo page's capture format (web/src/capture-format.ts): what the offline mode reads and
// what "Save capture" writes.

import { describe, expect, test } from "vitest";
import {
  CaptureFormatError,
  formatTextCapture,
  parseCapture,
  parseTextCapture,
  startsWithHandshake,
} from "../../web/src/capture-format.ts";

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const bytesOf = (text: string) => new TextEncoder().encode(text);

describe("capture format", () => {
  test("markers set the direction for the following lines; comments and separators are ignored", () => {
    const segments = parseTextCapture(
      ["# a comment", "> 01000000 00000000  # handshake", "  0100000000000000", "< 01:00|00,00 0200 0000", "98 3a 00 00 00 00 00 00"].join(
        "\n",
      ),
    );
    expect(segments.map((s) => [s.direction, hex(s.bytes)])).toEqual([
      ["sent", "01000000000000000100000000000000"],
      ["received", "0100000002000000983a000000000000"],
    ]);
  });

  test("without markers the direction comes from the handshake", () => {
    expect(parseTextCapture("0100000000000000 0100000000000000")[0]!.direction).toBe("sent");
    expect(parseTextCapture("e53f4360d74d1086")[0]!.direction).toBe("sent");
    expect(parseTextCapture("0100000008000000 0000000000000000")[0]!.direction).toBe("received");
  });

  test("bad text is refused with the line", () => {
    expect(() => parseTextCapture("> 01\n< 0g")).toThrow(/line 2: "g" is not a hex digit/);
    expect(() => parseTextCapture("< 012")).toThrow(/odd number of hex digits/);
    expect(() => parseTextCapture("# nothing\n\n")).toThrow(CaptureFormatError);
  });

  test("a binary file is one direction's raw bytes", () => {
    const response = new Uint8Array([1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseCapture(response)).toEqual([{ direction: "received", bytes: response }]);
    const request = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseCapture(request)[0]!.direction).toBe("sent");
    expect(startsWithHandshake(request)).toBe(true);
    expect(startsWithHandshake(request.subarray(0, 7))).toBe(false);
  });

  test("a text file is read as text", () => {
    expect(parseCapture(bytesOf("< 0100000008000000 0000000000000000\n"))[0]!.bytes.length).toBe(16);
  });

  test("what Save capture writes reads back to the same frames", () => {
    const frames = [
      { direction: "sent" as const, name: "HANDSHAKE", bytes: new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]) },
      { direction: "sent" as const, name: "LEADER", bytes: new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) },
      { direction: "received" as const, name: "EMPTY", bytes: new Uint8Array([1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) },
    ];
    const segments = parseTextCapture(formatTextCapture(frames));
    expect(segments.map((s) => [s.direction, hex(s.bytes)])).toEqual([
      ["sent", hex(frames[0]!.bytes) + hex(frames[1]!.bytes)],
      ["received", hex(frames[2]!.bytes)],
    ]);
  });
});
