// A run of turns on one connection reserved for one holder: a transaction. While a lease is
// held, the connection serves only calls that carry it, one at a time in order; every other
// call waits in the connection's queue until the lease ends, so nothing of theirs runs inside
// the transaction. A call carries the lease in its options (`lease.stamp(call)`), which is how
// it reaches every layer that takes a turn (a streamed query takes its own turn from its
// options) without a second path through them.

import { WireError } from "../errors.ts";
import type { CallOptions } from "./call-scope.ts";
import { RequestQueue } from "./request-queue.ts";

const LEASE = Symbol("dqlite-wire.lease");

/** Call options that may carry a lease. */
type LeasedCall = CallOptions & { [LEASE]?: Lease };

export class Lease {
  /** What holds the lease, for error messages ("transaction"). */
  readonly holder: string;
  /** The holder's turns, one at a time, in order. */
  readonly turns = new RequestQueue();
  #ended = false;
  readonly #release: () => void;

  constructor(holder: string, release: () => void) {
    this.holder = holder;
    this.#release = release;
  }

  /** True once `end()` was called: calls carrying the lease are refused from then on. */
  get ended(): boolean {
    return this.#ended;
  }

  /** `call`, marked as a call of this lease's holder. */
  stamp<T extends CallOptions>(call: T): T {
    return { ...call, [LEASE]: this };
  }

  /**
   * Ends the lease: refuses further calls carrying it and, once the holder's turn in progress
   * (if any) has ended, gives the connection back to the calls waiting for it. Idempotent.
   */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    void this.turns.acquire().then((release) => {
      release();
      this.#release();
    });
  }

  /** Throws BAD_STATE when the lease has ended (`what` names the call). */
  check(what: string): void {
    if (this.#ended) throw new WireError("BAD_STATE", `${what}: the ${this.holder} has ended; its calls can no longer run`);
  }
}

/** The lease a call carries, if any. */
export function leaseOf(call: CallOptions): Lease | undefined {
  return (call as LeasedCall)[LEASE];
}
