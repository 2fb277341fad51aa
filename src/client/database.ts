// One database of the cluster, reached through a client's session. Each call takes a connection
// of the client's pool for as long as it runs: reads any free one, writes one after the write
// lane (session.ts). The database's id is per connection (OPEN answers it), asked once on each
// connection it runs on, together with what the node reads (node-probe.ts).

import type { CallOptions } from "./call-scope.ts";
import type { Connection } from "./connection.ts";
import { ServerError, WireError } from "../errors.ts";
import { isReadOnlySql, sqlShape, transactionControlOf } from "../messages/sql-text.ts";
import type { CachedStatement } from "./statement-cache.ts";
import { startSpan, traced } from "./call-trace.ts";
import type { RequestInput } from "../messages/types.ts";
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
  type QueryStart,
} from "./query-result.ts";
import { type ExecResult, type Params, describeSql, execResult, prepareRequest, queryStart } from "./results.ts";
import type { Claim } from "./pool.ts";
import type { HeldConnection, Lane, Session } from "./session.ts";
import { Statement } from "./statement.ts";
import { type TransactionBody, type TransactionOptions, runTransaction } from "./transaction.ts";

/** `#cachedNow`'s answer when a request (FINALIZE of an evicted statement, PREPARE) must go first. */
const PREPARE_FIRST = Symbol("prepare first");
/** SQL texts whose result shape (one frame or more) a database remembers; forgotten in bulk beyond. */
const MAX_SHAPES = 1024;

/** What a node answers EXEC/QUERY of a statement id it does not have (SQLITE_NOTFOUND). */
const NO_SUCH_STATEMENT = 12;

/** A held connection with the database open on it. */
interface OpenOn extends HeldConnection {
  readonly db: number;
}

export class Database {
  readonly name: string;
  readonly #session: Session;
  /** OPEN (and the probe) per connection, shared by the calls that need it. */
  readonly #ids = new WeakMap<Connection, Promise<number>>();
  /** The ids of connections where OPEN and the probe are done: a call there starts at once. */
  readonly #openIds = new WeakMap<Connection, number>();
  /**
   * Read-only SQL, and whether its result came in one frame the last time it ran: a read known to
   * answer in one frame claims its connection "short" (pool.ts) and queues behind other such reads.
   */
  readonly #oneFrame = new Map<string, boolean>();

  constructor(session: Session, name: string) {
    this.#session = session;
    this.name = name;
  }

  /** The database id on a connection of the pool (OPEN once per connection). */
  async id(call: CallOptions = {}): Promise<number> {
    const open = await this.#hold("read", call);
    open.release();
    return open.db;
  }

  /** Runs a statement that returns no rows (EXEC_SQL) through the write lane. Several statements may be separated by `;`. */
  async exec(sql: string, params: Params = [], call: CallOptions = {}): Promise<ExecResult> {
    this.#refuseTransactionControl("exec", sql);
    return traced(this.#session.tracer, { kind: "exec", sql, request: undefined, lane: "write" }, async (span) => {
      const open = this.#holdNow("write") ?? (await this.#hold("write", call));
      span?.held(open.connection.address);
      try {
        return await this.#exec(open, sql, params, call);
      } finally {
        open.release();
      }
    });
  }

  /** EXEC of the connection's cached statement for `sql`, or EXEC_SQL. */
  async #exec(open: OpenOn, sql: string, params: Params, call: CallOptions): Promise<ExecResult> {
    const cached = await this.#cachedStatement(open, sql, call);
    if (cached === undefined)
      return execResult(await this.#session.run(open.connection, { type: "EXEC_SQL", db: open.db, sql, params }, "RESULT", call));
    try {
      return execResult(await this.#session.run(open.connection, { type: "EXEC", db: open.db, stmt: cached.id, params }, "RESULT", call));
    } catch (error) {
      this.#forgetIfGone(open.connection, sql, error);
      throw error;
    } finally {
      open.connection.statements.done(cached);
    }
  }

  /**
   * Runs a query (QUERY_SQL). The request is sent when the result is first read: iterate it with
   * `for await` for batches as they arrive, or `await result.all()` for every row. A query that
   * only reads (isReadOnlySql: SELECT, VALUES, WITH or EXPLAIN writing nothing) runs on any free
   * connection, in parallel with others, and is retried once on the new leader if the leader was
   * lost before any row reached the caller; any other goes through the write lane.
   * A statement with RETURNING runs here, not in `exec`, on a node that reads it (dqlite ≥ 1.18.2;
   * refused before sending elsewhere, see hazards.ts). The rows' type follows `rowMode`, and may be
   * named: `db.query<{ k: string }>(sql, [], { rowMode: "objects" })`.
   */
  query<R extends ObjectRowOf<R> = ObjectRow>(sql: string, params: Params | undefined, options: ObjectsQueryOptions): QueryResultOf<R>;
  query<R extends CellValue[] = ArrayRow>(sql: string, params?: Params, options?: ArraysQueryOptions): QueryResultOf<R>;
  query(sql: string, params?: Params, options?: QueryOptions): QueryResult;
  query(sql: string, params: Params = [], options: QueryOptions = {}): QueryResult {
    this.#refuseTransactionControl("query", sql);
    const lane: Lane = isReadOnlySql(sql) ? "read" : "write";
    const tracer = this.#session.tracer;
    return new QueryResult(
      `query ${describeSql(sql)}`,
      (call): QueryStart | Promise<QueryStart> => {
        const claim: Claim = lane === "read" && this.#oneFrame.get(sql) === true ? "short" : "shared";
        // At once when a connection is free and ready and the statement needs no round trip first.
        const open = this.#holdNow(lane, claim);
        if (open !== undefined) {
          const cached = this.#cachedNow(open, sql);
          if (cached !== PREPARE_FIRST) return this.#queryStart(open, sql, params, lane, cached);
          open.release();
        }
        return this.#openQuery(sql, params, lane, claim, call);
      },
      options,
      tracer === undefined ? undefined : () => startSpan(tracer, { kind: "query", sql, request: undefined, lane }),
    );
  }

  /** A query's start by waiting for what it needs: a connection, OPEN on it, a PREPARE. */
  async #openQuery(sql: string, params: Params, lane: Lane, claim: Claim, call: CallOptions): Promise<QueryStart> {
    const open = await this.#hold(lane, call, undefined, claim);
    let cached: CachedStatement | undefined;
    try {
      cached = await this.#cachedStatement(open, sql, call);
    } catch (error) {
      open.release();
      throw error;
    }
    return this.#queryStart(open, sql, params, lane, cached);
  }

  /** QUERY of the cached statement for `sql` when there is one, else QUERY_SQL; it gives `open` back when it ends. */
  #queryStart(open: OpenOn, sql: string, params: Params, lane: Lane, cached: CachedStatement | undefined): QueryStart {
    const start = this.#statementStart(open, sql, params, lane, cached);
    if (lane === "read") start.onShape = (oneFrame) => this.#noteShape(sql, oneFrame);
    return start;
  }

  /** Remembers whether `sql` answered in one frame, for the claim of its next run (bounded: forgotten in bulk). */
  #noteShape(sql: string, oneFrame: boolean): void {
    if (this.#oneFrame.size >= MAX_SHAPES && !this.#oneFrame.has(sql)) this.#oneFrame.clear();
    this.#oneFrame.set(sql, oneFrame);
  }

  #statementStart(open: OpenOn, sql: string, params: Params, lane: Lane, cached: CachedStatement | undefined): QueryStart {
    if (cached === undefined) {
      const request: RequestInput = { type: "QUERY_SQL", db: open.db, sql, params };
      return queryStart(this.#session, open.connection, open.db, request, open.release, lane === "read");
    }
    const request: RequestInput = { type: "QUERY", db: open.db, stmt: cached.id, params };
    const release = (): void => {
      open.connection.statements.done(cached);
      open.release();
    };
    const start = queryStart(this.#session, open.connection, open.db, request, release, lane === "read");
    const noteError = start.onError!;
    start.onError = (error) => {
      this.#forgetIfGone(open.connection, sql, error);
      noteError(error);
    };
    return start;
  }

  /**
   * Prepares a statement (PREPARE → STMT) on a connection of the pool, which it then keeps: its
   * calls run there, a write among them through the write lane. Of SQL holding several statements,
   * the first is prepared: on a node that reports where it ends (dqlite ≥ 1.15.1), `statement.tail`
   * is the rest; older nodes ignore the rest silently.
   */
  async prepare(sql: string, call: CallOptions = {}): Promise<Statement> {
    return traced(this.#session.tracer, { kind: "prepare", sql, request: undefined, lane: "read" }, async (span) => {
      const open = await this.#hold("read", call);
      span?.held(open.connection.address);
      try {
        const reply = await this.#session.run(open.connection, prepareRequest(open.connection, open.db, sql), "STMT", call);
        return new Statement(this.#session, open.connection, sql, reply);
      } finally {
        open.release();
      }
    });
  }

  /**
   * Runs `fn` in a transaction: BEGIN (`options.mode`: "deferred" by default, "immediate",
   * "exclusive"), then `fn(tx)`; COMMIT when it resolves (its value is returned), ROLLBACK when it
   * throws (its error is thrown again). It holds the write lane and a connection of its own while
   * it runs: other writes wait for it; reads run on other connections and see only what was
   * committed. See transaction.ts.
   */
  async transaction<T>(fn: TransactionBody<T>, options: TransactionOptions = {}): Promise<T> {
    return traced(this.#session.tracer, { kind: "transaction", sql: undefined, request: undefined, lane: "write" }, async (span) => {
      const open = await this.#hold("write", options, "a transaction", "exclusive");
      span?.held(open.connection.address);
      return runTransaction(this.#session, open, open.db, fn, options);
    });
  }

  /**
   * The statement `open`'s connection keeps for `sql` (see statement-cache.ts), taken into use:
   * prepared now when the connection saw `sql` once before; undefined when `sql` is sent as text
   * (its first call on this connection, SQL of several statements, SQL selecting `*` — a prepared
   * one keeps the columns of when it was prepared —, or a cache of size 0).
   * Statements the cache evicted are finalized first.
   */
  async #cachedStatement(open: OpenOn, sql: string, call: CallOptions): Promise<CachedStatement | undefined> {
    const now = this.#cachedNow(open, sql);
    if (now !== PREPARE_FIRST) return now;
    const cache = open.connection.statements;
    for (const id of cache.takeEvicted()) {
      await this.#session.run(open.connection, { type: "FINALIZE", db: open.db, stmt: id }, "EMPTY", call);
    }
    const cached = cache.take(sql);
    if (cached !== undefined || !cache.seenBefore(sql)) return cached;
    const reply = await this.#session.run(open.connection, { type: "PREPARE", db: open.db, sql }, "STMT", call);
    return cache.add(sql, reply.id);
  }

  /**
   * What `#cachedStatement` answers when it needs no request: the statement, or undefined for
   * text; PREPARE_FIRST when a FINALIZE or a PREPARE must go first.
   */
  #cachedNow(open: OpenOn, sql: string): CachedStatement | undefined | typeof PREPARE_FIRST {
    const cache = open.connection.statements;
    if (cache.capacity === 0) return undefined;
    const shape = sqlShape(sql);
    if (shape.moreStatements || shape.allColumns) return undefined;
    if (cache.hasEvicted) return PREPARE_FIRST;
    const cached = cache.take(sql);
    if (cached !== undefined) return cached;
    if (cache.seenOnce(sql)) return PREPARE_FIRST;
    cache.seenBefore(sql); // its first sighting: the next call prepares it
    return undefined;
  }

  /** A cached statement the node no longer knows (FAILURE 12, "no statement with the given id") leaves the cache. */
  #forgetIfGone(connection: Connection, sql: string, error: unknown): void {
    if (error instanceof ServerError && error.sqliteCode === NO_SUCH_STATEMENT) connection.statements.forget(sql);
  }

  /**
   * Refuses BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT and RELEASE when the client has a pool of
   * connections: the next call may run on another connection than the one the transaction is
   * open on, and others' calls on that one (hazard 10 of hazards.ts). `db.transaction()` holds
   * one connection for the whole transaction; a client with `pool: { max: 1 }` sends them.
   */
  #refuseTransactionControl(what: string, sql: string): void {
    const word = this.#session.oneConnection ? undefined : transactionControlOf(sql);
    if (word === undefined) return;
    throw new WireError(
      "BAD_STATE",
      `${what} ${describeSql(sql)}: ${word} is not sent on a pooled client, whose next call may run on another connection; ` +
        "use db.transaction(fn), which holds one connection for the whole transaction (or pool: { max: 1 } to send it yourself)",
    );
  }

  /** A connection for a call in `lane` at once, with the database open and probed on it; undefined when there is none. */
  #holdNow(lane: Lane, claim: Claim = "shared"): OpenOn | undefined {
    const held = this.#session.acquireNow(lane, claim);
    if (held === undefined) return undefined;
    const db = this.#openIds.get(held.connection);
    if (db === undefined) {
      held.release();
      return undefined;
    }
    return { connection: held.connection, release: held.release, db };
  }

  /** A connection for a call in `lane`, with the database open on it; `holder` names a write's holder in messages. */
  async #hold(lane: Lane, call: CallOptions, holder?: string, claim?: Claim): Promise<OpenOn> {
    const held = await this.#session.acquire(lane, call, holder, claim);
    try {
      return { connection: held.connection, release: held.release, db: await this.#idOn(held.connection, call) };
    } catch (error) {
      held.release();
      throw error;
    }
  }

  /** OPEN on `connection` (once), then what its node reads (once per connection: node-probe.ts). */
  #idOn(connection: Connection, call: CallOptions): Promise<number> {
    let id = this.#ids.get(connection);
    if (id === undefined) {
      id = this.#session.run(connection, { type: "OPEN", name: this.name, flags: 0, vfs: "" }, "DB", call).then(async (reply) => {
        await connection.learnFeatures(reply.id, call);
        this.#openIds.set(connection, reply.id);
        return reply.id;
      });
      this.#ids.set(connection, id);
      id.catch(() => this.#ids.delete(connection));
    }
    return id;
  }
}
