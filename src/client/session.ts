// What a Database, a Statement and a Transaction need from the client that made them: a
// connection for a call (from the pool, after the write lane for writes), the write lane alone
// (for a statement whose connection is already chosen), a way to run one request (dropping the
// connections when the leader is gone), the options its calls run with, and the decoder caps.
// The client hands them this, not itself, so the parts above the connection depend on this small
// contract only and never on `Client`.
//
// Lanes: a call that only reads takes any free connection, so reads run in parallel; a call that
// may write first waits for the client's one write lane, so two callers of one client never make
// each other fail with SQLITE_BUSY (dqlite answers a second writer "database is locked" at once).

import type { Limits } from "../limits.ts";
import type { ResponseTypeName } from "../messages/schemas.ts";
import type { RequestInput, ResponseOf } from "../messages/types.ts";
import type { CallOptions } from "./call-scope.ts";
import type { CallTracer } from "./call-trace.ts";
import type { Connection } from "./connection.ts";
import type { Claim } from "./pool.ts";

/** "read": any free connection; "write": the write lane first, then any free connection. */
export type Lane = "read" | "write";

/** A connection held for a call; `release` gives it (and the write lane, if held) back. Idempotent. */
export interface HeldConnection {
  readonly connection: Connection;
  release(): void;
}

export interface Session {
  /**
   * A connection for a call in `lane`; `call` bounds the waits. `holder` says what holds the
   * write lane meanwhile ("a transaction"), for the message of a write that times out waiting;
   * `claim` says how the call holds it (pool.ts): "exclusive" for a connection no other call
   * shares (a transaction's), "short" for a read known to answer in one frame.
   */
  acquire(lane: Lane, call: CallOptions, holder?: string, claim?: Claim): Promise<HeldConnection>;
  /** A connection for a call in `lane` when one is to be had at once (no wait, nothing to open); else undefined. */
  acquireNow(lane: Lane, claim?: Claim): HeldConnection | undefined;
  /** The write lane alone, for a call on a connection already chosen; resolves with its release. */
  holdWriteLane(call: CallOptions): Promise<() => void>;
  /**
   * Sends one request on `connection` and returns its reply. An error that means the connection
   * no longer reaches the leader makes the client forget the leader (every connection follows the
   * new one); the error is passed on either way.
   */
  run<N extends ResponseTypeName>(connection: Connection, input: RequestInput, expect: N, call: CallOptions): Promise<ResponseOf<N>>;
  /** Takes note of a call's error on `connection` (see `run`). */
  noteFailure(connection: Connection, error: unknown): void;
  /**
   * The options a call made through this session runs with: the caller's own for the client;
   * a transaction adds its lease, its signal and its timeout (see transaction.ts). Calls that
   * take their turn themselves (a streamed query) are given these.
   */
  callOptions<T extends CallOptions>(call: T): T;
  /** The decoder caps the client was given, for result readers. */
  readonly limits: Partial<Limits> | undefined;
  /**
   * True when every call runs on one connection (`pool: { max: 1 }`): only then do statements
   * that begin or end a transaction of their own (BEGIN, COMMIT…) reach the calls after them.
   */
  readonly oneConnection: boolean;
  /** The hook told of each call (ClientOptions.trace), if any. */
  readonly tracer: CallTracer | undefined;
}
