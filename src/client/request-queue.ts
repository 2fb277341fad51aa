// One holder at a time, in the order they asked: the turns of a connection (dqlite answers in
// order and a result stream occupies the connection until it ends), and the client's write lane.
// Waiting is first come, first served, and a caller whose call is cancelled or times out while
// waiting leaves the line without a trace.

import { raceSignal } from "./call-scope.ts";

export class RequestQueue {
  private tail: Promise<void> = Promise.resolve();
  /** Callers that asked and have not released yet (the holder included). */
  private queued = 0;

  /** True while someone holds the queue. */
  get busy(): boolean {
    return this.queued > 0;
  }

  /** Callers waiting behind the holder. */
  get waiting(): number {
    return Math.max(0, this.queued - 1);
  }

  /**
   * Waits for the caller's turn; resolves with the function that ends the turn. Rejects with the
   * signal's reason if it aborts first (the turn is then passed on when it comes).
   */
  async acquire(signal: AbortSignal): Promise<() => void> {
    let release!: () => void;
    const turnEnds = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.tail;
    this.tail = previous.then(() => turnEnds);
    this.queued++;
    const done = (): void => {
      this.queued--;
      release();
    };
    try {
      await raceSignal(previous, signal);
    } catch (error) {
      // Give the turn up as soon as it arrives, so later callers are not stuck behind us.
      void previous.then(done);
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      done();
    };
  }
}
