// One Kysely connection: the queries Kysely compiles, run through a dqlite-wire database (or,
// inside a Kysely transaction, through the `tx` of a `db.transaction()` that stays open until
// Kysely commits or rolls back). Connections are cheap views of one client: the client runs
// one request at a time and makes every other call wait while a transaction is open.

import type { CompiledQuery, DatabaseConnection, QueryResult as KyselyResult } from "kysely";
import type { CallOptions } from "../client/call-scope.ts";
import type { Database } from "../client/database.ts";
import type { QueryOptions, QueryResult } from "../client/query-result.ts";
import type { ExecResult, Params } from "../client/results.ts";
import { suppressedErrors } from "../client/transaction-run.ts";
import type { Transaction, TransactionMode } from "../client/transaction.ts";
import { WireError } from "../errors.ts";
import { answersRows } from "../messages/sql-text.ts";

/** What runs SQL: the database, or a transaction's handle. */
interface SqlRunner {
  exec(sql: string, params?: Params, call?: CallOptions): Promise<ExecResult>;
  query(sql: string, params?: Params, options?: QueryOptions): QueryResult;
}

/** Thrown into an open transaction's function to make it roll back. */
class RollbackRequested extends Error {
  override name = "RollbackRequested";
}

interface OpenTransaction {
  readonly tx: Transaction;
  /** Ends the transaction's function: resolve to commit, reject to roll back. */
  readonly decide: (commit: boolean) => void;
  /** Settles when the transaction has ended (COMMIT or ROLLBACK done). */
  readonly ended: Promise<void>;
}

export class DqliteConnection implements DatabaseConnection {
  readonly #db: Database;
  readonly #queryOptions: QueryOptions;
  #open: OpenTransaction | undefined;

  constructor(db: Database, queryOptions: QueryOptions) {
    this.#db = db;
    this.#queryOptions = queryOptions;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<KyselyResult<R>> {
    const runner = this.#runner();
    const params = compiled.parameters as Params;
    if (returnsRows(compiled)) {
      const { rows } = await runner.query(compiled.sql, params, { ...this.#queryOptions, rowMode: "objects" }).all();
      return { rows: rows as R[] };
    }
    const result = await runner.exec(compiled.sql, params, this.#callOptions());
    return { numAffectedRows: BigInt(result.rowsAffected), insertId: result.lastInsertId, rows: [] };
  }

  /** Streams a SELECT batch by batch as the node's frames arrive; leaving early interrupts it. */
  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<KyselyResult<R>> {
    if (!returnsRows(compiled)) throw new WireError("BAD_STATE", "streamQuery: only statements that return rows can be streamed");
    const result = this.#runner().query(compiled.sql, compiled.parameters as Params, { ...this.#queryOptions, rowMode: "objects" });
    for await (const batch of result) yield { rows: batch.rows as R[] };
  }

  /**
   * Starts a transaction that lasts until `end()`: `db.transaction()` runs a function that
   * hands its `tx` over and waits for the decision.
   */
  async begin(mode: TransactionMode): Promise<void> {
    if (this.#open !== undefined) throw new WireError("BAD_STATE", "begin: this connection already has a transaction open");
    let decide!: (commit: boolean) => void;
    const decision = new Promise<boolean>((resolve) => {
      decide = resolve;
    });
    let handOver!: (tx: Transaction) => void;
    const started = new Promise<Transaction>((resolve) => {
      handOver = resolve;
    });
    const ended = this.#db.transaction(
      async (tx) => {
        handOver(tx);
        if (!(await decision)) throw new RollbackRequested("rolled back at Kysely's request");
      },
      { ...this.#callOptions(), mode },
    );
    // A BEGIN that fails ends the transaction before it starts.
    const tx = await Promise.race([
      started,
      ended.then(() => Promise.reject(new WireError("BAD_STATE", "begin: the transaction ended before it began"))),
    ]);
    this.#open = { tx, decide, ended };
  }

  /** Commits (`commit`) or rolls back the open transaction; throws what the COMMIT or ROLLBACK threw. */
  async end(commit: boolean): Promise<void> {
    const open = this.#open;
    if (open === undefined)
      throw new WireError("BAD_STATE", `${commit ? "commit" : "rollback"}: no transaction is open on this connection`);
    this.#open = undefined;
    open.decide(commit);
    try {
      await open.ended;
    } catch (error) {
      if (!(error instanceof RollbackRequested)) throw error;
      const [rollbackFailure] = suppressedErrors(error);
      if (rollbackFailure !== undefined) throw rollbackFailure;
    }
  }

  #runner(): SqlRunner {
    return this.#open?.tx ?? this.#db;
  }

  #callOptions(): CallOptions {
    const { signal, timeoutMs } = this.#queryOptions;
    return { ...(signal !== undefined ? { signal } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
  }
}

/** Whether Kysely's query answers rows (QUERY_SQL) or not (EXEC_SQL: rows affected, last id). */
function returnsRows(compiled: CompiledQuery): boolean {
  const kind = compiled.query.kind;
  if (kind === "SelectQueryNode") return true;
  // `.returning()` on an insert, update or delete, and raw SQL that answers rows, run as queries
  // (a node that does not read RETURNING refuses it before anything is sent; see hazards.ts).
  return answersRows(compiled.sql);
}
