// Raw frame helpers for transport tests. They use bytes written out by hand, not the codec,
// so a transport test fails only for transport reasons.

export const HANDSHAKE_V1 = hex("0100000000000000");
export const LEADER_REQUEST = hex("0100000000000000" + "0000000000000000");

export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** A request frame: header (size in words, type, schema 0) + body padded to whole words. */
export function frame(type: number, body: Uint8Array): Uint8Array {
  const words = Math.ceil(body.byteLength / 8);
  const out = new Uint8Array(8 + words * 8);
  new DataView(out.buffer).setUint32(0, words, true);
  out[4] = type;
  out.set(body, 8);
  return out;
}

/** NUL-terminated, zero-padded text as the protocol writes it. */
export function text(value: string): Uint8Array {
  const bytes = new TextEncoder().encode(value);
  const out = new Uint8Array(Math.ceil((bytes.byteLength + 1) / 8) * 8);
  out.set(bytes);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

export interface Frame {
  type: number;
  body: Uint8Array;
}

/** Reads whole frames off a byte stream, keeping leftovers between calls. */
export class FrameReader {
  private buffered: Uint8Array = new Uint8Array(0);

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** The next frame, or undefined if the stream ended cleanly between frames. */
  async next(): Promise<Frame | undefined> {
    for (;;) {
      if (this.buffered.byteLength >= 8) {
        const view = new DataView(this.buffered.buffer, this.buffered.byteOffset, 8);
        const total = 8 + view.getUint32(0, true) * 8;
        if (this.buffered.byteLength >= total) {
          const result = { type: this.buffered[4]!, body: this.buffered.slice(8, total) };
          this.buffered = this.buffered.slice(total);
          return result;
        }
      }
      const { done, value } = await this.reader.read();
      if (done) {
        if (this.buffered.byteLength === 0) return undefined;
        throw new Error(`stream ended inside a frame (${this.buffered.byteLength} bytes left)`);
      }
      this.buffered = concat(this.buffered, value);
    }
  }
}

/** LEADER response body: uint64 id, text address. */
export function decodeLeader(body: Uint8Array): { id: bigint; address: string } {
  const id = new DataView(body.buffer, body.byteOffset, body.byteLength).getBigUint64(0, true);
  const end = body.indexOf(0, 8);
  return { id, address: new TextDecoder().decode(body.subarray(8, end)) };
}
