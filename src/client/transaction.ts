// `db.transaction(fn, options)`: BEGIN, then `fn(tx)`, then COMMIT when `fn` resolves (its
// value is returned) or ROLLBACK when it throws (its error is thrown again; a failed rollback
// is attached to it, never put in its place). The transaction holds a connection of its own and
// the client's write lane for its whole length: every other write of the client waits for it to
// end, so none fails with SQLITE_BUSY (dqlite answers a write from a second connection while a
// transaction is open with "database is locked" at once), while reads run on other connections
// and see what was committed. Its connection is reserved (lease.ts), so not even a statement
// prepared there earlier runs inside it. `tx.transaction(fn)` nests a SAVEPOINT the same way.

import { WireError } from "../errors.ts";
import type { CallOptions } from "./call-scope.ts";
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
import { type ExecResult, type Params, describeSql, execResult, prepareRequest } from "./results.ts";
import type { Lease } from "./lease.ts";
import type { HeldConnection, Session } from "./session.ts";
import { Statement } from "./statement.ts";
import { TransactionRun, attachSuppressed } from "./transaction-run.ts";

/** SQLite's BEGIN modes: when the write lock is taken (first write, BEGIN, BEGIN + readers out). */
export type TransactionMode = "deferred" | "immediate" | "exclusive";

export interface TransactionOptions extends CallOptions {
  /** "deferred" (default), "immediate" or "exclusive": the BEGIN that starts it. */
  mode?: TransactionMode;
}

const BEGIN: Readonly<Record<TransactionMode, string>> = {
  deferred: "BEGIN DEFERRED",
  immediate: "BEGIN IMMEDIATE",
  exclusive: "BEGIN EXCLUSIVE",
};

/** The function a transaction runs; its result is the transaction's. */
export type TransactionBody<T> = (tx: Transaction) => T | Promise<T>;

/**
 * Runs `fn` in a transaction on `connection` (database `db`). `options.signal` ends the
 * transaction when it aborts; `options.timeoutMs` bounds each request of it (the wait for the
 * connection, BEGIN, COMMIT, ROLLBACK, and the calls of `tx` that set no timeout of their own).
 */
export async function runTransaction<T>(
  session: Session,
  held: HeldConnection,
  db: number,
  fn: TransactionBody<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const { mode = "deferred", ...call } = options;
  const begin = BEGIN[mode];
  if (begin === undefined) {
    held.release();
    throw new WireError("BAD_STATE", `transaction: mode must be "deferred", "immediate" or "exclusive", got ${JSON.stringify(mode)}`);
  }
  let lease: Lease;
  try {
    lease = await held.connection.reserve("transaction", call);
  } catch (error) {
    held.release();
    throw error;
  }
  const run = new TransactionRun(session, held, db, lease, call);
  const stack: Transaction[] = [];
  try {
    await run.execute(begin);
    const tx = new Transaction(run, stack, "transaction");
    stack.push(tx);
    let value: T;
    try {
      value = await fn(tx);
    } catch (error) {
      stack.length = 0;
      attachSuppressed(error, await run.rollback());
      throw error;
    }
    stack.length = 0;
    await run.commit();
    return value;
  } finally {
    run.dispose();
  }
}

/**
 * The handle `fn` gets: its calls run inside the transaction (or the savepoint). It can be used
 * only while its function runs and no savepoint nested in it is open; after that every call
 * throws BAD_STATE.
 */
export class Transaction {
  readonly #run: TransactionRun;
  /** The open handles, outermost first: this one is usable while it is the last. */
  readonly #stack: Transaction[];
  readonly #name: string;

  /** Made by `Database.transaction` and `Transaction.transaction` only. */
  constructor(run: TransactionRun, stack: Transaction[], name: string) {
    this.#run = run;
    this.#stack = stack;
    this.#name = name;
  }

  /** Runs a statement that returns no rows (EXEC_SQL) inside the transaction. */
  async exec(sql: string, params: Params = [], call: CallOptions = {}): Promise<ExecResult> {
    this.#guard("exec", sql);
    return execResult(await this.#run.run(`exec ${describeSql(sql)}`, { type: "EXEC_SQL", db: this.#run.db, sql, params }, "RESULT", call));
  }

  /** Runs a query (QUERY_SQL) inside the transaction; read it before the transaction ends. Rows are typed as by `db.query`. */
  query<R extends ObjectRowOf<R> = ObjectRow>(sql: string, params: Params | undefined, options: ObjectsQueryOptions): QueryResultOf<R>;
  query<R extends CellValue[] = ArrayRow>(sql: string, params?: Params, options?: ArraysQueryOptions): QueryResultOf<R>;
  query(sql: string, params?: Params, options?: QueryOptions): QueryResult;
  query(sql: string, params: Params = [], options: QueryOptions = {}): QueryResult {
    this.#guard("query", sql);
    const what = `query ${describeSql(sql)}`;
    return new QueryResult(
      what,
      async () => {
        this.#check(what);
        return this.#run.queryStart({ type: "QUERY_SQL", db: this.#run.db, sql, params });
      },
      this.#run.callOptions(options),
    );
  }

  /** Prepares a statement whose calls run inside the transaction (and only while it is open). */
  async prepare(sql: string, call: CallOptions = {}): Promise<Statement> {
    this.#guard("prepare", sql);
    const reply = await this.#run.run(`prepare ${describeSql(sql)}`, prepareRequest(this.#run.connection, this.#run.db, sql), "STMT", call);
    return new Statement(this.#run.statementSession, this.#run.connection, sql, reply);
  }

  /**
   * A nested transaction: SAVEPOINT, then `fn(inner)`; RELEASE when it resolves, ROLLBACK TO
   * (undoing only what `inner` did) when it throws. This handle waits unused meanwhile.
   */
  async transaction<T>(fn: TransactionBody<T>): Promise<T> {
    this.#check("transaction");
    const savepoint = this.#run.nextSavepoint();
    await this.#run.execute(`SAVEPOINT ${savepoint}`);
    const inner = new Transaction(this.#run, this.#stack, `savepoint ${savepoint}`);
    this.#stack.push(inner);
    let value: T;
    try {
      value = await fn(inner);
    } catch (error) {
      this.#stack.splice(this.#stack.indexOf(inner));
      if (this.#run.failure === undefined) await this.#undoSavepoint(savepoint, error);
      throw error;
    }
    this.#stack.splice(this.#stack.indexOf(inner));
    await this.#run.execute(`RELEASE ${savepoint}`);
    return value;
  }

  async #undoSavepoint(savepoint: string, error: unknown): Promise<void> {
    try {
      await this.#run.execute(`ROLLBACK TO ${savepoint}`);
      await this.#run.execute(`RELEASE ${savepoint}`);
    } catch (undoError) {
      // The savepoint's state is unknown: the whole transaction must not commit.
      this.#run.fail(undoError);
      attachSuppressed(error, undoError);
    }
  }

  #guard(what: string, sql: string): void {
    this.#check(what);
    guardTransactionControl(sql, what);
  }

  #check(what: string): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top !== this) {
      const state = this.#stack.includes(this) ? `a savepoint nested in it is open (use that one's handle)` : "it has ended";
      throw new WireError("BAD_STATE", `${what}: this ${this.#name} handle cannot run calls: ${state}`);
    }
    this.#run.check(what);
  }
}

/** The statements that start or end a transaction, as the first keyword of `sql`. */
const TRANSACTION_CONTROL = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(begin|commit|end|rollback)\b(?!\s+(?:transaction\s+)?to\b)/i;

/**
 * Refuses BEGIN, COMMIT, END and ROLLBACK (not ROLLBACK TO) inside a transaction: it is the
 * transaction that commits or rolls back, when its function returns or throws. Only the first
 * statement of `sql` is looked at.
 */
function guardTransactionControl(sql: string, what: string): void {
  const keyword = TRANSACTION_CONTROL.exec(sql)?.[1];
  if (keyword === undefined) return;
  throw new WireError(
    "BAD_STATE",
    `${what} ${describeSql(sql)}: ${keyword.toUpperCase()} is not run inside a transaction: it commits when its function returns ` +
      "and rolls back when it throws (SAVEPOINT, RELEASE and ROLLBACK TO are fine; tx.transaction() nests one)",
  );
}
