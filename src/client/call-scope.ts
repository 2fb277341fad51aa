// One call's deadline and cancellation, merged into a single AbortSignal whose reason is already
// the typed error the call should fail with (TimeoutError or CancelledError). Every wait of the
// call races against this signal, so no wait can outlive its call.

import { CancelledError, TimeoutError, WireError } from "../errors.ts";

/** What every public call accepts. */
export interface CallOptions {
  /** Cancels the call; it then fails with CancelledError (code ABORTED). */
  signal?: AbortSignal;
  /** Fails the call with TimeoutError after this many milliseconds. 0 or Infinity: no timeout. */
  timeoutMs?: number;
}

export class CallScope {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly detach: (() => void) | undefined;
  private readonly what: string;
  private readonly timeoutMs: number;

  constructor(what: string, options: CallOptions = {}, defaultTimeoutMs = 0) {
    this.what = what;
    this.signal = this.controller.signal;
    const outer = options.signal;
    if (outer !== undefined) {
      if (outer.aborted) {
        this.controller.abort(cancelled(what, outer.reason));
      } else {
        const onAbort = (): void => this.controller.abort(cancelled(what, outer.reason));
        outer.addEventListener("abort", onAbort, { once: true });
        this.detach = () => outer.removeEventListener("abort", onAbort);
      }
    }
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    if (!(timeoutMs >= 0)) throw new RangeError(`${what}: timeoutMs must be a non-negative number, got ${String(timeoutMs)}`);
    this.timeoutMs = timeoutMs > 0 && Number.isFinite(timeoutMs) ? timeoutMs : 0;
    this.rearm();
  }

  /**
   * Starts the deadline again from now (a scope that covers a series of waits, each with the
   * whole timeout: the reads of a streamed result). No effect once the scope has ended. Re-arming
   * moves the deadline only; the one timer, when it fires early, waits out the rest, so a result
   * read in many steps sets no timer per step.
   */
  rearm(): void {
    if (this.signal.aborted || this.timeoutMs === 0) return;
    this.deadline = performance.now() + this.timeoutMs;
    if (this.timer === undefined) this.armTimer(this.timeoutMs);
  }

  /** Stops the deadline until the next `rearm` (time the caller spends elsewhere does not count). */
  pause(): void {
    this.deadline = Number.POSITIVE_INFINITY;
  }

  private deadline = Number.POSITIVE_INFINITY;

  private armTimer(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.deadline === Number.POSITIVE_INFINITY) return;
      const left = this.deadline - performance.now();
      if (left > 0) this.armTimer(left);
      else this.controller.abort(new TimeoutError(`${this.what}: no answer within ${this.timeoutMs} ms`));
    }, delayMs);
    // A wait in progress holds its socket, which keeps the process alive; the deadline alone
    // should not (a paused scope's timer may still be set).
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Throws the call's typed error if it is cancelled or timed out. */
  check(): void {
    if (this.signal.aborted) throw this.signal.reason as WireError;
  }

  /** Stops the timer and forgets the outer signal. Idempotent. */
  dispose(): void {
    this.pause();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.detach?.();
  }

  /** Resolves or rejects like `promise`, or rejects with the call's error when it ends first. */
  race<T>(promise: Promise<T>): Promise<T> {
    return raceSignal(promise, this.signal);
  }
}

function cancelled(what: string, reason: unknown): CancelledError {
  return new CancelledError(`${what}: cancelled`, { cause: reason });
}

/** `promise`, unless `signal` aborts first: then its reason. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wait = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return raceSignal(wait, signal).finally(() => clearTimeout(timer));
}

/** True when `error` is the reason of this scope's own abort (timeout or cancel). */
export function isScopeEnd(error: unknown): boolean {
  return error instanceof WireError && (error.code === "TIMEOUT" || error.code === "ABORTED");
}
