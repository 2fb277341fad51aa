// What a Database, a Statement and a Transaction need from the client that made them: the
// connection to the leader, a way to run one request on it (dropping the connection when the
// leader is gone), the options its calls run with, and the decoder caps. The client hands them this, not itself, so the parts
// above the connection depend on this small contract only and never on `Client`.

import type { Limits } from "../limits.ts";
import type { ResponseTypeName } from "../messages/schemas.ts";
import type { RequestInput, ResponseOf } from "../messages/types.ts";
import type { CallOptions } from "./call-scope.ts";
import type { Connection } from "./connection.ts";

export interface Session {
  /** The connection to the leader: the current one, or a new one found by leader discovery. */
  leaderConnection(call: CallOptions): Promise<Connection>;
  /**
   * Sends one request on `connection` and returns its reply. An error that means the connection
   * no longer reaches the leader drops it (the next call finds the leader again); the error is
   * passed on either way.
   */
  run<N extends ResponseTypeName>(connection: Connection, input: RequestInput, expect: N, call: CallOptions): Promise<ResponseOf<N>>;
  /** Drops `connection` when `error` means it no longer reaches the leader. */
  noteFailure(connection: Connection, error: unknown): void;
  /**
   * The options a call made through this session runs with: the caller's own for the client;
   * a transaction adds its lease, its signal and its timeout (see transaction.ts). Calls that
   * take their turn themselves (a streamed query) are given these.
   */
  callOptions<T extends CallOptions>(call: T): T;
  /** The decoder caps the client was given, for result readers. */
  readonly limits: Partial<Limits> | undefined;
}
