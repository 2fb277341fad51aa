// Finding the frame boundaries again in a byte stream whose start is missing (the
// connection began before the capture, or a gap cut a frame). The frame header has no magic and
// no checksum, so a boundary is only taken when it is proven. A candidate position starts a
// chain of whole frames, each with a valid header for the direction (known type, schema within
// its ceiling, non-empty body, size within the cap) and a body that decodes completely. A chain is proof when it
// is the only chain of two or more frames, and
//
// - it ends exactly where the bytes seen end (checked where a segment ends), or
// - it holds STRONG_PROOF_FRAMES frames or more (segments need not end on frame boundaries), or
// - the stream has ended, and it is the only chain that reaches the end (one frame is enough).
//
// Each position is tried once: a position whose chain failed is remembered as dead; a chain
// that reaches the start of another live chain takes over its progress; a chain waiting for
// bytes sleeps in a heap until they arrive. The work stays about linear in the bytes held. At
// most `maxBytes` are held; with no proof within that many bytes the caller gives up (and
// reports the stream undecodable from there).
//
// The same proof, with raft's message layout in place of dqlite's frames (raft-message.ts),
// recognises raft traffic on connections that began before the capture.
//
// This is a search over candidate positions, not a walk of a stream: each candidate's header is
// read by readHeader like every other, and once a boundary is proven the direction decoder reads
// on from it with the library's FrameDecoder (the frame scanner).

import { DecodeError } from "../../errors.ts";
import { type ResolvedDecodeOptions, declarationFor, decodeBody } from "../../messages/codec.ts";
import type { Side } from "../../messages/codes.ts";
import { REQUESTS_BY_CODE, RESPONSES_BY_CODE } from "../../messages/schemas.ts";
import { HEADER_BYTES, WORD_BYTES } from "../../wire/constants.ts";
import { type FrameHeader, readHeader } from "../../wire/header.ts";
import { MinHeap } from "./min-heap.ts";

export const MIN_PROOF_FRAMES = 2;
export const STRONG_PROOF_FRAMES = 4;

interface Chain {
  start: number;
  /** Position of the next unit to check; every unit before it is valid. */
  next: number;
  frames: number;
  /** The window length at which the unit at `next` can be checked. */
  needEnd: number;
  alive: boolean;
}

/** Not decidable yet: `needs` bytes from the unit's start are required. */
export interface Incomplete {
  needs: number;
}

/** Says whether a whole unit (a dqlite frame, a raft message) starts at `at`, and its size. */
export type UnitCheck = (bytes: Uint8Array, at: number, end: number) => number | Incomplete | "invalid";

/** The size of the valid whole frame at `at`, "incomplete" when it runs past `end`, or "invalid". */
export function checkFrameAt(
  bytes: Uint8Array,
  at: number,
  end: number,
  side: Side,
  options: ResolvedDecodeOptions,
): number | Incomplete | "invalid" {
  if (end - at < HEADER_BYTES) return { needs: HEADER_BYTES };
  // Most positions fail here; no exception is built for them (that would cost more than the check).
  const header = readHeader(bytes, at, Number.POSITIVE_INFINITY);
  if (!plausibleHeader(side, header, options.limits.maxMessageBytes)) return "invalid";
  if (at + header.frameBytes > end) return { needs: header.frameBytes };
  try {
    decodeBody(side, header, bytes, at, options);
    return header.frameBytes;
  } catch {
    return "invalid";
  }
}

/** The header's type and schema exist for the direction, its body is not empty, its size within the cap. */
function plausibleHeader(side: Side, header: FrameHeader, maxMessageBytes: number): boolean {
  const declaration = (side === "request" ? REQUESTS_BY_CODE : RESPONSES_BY_CODE)[header.type];
  return (
    declaration !== undefined && header.schema <= declaration.maxSchema && header.sizeWords > 0 && header.frameBytes <= maxMessageBytes
  );
}

/**
 * Throws when a header cannot start a frame: unknown type or schema for the direction (internal
 * requests allowed: CONNECT is how raft traffic is recognised), or an empty body (every dqlite
 * message has at least one word of body).
 */
export function checkHeader(side: Side, header: FrameHeader, at: number, options: ResolvedDecodeOptions): void {
  declarationFor(side, header, at, { ...options, allowInternal: true });
  if (header.sizeWords === 0) {
    throw new DecodeError("BAD_LENGTH", `header.size: a frame with an empty body at offset ${at}; every message has a body`, {
      offset: at,
      field: "header.size",
    });
  }
}

export class FrameResync {
  private window: Uint8Array;
  private length = 0;
  private dead: Uint8Array;
  /** Every position below this has been made a candidate once. */
  private scanned = 0;
  private chains = new Map<number, Chain>();
  /** Live chains of MIN_PROOF_FRAMES frames or more. */
  private established = new Set<Chain>();
  private waiting = new MinHeap<Chain>((chain) => chain.needEnd);

  /**
   * `aligned`: when the stream offset of the window's first byte is known, the boundaries can
   * only be where the stream offset is a multiple of 8 (every frame and raft message is whole
   * words long), so `aligned` gives the first such position of the window; undefined tries them all.
   */
  constructor(
    private readonly check: UnitCheck,
    readonly maxBytes: number,
    private readonly aligned?: number,
  ) {
    const initial = Math.min(maxBytes, 4 * 1024);
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
   * a segment). `ended`: no more bytes will come.
   */
  prove(ended = false): number | undefined {
    // New candidates from the highest position down, so a lower chain meets the higher ones.
    for (let at = this.length - 1; at >= this.scanned; at--) {
      if (this.dead[at] === 1 || (this.aligned !== undefined && (at - this.aligned) % WORD_BYTES !== 0)) continue;
      const chain: Chain = { start: at, next: at, frames: 0, needEnd: at, alive: true };
      this.chains.set(at, chain);
      this.advance(chain);
    }
    this.scanned = Math.max(this.scanned, this.length);
    for (let top = this.waiting.peek(); top !== undefined && top.needEnd <= this.length; top = this.waiting.peek()) {
      this.waiting.pop();
      if (top.alive && top.needEnd <= this.length) this.advance(top);
    }
    if (this.established.size === 1) {
      const [chain] = this.established as Set<Chain> & Iterable<Chain>;
      if (chain!.next === this.length || chain!.frames >= STRONG_PROOF_FRAMES || ended) return chain!.start;
    }
    if (ended && this.established.size === 0) {
      const reaching = [...this.chains.values()].filter((chain) => chain.frames >= 1 && chain.next === this.length);
      if (reaching.length === 1) return reaching[0]!.start;
    }
    return undefined;
  }

  /** Checks units from `chain.next` on until one is incomplete (the chain waits) or invalid (it dies). */
  private advance(chain: Chain): void {
    for (;;) {
      if (chain.next !== chain.start) {
        const other = this.chains.get(chain.next);
        if (other !== undefined) {
          this.absorb(chain, other);
          continue;
        }
      }
      if (this.dead[chain.next] === 1) return this.kill(chain);
      const size = chain.next >= this.length ? { needs: 1 } : this.check(this.window, chain.next, this.length);
      if (size === "invalid") {
        this.dead[chain.next] = 1;
        return this.kill(chain);
      }
      if (typeof size === "object") {
        chain.needEnd = chain.next + size.needs;
        this.waiting.push(chain);
        return;
      }
      chain.next += size;
      chain.frames++;
      if (chain.frames >= MIN_PROOF_FRAMES) this.established.add(chain);
    }
  }

  /** `chain` reached the start of `other`: one chain from here on. */
  private absorb(chain: Chain, other: Chain): void {
    other.alive = false;
    this.chains.delete(other.start);
    this.established.delete(other);
    chain.next = other.next;
    chain.frames += other.frames;
    if (chain.frames >= MIN_PROOF_FRAMES) this.established.add(chain);
  }

  private kill(chain: Chain): void {
    chain.alive = false;
    this.dead[chain.start] = 1;
    this.chains.delete(chain.start);
    this.established.delete(chain);
  }
}
