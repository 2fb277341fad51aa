// The result of a query as it streams in. A dqlite node answers a query with ROWS frames of a
// few KiB each (PART … DONE); each step of the iteration decodes every whole frame received so
// far in one call of the row engine and yields them as one batch. The connection is read only
// when the consumer asks for more, so memory stays bounded however large the result.
//
// Leaving early (`break` out of `for await`, `close()`) sends INTERRUPT and drains what the node
// still sends: dqlite 1.11 keeps streaming the remaining frames after INTERRUPT and then answers
// EMPTY; newer nodes stop with EMPTY at once. Either way the connection is usable again after.

import { DecodeError, ServerError, WireError, isWireError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import { ResponseType } from "../messages/codes.ts";
import { rowsFrameEnd } from "../messages/fixed-fields.ts";
import type { RequestInput } from "../messages/types.ts";
import type { EngineChoice } from "../rows/engine.ts";
import { ResultReader } from "../rows/result-reader.ts";
import type { RowBatch } from "../rows/row-batch.ts";
import type { BlobMode } from "../rows/row-values.ts";
import type { CellValue } from "../values/cell.ts";
import type { IntMode } from "../values/int-mode.ts";
import { type CallOptions, CallScope } from "./call-scope.ts";
import type { Connection, Turn } from "./connection.ts";
import { jsonSafe, withToJSON } from "./json-safe.ts";
import { needsNewLeader } from "./server-errors.ts";
import type { CallSpan } from "./call-trace.ts";

/** How the rows of a batch are shaped. */
export type RowMode = "arrays" | "objects" | "columns" | "batch";

export interface QueryOptions extends CallOptions {
  /**
   * "arrays" (default): one array of values per row. "objects": one object per row keyed by
   * column name. "columns": one array of values per column. "batch": the row engine's
   * column-major `RowBatch` (typed arrays, text decoded on access), the fastest form.
   */
  rowMode?: RowMode;
  /** How INTEGER cells come out: "number" (default; refuses beyond ±2^53-1), "bigint", "string". */
  intMode?: IntMode;
  /** Row engine: "auto" (default: WebAssembly when available), "wasm" or "js". */
  engine?: EngineChoice;
  /**
   * Blob cells in "arrays", "objects" and "columns" modes. "view" (default): views into one copy
   * of each batch's blob bytes (a kept blob keeps that copy alive; `blob.buffer` holds the
   * batch's other blobs too, so copy a blob before transferring its buffer). "copy": each blob
   * in an ArrayBuffer of its own.
   */
  blobs?: BlobMode;
}

/** A row of "arrays" mode: its values in column order. */
export type ArrayRow = CellValue[];

/** A row of "objects" mode: its values keyed by column name. */
export type ObjectRow = Record<string, CellValue>;

/** Rows in the shape asked for by `rowMode`. */
export type Row = ArrayRow | ObjectRow;

/**
 * What a row type named for "objects" mode must be: an object whose every field is a cell value,
 * and not an array (arrays are iterable; rows keyed by column name are not).
 * `R extends ObjectRowOf<R>` accepts interfaces and type literals alike.
 */
export type ObjectRowOf<R> = { [K in keyof R]: CellValue } & { [Symbol.iterator]?: never };

/** Options that ask for rows as objects: `query` then types them (see `QueryResultOf`). */
export type ObjectsQueryOptions = QueryOptions & { rowMode: "objects" };

/** Options that ask for rows as arrays (the default): `query` then types them. */
export type ArraysQueryOptions = QueryOptions & { rowMode?: "arrays" };

/**
 * A query's result whose rows have the type `R`: what `query` returns in "arrays" mode (R is
 * `CellValue[]`, or a tuple the caller names) and in "objects" mode (R is `ObjectRow`, or an
 * object type the caller names: `db.query<{ k: string }>(sql, [], { rowMode: "objects" })`).
 * Naming R is a promise about the SQL; the rows are not checked against it.
 */
export type QueryResultOf<R> = TypedRows<R> & QueryResult;

interface TypedRows<R> {
  all(): Promise<Rows<R>>;
  [Symbol.asyncIterator](): AsyncGenerator<Batch<R>, void, undefined>;
}

/** One step of a streamed result: the rows of the frames received since the previous step. */
export interface Batch<R = Row> {
  readonly columns: readonly string[];
  readonly rowCount: number;
  /** Rows ("arrays" or "objects" mode); empty in "columns" and "batch" modes. */
  readonly rows: R[];
  /** Values per column ("columns" mode); empty otherwise. */
  readonly data: CellValue[][];
  /** The engine's column-major batch ("batch" mode only). */
  readonly raw: RowBatch | undefined;
  /** JSON-safe form: bigints as strings, blobs as base64. */
  toJSON(): unknown;
}

/** Every row of a result, collected. */
export interface Rows<R = Row> {
  readonly columns: readonly string[];
  readonly rows: R[];
  toJSON(): unknown;
}

/** What a QueryResult needs to run its request. */
export interface QueryStart {
  connection: Connection;
  /** The database id the request runs on (for INTERRUPT). */
  db: number;
  request: RequestInput;
  limits: Partial<Limits> | undefined;
  /** Told of every error of the query (the client forgets a leader that is gone). */
  onError?: (error: unknown) => void;
  /** Gives the connection (and the write lane) back to the pool, once the result has ended. */
  release?: () => void;
  /**
   * The query only reads: when the leader is lost before any row reached the caller, it is sent
   * once more, on a connection to the new leader.
   */
  retryable?: boolean;
  /** Told whether the result came in one frame: at its end, and (false) when a second is on its way. */
  onShape?: (oneFrame: boolean) => void;
}

type State = "idle" | "streaming" | "done" | "failed";

/** What `all()` returns: plain fields, and a JSON form shared by every such result (bigints as strings, blobs as base64). */
const ROWS_PROTOTYPE = Object.create(Object.prototype, {
  toJSON: {
    value(this: Rows) {
      return { columns: this.columns, rows: jsonSafe(this.rows) };
    },
    enumerable: false,
  },
}) as object;

function rowsResult(columns: readonly string[], rows: Row[]): Rows {
  const result = Object.create(ROWS_PROTOTYPE) as { columns: readonly string[]; rows: Row[] };
  result.columns = columns;
  result.rows = rows;
  return result as Rows;
}

/**
 * A query's result: `for await (const batch of result)` streams it; `all()` collects it. The
 * request is sent when the iteration starts (or `all()` is called), not before.
 */
export class QueryResult implements AsyncIterable<Batch> {
  #columns: readonly string[] | undefined;
  #state: State = "idle";
  #turn: Turn | undefined;
  #reader: ResultReader | undefined;
  #start: QueryStart | undefined;
  /** A batch has reached the caller: from then on a lost leader fails the result, never resends it. */
  #delivered = false;
  #retried = false;
  /** Set by all(): every row is kept, so the result's row and frame caps apply. */
  #keep = false;
  readonly #open: (options: CallOptions) => QueryStart | Promise<QueryStart>;
  readonly #options: QueryOptions;
  readonly #what: string;
  /** Makes the result's trace span (a tracer is set): when the request is first sent. */
  readonly #startSpan: (() => CallSpan | undefined) | undefined;
  #span: CallSpan | undefined;

  /**
   * `open` gives what the request needs (a connection, the request): at once when it has it, or
   * a promise of it.
   */
  constructor(
    what: string,
    open: (options: CallOptions) => QueryStart | Promise<QueryStart>,
    options: QueryOptions = {},
    startSpan?: () => CallSpan | undefined,
  ) {
    this.#what = what;
    this.#open = open;
    this.#options = options;
    this.#startSpan = startSpan;
  }

  /** Column names, known once the first frame has arrived. */
  get columns(): readonly string[] | undefined {
    return this.#columns;
  }

  /** Rows received so far. */
  get rowsRead(): number {
    return this.#reader?.rowsRead ?? 0;
  }

  /** ROWS frames received so far. */
  get framesRead(): number {
    return this.#reader?.framesRead ?? 0;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch, void, undefined> {
    if (this.#state !== "idle") throw new WireError("BAD_STATE", `${this.#what}: a query result can be read only once`);
    try {
      for (;;) {
        const batch = await this.#nextOrRetry(this.#shapeBatch);
        if (batch === undefined) {
          this.#endSpan("ok");
          return;
        }
        this.#delivered = true;
        yield batch;
      }
    } catch (error) {
      this.#endSpan("error", error);
      throw error;
    } finally {
      // `break` lands here with the result still streaming: leave the connection usable.
      if (this.#isStreaming()) {
        await this.#interruptAndDrain();
        this.#endSpan("closed");
      }
    }
  }

  #isStreaming(): boolean {
    return this.#state === "streaming";
  }

  /** Reads the whole result. */
  async all(): Promise<Rows> {
    const mode = this.#options.rowMode ?? "arrays";
    if (mode !== "arrays" && mode !== "objects") {
      throw new WireError("BAD_STATE", `${this.#what}: all() collects rows; use rowMode "arrays" or "objects", or iterate for "${mode}"`);
    }
    if (this.#state !== "idle") throw new WireError("BAD_STATE", `${this.#what}: a query result can be read only once`);
    this.#keep = true;
    // The batches' rows straight into one list (no async iterator per call: point reads are the
    // commonest query, and this is their whole path).
    let rows: Row[] | undefined;
    try {
      for (;;) {
        const batch = await this.#nextOrRetry(this.#shapeRows);
        if (batch === undefined) break;
        this.#delivered = true;
        if (rows === undefined) rows = batch;
        else for (const row of batch) rows.push(row);
      }
    } catch (error) {
      this.#endSpan("error", error);
      throw error;
    }
    this.#endSpan("ok");
    return rowsResult(this.#columns ?? [], rows ?? []);
  }

  /**
   * Stops reading: interrupts the query and drains the connection. Safe to call at any time;
   * a result that was never started is simply dropped.
   */
  async close(): Promise<void> {
    const state: State = this.#state;
    if (state === "idle") this.#state = "done";
    else if (state === "streaming") {
      await this.#interruptAndDrain();
      this.#endSpan("closed");
    }
  }

  /**
   * The next batch; a read whose leader was lost before any row reached the caller (NOT_LEADER,
   * LEADERSHIP_LOST, a broken connection) is sent once more, to the new leader.
   */
  async #nextOrRetry<T>(shape: (raw: RowBatch) => T): Promise<T | undefined> {
    try {
      return await this.#next(shape);
    } catch (error) {
      if (!this.#mayRetry(error)) throw error;
      this.#retried = true;
      this.#span?.retried();
      this.#reset();
      return this.#next(shape);
    }
  }

  #mayRetry(error: unknown): boolean {
    return (
      this.#start?.retryable === true && !this.#retried && !this.#delivered && (this.#reader?.rowsRead ?? 0) === 0 && needsNewLeader(error)
    );
  }

  /** Back to before the request was sent (the failed connection was given back in #finish). */
  #reset(): void {
    this.#state = "idle";
    this.#start = undefined;
    this.#reader = undefined;
    this.#columns = undefined;
  }

  /** The next batch in the caller's shape, or undefined at the end of the result. */
  async #next<T>(shape: (raw: RowBatch) => T): Promise<T | undefined> {
    if (this.#state === "done" || this.#state === "failed") return undefined;
    if (this.#state === "idle") {
      const sending = this.#send();
      if (sending !== undefined) await sending;
    }
    const start = this.#start!;
    const turn = this.#turn!;
    const reader = this.#reader!;
    // The turn's scope serves every read of the result, each read with the whole timeout; the
    // time the consumer spends on a batch between reads does not count.
    const scope = turn.scope;
    scope.rearm();
    try {
      for (;;) {
        const step = await turn.readRows(reader);
        if (this.#columns === undefined && reader.columns !== undefined) this.#columns = reader.columns;
        if (step.state === "failed") {
          turn.replied();
          this.#finish("failed");
          const error = step.error!;
          throw new ServerError(error.sqliteCode, `${this.#what}: ${error.message} (code ${error.sqliteCode})`, { cause: error });
        }
        if (step.state === "interrupted") {
          // EMPTY in place of a ROWS frame without an INTERRUPT from this client: the node
          // ended the result early; report it rather than pretend the result is complete.
          turn.replied();
          this.#finish("failed");
          throw new DecodeError("BAD_SEQUENCE", `${this.#what}: the node ended the result with EMPTY before its DONE frame`);
        }
        if (step.state === "done") {
          start.onShape?.(this.framesRead === 1);
          turn.replied();
          this.#finish("done");
        } else {
          // More frames to come: calls are not to queue behind this result (Connection.sharable).
          if (!turn.streaming) start.onShape?.(false);
          turn.streaming = true;
        }
        // Shape the rows now: in the row modes nothing may point into the reused buffer.
        if (step.batch !== undefined) return shape(step.batch);
        if (step.state === "done") return undefined;
      }
    } catch (error) {
      if (this.#state === "streaming") {
        // The stream position is lost (or the connection is already broken).
        turn.break(error);
        this.#finish("failed");
      }
      start.onError?.(error);
      throw error;
    } finally {
      scope.pause();
    }
  }

  /**
   * Sends the request: at once (undefined) when the connection, the database and the statement
   * are ready and the connection admits the call now; else the promise of the send.
   */
  #send(): Promise<void> | undefined {
    this.#state = "streaming";
    this.#span ??= this.#startSpan?.();
    try {
      const opened = this.#open(this.#options);
      if (!(opened instanceof Promise)) {
        this.#start = opened;
        const turn = opened.connection.turnNow(this.#what, this.#options);
        if (turn !== undefined) {
          this.#begin(opened, turn);
          return undefined;
        }
      }
      return this.#sendLater(opened);
    } catch (error) {
      this.#sendFailed(error);
      throw error;
    }
  }

  async #sendLater(opened: QueryStart | Promise<QueryStart>): Promise<void> {
    try {
      const start = await this.#openOrRetry(opened);
      this.#start = start;
      this.#begin(start, await start.connection.turn(this.#what, this.#options));
    } catch (error) {
      this.#sendFailed(error);
      throw error;
    }
  }

  /** The connection the query was given, once more when the leader was just lost (the request was not sent). */
  async #openOrRetry(opened: QueryStart | Promise<QueryStart>): Promise<QueryStart> {
    try {
      return await opened;
    } catch (error) {
      if (this.#retried || !needsNewLeader(error)) throw error;
      this.#retried = true;
      this.#span?.retried();
      return this.#open(this.#options);
    }
  }

  /** The result's reader, and the request sent in its turn. */
  #begin(start: QueryStart, turn: Turn): void {
    this.#span?.held(start.connection.address);
    this.#turn = turn;
    this.#reader = new ResultReader({
      intMode: this.#options.intMode ?? "number",
      engine: this.#options.engine ?? "auto",
      // The connection reuses its buffer for the next bytes. In "batch" mode the batch outlives
      // this call, so the reader keeps a copy of what its text and blob cells point into (and
      // only when there are such cells); the row modes shape every row before the next read,
      // so they lend the buffer and nothing is copied.
      input: this.#options.rowMode === "batch" ? "copy" : "borrow",
      // A streamed result may be of any length; all() keeps every row, so it is bounded.
      retention: this.#keep ? "keep" : "stream",
      ...(start.limits !== undefined ? { limits: start.limits } : {}),
    });
    turn.send(start.request);
  }

  #sendFailed(error: unknown): void {
    this.#finish("failed");
    this.#start?.onError?.(error);
  }

  #finish(state: "done" | "failed"): void {
    this.#state = state;
    this.#turn?.end();
    this.#turn = undefined;
    this.#start?.release?.();
  }

  /** Tells the trace span how the result ended (the last of its ends counts: a retried read ends once). */
  #endSpan(outcome: "ok" | "error" | "closed", error?: unknown): void {
    this.#span?.end(outcome, error, this.#reader?.rowsRead ?? 0);
  }

  /**
   * Sends INTERRUPT and reads until its EMPTY reply, skipping the ROWS frames still on the way.
   * If that fails or times out, the connection is closed instead (never left half-read).
   *
   * A statement with RETURNING is not interrupted: the node made the whole write at its first
   * row, so nothing is saved by stopping it, and dqlite 1.18.2 left such a statement unreset on
   * INTERRUPT (fixed in 1.18.3). Nor is a result that other calls queued behind (the node would
   * answer them first). Their remaining frames are read to the DONE instead.
   */
  async #interruptAndDrain(): Promise<void> {
    const start = this.#start;
    const turn = this.#turn;
    if (start === undefined || turn === undefined) {
      this.#finish("done");
      return;
    }
    const connection = start.connection;
    const scope = new CallScope(`${this.#what}: interrupt`, { timeoutMs: this.#options.timeoutMs ?? connection.defaultTimeoutMs });
    // An INTERRUPT is answered after the calls queued behind this one: only the last in line sends it.
    const interrupt = turn.last && !connection.runsReturning(start.request);
    try {
      if (interrupt) turn.send({ type: "INTERRUPT", db: start.db });
      for (;;) {
        const frame = await turn.frame(scope);
        const type = frame.header.type;
        if (type === ResponseType.Empty) break;
        if (!interrupt && (type === ResponseType.Failure || rowsFrameEnd(frame.bytes) !== "PART")) break;
        if (type !== ResponseType.Rows && type !== ResponseType.Failure) {
          throw new DecodeError("BAD_SEQUENCE", `${this.#what}: response type ${type} while draining an interrupted query`);
        }
      }
      turn.repliedAll();
      this.#finish("done");
    } catch (error) {
      turn.break(error);
      this.#finish("failed");
      // A closed connection is a fine end for a result nobody reads any more; anything else
      // (a cancel by the caller) is still reported.
      if (!isWireError(error) || (error.code !== "CONNECTION_CLOSED" && error.code !== "TIMEOUT")) throw error;
    } finally {
      scope.dispose();
    }
  }

  /** A batch as the iteration yields it, in `rowMode`. */
  readonly #shapeBatch = (raw: RowBatch): Batch => {
    const mode = this.#options.rowMode ?? "arrays";
    const columns = raw.columns;
    const rowCount = raw.rowCount;
    if (mode === "batch") {
      return withToJSON({ columns, rowCount, rows: [], data: [], raw }, () => ({ columns, rows: jsonSafe(raw.arrays()) }));
    }
    if (mode === "columns") {
      const data = raw.columnValues(this.#values());
      return withToJSON({ columns, rowCount, rows: [], data, raw: undefined }, () => ({ columns, data: jsonSafe(data) }));
    }
    const rows = this.#shapeRows(raw);
    return withToJSON({ columns, rowCount, rows, data: [], raw: undefined }, () => ({ columns, rows: jsonSafe(rows) }));
  };

  /** A batch's rows as arrays or objects (`rowMode`). */
  readonly #shapeRows = (raw: RowBatch): Row[] =>
    this.#options.rowMode === "objects" ? raw.objects(this.#values()) : raw.arrays(this.#values());

  #values(): { blobs: BlobMode } {
    return { blobs: this.#options.blobs ?? "view" };
  }
}
