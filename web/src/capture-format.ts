// The capture format the offline mode reads, for frames recorded anywhere (the page's own "Save
// capture", a packet dump, a test vector):
//
//   Text: hex digits, any spacing; "#" starts a comment to the end of the line; a line that
//   starts with ">" carries bytes the client sent, "<" bytes the node sent, and the direction
//   holds for the lines after it until the next marker. Separators ":", "|" and "," are ignored.
//   Binary: the raw bytes of one direction's stream, as read off the socket.
//
// Without markers the direction is read from the bytes: a client's stream starts with the
// 8-byte protocol version (handshake); a node's stream never does.

import { isWireError, readHandshake } from "./library.ts";
import type { FrameDirection } from "./worker-protocol.ts";

export interface CaptureSegment {
  direction: FrameDirection;
  bytes: Uint8Array;
}

export class CaptureFormatError extends Error {
  override name = "CaptureFormatError";
}

/** The protocol version `bytes` starts with, if they start with a client's handshake. */
export function handshakeAtStart(bytes: Uint8Array): bigint | undefined {
  try {
    return readHandshake(bytes);
  } catch (error) {
    // Any other 8 bytes are not a handshake: the stream is a node's, or starts mid-way.
    if (isWireError(error)) return undefined;
    throw error;
  }
}

/** Whether `bytes` starts with a protocol version a client sends first. */
export function startsWithHandshake(bytes: Uint8Array): boolean {
  return handshakeAtStart(bytes) !== undefined;
}

/** Text made only of what a text capture may hold (so a binary file is never read as text). */
export function looksLikeTextCapture(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    const printable = byte >= 0x20 && byte < 0x7f;
    if (!printable && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  }
  return bytes.length > 0;
}

/** Reads a text capture into segments, in the order they appear. */
export function parseTextCapture(text: string): CaptureSegment[] {
  const segments: { direction: FrameDirection | undefined; hex: string[]; line: number }[] = [];
  let current: (typeof segments)[number] | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/#.*$/, "").trim();
    if (line === "") continue;
    let direction: FrameDirection | undefined;
    if (line.startsWith(">")) direction = "sent";
    else if (line.startsWith("<")) direction = "received";
    if (direction !== undefined) {
      line = line.slice(1);
      if (current === undefined || current.direction !== direction) {
        current = { direction, hex: [], line: i + 1 };
        segments.push(current);
      }
    } else if (current === undefined) {
      current = { direction: undefined, hex: [], line: i + 1 };
      segments.push(current);
    }
    const digits = line.replace(/[\s:|,]/g, "");
    const bad = /[^0-9a-fA-F]/.exec(digits);
    if (bad !== null) {
      throw new CaptureFormatError(`line ${i + 1}: "${bad[0]}" is not a hex digit (use # for comments, > and < for directions)`);
    }
    current.hex.push(digits);
  }
  if (segments.length === 0) throw new CaptureFormatError("the capture holds no bytes");
  return segments.map((segment) => {
    const hex = segment.hex.join("");
    if (hex.length % 2 !== 0) {
      throw new CaptureFormatError(`the bytes starting at line ${segment.line} have an odd number of hex digits (${hex.length})`);
    }
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    return { direction: segment.direction ?? (startsWithHandshake(bytes) ? "sent" : "received"), bytes };
  });
}

/** Reads a capture file: text when it is all text, else one direction's raw bytes. */
export function parseCapture(bytes: Uint8Array): CaptureSegment[] {
  if (looksLikeTextCapture(bytes)) return parseTextCapture(new TextDecoder().decode(bytes));
  return [{ direction: startsWithHandshake(bytes) ? "sent" : "received", bytes }];
}

/** Writes frames as a text capture that parseTextCapture reads back. */
export function formatTextCapture(frames: readonly { direction: FrameDirection; name: string; bytes: Uint8Array }[]): string {
  const out = ["# dqlite-wire capture: '>' client to node, '<' node to client, one frame per line"];
  for (const frame of frames) {
    const words: string[] = [];
    for (let i = 0; i < frame.bytes.length; i += 8) {
      let word = "";
      for (const byte of frame.bytes.subarray(i, i + 8)) word += byte.toString(16).padStart(2, "0");
      words.push(word);
    }
    out.push(`${frame.direction === "sent" ? ">" : "<"} ${words.join(" ")}  # ${frame.name}`);
  }
  return `${out.join("\n")}\n`;
}
