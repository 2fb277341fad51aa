// One holder at a time, in the order they asked: the turns of a connection (dqlite answers in
// order and a result stream occupies the connection until it ends), and the client's write lane.
// Waiting is first come, first served, and a caller whose call is cancelled or times out while
// waiting leaves the line without a trace. A free queue is taken at once, without a wait.

import type { Abortable } from "./call-scope.ts";

interface Waiter {
  grant(): void;
  forget(): void;
}

export class RequestQueue {
  private held = false;
  private readonly waiters: Waiter[] = [];

  /** True while someone holds the queue. */
  get busy(): boolean {
    return this.held;
  }

  /** Callers waiting behind the holder. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** The turn at once when the queue is free (the function that ends it), else undefined. */
  tryAcquire(): (() => void) | undefined {
    if (this.held || this.waiters.length > 0) return undefined;
    this.held = true;
    return this.releaser();
  }

  /**
   * Waits for the caller's turn; resolves with the function that ends the turn (idempotent).
   * Rejects with `abortable`'s reason if it ends first; the line moves on without the caller.
   */
  acquire(abortable?: Abortable): Promise<() => void> {
    if (abortable?.reason !== undefined) return Promise.reject(abortable.reason);
    const now = this.tryAcquire();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          waiter.forget();
          resolve(this.releaser());
        },
        forget: () => {},
      };
      if (abortable !== undefined) {
        waiter.forget = abortable.onEnd((reason) => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(reason);
        });
      }
      this.waiters.push(waiter);
    });
  }

  /** The end of one turn: hands the queue to the next in line, or frees it. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next === undefined) this.held = false;
      else next.grant();
    };
  }
}
