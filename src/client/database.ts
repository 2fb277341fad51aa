// One database of the cluster, reached through a client's session. Its id is per connection
// (OPEN answers it), so it is asked again after the client reconnects to a new leader.

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
import { type ExecResult, type Params, describeSql, execResult, prepareRequest, queryStart } from "./results.ts";
import type { Session } from "./session.ts";
import { Statement } from "./statement.ts";
import { type TransactionBody, type TransactionOptions, runTransaction } from "./transaction.ts";

export class Database {
  readonly name: string;
  readonly #session: Session;
  #opened: { connection: Connection; id: Promise<number> } | undefined;

  constructor(session: Session, name: string) {
    this.#session = session;
    this.name = name;
  }

  /** The database id on the current connection (OPEN once per connection). */
  async id(call: CallOptions = {}): Promise<number> {
    return (await this.session(call)).db;
  }

  /** The connection to use and the database id on it. */
  async session(call: CallOptions = {}): Promise<{ connection: Connection; db: number }> {
    const connection = await this.#session.leaderConnection(call);
    let opened = this.#opened;
    if (opened === undefined || opened.connection !== connection) {
      // OPEN, then what the node reads (once per connection: see node-probe.ts).
      const id = this.#session
        .run(connection, { type: "OPEN", name: this.name, flags: 0, vfs: "" }, "DB", call)
        .then(async (reply) => {
          await connection.learnFeatures(reply.id, call);
          return reply.id;
        });
      opened = { connection, id };
      this.#opened = opened;
      id.catch(() => {
        if (this.#opened === opened) this.#opened = undefined;
      });
    }
    return { connection, db: await opened.id };
  }

  /** Runs a statement that returns no rows (EXEC_SQL). Several statements may be separated by `;`. */
  async exec(sql: string, params: Params = [], call: CallOptions = {}): Promise<ExecResult> {
    const { connection, db } = await this.session(call);
    return execResult(await this.#session.run(connection, { type: "EXEC_SQL", db, sql, params }, "RESULT", call));
  }

  /**
   * Runs a query (QUERY_SQL). The request is sent when the result is first read: iterate it with
   * `for await` for batches as they arrive, or `await result.all()` for every row.
   * A statement with RETURNING runs here, not in `exec`, on a node that reads it (dqlite ≥ 1.18.2;
   * refused before sending elsewhere, see hazards.ts). The rows' type
   * follows `rowMode`, and may be named: `db.query<{ k: string }>(sql, [], { rowMode: "objects" })`.
   */
  query<R extends ObjectRowOf<R> = ObjectRow>(sql: string, params: Params | undefined, options: ObjectsQueryOptions): QueryResultOf<R>;
  query<R extends CellValue[] = ArrayRow>(sql: string, params?: Params, options?: ArraysQueryOptions): QueryResultOf<R>;
  query(sql: string, params?: Params, options?: QueryOptions): QueryResult;
  query(sql: string, params: Params = [], options: QueryOptions = {}): QueryResult {
    return new QueryResult(
      `query ${describeSql(sql)}`,
      async (call) => {
        const { connection, db } = await this.session(call);
        return queryStart(this.#session, connection, db, { type: "QUERY_SQL", db, sql, params });
      },
      options,
    );
  }

  /**
   * Prepares a statement (PREPARE → STMT) on the current connection. Of SQL holding several
   * statements, the first is prepared: on a node that reports where it ends (dqlite ≥ 1.15.1),
   * `statement.tail` is the rest; older nodes ignore the rest silently.
   */
  async prepare(sql: string, call: CallOptions = {}): Promise<Statement> {
    const { connection, db } = await this.session(call);
    const reply = await this.#session.run(connection, prepareRequest(connection, db, sql), "STMT", call);
    return new Statement(this.#session, connection, sql, reply);
  }

  /**
   * Runs `fn` in a transaction: BEGIN (`options.mode`: "deferred" by default, "immediate",
   * "exclusive"), then `fn(tx)`; COMMIT when it resolves (its value is returned), ROLLBACK when it
   * throws (its error is thrown again). While it runs, every other call of the client waits, so
   * nothing but `tx`'s calls runs inside it. See transaction.ts.
   */
  async transaction<T>(fn: TransactionBody<T>, options: TransactionOptions = {}): Promise<T> {
    const { connection, db } = await this.session(options);
    return runTransaction(this.#session, connection, db, fn, options);
  }

  /** Asks the node to stop the query running on this connection (INTERRUPT → EMPTY). */
  async interrupt(call: CallOptions = {}): Promise<void> {
    const { connection, db } = await this.session(call);
    await this.#session.run(connection, { type: "INTERRUPT", db }, "EMPTY", call);
  }
}

