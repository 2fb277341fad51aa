// A hook around each call of the client, for metrics and tracing (OpenTelemetry spans, a
// histogram per lane, a slow-query log) without the package depending on any of them: the
// tracer is told when a call starts and, through the function it returns, how it ended. It runs
// in the caller's own async context, so a span made there has the caller's span as its parent.
// A tracer that throws is ignored: tracing never changes what a call does.

/** What a call of the client runs. */
export type CallKind = "exec" | "query" | "prepare" | "transaction" | "statement exec" | "statement query" | "request";

/** A call as it starts. */
export interface CallStart {
  readonly kind: CallKind;
  /** The SQL it runs; for a raw request, none. */
  readonly sql: string | undefined;
  /** For a raw request, its type ("CLUSTER", "QUERY_SQL"…). */
  readonly request: string | undefined;
  /** "read": any free connection; "write": after the write lane (session.ts's Lane). */
  readonly lane: "read" | "write";
}

/** How a call ended. */
export interface CallEnd {
  /** "ok"; "error" (see `error`); "closed": a streamed result its reader left before the end. */
  readonly outcome: "ok" | "error" | "closed";
  readonly error: unknown;
  /** Milliseconds waiting for the write lane and a free connection. */
  readonly waitMs: number;
  /** Milliseconds from holding a connection to the end: the reply, the last row, the COMMIT. */
  readonly runMs: number;
  /** Rows a query delivered; undefined for other calls. */
  readonly rows: number | undefined;
  /** The node the call ran on, once it held a connection. */
  readonly address: string | undefined;
  /** 2 when a read that lost the leader before any row was sent once more. */
  readonly attempts: number;
}

/** Told of every call's start; the function it returns (if any) is told of its end. */
// biome-ignore lint/suspicious/noConfusingVoidType: a tracer written as a block with no return (void) is a tracer too
export type CallTracer = (call: CallStart) => ((end: CallEnd) => void) | void;

/** One call being traced. */
export class CallSpan {
  readonly #started = performance.now();
  #held: number | undefined;
  #address: string | undefined;
  #attempts = 1;
  #onEnd: ((end: CallEnd) => void) | undefined;

  constructor(onEnd: (end: CallEnd) => void) {
    this.#onEnd = onEnd;
  }

  /** The call now holds a connection to `address`: its wait is over. */
  held(address: string): void {
    this.#held ??= performance.now();
    this.#address = address;
  }

  /** The call is sent once more (a read whose leader was lost). */
  retried(): void {
    this.#attempts++;
  }

  /** Tells the tracer how the call ended (once). */
  end(outcome: CallEnd["outcome"], error?: unknown, rows?: number): void {
    const onEnd = this.#onEnd;
    if (onEnd === undefined) return;
    this.#onEnd = undefined;
    const now = performance.now();
    const held = this.#held ?? now;
    quietly(() =>
      onEnd({ outcome, error, waitMs: held - this.#started, runMs: now - held, rows, address: this.#address, attempts: this.#attempts }),
    );
  }
}

/** A span for `call` when a tracer is set and wants its end; undefined otherwise (nothing to do). */
export function startSpan(tracer: CallTracer | undefined, call: CallStart): CallSpan | undefined {
  if (tracer === undefined) return undefined;
  let onEnd: ((end: CallEnd) => void) | undefined;
  quietly(() => {
    const returned = tracer(call);
    if (typeof returned === "function") onEnd = returned;
  });
  return onEnd === undefined ? undefined : new CallSpan(onEnd);
}

/**
 * Runs `work` under a span of `call`: held when `work` says so, ended with its outcome. The common
 * shape of a call that is one request and its reply. Without a tracer, `work` runs as it is.
 */
export function traced<T>(tracer: CallTracer | undefined, call: CallStart, work: (span: CallSpan | undefined) => Promise<T>): Promise<T> {
  const span = startSpan(tracer, call);
  return span === undefined ? work(undefined) : tracedWith(span, work);
}

async function tracedWith<T>(span: CallSpan, work: (span: CallSpan) => Promise<T>): Promise<T> {
  try {
    const value = await work(span);
    span.end("ok");
    return value;
  } catch (error) {
    span.end("error", error);
    throw error;
  }
}

function quietly(run: () => void): void {
  try {
    run();
  } catch {
    // A tracer's own fault is not the call's.
  }
}
