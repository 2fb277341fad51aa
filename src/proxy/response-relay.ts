// The node-to-client direction of a proxied connection, passed on as it arrives. The relay
// follows the frame boundaries (reading each 8-byte header through src/wire/header.ts) so that
// LEADER and SERVERS frames can be held whole and given back with the proxy's addresses; every
// other byte goes out in the chunk it came in. What it holds: at most one header (8 bytes) and
// one LEADER/SERVERS frame (up to `maxHeldFrameBytes`).
//
// If the stream stops looking like dqlite responses (an unknown type, an empty body, a size
// past the cap), the relay says so once and passes every later byte through untouched: it never
// breaks the connection and never drops a byte.

import { RESPONSES_BY_CODE } from "../messages/schemas.ts";
import { HEADER_BYTES } from "../wire/constants.ts";
import { type FrameHeader, readHeader } from "../wire/header.ts";
import { ADDRESS_RESPONSES, type AddressRewriter, type Rewritten } from "./address-rewrite.ts";

export interface RelayEvents {
  /** A LEADER or SERVERS frame at `offset` of the node's stream went out with other addresses. */
  rewritten(offset: number, rewritten: Rewritten): void;
  /** The relay stopped following frames at `offset`: why. Everything after passes through. */
  passthrough(offset: number, why: string): void;
}

export class ResponseRelay {
  private header = new Uint8Array(HEADER_BYTES);
  private headerLength = 0;
  /** Body bytes of the current frame still to pass through. */
  private remaining = 0;
  private held: { bytes: Uint8Array; length: number; offset: number } | undefined;
  private through = false;
  /** Node stream offset of the next byte read. */
  private offset = 0;

  constructor(
    private readonly rewriter: AddressRewriter | undefined,
    private readonly legacy: () => boolean,
    private readonly maxHeldFrameBytes: number,
    private readonly events: RelayEvents,
  ) {}

  /** True once the relay passes bytes through without following frames. */
  get passingThrough(): boolean {
    return this.through;
  }

  /** Passes every later byte through without following frames (the client does not speak dqlite). */
  stopFollowing(): void {
    this.through = true;
  }

  /** The node's stream as it arrived: returns what to send to the client, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.through) {
        this.releaseHeld(out);
        out.push(chunk.subarray(at));
        break;
      }
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        out.push(chunk.subarray(at, at + take));
        this.remaining -= take;
        at += take;
      } else if (this.held !== undefined) {
        at = this.fillHeld(chunk, at, out);
      } else {
        at = this.readHeader(chunk, at, out);
      }
    }
    this.offset += chunk.length;
    return out;
  }

  /** Bytes held when the relay stopped following frames go out first, as they came. */
  private releaseHeld(out: Uint8Array[]): void {
    if (this.headerLength > 0) out.push(this.header.slice(0, this.headerLength));
    if (this.held !== undefined) out.push(this.held.bytes.subarray(0, this.held.length));
    this.headerLength = 0;
    this.held = undefined;
  }

  private readHeader(chunk: Uint8Array, at: number, out: Uint8Array[]): number {
    const take = Math.min(HEADER_BYTES - this.headerLength, chunk.length - at);
    this.header.set(chunk.subarray(at, at + take), this.headerLength);
    this.headerLength += take;
    at += take;
    if (this.headerLength < HEADER_BYTES) return at;
    this.headerLength = 0;
    const frameStart = this.offset + at - HEADER_BYTES;
    const header = readHeader(this.header, 0, Number.POSITIVE_INFINITY);
    const problem = this.headerProblem(header);
    if (problem !== undefined) {
      this.through = true;
      this.events.passthrough(frameStart, problem);
      out.push(this.header.slice());
      return at;
    }
    if (this.rewriter !== undefined && ADDRESS_RESPONSES.has(header.type) && header.frameBytes <= this.maxHeldFrameBytes) {
      const bytes = new Uint8Array(header.frameBytes);
      bytes.set(this.header);
      this.held = { bytes, length: HEADER_BYTES, offset: frameStart };
    } else {
      out.push(this.header.slice());
      this.remaining = header.frameBytes - HEADER_BYTES;
    }
    return at;
  }

  private fillHeld(chunk: Uint8Array, at: number, out: Uint8Array[]): number {
    const held = this.held!;
    const take = Math.min(held.bytes.length - held.length, chunk.length - at);
    held.bytes.set(chunk.subarray(at, at + take), held.length);
    held.length += take;
    if (held.length === held.bytes.length) {
      this.held = undefined;
      const rewritten = this.rewriter!.rewrite(held.bytes, this.legacy());
      if (rewritten === undefined) out.push(held.bytes);
      else {
        out.push(rewritten.frame);
        this.events.rewritten(held.offset, rewritten);
      }
    }
    return at + take;
  }

  private headerProblem(header: FrameHeader): string | undefined {
    if (RESPONSES_BY_CODE[header.type] === undefined) return `unknown response type ${header.type}`;
    if (header.sizeWords === 0) return "a frame with an empty body";
    return undefined;
  }
}
