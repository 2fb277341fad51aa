// One protocol connection to one dqlite node: the handshake, then strictly one request at a time
// (dqlite has no message ids; replies come in order and a result stream occupies the connection
// until its end). Bytes are pulled from the transport only when a caller waits for a reply, so a
// slow consumer of a large result holds back the node instead of filling memory.
//
// A connection is either usable or broken. It breaks when the transport fails or closes, when a
// reply does not decode, and when a call times out or is cancelled after its request was sent
// (its reply may still arrive, so nothing later could be matched to the right request). A broken
// connection is closed and every later call fails with ConnectionError CONNECTION_CLOSED.

import { ConnectionError, DecodeError, ServerError, WireError, isWireError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import { resolveLimits } from "../limits.ts";
import { type ResolvedDecodeOptions, decodeBody, encodeRequest, resolveDecodeOptions } from "../messages/codec.ts";
import type { ResponseTypeName } from "../messages/schemas.ts";
import type { RequestInput, Response, ResponseOf } from "../messages/types.ts";
import { FrameDecoder, type RawFrame } from "../stream/frame-decoder.ts";
import type { IntMode } from "../values/int-mode.ts";
import { handshakeFor } from "../wire/handshake.ts";
import { type CallOptions, CallScope, isScopeEnd } from "./call-scope.ts";
import { DQLITE_1_11_FEATURES, type NodeFeatures, guardRequest, guardStatementId, hasReturningClause } from "../messages/hazards.ts";
import { Lease, leaseOf } from "./lease.ts";
import { probeNodeFeatures } from "./node-probe.ts";
import { DEFAULT_STATEMENT_CACHE_SIZE, StatementCache } from "./statement-cache.ts";
import { RequestQueue } from "./request-queue.ts";
import { serverErrorFrom } from "./server-errors.ts";
import type { Connector, Transport } from "./transport-types.ts";

/** Request types whose effect persists: if their reply is lost, the outcome is unknown. */
const WRITE_REQUESTS = new Set(["EXEC", "EXEC_SQL", "ADD", "ASSIGN", "REMOVE", "TRANSFER", "WEIGHT"]);

export interface ConnectionOptions {
  /** Speak the pre-1.0 protocol version (LEADER replies carry the address only). */
  legacy?: boolean;
  /** Decoder and encoder caps. */
  limits?: Partial<Limits>;
  /** Timeout of each call that does not set its own, in ms (default 10 000; 0 = none). */
  timeoutMs?: number;
  /**
   * What the node reads beyond dqlite 1.11 (RETURNING, more than 255 parameters, the statement
   * tail). By default the client asks each connection's node once, after OPEN
   * (src/client/node-probe.ts); a feature given here is taken as said and not asked. Until a
   * connection has been probed, the guards assume dqlite 1.11.
   */
  features?: Partial<NodeFeatures>;
  /**
   * Prepared statements each connection keeps for SQL its calls repeat (statement-cache.ts):
   * default 64; 0 sends every call's SQL as text.
   */
  statementCacheSize?: number;
}

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

const FEATURE_NAMES: readonly (keyof NodeFeatures)[] = ["wideParams", "statementTail", "returning"];

/** The caller's turn on a connection, with its deadline; ended exactly once. */
export interface Turn {
  readonly scope: CallScope;
  /** Ends the turn: releases the connection to the next caller and stops the timer. */
  end(): void;
}

export class Connection {
  readonly address: string;
  readonly legacy: boolean;
  readonly defaultTimeoutMs: number;
  private readonly transport: Transport;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder: FrameDecoder;
  private readonly queue = new RequestQueue();
  private readonly limits: Partial<Limits> | undefined;
  private readonly decodeOptions = new Map<IntMode, ResolvedDecodeOptions>();
  /** A read handed to the transport and not yet consumed (kept across a lost race). */
  private pendingRead: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  private failure: ConnectionError | undefined;
  /** True while a caller holds the turn. */
  private busy = false;
  /** The lease holding the connection (a transaction), if any: see lease.ts. */
  private lease: Lease | undefined;
  /**
   * Statement ids finalized on this connection and not handed out again. dqlite 1.11 crashes
   * on EXEC/QUERY/FINALIZE of such an id while a later statement exists (a hole in its
   * registry), so they are refused before sending.
   */
  private readonly finalizedStatements = new Set<number>();
  /** Statement ids prepared from SQL with RETURNING (see hazards.ts): run only as queries, where the node reads them. */
  private readonly returningStatements = new Set<number>();
  /** The features the caller stated (ConnectionOptions.features). */
  private readonly told: Partial<NodeFeatures>;
  #features: NodeFeatures;
  #probe: Promise<NodeFeatures> | undefined;
  /** Prepared statements that live on this connection (a pool keeps it open while any do). */
  #pins = 0;
  /** Statements prepared for SQL the calls on this connection repeat. */
  readonly statements: StatementCache;

  private constructor(address: string, transport: Transport, options: ConnectionOptions) {
    this.transport = transport;
    this.address = address;
    this.legacy = options.legacy === true;
    this.limits = options.limits;
    this.defaultTimeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.told = options.features ?? {};
    const cacheSize = options.statementCacheSize ?? DEFAULT_STATEMENT_CACHE_SIZE;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) throw new RangeError(`statementCacheSize must be a non-negative integer, got ${String(cacheSize)}`);
    this.statements = new StatementCache(cacheSize);
    this.#features = { ...DQLITE_1_11_FEATURES, ...this.told };
    this.reader = transport.readable.getReader();
    this.decoder = new FrameDecoder({ side: "response", handshake: false, legacy: this.legacy, limits: options.limits });
  }

  /**
   * Opens a transport to `address` with `connector` and sends the protocol handshake. The node
   * sends nothing back for the handshake; the first request shows whether it understood.
   */
  static async open(connector: Connector, address: string, options: ConnectionOptions = {}, call: CallOptions = {}): Promise<Connection> {
    const scope = new CallScope(`connect ${address}`, call, options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
    try {
      let transport: Transport;
      try {
        const timeoutMs = call.timeoutMs ?? options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
        transport = await scope.race(connector(address, { signal: scope.signal, ...(timeoutMs > 0 ? { timeoutMs } : {}) }));
      } catch (error) {
        scope.check();
        if (isWireError(error)) throw error;
        throw new ConnectionError("CONNECTION_FAILED", `connect ${address}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
      const connection = new Connection(address, transport, options);
      await connection.send(handshakeFor(connection.legacy), scope);
      connection.watchWhileIdle();
      return connection;
    } finally {
      scope.dispose();
    }
  }

  /** What the node reads beyond dqlite 1.11, as far as known (see `learnFeatures`). */
  get features(): NodeFeatures {
    return this.#features;
  }

  /**
   * Finds out what the node reads (once per connection; `db` must be open on it), unless the
   * options stated every feature. Later calls share the first answer; a failed probe is retried
   * by the next call.
   */
  learnFeatures(db: number, call: CallOptions = {}): Promise<NodeFeatures> {
    if (FEATURE_NAMES.every((name) => this.told[name] !== undefined)) return Promise.resolve(this.#features);
    this.#probe ??= probeNodeFeatures(this, db, call).then(
      (found) => (this.#features = Object.freeze({ ...found, ...this.told })),
      (error: unknown) => {
        this.#probe = undefined;
        throw error;
      },
    );
    return this.#probe;
  }

  /** True while prepared statements live on this connection (`pin`, `unpin`). */
  get pinned(): boolean {
    return this.#pins > 0;
  }

  /** A prepared statement now lives on this connection. */
  pin(): void {
    this.#pins++;
  }

  /** A prepared statement of this connection was finalized. */
  unpin(): void {
    this.#pins = Math.max(0, this.#pins - 1);
  }

  /** True when `input` runs a statement with RETURNING (by its SQL, or a statement prepared from such SQL). */
  runsReturning(input: RequestInput): boolean {
    if (input.type === "QUERY_SQL" || input.type === "EXEC_SQL") return hasReturningClause(input.sql);
    if (input.type === "QUERY" || input.type === "EXEC") return this.returningStatements.has(input.stmt);
    return false;
  }

  /** True once the connection is broken or closed. */
  get closed(): boolean {
    return this.failure !== undefined;
  }

  /** Why the connection is no longer usable, if it is not. */
  get closedBy(): ConnectionError | undefined {
    return this.failure;
  }

  /** Closes the connection. Calls in flight fail with CONNECTION_CLOSED. Idempotent. */
  async close(): Promise<void> {
    this.fail(new ConnectionError("CONNECTION_CLOSED", `connection to ${this.address} was closed`));
    await this.transport.close().catch(() => {});
  }

  /**
   * Sends one request and returns its reply, decoded. FAILURE becomes a ServerError; a reply
   * of another type than `expect` is a DecodeError BAD_SEQUENCE (and breaks the connection).
   * For QUERY/QUERY_SQL the continuation frames are read too and one ROWS message holding
   * every row is returned (`QueryResult` streams them instead).
   */
  async request<N extends ResponseTypeName>(input: RequestInput, expect: N, options: CallOptions = {}): Promise<ResponseOf<N>> {
    const turn = await this.startTurn(`${input.type}`, options);
    try {
      await this.sendRequest(input, turn.scope);
      const reply = await this.expectReply(input.type, expect, turn.scope);
      if (reply.type === "STMT") {
        this.finalizedStatements.delete(reply.id);
        if (input.type === "PREPARE" && hasReturningClause(input.sql)) this.returningStatements.add(reply.id);
        else this.returningStatements.delete(reply.id);
      }
      if (input.type === "FINALIZE") this.finalizedStatements.add(input.stmt);
      if (reply.type === "ROWS" && reply.marker === "PART") return (await this.restOfRows(input.type, reply, turn.scope)) as ResponseOf<N>;
      return reply;
    } finally {
      turn.end();
    }
  }

  /**
   * Reads the continuation frames of a result whose first ROWS frame ended with PART, and
   * returns one ROWS message holding every row (for `request()`; `QueryResult` streams
   * instead). A FAILURE ends it with a ServerError; anything else breaks the connection.
   */
  private async restOfRows(requestType: string, first: ResponseOf<"ROWS">, scope: CallScope): Promise<ResponseOf<"ROWS">> {
    const maxRows = resolveLimits(this.limits).maxRowsPerResult;
    const rows = [...first.rows];
    for (;;) {
      let next: Response;
      try {
        next = this.decodeFrame(await this.readFrame(scope));
      } catch (error) {
        throw this.afterSendError(requestType, error);
      }
      if (next.type === "FAILURE") throw serverErrorFrom(next, requestType);
      if (next.type !== "ROWS") {
        throw this.breakWith(new DecodeError("BAD_SEQUENCE", `${requestType}: the node answered ${next.type} where a ROWS continuation belongs`));
      }
      if (next.columns.length !== first.columns.length || next.columns.some((name, i) => name !== first.columns[i])) {
        throw this.breakWith(new DecodeError("INCONSISTENT", `${requestType}: the columns changed between ROWS frames`));
      }
      if (rows.length + next.rows.length > maxRows) {
        throw this.breakWith(new DecodeError("LIMIT", `${requestType}: more than ${maxRows} rows (maxRowsPerResult); stream it with a QueryResult`));
      }
      for (const row of next.rows) rows.push(row);
      if (next.marker === "DONE") return { ...first, rows, marker: "DONE" };
    }
  }

  /**
   * Waits for the connection (one call at a time) and starts the call's deadline. The caller must
   * `end()` the turn. Fails at once if the connection is broken.
   */
  async startTurn(what: string, options: CallOptions = {}): Promise<Turn> {
    const scope = new CallScope(what, options, this.defaultTimeoutMs);
    let release: () => void;
    try {
      this.throwIfBroken();
      release = await this.queueFor(what, options).acquire(scope);
    } catch (error) {
      scope.dispose();
      if (isScopeEnd(error) && this.lease !== undefined && leaseOf(options) === undefined) {
        (error as Error).message += ` (while waiting for the connection, held by a ${this.lease.holder}; inside it, call through its own handle)`;
      }
      throw error;
    }
    let ended = false;
    this.busy = true;
    const turn: Turn = {
      scope,
      end: () => {
        if (ended) return;
        ended = true;
        this.busy = false;
        scope.dispose();
        this.watchWhileIdle();
        release();
      },
    };
    try {
      this.throwIfBroken();
    } catch (error) {
      turn.end();
      throw error;
    }
    return turn;
  }

  /**
   * Reserves the connection for a run of calls (a transaction): waits for a turn like any call,
   * then serves only calls stamped with the returned lease (`lease.stamp(call)`) until
   * `lease.end()`; every other call waits in line meanwhile. `options` bound the wait.
   */
  async reserve(holder: string, options: CallOptions = {}): Promise<Lease> {
    const scope = new CallScope(holder, options, this.defaultTimeoutMs);
    try {
      this.throwIfBroken();
      const release = await this.queue.acquire(scope);
      const lease: Lease = new Lease(holder, () => {
        if (this.lease === lease) this.lease = undefined;
        release();
      });
      this.lease = lease;
      if (this.failure !== undefined) lease.end();
      this.throwIfBroken();
      return lease;
    } finally {
      scope.dispose();
    }
  }

  /** The line a call waits in: the holder's own while a lease is held, the connection's otherwise. */
  private queueFor(what: string, options: CallOptions): RequestQueue {
    const lease = leaseOf(options);
    if (lease === undefined) return this.queue;
    lease.check(what);
    if (lease !== this.lease) throw new WireError("BAD_STATE", `${what}: the ${lease.holder} belongs to another connection`);
    return lease.turns;
  }

  /** Encodes and sends one request; `scope` bounds the send. */
  async sendRequest(input: RequestInput, scope: CallScope): Promise<void> {
    guardRequest(input, this.#features);
    guardStatementId(input, this.finalizedStatements, this.returningStatements, this.#features);
    const bytes = encodeRequest(input, { legacy: this.legacy, ...(this.limits !== undefined ? { limits: this.limits } : {}) });
    try {
      await this.send(bytes, scope);
    } catch (error) {
      throw this.afterSendError(input.type, error);
    }
  }

  /** Reads the one reply of a request just sent. */
  async expectReply<N extends ResponseTypeName>(requestType: string, expect: N, scope: CallScope, intMode: IntMode = "number"): Promise<ResponseOf<N>> {
    let reply: Response;
    try {
      reply = this.decodeFrame(await this.readFrame(scope), intMode);
    } catch (error) {
      throw this.afterSendError(requestType, error);
    }
    if (reply.type === expect) return reply as ResponseOf<N>;
    if (reply.type === "FAILURE") throw serverErrorFrom(reply, requestType);
    throw this.breakWith(
      new DecodeError("BAD_SEQUENCE", `${requestType}: the node answered ${reply.type} where ${expect} was expected`, { field: "header.type" }),
    );
  }

  /** The next whole frame, read from the transport as needed. */
  async readFrame(scope: CallScope): Promise<RawFrame> {
    for (;;) {
      this.throwIfBroken();
      let frame: RawFrame | undefined;
      try {
        frame = this.decoder.nextFrame();
      } catch (error) {
        throw this.breakWith(error);
      }
      if (frame !== undefined) return frame;
      await this.pull(scope);
    }
  }

  /** Decodes a frame returned by `readFrame` (before the next read). */
  decodeFrame(frame: RawFrame, intMode: IntMode = "number"): Response {
    try {
      return decodeBody("response", frame.header, frame.bytes, 0, this.optionsFor(intMode), frame.streamOffset) as Response;
    } catch (error) {
      throw this.breakWith(error);
    }
  }

  /**
   * The received, undecoded bytes (whole frames first), as a view valid until the next
   * `readMore`. A bulk decoder reads them in place and reports what it used with `consume`.
   */
  pendingBytes(): Uint8Array {
    this.throwIfBroken();
    return this.decoder.pending();
  }

  /** Stream position of the first pending byte, for error offsets. */
  get pendingOffset(): number {
    return this.decoder.pendingOffset;
  }

  /** Marks whole frames at the front of `pendingBytes()` as decoded. */
  consume(byteCount: number): void {
    this.decoder.consume(byteCount);
  }

  /** Reads one more chunk from the transport (waits for the node). */
  async readMore(scope: CallScope): Promise<void> {
    this.throwIfBroken();
    await this.pull(scope);
  }

  /**
   * Marks the connection broken because of `error` (a decode error, a sequence error, a turn
   * abandoned mid-reply) and closes it. Returns the error to throw.
   */
  breakWith<E>(error: E): E {
    if (this.failure === undefined) {
      const reason = isWireError(error) ? `${error.name} ${error.code}: ${error.message}` : String(error);
      this.fail(new ConnectionError("CONNECTION_CLOSED", `connection to ${this.address} was closed after an error (${reason})`, { cause: error }));
    }
    return error;
  }

  /**
   * What a failure after the request was (maybe) sent means to the caller: for a write, a broken
   * connection says nothing of whether it ran (OUTCOME_UNKNOWN); a timeout or a cancel leaves
   * the connection in an unknown state, so it is closed.
   */
  private afterSendError(requestType: string, error: unknown): unknown {
    if (error instanceof ServerError) return error;
    // Nothing after this point can tell which request a late reply belongs to.
    this.breakWith(error);
    if (WRITE_REQUESTS.has(requestType) && error instanceof ConnectionError && error.code === "CONNECTION_CLOSED") {
      return new ConnectionError(
        "OUTCOME_UNKNOWN",
        `${requestType}: the connection to ${this.address} broke before the reply; the write may or may not have run (it was not resent)`,
        { cause: error },
      );
    }
    if (WRITE_REQUESTS.has(requestType) && error instanceof WireError && (error.code === "TIMEOUT" || error.code === "ABORTED")) {
      error.message += `; the write may or may not have run (it was not resent)`;
    }
    return error;
  }

  private optionsFor(intMode: IntMode): ResolvedDecodeOptions {
    let resolved = this.decodeOptions.get(intMode);
    if (resolved === undefined) {
      resolved = resolveDecodeOptions({ intMode, legacy: this.legacy, ...(this.limits !== undefined ? { limits: this.limits } : {}) });
      this.decodeOptions.set(intMode, resolved);
    }
    return resolved;
  }

  private async send(bytes: Uint8Array, scope: CallScope): Promise<void> {
    this.throwIfBroken();
    try {
      await scope.race(this.transport.write(bytes));
    } catch (error) {
      if (scope.isEnd(error)) throw this.breakWith(error);
      throw this.transportFailed(error);
    }
  }

  /** Reads one more chunk from the transport into the decoder. */
  private async pull(scope: CallScope): Promise<void> {
    this.pendingRead ??= this.reader.read();
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await scope.race(this.pendingRead);
    } catch (error) {
      if (scope.isEnd(error)) throw this.breakWith(error);
      this.pendingRead = undefined;
      throw this.transportFailed(error);
    }
    this.pendingRead = undefined;
    if (result.done) {
      const message =
        this.decoder.bufferedBytes > 0
          ? `${this.address} closed the connection in the middle of a frame (${this.decoder.bufferedBytes} bytes of it received)`
          : `${this.address} closed the connection`;
      throw this.transportFailed(new ConnectionError("CONNECTION_CLOSED", message));
    }
    try {
      this.decoder.push(result.value);
    } catch (error) {
      throw this.breakWith(error);
    }
  }

  /**
   * Keeps one read open while no call runs, so that a node closing the connection (a restart, a
   * crash, a leader handing over) is noticed at once and the next call reconnects instead of
   * failing on a dead socket. The next call continues with this same read. Bytes arriving while
   * no request is out answer nothing: the connection is closed.
   */
  private watchWhileIdle(): void {
    if (this.failure !== undefined || this.pendingRead !== undefined) return;
    const read = this.reader.read();
    this.pendingRead = read;
    read.then(
      (result) => {
        if (!this.busy && this.pendingRead === read) {
          if (result.done) this.transportFailed(new ConnectionError("CONNECTION_CLOSED", `${this.address} closed the connection`));
          else this.breakWith(new DecodeError("BAD_SEQUENCE", `${this.address} sent ${result.value.length} bytes while no request was out`));
        }
      },
      (error: unknown) => {
        if (!this.busy && this.pendingRead === read) this.transportFailed(error);
      },
    );
  }

  private transportFailed(error: unknown): ConnectionError {
    const failure =
      error instanceof ConnectionError
        ? error
        : new ConnectionError("CONNECTION_CLOSED", `connection to ${this.address} failed: ${(error as Error)?.message ?? String(error)}`, {
            cause: error,
          });
    this.fail(failure);
    return failure;
  }

  private fail(failure: ConnectionError): void {
    if (this.failure !== undefined) return;
    this.failure = failure;
    this.reader.cancel().catch(() => {});
    this.transport.close().catch(() => {});
  }

  private throwIfBroken(): void {
    if (this.failure !== undefined) {
      throw new ConnectionError("CONNECTION_CLOSED", `connection to ${this.address} is closed: ${this.failure.message}`, { cause: this.failure });
    }
  }
}
