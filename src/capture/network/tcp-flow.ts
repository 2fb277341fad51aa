// One direction of a TCP connection, put back in order. Sequence numbers are turned into stream
// offsets (0 is the first byte after the SYN, or the first byte seen when the SYN was not
// captured), with 32-bit wrap-around. What comes out, in stream order:
//
// - data: bytes at the next stream offset, each chunk tagged with the packet that carried it and
//   that packet's acknowledgement number (which tells how far the other direction had been read);
// - gap: bytes that were sent but are not in the capture. A hole is declared lost when the
//   out-of-order bytes held behind it pass their cap, when the peer acknowledged past it, when a
//   segment was cut by the snap length, or when the flow ends with the hole still open;
// - end: FIN reached (all bytes before it delivered), RST, or the end of the capture.
//
// Retransmissions and overlaps are delivered once (the first copy seen wins).

import type { BufferBudget } from "../buffer-budget.ts";
import type { CaptureLimits } from "../capture-limits.ts";
import type { CaptureTime } from "../files/capture-time.ts";
import { TcpFlag, type TcpSegment } from "./tcp-segment.ts";

const SEQ_SPACE = 2 ** 32;

export interface Carrier {
  /** Packet number in the capture file. */
  packet: number;
  time: CaptureTime;
  /** Acknowledgement number of the packet (uint32), when its ACK flag was set. */
  ack: number | undefined;
}

/** Why bytes are missing: lost (not in the capture), cut by the snap length, dropped by a decoder that fell behind (the proxy). */
export type GapCause = "lost" | "snap" | "dropped";

export type FlowEvent =
  | { kind: "data"; offset: number; bytes: Uint8Array; carrier: Carrier }
  | { kind: "gap"; offset: number; length: number; why: GapCause; carrier: Carrier }
  | { kind: "end"; how: "fin" | "rst" | "capture-end"; carrier: Carrier | undefined };

interface HeldSegment {
  offset: number;
  bytes: Uint8Array;
  /** Length on the wire (more than bytes.length when the snap length cut it). */
  length: number;
  carrier: Carrier;
}

export class TcpFlow {
  private base: number | undefined;
  /** Stream offset of the next byte to deliver. */
  private delivered = 0;
  private held: HeldSegment[] = [];
  private heldBytes = 0;
  private finOffset: number | undefined;
  private peerAcked = 0;
  private ended = false;
  /** The SYN of this direction was captured. */
  synSeen = false;
  /** Bytes seen again (retransmissions, overlaps), for the summary. */
  duplicateBytes = 0;
  /** Bytes declared lost. */
  lostBytes = 0;
  /** Payload bytes carried by this direction's packets. */
  payloadBytes = 0;

  constructor(
    private readonly limits: Readonly<CaptureLimits>,
    private readonly budget: BufferBudget,
    private readonly emit: (event: FlowEvent) => void,
  ) {}

  get isEnded(): boolean {
    return this.ended;
  }

  get started(): boolean {
    return this.base !== undefined;
  }

  /** Stream offset of a sequence number of this direction (nearest to what was delivered). */
  offsetOf(seq: number): number | undefined {
    if (this.base === undefined) return undefined;
    const expected = (this.base + this.delivered) % SEQ_SPACE;
    return this.delivered + ((seq - expected) | 0);
  }

  segment(segment: TcpSegment, carrier: Carrier): void {
    if (this.ended) return;
    const syn = (segment.flags & TcpFlag.syn) !== 0;
    if (syn && (this.base === undefined || (!this.synSeen && this.delivered === 0 && this.held.length === 0))) {
      this.base = (segment.seq + 1) % SEQ_SPACE;
      this.synSeen = true;
    }
    this.base ??= segment.seq;
    const start = this.offsetOf(syn ? (segment.seq + 1) % SEQ_SPACE : segment.seq)!;
    this.payloadBytes += segment.payloadLength;
    if (segment.payloadLength > 0) this.place({ offset: start, bytes: segment.payload, length: segment.payloadLength, carrier }, false);
    if ((segment.flags & TcpFlag.fin) !== 0) this.finOffset ??= start + segment.payloadLength;
    if ((segment.flags & TcpFlag.rst) !== 0) {
      this.finish("rst", carrier);
      return;
    }
    this.endIfFinReached(carrier);
  }

  /** The other direction acknowledged this one up to `ack` (uint32). */
  acknowledged(ack: number, carrier: Carrier): void {
    if (this.ended) return;
    const offset = this.offsetOf(ack);
    if (offset === undefined || offset <= this.peerAcked) return;
    this.peerAcked = offset;
    // The peer received bytes behind a hole: they were sent, and the capture does not have them.
    while (this.held.length > 0 && this.peerAcked > this.delivered && this.held[0]!.offset > this.delivered) {
      this.skipHole(Math.min(this.peerAcked, this.held[0]!.offset), carrier);
    }
    this.endIfFinReached(carrier);
  }

  /** Ends the flow at the end of the capture: holes still open are gaps. */
  finish(how: "fin" | "rst" | "capture-end", carrier: Carrier | undefined): void {
    if (this.ended) return;
    while (this.held.length > 0) this.skipHole(this.held[0]!.offset, carrier ?? this.held[0]!.carrier);
    const lastKnown = Math.max(this.peerAcked, this.finOffset ?? 0);
    if (how !== "fin" && lastKnown > this.delivered && carrier !== undefined) this.gap(lastKnown - this.delivered, "lost", carrier);
    this.ended = true;
    this.emit({ kind: "end", how, carrier });
  }

  private endIfFinReached(carrier: Carrier): void {
    if (this.finOffset !== undefined && this.delivered >= this.finOffset && this.held.length === 0) this.finish("fin", carrier);
  }

  private place(segment: HeldSegment, fromHeld: boolean): void {
    const end = segment.offset + segment.length;
    if (end <= this.delivered) {
      if (!fromHeld) this.duplicateBytes += segment.length;
      return;
    }
    if (segment.offset <= this.delivered) {
      this.deliver(segment);
      this.drain();
      return;
    }
    this.hold(segment);
  }

  private deliver(segment: HeldSegment): void {
    const skip = this.delivered - segment.offset;
    if (skip > 0) this.duplicateBytes += Math.min(skip, segment.bytes.length);
    if (skip < segment.bytes.length) {
      this.emit({ kind: "data", offset: this.delivered, bytes: segment.bytes.subarray(Math.max(0, skip)), carrier: segment.carrier });
      this.delivered = segment.offset + segment.bytes.length;
    }
    const end = segment.offset + segment.length;
    // The snap length cut this segment: its remaining bytes were on the wire, not in the file.
    if (end > this.delivered) this.gap(end - this.delivered, "snap", segment.carrier);
  }

  private hold(segment: HeldSegment): void {
    const copy = segment.bytes.slice();
    if (!this.budget.tryReserve(copy.length)) {
      // No room to wait for the hole to fill: it is lost, and this segment goes through now.
      this.skipHole(segment.offset, segment.carrier);
      this.place(segment, true);
      return;
    }
    let at = this.held.length;
    while (at > 0 && this.held[at - 1]!.offset > segment.offset) at--;
    this.held.splice(at, 0, { ...segment, bytes: copy });
    this.heldBytes += copy.length;
    while (
      this.held.length > 0 &&
      (this.heldBytes > this.limits.maxOutOfOrderBytes || this.held.length > this.limits.maxOutOfOrderSegments)
    ) {
      this.skipHole(this.held[0]!.offset, segment.carrier);
    }
  }

  /** Declares [delivered, until) lost and delivers what was held behind it. */
  private skipHole(until: number, carrier: Carrier): void {
    if (until > this.delivered) this.gap(until - this.delivered, "lost", carrier);
    this.drain();
  }

  private drain(): void {
    while (this.held.length > 0 && this.held[0]!.offset <= this.delivered) {
      const next = this.held.shift()!;
      this.heldBytes -= next.bytes.length;
      this.budget.release(next.bytes.length);
      this.place(next, true);
    }
  }

  private gap(length: number, why: GapCause, carrier: Carrier): void {
    this.emit({ kind: "gap", offset: this.delivered, length, why, carrier });
    this.lostBytes += length;
    this.delivered += length;
  }
}
