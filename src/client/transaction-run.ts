// One transaction in progress: the connection it is pinned to, its lease on that connection
// (lease.ts: nobody else's calls run while it is held), and how it ends. Every call of the
// transaction and of its savepoints goes through here, so there is one place that knows
// whether the transaction is still alive.
//
// A transaction is over, without a COMMIT, when its connection is lost (a leader change, a
// node gone, a timeout or an abort after a request was sent: the node discards an open
// transaction with its connection), and when its signal aborts (a ROLLBACK is sent at once, so
// the connection is free again even while the function is still running). Nothing is resent.

import { CancelledError, ConnectionError, ServerError, WireError, isWireError } from "../errors.ts";
import type { ResponseTypeName } from "../messages/schemas.ts";
import type { RequestInput, ResponseOf } from "../messages/types.ts";
import type { CallOptions } from "./call-scope.ts";
import type { Connection } from "./connection.ts";
import type { Lease } from "./lease.ts";
import type { QueryStart } from "./query-result.ts";
import { queryStart } from "./results.ts";
import { isLeadershipLost, isOutcomeUnknown } from "./server-errors.ts";
import type { HeldConnection, Session } from "./session.ts";

export class TransactionRun {
  readonly connection: Connection;
  readonly db: number;
  readonly lease: Lease;
  /** The session the transaction's statements use: its calls carry the lease. */
  readonly statementSession: Session;
  readonly #session: Session;
  readonly #signal: AbortSignal | undefined;
  readonly #timeoutMs: number | undefined;
  #failure: { error: unknown } | undefined;
  #rollback: Promise<unknown> | undefined;
  #savepoints = 0;
  readonly #detach: () => void;
  /** The pool's connection and the write lane, given back when the transaction ends. */
  readonly #held: HeldConnection;

  constructor(session: Session, held: HeldConnection, db: number, lease: Lease, call: CallOptions) {
    this.#session = session;
    this.#held = held;
    this.connection = held.connection;
    this.db = db;
    this.lease = lease;
    this.#signal = call.signal;
    this.#timeoutMs = call.timeoutMs;
    this.statementSession = this.#sessionForStatements();
    const signal = call.signal;
    if (signal === undefined) {
      this.#detach = () => {};
    } else {
      const onAbort = (): void => {
        this.fail(new CancelledError("transaction: cancelled; it was rolled back", { cause: signal.reason }));
        // Free the connection and the write lane now: the function may run on for a while, its calls refused.
        void this.rollback().then(() => this.#end());
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#detach = () => signal.removeEventListener("abort", onAbort);
    }
  }

  /** Why the transaction can no longer commit, if it cannot. */
  get failure(): { error: unknown } | undefined {
    return this.#failure;
  }

  /** Marks the transaction as over (the first reason is kept). */
  fail(error: unknown): void {
    this.#failure ??= { error };
  }

  /** Options for one call of the transaction: its lease, its signal, and its timeout unless the call sets one. */
  callOptions<T extends CallOptions>(call: T): T {
    const own = call.signal;
    const outer = this.#signal;
    const signal = own === undefined ? outer : outer === undefined ? own : AbortSignal.any([own, outer]);
    return this.lease.stamp({ ...call, timeoutMs: call.timeoutMs ?? this.#timeoutMs, signal });
  }

  /** Throws BAD_STATE when the transaction has ended or failed (`what` names the call). */
  check(what: string): void {
    this.lease.check(what);
    const failure = this.#failure;
    if (failure !== undefined) {
      const reason = failure.error instanceof Error ? failure.error.message : String(failure.error);
      throw new WireError("BAD_STATE", `${what}: the transaction failed earlier (${reason}); nothing more runs in it`, {
        cause: failure.error,
      });
    }
  }

  /** Runs one request of the transaction. */
  async run<N extends ResponseTypeName>(what: string, input: RequestInput, expect: N, call: CallOptions): Promise<ResponseOf<N>> {
    this.check(what);
    try {
      return await this.#session.run(this.connection, input, expect, this.callOptions(call));
    } catch (error) {
      throw this.noteError(error);
    }
  }

  /** Runs one statement of the transaction's own (BEGIN, SAVEPOINT…). */
  async execute(sql: string): Promise<void> {
    await this.run(sql, { type: "EXEC_SQL", db: this.db, sql, params: [] }, "RESULT", {});
  }

  /** What a streamed query of the transaction needs to start. */
  queryStart(request: RequestInput): QueryStart {
    const start = queryStart(this.#session, this.connection, this.db, request);
    return {
      ...start,
      onError: (error) => {
        start.onError?.(error);
        this.noteError(error);
      },
    };
  }

  /**
   * Takes note of a call's error. One that cost the connection ends the transaction; a lost
   * reply then says the transaction was not committed (nothing is applied without COMMIT) rather
   * than that the write's outcome is unknown. Returns the error to throw.
   */
  noteError(error: unknown): unknown {
    if (!this.connection.closed) return error;
    let ended = error;
    if (isWireError(error) && (error.code === "OUTCOME_UNKNOWN" || error.code === "CONNECTION_CLOSED")) {
      ended = new ConnectionError(
        "CONNECTION_CLOSED",
        `transaction: the connection to ${this.connection.address} was lost (${error.message}); the transaction was not committed, nothing of it was applied, and nothing was resent`,
        { cause: error },
      );
    }
    this.fail(ended);
    return ended;
  }

  /** A savepoint name unique in this transaction. */
  nextSavepoint(): string {
    this.#savepoints++;
    return `dqlite_wire_savepoint_${this.#savepoints}`;
  }

  /**
   * Sends COMMIT. A COMMIT that was sent and got no reply, or whose node lost leadership while
   * committing, may have been applied: ConnectionError OUTCOME_UNKNOWN, never resent. Any other
   * failure leaves the transaction uncommitted: it is rolled back and the failure thrown.
   */
  async commit(): Promise<void> {
    if (this.#failure !== undefined) {
      await this.rollback();
      throw this.#failure.error;
    }
    let sent = false;
    try {
      const turn = await this.connection.turn("COMMIT", this.callOptions({}));
      try {
        sent = true;
        turn.send({ type: "EXEC_SQL", db: this.db, sql: "COMMIT", params: [] });
        await turn.reply("EXEC_SQL", "RESULT");
      } finally {
        turn.end();
      }
    } catch (error) {
      this.#session.noteFailure(this.connection, error);
      if (sent && (!(error instanceof ServerError) || isLeadershipLost(error))) throw commitOutcomeUnknown(error);
      this.fail(error);
      attachSuppressed(error, await this.rollback());
      throw error;
    }
  }

  /**
   * Sends ROLLBACK once (later calls share the first). Resolves with the rollback's own failure,
   * if any: the connection is then closed, so no transaction is ever left open on a connection
   * that other calls use. A lost connection needs no rollback: the node discards an open
   * transaction with its connection (so a ROLLBACK that cost the connection is no failure).
   */
  rollback(): Promise<unknown> {
    this.#rollback ??= this.#sendRollback();
    return this.#rollback;
  }

  async #sendRollback(): Promise<unknown> {
    if (this.connection.closed) return undefined;
    try {
      const input = { type: "EXEC_SQL", db: this.db, sql: "ROLLBACK", params: [] } as const;
      await this.#session.run(this.connection, input, "RESULT", this.lease.stamp({ timeoutMs: this.#timeoutMs }));
      return undefined;
    } catch (error) {
      if (this.connection.closed) return undefined;
      await this.connection.close();
      return error;
    }
  }

  /** Ends the transaction's hold on the connection (after its last call). */
  dispose(): void {
    this.#detach();
    this.#end();
  }

  /** Ends the lease, then gives the connection and the write lane back (both idempotent). */
  #end(): void {
    this.lease.end();
    this.#held.release();
  }

  /** Statements prepared in the transaction run in it; finalizing one after it ended is a plain call. */
  #sessionForStatements(): Session {
    return {
      // The transaction holds its connection and the write lane: its statements use both as they are.
      acquire: async () => {
        this.check("statement");
        return { connection: this.connection, release: () => {} };
      },
      acquireNow: () => (this.lease.ended || this.#failure !== undefined ? undefined : { connection: this.connection, release: () => {} }),
      holdWriteLane: async () => () => {},
      run: (connection, input, expect, call) =>
        this.lease.ended && input.type === "FINALIZE"
          ? this.#session.run(connection, input, expect, call)
          : this.run(`${input.type} statement`, input, expect, call),
      noteFailure: (connection, error) => {
        this.#session.noteFailure(connection, error);
        this.noteError(error);
      },
      callOptions: (call) => this.callOptions(call),
      limits: this.#session.limits,
      oneConnection: true,
      tracer: this.#session.tracer,
    };
  }
}

/** The error of a COMMIT that was sent and may have been applied. */
function commitOutcomeUnknown(error: unknown): unknown {
  if (isOutcomeUnknown(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new ConnectionError(
    "OUTCOME_UNKNOWN",
    `COMMIT: ${reason}; the transaction may or may not have been committed (it was not resent)`,
    { cause: error },
  );
}

/**
 * Attaches `suppressed` (a rollback's failure) to `error` without replacing it: it is listed in
 * `error.suppressed`, as Java lists suppressed exceptions. Nothing happens when there is nothing
 * to attach or `error` is not an object.
 */
export function attachSuppressed(error: unknown, suppressed: unknown): void {
  if (suppressed === undefined || typeof error !== "object" || error === null || !Object.isExtensible(error)) return;
  const list = suppressedErrors(error);
  Object.defineProperty(error, "suppressed", { value: [...list, suppressed], enumerable: false, writable: true, configurable: true });
}

/** The errors attached to `error` by a failed rollback (see `attachSuppressed`); empty if none. */
export function suppressedErrors(error: unknown): unknown[] {
  const list = typeof error === "object" && error !== null ? (error as { suppressed?: unknown }).suppressed : undefined;
  return Array.isArray(list) ? list : [];
}
