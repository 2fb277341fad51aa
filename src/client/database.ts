// One database of the cluster, reached through a client. Its id is per connection (OPEN
// answers it), so it is asked again after the client reconnects to a new leader.

import type { CallOptions } from "./call-scope.ts";
import type { Client } from "./client.ts";
import type { Connection } from "./connection.ts";
import { guardReturning } from "./hazards.ts";
import { withToJSON } from "./json-safe.ts";
import { type QueryOptions, QueryResult, type QueryStart } from "./query-result.ts";
import { Statement } from "./statement.ts";
import type { ParamInput } from "../values/cell.ts";

/** What EXEC and EXEC_SQL answer. */
export interface ExecResult {
  /** The rowid of the last insert on this connection (unsigned on the wire: -1 arrives as 2^64-1). */
  readonly lastInsertId: bigint;
  readonly rowsAffected: number;
  /** JSON-safe form: `lastInsertId` as a decimal string. */
  toJSON(): { lastInsertId: string; rowsAffected: number };
}

export function execResult(reply: { lastInsertId: bigint; rowsAffected: number }): ExecResult {
  const { lastInsertId, rowsAffected } = reply;
  return withToJSON({ lastInsertId, rowsAffected }, () => ({ lastInsertId: lastInsertId.toString(), rowsAffected })) as ExecResult;
}

export type Params = readonly ParamInput[];

export class Database {
  readonly name: string;
  readonly #client: Client;
  #opened: { connection: Connection; id: Promise<number> } | undefined;

  constructor(client: Client, name: string) {
    this.#client = client;
    this.name = name;
  }

  /** The database id on the current connection (OPEN once per connection). */
  async id(call: CallOptions = {}): Promise<number> {
    return (await this.session(call)).db;
  }

  /** The connection to use and the database id on it. */
  async session(call: CallOptions = {}): Promise<{ connection: Connection; db: number }> {
    const connection = await this.#client.leaderConnection(call);
    let opened = this.#opened;
    if (opened === undefined || opened.connection !== connection) {
      const id = this.#client
        .run(connection, { type: "OPEN", name: this.name, flags: 0, vfs: "" }, "DB", call)
        .then((reply) => reply.id);
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
    guardReturning(sql);
    const { connection, db } = await this.session(call);
    return execResult(await this.#client.run(connection, { type: "EXEC_SQL", db, sql, params }, "RESULT", call));
  }

  /**
   * Runs a query (QUERY_SQL). The request is sent when the result is first read: iterate it with
   * `for await` for batches as they arrive, or `await result.all()` for every row.
   * Statements with RETURNING are refused, here and in `exec` (see hazards.ts).
   */
  query(sql: string, params: Params = [], options: QueryOptions = {}): QueryResult {
    guardReturning(sql);
    return new QueryResult(`query ${describeSql(sql)}`, (call) => this.#start(call, sql, params), options);
  }

  async #start(call: CallOptions, sql: string, params: Params): Promise<QueryStart> {
    const { connection, db } = await this.session(call);
    return {
      connection,
      db,
      request: { type: "QUERY_SQL", db, sql, params },
      limits: this.#client.limits,
      onError: (error) => this.#client.noteFailure(connection, error),
    };
  }

  /** Prepares a statement (PREPARE → STMT) on the current connection. */
  async prepare(sql: string, call: CallOptions = {}): Promise<Statement> {
    guardReturning(sql);
    const { connection, db } = await this.session(call);
    const reply = await this.#client.run(connection, { type: "PREPARE", db, sql }, "STMT", call);
    return new Statement(this.#client, connection, sql, reply);
  }

  /** Asks the node to stop the query running on this connection (INTERRUPT → EMPTY). */
  async interrupt(call: CallOptions = {}): Promise<void> {
    const { connection, db } = await this.session(call);
    await this.#client.run(connection, { type: "INTERRUPT", db }, "EMPTY", call);
  }
}

/** A short form of SQL for error messages. */
export function describeSql(sql: string): string {
  const flat = sql.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length > 60 ? `${flat.slice(0, 57)}...` : flat);
}
