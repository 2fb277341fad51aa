// One call's deadline and cancellation. A scope ends once, with the typed error the call should
// fail with (TimeoutError or CancelledError); every wait of the call races against that end, so
// no wait can outlive its call. Nothing is allocated for a scope that never ends beyond its timer:
// an AbortSignal is made only for APIs that take one (`signal`), since Node's are costly to make.

import { CancelledError, TimeoutError, WireError } from "../errors.ts";

/** What every public call accepts. */
export interface CallOptions {
  /** Cancels the call; it then fails with CancelledError (code ABORTED). */
  signal?: AbortSignal;
  /** Fails the call with TimeoutError after this many milliseconds. 0 or Infinity: no timeout. */
  timeoutMs?: number;
}

/** Something that may end a wait: a call's scope. */
export interface Abortable {
  /** Why it ended, once it has; undefined before. */
  readonly reason: unknown;
  /** Calls `listener` when it ends (not if it already has); returns the function that forgets it. */
  onEnd(listener: (reason: unknown) => void): () => void;
}

export class CallScope implements Abortable {
  private readonly what: string;
  private readonly timeoutMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private deadline = Number.POSITIVE_INFINITY;
  private ended: WireError | undefined;
  private listeners: ((reason: unknown) => void)[] | undefined;
  private controller: AbortController | undefined;
  private readonly detach: (() => void) | undefined;

  constructor(what: string, options: CallOptions = {}, defaultTimeoutMs = 0) {
    this.what = what;
    const outer = options.signal;
    if (outer !== undefined) {
      if (outer.aborted) {
        this.ended = cancelled(what, outer.reason);
      } else {
        const onAbort = (): void => this.end(cancelled(what, outer.reason));
        outer.addEventListener("abort", onAbort, { once: true });
        this.detach = () => outer.removeEventListener("abort", onAbort);
      }
    }
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    if (!(timeoutMs >= 0)) throw new RangeError(`${what}: timeoutMs must be a non-negative number, got ${String(timeoutMs)}`);
    this.timeoutMs = timeoutMs > 0 && Number.isFinite(timeoutMs) ? timeoutMs : 0;
    this.rearm();
  }

  /** Why the scope ended (its TimeoutError or CancelledError), or undefined while it runs. */
  get reason(): WireError | undefined {
    return this.ended;
  }

  /** An AbortSignal that aborts with the scope's error when the scope ends, for APIs that take one. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.ended !== undefined) this.controller.abort(this.ended);
    }
    return this.controller.signal;
  }

  onEnd(listener: (reason: unknown) => void): () => void {
    if (this.ended !== undefined) return () => {};
    (this.listeners ??= []).push(listener);
    return () => {
      const at = this.listeners?.indexOf(listener) ?? -1;
      if (at >= 0) this.listeners!.splice(at, 1);
    };
  }

  /** True when `error` is this scope's own end (its timeout or cancel), not a failure of what it waited for. */
  isEnd(error: unknown): boolean {
    return this.ended !== undefined && error === this.ended;
  }

  /**
   * Starts the deadline again from now (a scope that covers a series of waits, each with the
   * whole timeout: the reads of a streamed result). No effect once the scope has ended. Re-arming
   * moves the deadline only; the one timer, when it fires early, waits out the rest, so a result
   * read in many steps sets no timer per step.
   */
  rearm(): void {
    if (this.ended !== undefined || this.timeoutMs === 0) return;
    this.deadline = performance.now() + this.timeoutMs;
    if (this.timer === undefined) this.armTimer(this.timeoutMs);
  }

  /** Stops the deadline until the next `rearm` (time the caller spends elsewhere does not count). */
  pause(): void {
    this.deadline = Number.POSITIVE_INFINITY;
  }

  private armTimer(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.deadline === Number.POSITIVE_INFINITY) return;
      const left = this.deadline - performance.now();
      if (left > 0) this.armTimer(left);
      else this.end(new TimeoutError(`${this.what}: no answer within ${this.timeoutMs} ms`));
    }, delayMs);
    // A wait in progress holds its socket, which keeps the process alive; the deadline alone
    // should not (a paused scope's timer may still be set).
    (this.timer as { unref?: () => void }).unref?.();
  }

  private end(reason: WireError): void {
    if (this.ended !== undefined) return;
    this.ended = reason;
    this.pause();
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener(reason);
    this.controller?.abort(reason);
  }

  /** Throws the call's typed error if it is cancelled or timed out. */
  check(): void {
    if (this.ended !== undefined) throw this.ended;
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
    return raceEnd(promise, this);
  }
}

function cancelled(what: string, reason: unknown): CancelledError {
  return new CancelledError(`${what}: cancelled`, { cause: reason });
}

/** `promise`, unless `abortable` ends first: then its reason. */
export function raceEnd<T>(promise: Promise<T>, abortable: Abortable): Promise<T> {
  if (abortable.reason !== undefined) return Promise.reject(abortable.reason);
  return new Promise<T>((resolve, reject) => {
    const forget = abortable.onEnd(reject);
    promise.then(
      (value) => {
        forget();
        resolve(value);
      },
      (error: unknown) => {
        forget();
        reject(error);
      },
    );
  });
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

/** True when `error` is the reason of a scope's own end (timeout or cancel). */
export function isScopeEnd(error: unknown): boolean {
  return error instanceof WireError && (error.code === "TIMEOUT" || error.code === "ABORTED");
}
