// Which request each response answers. A dqlite connection carries one request at a time: the
// client sends a request and waits for its response (one frame, or the ROWS frames of a result
// up to DONE, or a FAILURE in their midst) before it sends the next. INTERRUPT is the exception:
// it is sent while a result streams; dqlite 1.11 finishes the result, then answers EMPTY.
//
// The pairing does not rely on the order packets of the two directions appear in the capture.
// The first packet of a response carries the node's acknowledgement number: how many request
// bytes it had read when it answered. The response answers the newest request, not answered
// yet, that ends at or before that point. If the client's stream has a gap between that request
// and that point, or no such request was captured, the request answered is unknown (null).

import type { Message } from "../../messages/types.ts";
import type { Answered } from "../capture-records.ts";

interface PendingRequest extends Answered {
  /** Stream offset just past the request's last byte. */
  end: number;
}

export class RequestPairing {
  private count = 0;
  private pending: PendingRequest[] = [];
  /** The result being streamed (after a ROWS frame ending with PART), and what it answers. */
  private openResult: { answers: Answered | null } | undefined;
  /** Client stream ranges that are not in the capture. */
  private clientGaps: { from: number; to: number }[] = [];
  /** Requests that never got a response, for the summary. */
  unanswered = 0;

  constructor(private readonly maxPending: number) {}

  /** Registers a request; returns its number in the connection. */
  request(type: string, end: number): number {
    this.count++;
    this.pending.push({ request: this.count, type, end });
    if (this.pending.length > this.maxPending) {
      this.pending.shift();
      this.unanswered++;
    }
    return this.count;
  }

  clientGap(from: number, length: number): void {
    this.clientGaps.push({ from, to: from + length });
    if (this.clientGaps.length > this.maxPending) this.clientGaps.shift();
  }

  /**
   * The request `message` answers. `acked`: the client stream offset the node had read when it
   * sent the packet that carried the response's first byte (undefined when unknown).
   */
  response(message: Message, acked: number | undefined): Answered | null {
    const open = this.openResult;
    // A result in progress goes on (also across a gap in the response stream) unless the node
    // had read a newer request when it sent this frame.
    if (open !== undefined && !this.newerRequestRead(acked)) {
      const continues =
        message.type === "ROWS" || message.type === "FAILURE" || (message.type === "EMPTY" && this.pendingInterrupt(acked) === undefined);
      if (continues) {
        if (message.type !== "ROWS" || message.marker === "DONE") this.openResult = undefined;
        return open.answers;
      }
    }
    this.openResult = undefined;
    const answers = this.take(acked);
    if (message.type === "ROWS" && message.marker === "PART") this.openResult = { answers };
    return answers;
  }

  private newerRequestRead(acked: number | undefined): boolean {
    return acked !== undefined && this.pending.some((p) => p.type !== "INTERRUPT" && p.end <= acked);
  }

  private pendingInterrupt(acked: number | undefined): PendingRequest | undefined {
    return this.pending.find((p) => p.type === "INTERRUPT" && (acked === undefined || p.end <= acked));
  }

  private take(acked: number | undefined): Answered | null {
    let index = this.pending.length - 1;
    if (acked !== undefined) while (index >= 0 && this.pending[index]!.end > acked) index--;
    if (index < 0) return null;
    const chosen = this.pending[index]!;
    // Older requests left waiting never got an answer (the node dropped them, or their
    // response is not in the capture).
    this.unanswered += index;
    this.pending.splice(0, index + 1);
    if (acked !== undefined && this.clientGaps.some((gap) => gap.to > chosen.end && gap.from < acked)) return null;
    return { request: chosen.request, type: chosen.type };
  }
}
