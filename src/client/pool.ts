// The client's connections to the cluster's leader: up to `max` of them, so that callers do not
// wait behind one another. A caller takes a connection for one call (or one streamed result, or
// one transaction) and gives it back. When every connection is taken and no more may be opened,
// a call queues on one of them behind at most `pipeline` others (connection.ts: their requests go
// out together and the node answers them in order), never behind a result that is streaming nor
// on a transaction's connection; a transaction waits for a connection of its own. Callers that
// find none wait in line, first come first served, and one that gives up (timeout, AbortSignal)
// leaves the line without a trace.
//
// Every connection reaches the same node: the leader found by leader discovery. When a call
// learns that the leader is gone (NOT_LEADER, LEADERSHIP_LOST, a broken connection), the pool
// forgets it: idle connections close at once, those in use close when they are given back, and
// the next connection is opened to the leader found anew. Each new connection asks its node
// whether it leads (LEADER) before it is used, as go-dqlite's connector does.
//
// A read whose SQL answered in one frame the last time it ran (a point read) claims a connection
// as "short": it queues behind other short calls, up to `pipeline` deep, before an idle connection
// is taken or a new one opened. The node answers requests sent ahead on one connection in order,
// and serves them faster that way than the same requests spread one per connection (16 callers
// of point reads: 1.5–2.5× the reads per second, measured with `npm run bench -- --concurrency`),
// and a short call makes those behind it wait for one frame only. Other calls never queue behind
// a call whose result might stream, until every connection is taken.
//
// Which calls run at once is decided above (session.ts: reads in parallel, writes through one
// lane); the pool only hands out connections.

import { WireError } from "../errors.ts";
import { BridgeCloseCode, bridgeRefusalOf } from "../transport/bridge-protocol.ts";
import { type CallOptions, CallScope, raceEnd } from "./call-scope.ts";
import type { Connection } from "./connection.ts";
import type { LeaderConnection } from "./leader-discovery.ts";

export interface PoolOptions {
  /**
   * Most connections open at once. Default 8 (beyond a few requests in flight a node only queues
   * them); `max: 1` runs every call of the client on one connection, one after another.
   */
  max?: number;
  /** Connections kept open while idle. Default 1 (the one leader discovery opens). */
  min?: number;
  /** An idle connection beyond `min` closes after this long unused, in ms. Default 30 000. */
  idleTimeoutMs?: number;
  /**
   * Bound on waiting for a free connection, in ms; within the call's own timeout, which bounds
   * the wait too. Default: the call's timeout alone.
   */
  acquireTimeoutMs?: number;
  /**
   * Calls that may share a connection: a read known to answer in one frame queues behind up to
   * this many such reads before another connection is used, any call once all `max` are taken;
   * each sends at once and reads its reply after those before it. Default 16; 1: a call waits for
   * a connection of its own.
   */
  pipeline?: number;
}

export interface ResolvedPoolOptions {
  readonly max: number;
  readonly min: number;
  readonly idleTimeoutMs: number;
  readonly acquireTimeoutMs: number | undefined;
  readonly pipeline: number;
}

export const POOL_DEFAULTS = Object.freeze({ max: 8, min: 1, idleTimeoutMs: 30_000, pipeline: 16 });

/** What the pool holds right now, for a health page. */
export interface PoolStats {
  /** Connections open (idle, in use, or being opened). */
  readonly open: number;
  readonly idle: number;
  readonly inUse: number;
  /** Connections being opened (leader discovery or a dial). */
  readonly opening: number;
  /** Calls holding a connection (more than `inUse` when calls share connections). */
  readonly calls: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
  /** The most connections the pool opens: `max`, or fewer when a bridge refused more (see `limitedBy`). */
  readonly max: number;
  /** Why `max` is below the option: the bridge's per-client cap refused a connection. */
  readonly limitedBy: string | undefined;
  /** The node the connections reach, once known. */
  readonly leader: string | undefined;
}

/** Opens one connection to the leader: the one named (when known) or found by discovery. */
export type LeaderDialer = (knownLeader: string | undefined, call: CallOptions) => Promise<LeaderConnection>;

/**
 * How a call holds a connection: "exclusive", no other call on it (a transaction); "short", a
 * read known to answer in one frame, which queues behind other short calls first (see above);
 * "shared", any other call, which shares a connection only when every one is taken.
 */
export type Claim = "shared" | "short" | "exclusive";

interface Waiter {
  /** Wants a connection no other call holds (a transaction). */
  exclusive: boolean;
  resolve(connection: Connection): void;
  reject(error: unknown): void;
}

export function resolvePoolOptions(options: PoolOptions | undefined): ResolvedPoolOptions {
  const max = options?.max ?? POOL_DEFAULTS.max;
  const min = options?.min ?? Math.min(POOL_DEFAULTS.min, max);
  const idleTimeoutMs = options?.idleTimeoutMs ?? POOL_DEFAULTS.idleTimeoutMs;
  const acquireTimeoutMs = options?.acquireTimeoutMs;
  const pipeline = options?.pipeline ?? POOL_DEFAULTS.pipeline;
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`pool.max must be a positive integer, got ${String(max)}`);
  if (!Number.isSafeInteger(pipeline) || pipeline < 1)
    throw new RangeError(`pool.pipeline must be a positive integer, got ${String(pipeline)}`);
  if (!Number.isSafeInteger(min) || min < 0 || min > max)
    throw new RangeError(`pool.min must be an integer from 0 to max (${max}), got ${String(min)}`);
  if (!(idleTimeoutMs > 0)) throw new RangeError(`pool.idleTimeoutMs must be a positive number, got ${String(idleTimeoutMs)}`);
  if (acquireTimeoutMs !== undefined && !(acquireTimeoutMs > 0)) {
    throw new RangeError(`pool.acquireTimeoutMs must be a positive number, got ${String(acquireTimeoutMs)}`);
  }
  return Object.freeze({ max, min, idleTimeoutMs, acquireTimeoutMs, pipeline });
}

export class ConnectionPool {
  readonly options: ResolvedPoolOptions;
  readonly #dial: LeaderDialer;
  /** Free connections, the most recently used last (it is taken first: warm, and the others may idle out). */
  readonly #idle: Connection[] = [];
  /** Connections held by calls, and how many calls hold each. */
  readonly #inUse = new Map<Connection, number>();
  /** Of those calls, how many hold their connection other than "short" (absent: none). */
  readonly #unshort = new Map<Connection, number>();
  readonly #lastUsed = new Map<Connection, number>();
  readonly #waiters: Waiter[] = [];
  #opening = 0;
  #leader: { id: bigint; address: string } | undefined;
  /** Bumped when the leader is forgotten: connections of an older generation close when given back. */
  #generation = 0;
  readonly #generationOf = new Map<Connection, number>();
  #max: number;
  #limitedBy: string | undefined;
  #closed = false;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  readonly #onOpen: (connection: Connection, leader: { id: bigint; address: string }) => void;
  /** Bound on a wait for a connection when the call sets no timeout of its own. */
  readonly #defaultTimeoutMs: number;

  constructor(
    options: ResolvedPoolOptions,
    dial: LeaderDialer,
    onOpen: (connection: Connection, leader: { id: bigint; address: string }) => void,
    defaultTimeoutMs: number,
  ) {
    this.options = options;
    this.#max = options.max;
    this.#dial = dial;
    this.#onOpen = onOpen;
    this.#defaultTimeoutMs = defaultTimeoutMs;
  }

  /** The leader the connections reach, once known. */
  get leader(): { id: bigint; address: string } | undefined {
    return this.#leader;
  }

  /** Any open connection (the one used last), for raw requests and inspection; undefined when none is open. */
  get anyConnection(): Connection | undefined {
    return this.#idle.at(-1) ?? this.#inUse.keys().next().value;
  }

  stats(): PoolStats {
    const idle = this.#idle.length;
    const inUse = this.#inUse.size;
    let calls = 0;
    for (const holders of this.#inUse.values()) calls += holders;
    return {
      open: idle + inUse + this.#opening,
      idle,
      inUse,
      opening: this.#opening,
      calls,
      waiting: this.#waiters.length,
      max: this.#max,
      limitedBy: this.#limitedBy,
      leader: this.#leader?.address,
    };
  }

  /** Opens connections until `min` are open (the first one finds the leader). */
  async warm(call: CallOptions): Promise<void> {
    const wanted = Math.max(1, this.options.min) - this.#idle.length - this.#inUse.size - this.#opening;
    const opened = await Promise.all(Array.from({ length: Math.max(0, wanted) }, () => this.#open(call)));
    for (const connection of opened) this.release(connection);
  }

  /**
   * A connection for one call: a free one, a new one while fewer than `max` are open, one to
   * share (see above; not when `exclusive`), or the next one given back. `call` bounds the wait
   * (with `acquireTimeoutMs`, when set).
   */
  async acquire(call: CallOptions = {}, claim: Claim = "shared"): Promise<Connection> {
    const now = this.tryAcquire(claim);
    if (now !== undefined) return now;
    if (this.#room() > 0) return this.#held(await this.#open(call), claim);
    return this.#held(await this.#wait(call, claim === "exclusive"), claim);
  }

  /**
   * A connection at once, without opening one: a free one, or (unless `exclusive`) one to share
   * when no more may be opened. Undefined when the caller must wait or open one (`acquire`).
   */
  tryAcquire(claim: Claim = "shared"): Connection | undefined {
    this.#throwIfClosed();
    const line = claim === "short" && this.#waiters.length === 0 ? this.#sharable(true) : undefined;
    if (line !== undefined) return this.#held(this.#hold(line), claim);
    const free = this.#takeIdle();
    if (free !== undefined) return this.#held(free, claim);
    if (this.#room() > 0 || claim === "exclusive" || this.#waiters.length > 0) return undefined;
    const shared = this.#sharable(false);
    if (shared !== undefined) this.#held(this.#hold(shared), claim);
    return shared;
  }

  /** Notes how a call that holds `connection` claimed it. */
  #held(connection: Connection, claim: Claim): Connection {
    if (claim !== "short") this.#unshort.set(connection, (this.#unshort.get(connection) ?? 0) + 1);
    return connection;
  }

  /**
   * Gives a connection back (one call's hold of it): to the first caller in line it may serve, or
   * to the idle ones once no call holds it. Closed or stale ones are dropped.
   */
  release(connection: Connection, claim: Claim = "shared"): void {
    const holders = (this.#inUse.get(connection) ?? 1) - 1;
    if (holders > 0) this.#inUse.set(connection, holders);
    else this.#inUse.delete(connection);
    const unshort = (this.#unshort.get(connection) ?? 0) - (claim === "short" ? 0 : 1);
    if (unshort > 0 && holders > 0) this.#unshort.set(connection, unshort);
    else this.#unshort.delete(connection);
    if (this.#closed || connection.closed || this.#generationOf.get(connection) !== this.#generation) {
      if (holders > 0) return; // its other calls give it back too; it closes then
      this.#drop(connection);
      this.#openForWaiter();
      return;
    }
    this.#lastUsed.set(connection, performance.now());
    const waiter = this.#waiters[0];
    if (waiter !== undefined && (holders === 0 || (!waiter.exclusive && this.#mayShare(connection)))) {
      this.#waiters.shift();
      this.#hold(connection);
      waiter.resolve(connection);
      return;
    }
    if (holders > 0) return;
    this.#idle.push(connection);
    this.#sweepLater();
  }

  /** One more call holds `connection`. */
  #hold(connection: Connection): Connection {
    this.#inUse.set(connection, (this.#inUse.get(connection) ?? 0) + 1);
    return connection;
  }

  /** True when one more call may queue on `connection` (held by others). */
  #mayShare(connection: Connection): boolean {
    return (this.#inUse.get(connection) ?? 0) < this.options.pipeline && connection.sharable;
  }

  /**
   * The connection in use with the fewest calls that one more may share, if any; with `shortOnly`,
   * only among those that every holder claimed "short".
   */
  #sharable(shortOnly: boolean): Connection | undefined {
    let best: Connection | undefined;
    let fewest = Number.POSITIVE_INFINITY;
    for (const [connection, holders] of this.#inUse) {
      if (shortOnly && this.#unshort.has(connection)) continue;
      if (holders < fewest && this.#generationOf.get(connection) === this.#generation && this.#mayShare(connection)) {
        best = connection;
        fewest = holders;
      }
    }
    return best;
  }

  /**
   * The leader is gone (a call learned it on `connection`): forget it, close the idle connections
   * now and the others when they are given back, so that every connection follows the new leader.
   */
  forgetLeader(connection: Connection): void {
    if (this.#generationOf.get(connection) !== this.#generation) return; // already forgotten
    this.#generation++;
    this.#leader = undefined;
    for (const idle of this.#idle.splice(0)) this.#drop(idle);
  }

  /** Closes every connection; waiting callers fail with BAD_STATE. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const error = new WireError("BAD_STATE", "the client is closed");
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    const all = [...this.#idle.splice(0), ...this.#inUse.keys()];
    this.#inUse.clear();
    this.#unshort.clear();
    await Promise.all(all.map((connection) => connection.close()));
  }

  #takeIdle(): Connection | undefined {
    for (;;) {
      const connection = this.#idle.pop();
      if (connection === undefined) return undefined;
      if (connection.closed) {
        this.#drop(connection);
        continue;
      }
      this.#hold(connection);
      return connection;
    }
  }

  #room(): number {
    return this.#max - this.#idle.length - this.#inUse.size - this.#opening;
  }

  /** Opens a connection to the leader (finding it first when unknown) and marks it in use. */
  async #open(call: CallOptions): Promise<Connection> {
    this.#opening++;
    let found: LeaderConnection;
    try {
      found = await this.#dial(this.#leader?.address, call);
    } catch (error) {
      this.#opening--;
      if (this.#limitByBridge(error)) return this.#wait(call, false);
      this.#openForWaiter();
      throw error;
    }
    this.#opening--;
    const connection = found.connection;
    if (this.#closed) {
      await connection.close();
      this.#throwIfClosed();
    }
    this.#leader = { id: found.id, address: found.address };
    this.#generationOf.set(connection, this.#generation);
    this.#hold(connection);
    this.#onOpen(connection, this.#leader);
    return connection;
  }

  /**
   * A bridge that refuses more connections from this client (its per-client or total cap) sets
   * the pool's own cap to what it has: the call then waits for one of those. True when so.
   */
  #limitByBridge(error: unknown): boolean {
    const code = bridgeRefusalOf(error);
    if (code !== BridgeCloseCode.TooManyConnectionsFromClient && code !== BridgeCloseCode.TooManyConnections) return false;
    const open = this.#idle.length + this.#inUse.size + this.#opening;
    if (open === 0) return false;
    this.#max = open;
    this.#limitedBy = `the bridge refused connection ${open + 1} (close code ${code}: ${code === BridgeCloseCode.TooManyConnectionsFromClient ? "its per-client cap, --max-per-client" : "its total cap"}); the pool keeps ${open}`;
    return true;
  }

  #wait(call: CallOptions, exclusive: boolean): Promise<Connection> {
    const timeoutMs = waitTimeout(call.timeoutMs ?? this.#defaultTimeoutMs, this.options.acquireTimeoutMs);
    const scope = new CallScope(`waiting for a connection (all ${this.#max} in use)`, { ...call, timeoutMs });
    const waiting = new Promise<Connection>((resolve, reject) => {
      const waiter: Waiter = { exclusive, resolve, reject };
      this.#waiters.push(waiter);
      scope.onEnd(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
      });
    });
    return raceEnd(waiting, scope)
      .catch((error: unknown) => {
        // Handed a connection in the same turn as the end: pass it on, not lose it.
        void waiting.then(
          (connection) => this.release(connection),
          () => {},
        );
        throw error;
      })
      .finally(() => scope.dispose());
  }

  /** After a connection was dropped: open another for the first caller in line, if there is room. */
  #openForWaiter(): void {
    if (this.#closed || this.#waiters.length === 0 || this.#room() <= 0) return;
    const waiter = this.#waiters.shift()!;
    this.#open({}).then(waiter.resolve, waiter.reject);
  }

  #drop(connection: Connection): void {
    this.#lastUsed.delete(connection);
    this.#generationOf.delete(connection);
    void connection.close();
  }

  /** Closes connections idle longer than idleTimeoutMs, beyond `min` (a timer runs only while some are idle). */
  #sweepLater(): void {
    if (this.#sweeper !== undefined || this.#idle.length <= this.options.min) return;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(10, this.options.idleTimeoutMs / 2));
    (this.#sweeper as { unref?: () => void }).unref?.();
  }

  #sweep(): void {
    const now = performance.now();
    // The longest idle are at the front.
    while (this.#idle.length + this.#inUse.size > this.options.min && this.#idle.length > 0) {
      const oldest = this.#idle[0]!;
      if (oldest.pinned || now - (this.#lastUsed.get(oldest) ?? now) < this.options.idleTimeoutMs) break;
      this.#idle.shift();
      this.#drop(oldest);
    }
    if (this.#idle.length <= this.options.min || this.#closed) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  #throwIfClosed(): void {
    if (this.#closed) throw new WireError("BAD_STATE", "the client is closed");
  }
}

/** The shorter of the call's timeout (0: none) and the pool's acquire timeout. */
function waitTimeout(callTimeoutMs: number, acquireTimeoutMs: number | undefined): number {
  if (acquireTimeoutMs === undefined) return callTimeoutMs;
  if (callTimeoutMs === 0 || !Number.isFinite(callTimeoutMs)) return acquireTimeoutMs;
  return Math.min(callTimeoutMs, acquireTimeoutMs);
}
