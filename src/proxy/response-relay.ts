// The node-to-client direction of a proxied connection, passed on as it arrives. The relay
// follows the frame boundaries with the frame scanner (src/wire/frame-scanner.ts) in borrow mode,
// so that LEADER and SERVERS frames can be held whole and given back with the proxy's addresses;
// every other frame is passed as soon as its header is in, its bytes going out in the chunks
// they came in (views, not copies). What it holds (and copies) across chunks: at most one header
// (8 bytes) or one LEADER/SERVERS frame (up to `maxHeldFrameBytes`); a passed frame's body is
// never held.
//
// If the stream stops looking like dqlite responses (an unknown type, an empty body), the relay
// says so once and passes every later byte through untouched: it never breaks the connection and
// never drops a byte. No frame size is refused (the scanner has no cap here): a frame too large to
// hold passes through like any other.

import { RESPONSES_BY_CODE } from "../messages/schemas.ts";
import { FrameScanner, type ScannedFrame } from "../wire/frame-scanner.ts";
import type { FrameHeader } from "../wire/header.ts";
import { ADDRESS_RESPONSES, type AddressRewriter, type Rewritten } from "./address-rewrite.ts";

export interface RelayEvents {
  /** A LEADER or SERVERS frame at `offset` of the node's stream went out with other addresses. */
  rewritten(offset: number, rewritten: Rewritten): void;
  /** The relay stopped following frames at `offset`: why. Everything after passes through. */
  passthrough(offset: number, why: string): void;
}

export class ResponseRelay {
  /**
   * Borrow mode: the chunks are the socket's, never modified after they are pushed, and the
   * frames passed go out as views of them. Holds only what `push` leaves pending: a header, or a
   * LEADER/SERVERS frame being held.
   */
  private readonly scanner = new FrameScanner({ input: "borrow" });
  private through = false;

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
    if (this.through) {
      this.releaseHeld(out);
      if (chunk.length > 0) out.push(chunk);
      return out;
    }
    // The rest of a frame passed in an earlier chunk comes first.
    const passed = this.scanner.push(chunk);
    if (passed.length > 0) out.push(passed);
    for (let header = this.scanner.header(); header !== undefined; header = this.scanner.header()) {
      const problem = headerProblem(header);
      if (problem !== undefined) {
        this.through = true;
        this.events.passthrough(this.scanner.offset, problem);
        this.releaseHeld(out);
        break;
      }
      if (this.holds(header)) {
        const frame = this.scanner.next();
        if (frame === undefined) break;
        out.push(this.rewrite(frame));
      } else {
        out.push(...this.scanner.passFrame());
      }
    }
    return out;
  }

  /** Bytes held when the relay stopped following frames go out first, as they came. */
  private releaseHeld(out: Uint8Array[]): void {
    if (this.scanner.buffered === 0) return;
    out.push(this.scanner.pending());
    this.scanner.clear();
  }

  /** Whether the frame is held whole, to be rewritten: a LEADER or SERVERS frame small enough. */
  private holds(header: FrameHeader): boolean {
    return this.rewriter !== undefined && ADDRESS_RESPONSES.has(header.type) && header.frameBytes <= this.maxHeldFrameBytes;
  }

  private rewrite(frame: ScannedFrame): Uint8Array {
    const rewritten = this.rewriter!.rewrite(frame.bytes, this.legacy());
    if (rewritten === undefined) return frame.bytes;
    this.events.rewritten(frame.streamOffset, rewritten);
    return rewritten.frame;
  }
}

function headerProblem(header: FrameHeader): string | undefined {
  if (RESPONSES_BY_CODE[header.type] === undefined) return `unknown response type ${header.type}`;
  if (header.sizeWords === 0) return "a frame with an empty body";
  return undefined;
}
