// The first events of a connection whose roles are not known yet: it began before the capture,
// neither side sent a handshake, and neither endpoint is known to be a dqlite node. They wait
// (up to a byte cap, inside the decoder's buffer budget) for a later connection of the capture
// to show which endpoint is the node; then they are replayed in order. If that never happens,
// the bytes held are checked for raft's messages before the connection is given up.

import type { BufferBudget } from "../buffer-budget.ts";
import { FrameResync } from "./frame-resync.ts";
import { checkRaftMessageAt } from "./raft-message.ts";
import type { FlowEvent } from "../network/tcp-flow.ts";

export class HeldEvents {
  readonly events: { index: 0 | 1; event: FlowEvent }[] = [];
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly budget: BufferBudget,
  ) {}

  /** Holds an event; false when the cap (or the decoder's budget) does not allow it. */
  add(index: 0 | 1, event: FlowEvent): boolean {
    const size = event.kind === "data" ? event.bytes.length : 0;
    if (this.bytes + size > this.maxBytes || !this.budget.tryReserve(size)) return false;
    this.bytes += size;
    this.events.push({ index, event: event.kind === "data" ? { ...event, bytes: event.bytes.slice() } : event });
    return true;
  }

  /** Gives the events back, in order, and frees their bytes. */
  drain(): { index: 0 | 1; event: FlowEvent }[] {
    this.budget.release(this.bytes);
    this.bytes = 0;
    return this.events.splice(0);
  }

  /** True when the bytes one direction sent (up to its first gap) chain as raft messages. */
  holdsRaft(): boolean {
    for (const index of [0, 1] as const) {
      const resync = new FrameResync(checkRaftMessageAt, this.maxBytes);
      for (const { index: at, event } of this.events) {
        if (at !== index) continue;
        if (event.kind !== "data") break;
        resync.push(event.bytes);
      }
      if (resync.heldBytes > 0 && resync.prove(true) !== undefined) return true;
    }
    return false;
  }
}
