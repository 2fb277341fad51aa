// Finding the frame boundaries again in a byte stream whose start is missing (the
// connection began before the capture, or a gap cut a frame). The frame header has no magic and
// no checksum, so a boundary is only taken when it is proven:
//
// - a candidate position starts a chain of whole frames, each with a valid header for the
//   direction (known type, schema within its ceiling, size within the cap) and a body that
//   decodes completely (a FAILURE found inside a ROWS frame counts, as a real node writes it);
// - the chain ends exactly at the end of the bytes seen so far (checked when a segment ends),
//   with at least MIN_PROOF_FRAMES frames (one is enough when the stream has ended);
// - no other such chain exists (chains that share a boundary are the same chain).
//
// Positions are tried once each: a position whose chain failed is remembered as dead, and a
// chain that reaches the start of another live candidate takes over its progress, so the work
// stays linear in the bytes held. At most `maxBytes` are held; a stream with no proof within
// that many bytes is given up (the caller reports it undecodable from there).
//
// The same proof, with raft's message layout in place of dqlite's frames (raft-message.ts),
// recognises raft traffic on connections that began before the capture.

import { DecodeError } from "../errors.ts";
import { type ResolvedDecodeOptions, declarationFor, decodeBody } from "../messages/codec.ts";
import type { Side } from "../messages/codes.ts";
import { ResponseType } from "../messages/codes.ts";
import { failureAtEnd } from "../client/failure-tail.ts";
import { HEADER_BYTES } from "../wire/constants.ts";
import { type FrameHeader, readHeader } from "../wire/header.ts";

export const MIN_PROOF_FRAMES = 2;

interface Chain {
  start: number;
  /** Position of the next header to check; every frame before it is valid. */
  next: number;
  frames: number;
}

/** Says whether a whole unit (a dqlite frame, a raft message) starts at `at`, and its size. */
export type UnitCheck = (bytes: Uint8Array, at: number, end: number) => number | "incomplete" | "invalid";

/** The size of the valid whole frame at `at`, "incomplete" when it runs past `end`, or "invalid". */
export function checkFrameAt(bytes: Uint8Array, at: number, end: number, side: Side, options: ResolvedDecodeOptions): number | "incomplete" | "invalid" {
  if (end - at < HEADER_BYTES) return "incomplete";
  try {
    const header = readHeader(bytes, at, options.limits.maxMessageBytes);
    checkHeader(side, header, at, options);
    if (at + header.frameBytes > end) return "incomplete";
    try {
      decodeBody(side, header, bytes, at, options);
    } catch (error) {
      const failure = side === "response" && header.type === ResponseType.Rows ? failureAtEnd(bytes.subarray(at, at + header.frameBytes), options.limits.maxFailureMessageBytes) : undefined;
      if (failure === undefined) throw error;
    }
    return header.frameBytes;
  } catch {
    return "invalid";
  }
}

/**
 * Throws when a header cannot start a frame: unknown type or schema for the direction (internal
 * requests allowed: CONNECT is how raft traffic is recognised), or an empty body (every dqlite
 * message has at least one word of body).
 */
export function checkHeader(side: Side, header: FrameHeader, at: number, options: ResolvedDecodeOptions): void {
  declarationFor(side, header, at, { ...options, allowInternal: true });
  if (header.sizeWords === 0) {
    throw new DecodeError("BAD_LENGTH", `header.size: a frame with an empty body at offset ${at}; every message has a body`, { offset: at, field: "header.size" });
  }
}

export class FrameResync {
  private window: Uint8Array;
  private length = 0;
  private dead: Uint8Array;
  /** Every position below this has been made a candidate once. */
  private scanned = 0;
  private chains = new Map<number, Chain>();

  constructor(
    private readonly check: UnitCheck,
    readonly maxBytes: number,
  ) {
    const initial = Math.min(maxBytes, 64 * 1024);
    this.window = new Uint8Array(initial);
    this.dead = new Uint8Array(initial);
  }

  /** Bytes held. */
  get heldBytes(): number {
    return this.length;
  }

  /** The bytes held, from `from` on (a view, valid until the next push). */
  bytesFrom(from: number): Uint8Array {
    return this.window.subarray(from, this.length);
  }

  /** Appends stream bytes; false when they do not fit in the window (the caller gives up). */
  push(bytes: Uint8Array): boolean {
    if (this.length + bytes.length > this.maxBytes) return false;
    if (this.length + bytes.length > this.window.length) {
      let size = this.window.length;
      while (size < this.length + bytes.length) size *= 2;
      size = Math.min(size, this.maxBytes);
      const grown = new Uint8Array(size);
      grown.set(this.window.subarray(0, this.length));
      this.window = grown;
      const deadGrown = new Uint8Array(size);
      deadGrown.set(this.dead.subarray(0, this.length));
      this.dead = deadGrown;
    }
    this.window.set(bytes, this.length);
    this.length += bytes.length;
    return true;
  }

  /**
   * Looks for a proven boundary in the bytes held; call it where the data seen ends (the end of
   * a segment). `ended`: no more bytes will come, so one whole frame is proof enough.
   */
  prove(ended = false): number | undefined {
    // New candidates from the highest position down, so a lower chain meets the higher ones.
    const lastStart = this.length - HEADER_BYTES;
    for (let at = lastStart; at >= this.scanned; at--) {
      if (this.dead[at] === 1) continue;
      const chain: Chain = { start: at, next: at, frames: 0 };
      this.chains.set(at, chain);
      this.advance(chain);
    }
    this.scanned = Math.max(this.scanned, lastStart + 1);
    for (const chain of [...this.chains.values()].sort((a, b) => a.start - b.start)) {
      if (this.chains.get(chain.start) === chain) this.advance(chain);
    }
    const minFrames = ended ? 1 : MIN_PROOF_FRAMES;
    const proven = [...this.chains.values()].filter((chain) => chain.next === this.length && chain.frames >= minFrames);
    return proven.length === 1 ? proven[0]!.start : undefined;
  }

  private advance(chain: Chain): void {
    while (chain.next < this.length) {
      if (chain.next !== chain.start) {
        const other = this.chains.get(chain.next);
        if (other !== undefined) {
          this.chains.delete(other.start);
          chain.next = other.next;
          chain.frames += other.frames;
          continue;
        }
      }
      if (this.dead[chain.next] === 1) return this.kill(chain);
      const size = this.check(this.window, chain.next, this.length);
      if (size === "incomplete") return;
      if (size === "invalid") {
        this.dead[chain.next] = 1;
        return this.kill(chain);
      }
      chain.next += size;
      chain.frames++;
    }
  }

  private kill(chain: Chain): void {
    this.dead[chain.start] = 1;
    this.chains.delete(chain.start);
  }
}
