// One protocol connection to one dqlite node: the handshake, then requests and their replies in
// order (turn.ts). Requests of several calls may be on their way at once: each call is a turn in
// line, the requests sent in one turn of the event loop go out in one write, and each turn reads
// its replies when the turns before it have read theirs. Bytes are pulled from the transport only
// when the turn at the head of the line waits for them, so a slow consumer of a large result holds
// back the node instead of filling memory.
//
// A connection is either usable or broken. It breaks when the transport fails or closes, when a
// reply does not decode, and when a turn leaves with a reply still owed (a call timed out or was
// cancelled after its request was sent: its reply may still arrive, so nothing later could be
// matched to the right request). A broken connection is closed; every turn in line and every later
// call fails with ConnectionError CONNECTION_CLOSED.

import { ConnectionError, DecodeError, ServerError, WireError, isWireError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import { type ResolvedDecodeOptions, decodeBody, encodeRequest, resolveDecodeOptions } from "../messages/codec.ts";
import { DQLITE_1_11_FEATURES, type NodeFeatures, guardRequest, guardStatementId, hasReturningClause } from "../messages/hazards.ts";
import { ResponseType } from "../messages/codes.ts";
import type { ResponseTypeName } from "../messages/schemas.ts";
import type { RequestInput, Response, ResponseOf } from "../messages/types.ts";
import { batchTuples } from "../rows/batch-tuples.ts";
import { ResultReader, type ResultStep } from "../rows/result-reader.ts";
import { FrameDecoder, type RawFrame } from "../stream/frame-decoder.ts";
import type { Tuple } from "../values/cell.ts";
import type { IntMode } from "../values/int-mode.ts";
import { HEADER_BYTES } from "../wire/constants.ts";
import { handshakeFor } from "../wire/handshake.ts";
import { type CallOptions, CallScope, isScopeEnd } from "./call-scope.ts";
import { Lease, leaseOf } from "./lease.ts";
import { probeNodeFeatures } from "./node-probe.ts";
import { RequestQueue } from "./request-queue.ts";
import { DEFAULT_STATEMENT_CACHE_SIZE, StatementCache } from "./statement-cache.ts";
import type { Connector, Transport } from "./transport-types.ts";
import { Turn, type TurnHost } from "./turn.ts";

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

export type { Turn };

export class Connection {
  readonly address: string;
  readonly legacy: boolean;
  readonly defaultTimeoutMs: number;
  readonly #transport: Transport;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder: FrameDecoder;
  readonly #limits: Partial<Limits> | undefined;
  readonly #decodeOptions = new Map<IntMode, ResolvedDecodeOptions>();
  /** A read handed to the transport and not yet consumed (kept across a lost race). */
  #pendingRead: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  #failure: ConnectionError | undefined;
  /** The turns in line, the head (the one reading) first. */
  readonly #turns: Turn[] = [];
  /** Requests waiting for the next write. */
  #outgoing: Uint8Array[] = [];
  /**
   * Taken by a reservation (a transaction) for as long as its lease lasts: plain calls pass
   * through it, so they wait while it is held, in order.
   */
  readonly #gate = new RequestQueue();
  /** The lease holding the connection (a transaction), if any: see lease.ts. */
  #lease: Lease | undefined;
  /** Resolves the wait of a reservation for the turns in line to finish. */
  #drained: (() => void) | undefined;
  /**
   * Statement ids finalized on this connection and not handed out again. dqlite crashes on
   * EXEC/QUERY/FINALIZE of such an id while a later statement exists (a hole in its registry),
   * so they are refused before sending.
   */
  readonly #finalizedStatements = new Set<number>();
  /** Statement ids prepared from SQL with RETURNING (see hazards.ts): run only as queries, where the node reads them. */
  readonly #returningStatements = new Set<number>();
  /** The features the caller stated (ConnectionOptions.features). */
  readonly #told: Partial<NodeFeatures>;
  #features: NodeFeatures;
  #probe: Promise<NodeFeatures> | undefined;
  /** Prepared statements that live on this connection (a pool keeps it open while any do). */
  #pins = 0;
  /** Statements prepared for SQL the calls on this connection repeat. */
  readonly statements: StatementCache;
  /** What the turns of this connection use of it (turn.ts); nothing else reaches its buffer. */
  readonly #host: TurnHost = {
    address: "",
    encode: (input) => this.#encode(input),
    write: (bytes) => this.#write(bytes),
    nextFrame: (scope) => this.#nextFrame(scope),
    decode: (frame, intMode) => this.#decode(frame, intMode),
    readRows: (reader, scope) => this.#readRows(reader, scope),
    breakWith: (error) => this.#breakWith(error),
    leave: (turn) => this.#leave(turn),
  };

  private constructor(address: string, transport: Transport, options: ConnectionOptions) {
    this.#transport = transport;
    this.address = address;
    (this.#host as { address: string }).address = address;
    this.legacy = options.legacy === true;
    this.#limits = options.limits;
    this.defaultTimeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.#told = options.features ?? {};
    this.#features = { ...DQLITE_1_11_FEATURES, ...this.#told };
    this.statements = new StatementCache(statementCacheSize(options.statementCacheSize));
    this.#reader = transport.readable.getReader();
    this.#decoder = new FrameDecoder({ side: "response", handshake: false, legacy: this.legacy, limits: options.limits });
  }

  /**
   * Opens a transport to `address` with `connector` and sends the protocol handshake. The node
   * sends nothing back for the handshake; the first request shows whether it understood.
   */
  static async open(connector: Connector, address: string, options: ConnectionOptions = {}, call: CallOptions = {}): Promise<Connection> {
    statementCacheSize(options.statementCacheSize);
    const scope = new CallScope(`connect ${address}`, call, options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
    try {
      let transport: Transport;
      try {
        const timeoutMs = call.timeoutMs ?? options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
        transport = await scope.race(connector(address, { signal: scope.signal, ...(timeoutMs > 0 ? { timeoutMs } : {}) }));
      } catch (error) {
        scope.check();
        if (isWireError(error)) throw error;
        throw new ConnectionError("CONNECTION_FAILED", `connect ${address}: ${(error as Error)?.message ?? String(error)}`, {
          cause: error,
        });
      }
      const connection = new Connection(address, transport, options);
      try {
        await scope.race(connection.#transport.write(handshakeFor(connection.legacy)));
      } catch (error) {
        throw scope.isEnd(error) ? connection.#breakWith(error) : connection.#transportFailed(error);
      }
      connection.#watchWhileIdle();
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
    if (FEATURE_NAMES.every((name) => this.#told[name] !== undefined)) return Promise.resolve(this.#features);
    this.#probe ??= probeNodeFeatures(this, db, call).then(
      (found) => (this.#features = Object.freeze({ ...found, ...this.#told })),
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

  /** Bytes received from the node and not yet read by a call (a health figure: reads are pulled, so it stays small). */
  get bufferedBytes(): number {
    return this.#decoder.bufferedBytes;
  }

  /** Calls in line: requests sent (or about to be) whose replies have not all been read. */
  get inFlight(): number {
    return this.#turns.length;
  }

  /** True while a reservation (a transaction) holds the connection or waits for it. */
  get reserved(): boolean {
    return this.#gate.busy;
  }

  /**
   * True when a call may queue behind the ones in line without waiting long: no reservation, and
   * no result in line that is streaming frame after frame (a call behind it would wait for all of
   * it, and for its reader).
   */
  get sharable(): boolean {
    return !this.#gate.busy && this.#failure === undefined && this.#turns.every((turn) => !turn.streaming);
  }

  /** True when `input` runs a statement with RETURNING (by its SQL, or a statement prepared from such SQL). */
  runsReturning(input: RequestInput): boolean {
    if (input.type === "QUERY_SQL" || input.type === "EXEC_SQL") return hasReturningClause(input.sql);
    if (input.type === "QUERY" || input.type === "EXEC") return this.#returningStatements.has(input.stmt);
    return false;
  }

  /** True once the connection is broken or closed. */
  get closed(): boolean {
    return this.#failure !== undefined;
  }

  /** Why the connection is no longer usable, if it is not. */
  get closedBy(): ConnectionError | undefined {
    return this.#failure;
  }

  /** Closes the connection. Calls in flight fail with CONNECTION_CLOSED. Idempotent. */
  async close(): Promise<void> {
    this.#fail(new ConnectionError("CONNECTION_CLOSED", `connection to ${this.address} was closed`));
    await this.#transport.close().catch(() => {});
  }

  /**
   * Sends one request and returns its reply, decoded. FAILURE becomes a ServerError; a reply
   * of another type than `expect` is a DecodeError BAD_SEQUENCE (and breaks the connection).
   * A QUERY/QUERY_SQL result is read whole, through a result reader as `QueryResult` reads it,
   * and returned as one ROWS message holding every row (bounded by `maxRowsPerResult` and
   * `maxFramesPerResult`; `QueryResult` streams results of any length instead).
   */
  async request<N extends ResponseTypeName>(input: RequestInput, expect: N, options: CallOptions = {}): Promise<ResponseOf<N>> {
    const turn = await this.turn(input.type, options);
    try {
      turn.send(input);
      if ((input.type === "QUERY" || input.type === "QUERY_SQL") && expect === "ROWS") {
        return (await this.#wholeResult(turn, input.type)) as ResponseOf<N>;
      }
      const reply = await turn.reply(input.type, expect);
      this.#learnFromReply(input, reply);
      return reply;
    } finally {
      turn.end();
    }
  }

  /**
   * A place in line for a call (its deadline and cancellation from `options`): it may send at
   * once, and reads its replies after the turns before it. Calls stamped with the connection's
   * lease take turns one after another within it; other calls wait while a lease is held. The
   * caller must `end()` the turn. Fails at once if the connection is broken.
   */
  async turn(what: string, options: CallOptions = {}): Promise<Turn> {
    const now = this.turnNow(what, options);
    if (now !== undefined) return now;
    const scope = new CallScope(what, options, this.defaultTimeoutMs);
    let release: () => void;
    try {
      this.#throwIfBroken();
      release = await this.#admit(what, options, scope);
      this.#throwIfBroken();
    } catch (error) {
      scope.dispose();
      if (isScopeEnd(error) && this.#lease !== undefined && leaseOf(options) === undefined) {
        (error as Error).message +=
          ` (while waiting for the connection, held by a ${this.#lease.holder}; inside it, call through its own handle)`;
      }
      throw error;
    }
    return this.#line(new Turn(this.#host, scope, release));
  }

  /**
   * A turn at once, when the call need not wait to be admitted (no lease is held or stamped on
   * it); undefined otherwise (see `turn`). Throws when the connection is broken.
   */
  turnNow(what: string, options: CallOptions = {}): Turn | undefined {
    this.#throwIfBroken();
    if (this.#gate.busy || leaseOf(options) !== undefined) return undefined;
    return this.#line(new Turn(this.#host, new CallScope(what, options, this.defaultTimeoutMs), NOTHING));
  }

  /** Puts `turn` at the end of the line (the head when alone). */
  #line(turn: Turn): Turn {
    this.#turns.at(-1)?.queuedBehind();
    this.#turns.push(turn);
    if (this.#turns.length === 1) turn.becomeHead();
    return turn;
  }

  /** Waits until a call may take a turn; resolves with what gives back the admission. */
  async #admit(what: string, options: CallOptions, scope: CallScope): Promise<() => void> {
    const lease = leaseOf(options);
    if (lease !== undefined) {
      lease.check(what);
      if (lease !== this.#lease) throw new WireError("BAD_STATE", `${what}: the ${lease.holder} belongs to another connection`);
      return lease.turns.acquire(scope);
    }
    (await this.#gate.acquire(scope))();
    return NOTHING;
  }

  /**
   * Reserves the connection for a run of calls (a transaction): waits until the turns in line
   * have ended, then serves only calls stamped with the returned lease (`lease.stamp(call)`)
   * until `lease.end()`; every other call waits meanwhile. `options` bound the wait.
   */
  async reserve(holder: string, options: CallOptions = {}): Promise<Lease> {
    const scope = new CallScope(holder, options, this.defaultTimeoutMs);
    try {
      this.#throwIfBroken();
      const release = await this.#gate.acquire(scope);
      try {
        if (this.#turns.length > 0) await scope.race(new Promise<void>((resolve) => (this.#drained = resolve)));
      } catch (error) {
        release();
        throw error;
      }
      const lease: Lease = new Lease(holder, () => {
        if (this.#lease === lease) this.#lease = undefined;
        release();
      });
      this.#lease = lease;
      if (this.#failure !== undefined) lease.end();
      this.#throwIfBroken();
      return lease;
    } finally {
      scope.dispose();
    }
  }

  #leave(turn: Turn): void {
    const at = this.#turns.indexOf(turn);
    if (at < 0) return;
    this.#turns.splice(at, 1);
    if (at === 0) this.#turns[0]?.becomeHead();
    if (this.#turns.length === 0) {
      this.#drained?.();
      this.#drained = undefined;
      this.#watchWhileIdle();
    }
  }

  #encode(input: RequestInput): Uint8Array {
    this.#throwIfBroken();
    guardRequest(input, this.#features);
    guardStatementId(input, this.#finalizedStatements, this.#returningStatements, this.#features);
    return encodeRequest(input, { legacy: this.legacy, ...(this.#limits !== undefined ? { limits: this.#limits } : {}) });
  }

  #write(bytes: Uint8Array): void {
    this.#outgoing.push(bytes);
    if (this.#outgoing.length > 1) return;
    // Alone in line, a request goes out at once (after this run of promise jobs). Behind others
    // (the pool shares the connection under load), it waits for the event loop's turn to end, so
    // that the requests of every call woken by one read go out in one write: fewer system calls
    // and wake-ups of the node for the same calls.
    if (this.#turns.length > 1 && LATER !== undefined) LATER(this.#flush);
    else queueMicrotask(this.#flush);
  }

  /** Writes what was queued in this turn of the event loop, in one write; a failed write breaks the connection. */
  readonly #flush = (): void => {
    const parts = this.#outgoing;
    this.#outgoing = [];
    if (this.#failure !== undefined || parts.length === 0) return;
    this.#transport.write(parts.length === 1 ? parts[0]! : concat(parts)).catch((error: unknown) => this.#transportFailed(error));
  };

  async #nextFrame(scope: CallScope): Promise<RawFrame> {
    for (;;) {
      this.#throwIfBroken();
      let frame: RawFrame | undefined;
      try {
        frame = this.#decoder.nextFrame();
      } catch (error) {
        throw this.#breakWith(error);
      }
      if (frame !== undefined) return frame;
      await this.#pull(scope);
    }
  }

  #decode(frame: RawFrame, intMode: IntMode = "number"): Response {
    try {
      return decodeBody("response", frame.header, frame.bytes, 0, this.#optionsFor(intMode), frame.streamOffset) as Response;
    } catch (error) {
      throw this.#breakWith(error);
    }
  }

  /** See `Turn.readRows`: the reader takes whole frames from the front of the buffered input. */
  async #readRows(reader: ResultReader, scope: CallScope): Promise<ResultStep> {
    for (;;) {
      this.#throwIfBroken();
      const pending = this.#decoder.pending();
      if (pending.length >= HEADER_BYTES) {
        let step: ResultStep;
        try {
          step = reader.read(pending, this.#decoder.pendingOffset);
        } catch (error) {
          throw this.#breakWith(error);
        }
        if (step.consumed > 0) this.#decoder.consume(step.consumed);
        if (step.state !== "more" || (step.batch !== undefined && step.batch.rowCount > 0)) return step;
        if (step.consumed > 0) continue;
      }
      await this.#pull(scope);
    }
  }

  /**
   * Marks the connection broken because of `error` (a decode error, a sequence error, a turn
   * abandoned mid-reply) and closes it. Returns the error to throw.
   */
  #breakWith<E>(error: E): E {
    if (this.#failure === undefined) {
      const reason = isWireError(error) ? `${error.name} ${error.code}: ${error.message}` : String(error);
      this.#fail(
        new ConnectionError("CONNECTION_CLOSED", `connection to ${this.address} was closed after an error (${reason})`, { cause: error }),
      );
    }
    return error;
  }

  /** What a reply teaches the connection about statement ids (the guards' state, see hazards.ts). */
  #learnFromReply(input: RequestInput, reply: Response): void {
    if (reply.type === "STMT") {
      this.#finalizedStatements.delete(reply.id);
      if (input.type === "PREPARE" && hasReturningClause(input.sql)) this.#returningStatements.add(reply.id);
      else this.#returningStatements.delete(reply.id);
    }
    if (input.type === "FINALIZE") this.#finalizedStatements.add(input.stmt);
  }

  /**
   * Reads a result to its end (a FAILURE ends it with a ServerError) and returns it as one ROWS
   * message of plain rows, as the codec decodes them (blobs copied out of the buffer).
   */
  async #wholeResult(turn: Turn, requestType: string): Promise<ResponseOf<"ROWS">> {
    const reader = new ResultReader({ intMode: "number", engine: "js", input: "borrow", retention: "keep", limits: this.#limits ?? {} });
    const rows: Tuple[] = [];
    for (;;) {
      const step = await turn.readRows(reader);
      if (step.batch !== undefined) for (const row of batchTuples(step.batch)) rows.push(row);
      if (step.state === "more") continue;
      turn.replied();
      if (step.state === "done")
        return { type: "ROWS", code: ResponseType.Rows, schema: 0, columns: [...reader.columns!], rows, marker: "DONE" };
      if (step.state === "failed") {
        const error = step.error!;
        throw new ServerError(error.sqliteCode, `${requestType}: ${error.message} (code ${error.sqliteCode})`, {
          field: "FAILURE",
          cause: error,
        });
      }
      throw turn.break(new DecodeError("BAD_SEQUENCE", `${requestType}: the node ended the result with EMPTY before its DONE frame`));
    }
  }

  #optionsFor(intMode: IntMode): ResolvedDecodeOptions {
    let resolved = this.#decodeOptions.get(intMode);
    if (resolved === undefined) {
      resolved = resolveDecodeOptions({ intMode, legacy: this.legacy, ...(this.#limits !== undefined ? { limits: this.#limits } : {}) });
      this.#decodeOptions.set(intMode, resolved);
    }
    return resolved;
  }

  /** Reads one more chunk from the transport into the decoder. */
  async #pull(scope: CallScope): Promise<void> {
    this.#pendingRead ??= this.#reader.read();
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await scope.race(this.#pendingRead);
    } catch (error) {
      if (scope.isEnd(error)) throw this.#breakWith(error);
      this.#pendingRead = undefined;
      throw this.#transportFailed(error);
    }
    this.#pendingRead = undefined;
    if (result.done) {
      const message =
        this.#decoder.bufferedBytes > 0
          ? `${this.address} closed the connection in the middle of a frame (${this.#decoder.bufferedBytes} bytes of it received)`
          : `${this.address} closed the connection`;
      throw this.#transportFailed(new ConnectionError("CONNECTION_CLOSED", message));
    }
    try {
      this.#decoder.push(result.value);
    } catch (error) {
      throw this.#breakWith(error);
    }
  }

  /**
   * Keeps one read open while no call is in line, so that a node closing the connection (a
   * restart, a crash, a leader handing over) is noticed at once and the next call reconnects
   * instead of failing on a dead socket. The next call continues with this same read. Bytes
   * arriving while no request is out answer nothing: the connection is closed.
   */
  #watchWhileIdle(): void {
    if (this.#failure !== undefined || this.#pendingRead !== undefined) return;
    const read = this.#reader.read();
    this.#pendingRead = read;
    read.then(
      (result) => {
        if (this.#turns.length === 0 && this.#pendingRead === read) {
          if (result.done) this.#transportFailed(new ConnectionError("CONNECTION_CLOSED", `${this.address} closed the connection`));
          else
            this.#breakWith(new DecodeError("BAD_SEQUENCE", `${this.address} sent ${result.value.length} bytes while no request was out`));
        }
      },
      (error: unknown) => {
        if (this.#turns.length === 0 && this.#pendingRead === read) this.#transportFailed(error);
      },
    );
  }

  #transportFailed(error: unknown): ConnectionError {
    const failure =
      error instanceof ConnectionError
        ? error
        : new ConnectionError("CONNECTION_CLOSED", `connection to ${this.address} failed: ${(error as Error)?.message ?? String(error)}`, {
            cause: error,
          });
    this.#fail(failure);
    return failure;
  }

  #fail(failure: ConnectionError): void {
    if (this.#failure !== undefined) return;
    this.#failure = failure;
    this.#reader.cancel().catch(() => {});
    this.#transport.close().catch(() => {});
  }

  #throwIfBroken(): void {
    if (this.#failure !== undefined) {
      throw new ConnectionError("CONNECTION_CLOSED", `connection to ${this.address} is closed: ${this.#failure.message}`, {
        cause: this.#failure,
      });
    }
  }
}

const NOTHING = (): void => {};

/** The end of the event loop's turn, where the runtime offers it (Node, Bun); browsers flush at once. */
const LATER = (globalThis as { setImmediate?: (run: () => void) => unknown }).setImmediate;

function statementCacheSize(size: number | undefined): number {
  const chosen = size ?? DEFAULT_STATEMENT_CACHE_SIZE;
  if (!Number.isSafeInteger(chosen) || chosen < 0)
    throw new RangeError(`statementCacheSize must be a non-negative integer, got ${String(size)}`);
  return chosen;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
