// How the demo page splits traffic into frames for its log: live (web/src/frame-tap.ts, wrapping
// a transport) and offline (web/src/offline-decoder.ts, from a capture). The handshake is read by
// the library (src/wire/handshake.ts); every frame is logged with its bytes unchanged, however the
// bytes are cut.

import { describe, expect, test } from "vitest";
import { encodeRequest, encodeResponse } from "../../src/messages/codec.ts";
import type { Transport } from "../../src/transport/transport.ts";
import { handshakeFor } from "../../src/wire/handshake.ts";
import { FrameLog } from "../../web/src/frame-log.ts";
import { tapConnector } from "../../web/src/frame-tap.ts";
import { logCapture } from "../../web/src/offline-decoder.ts";

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};
const hex = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString("hex"));

const SENT = [encodeRequest({ type: "CLIENT", id: 1n }), encodeRequest({ type: "QUERY_SQL", db: 0, sql: "SELECT ?", params: [7] })];
const RECEIVED = [
  encodeResponse({ type: "WELCOME", heartbeatTimeout: 15000n }),
  encodeResponse({ type: "ROWS", columns: ["a"], rows: [{ types: [1], values: [7n] }], marker: "DONE" }),
];

function logged(log: FrameLog): { direction: string; name: string; bytes: string | null }[] {
  const out = [];
  for (let seq = 0; log.get(seq) !== undefined; seq++) {
    const record = log.get(seq)!;
    out.push({ direction: record.direction, name: record.name, bytes: hex(record.bytes) });
  }
  return out;
}

/** A transport whose readable yields `incoming` and whose writes are kept: a pipe, not a node. */
function pipeTransport(incoming: Uint8Array[]): Transport & { written: Uint8Array[] } {
  const written: Uint8Array[] = [];
  return {
    peer: "pipe",
    written,
    readable: new ReadableStream({
      start(controller) {
        for (const chunk of incoming) controller.enqueue(chunk);
        controller.close();
      },
    }),
    write: async (bytes) => void written.push(bytes.slice()),
    close: async () => {},
  };
}

const events = { currentResult: () => undefined, onReceived: () => {}, onOpen: () => {}, onClose: () => {} };

describe("the page's frame log", () => {
  for (const legacy of [false, true]) {
    const handshake = handshakeFor(legacy);
    const sent = concat([handshake, ...SENT]);
    const received = concat(RECEIVED);
    const expected = [
      { direction: "sent", name: "HANDSHAKE", bytes: hex(handshake) },
      { direction: "sent", name: "CLIENT", bytes: hex(SENT[0]!) },
      { direction: "sent", name: "QUERY_SQL", bytes: hex(SENT[1]!) },
      { direction: "received", name: "WELCOME", bytes: hex(RECEIVED[0]!) },
      { direction: "received", name: "ROWS", bytes: hex(RECEIVED[1]!) },
    ];

    test(`live: the tap logs the ${legacy ? "legacy " : ""}handshake and each frame, cut at every byte, and passes the bytes on unchanged`, async () => {
      for (let cut = 0; cut <= sent.length; cut++) {
        const log = new FrameLog();
        const inner = pipeTransport([received.slice(0, cut % received.length), received.slice(cut % received.length)]);
        const transport = await tapConnector(async () => inner, log, events)("pipe", {});
        await transport.write(sent.subarray(0, cut));
        await transport.write(sent.subarray(cut));
        const reader = transport.readable.getReader();
        const read: Uint8Array[] = [];
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) read.push(chunk.value);
        expect(hex(concat(inner.written))).toBe(hex(sent));
        expect(hex(concat(read))).toBe(hex(received));
        expect(logged(log)).toEqual(expected);
      }
    });

    test(`offline: a capture logs the ${legacy ? "legacy " : ""}handshake and each frame the same way`, () => {
      const log = new FrameLog();
      logCapture(
        [
          { direction: "sent", bytes: sent },
          { direction: "received", bytes: received },
        ],
        log,
        1,
      );
      expect(logged(log)).toEqual(expected);
    });
  }

  test("a client stream that does not start with a handshake is read as frames from its first byte", () => {
    const log = new FrameLog();
    logCapture([{ direction: "sent", bytes: concat(SENT) }], log, 1);
    expect(logged(log).map((entry) => entry.name)).toEqual(["CLIENT", "QUERY_SQL"]);
  });

  test("the live tap stops at an unreadable frame and says so, after logging what came before", async () => {
    const log = new FrameLog();
    const transport = await tapConnector(async () => pipeTransport([]), log, events)("pipe", {});
    // A header declaring a body of 2^32 - 1 words: over the frame cap, so no frame can follow.
    const broken = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0);
    await transport.write(concat([handshakeFor(false), SENT[0]!, broken]));
    expect(logged(log).map((entry) => entry.name)).toEqual(["HANDSHAKE", "CLIENT", "UNREADABLE"]);
  });
});
