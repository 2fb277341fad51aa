// One place for the rules every connector shares: an AbortSignal cancels the attempt, a
// timeout bounds it, and a connection that completes after the caller gave up is closed rather
// than leaked.

import { CancelledError, ConnectionError, TimeoutError, isWireError } from "../errors.ts";
import { DEFAULT_CONNECT_TIMEOUT_MS, type ConnectOptions } from "./transport.ts";

/** setTimeout fires at once for delays above 2^31-1 ms; longer timeouts are clamped to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ConnectAttempt<T> {
  /** Starts connecting. Failures should already be ConnectionErrors; others are wrapped. */
  start(): Promise<T>;
  /** Called when the caller gives up (timeout, abort) while `start` is still pending. */
  abandon?(): void;
  /** Called with a connection that completed after the caller gave up. */
  discard(late: T): void;
}

/** Runs `attempt` under the signal and timeout of `options`. */
export function connectWithin<T>(peer: string, options: ConnectOptions | undefined, attempt: ConnectAttempt<T>): Promise<T> {
  const signal = options?.signal;
  const timeoutMs = options?.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) {
    return Promise.reject(new ConnectionError("CONNECTION_FAILED", `timeoutMs must be a positive number, got ${timeoutMs}`));
  }
  if (signal?.aborted === true) {
    return Promise.reject(new CancelledError(`connecting to ${peer} was cancelled`, { cause: signal.reason }));
  }
  return new Promise<T>((resolve, reject) => {
    let gaveUp = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanUp = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const giveUp = (error: Error): void => {
      if (gaveUp) return;
      gaveUp = true;
      cleanUp();
      attempt.abandon?.();
      reject(error);
    };
    const onAbort = (): void => giveUp(new CancelledError(`connecting to ${peer} was cancelled`, { cause: signal?.reason }));
    if (timeoutMs !== Infinity) {
      timer = setTimeout(
        () => giveUp(new TimeoutError(`connecting to ${peer} timed out after ${timeoutMs} ms`)),
        Math.min(timeoutMs, MAX_TIMER_MS),
      );
    }
    signal?.addEventListener("abort", onAbort, { once: true });

    let pending: Promise<T>;
    try {
      pending = attempt.start();
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (connection) => {
        if (gaveUp) {
          attempt.discard(connection);
          return;
        }
        gaveUp = true;
        cleanUp();
        resolve(connection);
      },
      (error: unknown) => {
        if (gaveUp) return;
        gaveUp = true;
        cleanUp();
        reject(
          isWireError(error)
            ? error
            : new ConnectionError("CONNECTION_FAILED", `cannot connect to ${peer}: ${describe(error)}`, { cause: error }),
        );
      },
    );
  });
}

/** "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1" style text for any thrown value. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
