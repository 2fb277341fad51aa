// Offline mode: splits a capture's bytes into frames (one frame decoder per direction, as a
// live connection has) and logs them, then finds the ROWS frames of its first result.

import { FrameDecoder, HANDSHAKE_BYTES, encodeHandshake, isWireError } from "./library.ts";
import { type CaptureSegment, handshakeAtStart } from "./capture-format.ts";
import { type FrameLog, type FrameRecord, typeName } from "./frame-log.ts";
import type { FrameDirection } from "./worker-protocol.ts";

/** Logs every frame of the capture, in order; a direction that stops making sense is marked. */
export function logCapture(segments: readonly CaptureSegment[], log: FrameLog, resultId: number): FrameRecord[] {
  const decoders = new Map<FrameDirection, FrameDecoder>();
  const broken = new Set<FrameDirection>();
  const logged: FrameRecord[] = [];
  const add = (direction: FrameDirection, name: string, bytes: Uint8Array) =>
    logged.push(log.add({ direction, name, size: bytes.length, source: "offline", bytes, resultId }));
  for (const segment of segments) {
    const { direction } = segment;
    if (broken.has(direction)) continue;
    let decoder = decoders.get(direction);
    let bytes = segment.bytes;
    if (decoder === undefined) {
      decoder = new FrameDecoder({ side: direction === "sent" ? "request" : "response", handshake: false });
      decoders.set(direction, decoder);
      const version = direction === "sent" ? handshakeAtStart(bytes) : undefined;
      if (version !== undefined) {
        add(direction, "HANDSHAKE", encodeHandshake(version));
        bytes = bytes.subarray(HANDSHAKE_BYTES);
      }
    }
    try {
      decoder.push(bytes);
      for (let frame = decoder.nextFrame(); frame !== undefined; frame = decoder.nextFrame()) {
        add(direction, typeName(direction, frame.header.type), frame.bytes.slice());
      }
    } catch (error) {
      broken.add(direction);
      const message = isWireError(error) || error instanceof Error ? error.message : String(error);
      log.add({ direction, name: "UNREADABLE", size: 0, source: "offline", bytes: null, resultId, error: message });
    }
  }
  for (const [direction, decoder] of decoders) {
    if (broken.has(direction) || decoder.bufferedBytes === 0) continue;
    const error = `${decoder.bufferedBytes} bytes at the end are not a whole frame`;
    log.add({ direction, name: "INCOMPLETE", size: decoder.bufferedBytes, source: "offline", bytes: null, resultId, error });
  }
  return logged;
}

/** The ROWS frames of the first result among `records` (received, consecutive), back to back. */
export function firstResultRows(records: readonly FrameRecord[]): { bytes: Uint8Array; frames: number } | undefined {
  const frames: Uint8Array[] = [];
  for (const record of records) {
    if (record.direction !== "received") continue;
    if (record.name === "ROWS" && record.bytes !== null) frames.push(record.bytes);
    else if (frames.length > 0) break;
  }
  return frames.length === 0 ? undefined : { bytes: joinBytes(frames), frames: frames.length };
}

export function joinBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
