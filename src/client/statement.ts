// A prepared statement. It lives on the connection of the pool that prepared it, which the pool
// keeps open for it until it is finalized; its calls run there, and one that may write takes the
// client's write lane first (session.ts). When that connection is lost (a new leader), the
// statement must be prepared again.

import { WireError } from "../errors.ts";
import type { ResponseOf } from "../messages/types.ts";
import type { CallOptions } from "./call-scope.ts";
import type { Connection } from "./connection.ts";
import type { CellValue } from "../values/cell.ts";
import {
  type ArrayRow,
  type ArraysQueryOptions,
  type ObjectRow,
  type ObjectRowOf,
  type ObjectsQueryOptions,
  QueryResult,
  type QueryOptions,
  type QueryResultOf,
} from "./query-result.ts";
import { isReadOnlySql } from "../messages/sql-text.ts";
import { startSpan, traced } from "./call-trace.ts";
import { type ExecResult, type Params, describeSql, execResult, queryStart } from "./results.ts";
import type { Session } from "./session.ts";

export class Statement {
  readonly sql: string;
  readonly db: number;
  readonly id: number;
  /** Parameters the statement takes. */
  readonly paramCount: number;
  /**
   * Where the first statement of the SQL ends, in UTF-8 bytes (STMT schema 1: dqlite ≥ 1.15.1;
   * undefined from older nodes, which do not say).
   */
  readonly tailOffset: number | undefined;
  /**
   * The SQL after the prepared statement (the node prepares the first statement of `sql`), to
   * prepare next; "" when there is none, undefined when the node does not say.
   */
  readonly tail: string | undefined;
  readonly #session: Session;
  readonly #connection: Connection;
  #finalized = false;
  /** The SQL only reads: its calls need not wait for the write lane. */
  readonly #readOnly: boolean;

  constructor(session: Session, connection: Connection, sql: string, reply: ResponseOf<"STMT">) {
    this.#session = session;
    this.#connection = connection;
    this.sql = sql;
    this.db = reply.db;
    this.id = reply.id;
    this.paramCount = reply.paramCount;
    this.tailOffset = "tailOffset" in reply ? reply.tailOffset : undefined;
    this.tail = this.tailOffset === undefined ? undefined : sqlAfterBytes(sql, this.tailOffset);
    this.#readOnly = isReadOnlySql(sql);
    connection.pin();
  }

  /** Runs the statement (EXEC → RESULT). */
  async exec(params: Params = [], call: CallOptions = {}): Promise<ExecResult> {
    const connection = this.#usable("exec");
    return traced(this.#session.tracer, { kind: "statement exec", sql: this.sql, request: undefined, lane: this.#lane }, async (span) => {
      const releaseLane = this.#readOnly ? undefined : await this.#session.holdWriteLane(call);
      span?.held(connection.address);
      try {
        return execResult(await this.#session.run(connection, { type: "EXEC", db: this.db, stmt: this.id, params }, "RESULT", call));
      } finally {
        releaseLane?.();
      }
    });
  }

  /** The lane this statement's calls take: "write" unless its SQL only reads. */
  get #lane(): "read" | "write" {
    return this.#readOnly ? "read" : "write";
  }

  /** Runs the statement as a query (QUERY → ROWS…); sent when the result is first read. Rows are typed as by `db.query`. */
  query<R extends ObjectRowOf<R> = ObjectRow>(params: Params | undefined, options: ObjectsQueryOptions): QueryResultOf<R>;
  query<R extends CellValue[] = ArrayRow>(params?: Params, options?: ArraysQueryOptions): QueryResultOf<R>;
  query(params?: Params, options?: QueryOptions): QueryResult;
  query(params: Params = [], options: QueryOptions = {}): QueryResult {
    return new QueryResult(
      `query statement ${this.id} ${describeSql(this.sql)}`,
      async (call) => {
        const connection = this.#usable("query");
        const release = this.#readOnly ? undefined : await this.#session.holdWriteLane(call);
        return queryStart(this.#session, connection, this.db, { type: "QUERY", db: this.db, stmt: this.id, params }, release);
      },
      this.#session.callOptions(options),
      this.#session.tracer === undefined
        ? undefined
        : () => startSpan(this.#session.tracer, { kind: "statement query", sql: this.sql, request: undefined, lane: this.#lane }),
    );
  }

  /** Releases the statement on the node (FINALIZE → EMPTY). Idempotent. */
  async finalize(call: CallOptions = {}): Promise<void> {
    if (this.#finalized) return;
    if (this.#connection.closed) {
      // The node dropped it with the connection.
      this.#finalized = true;
      this.#connection.unpin();
      return;
    }
    await this.#session.run(this.#connection, { type: "FINALIZE", db: this.db, stmt: this.id }, "EMPTY", call);
    this.#finalized = true;
    this.#connection.unpin();
  }

  #usable(what: string): Connection {
    if (this.#finalized) throw new WireError("BAD_STATE", `${what}: statement ${this.id} is finalized`);
    if (this.#connection.closed) {
      throw new WireError(
        "BAD_STATE",
        `${what}: statement ${this.id} belongs to a connection that is closed (${this.#connection.closedBy?.message ?? "closed"}); prepare it again`,
      );
    }
    return this.#connection;
  }
}

/** The part of `sql` after its first `byteOffset` bytes of UTF-8 (the node counts in bytes). */
function sqlAfterBytes(sql: string, byteOffset: number): string {
  const utf8 = new TextEncoder().encode(sql);
  return new TextDecoder().decode(utf8.subarray(Math.min(byteOffset, utf8.length)));
}
