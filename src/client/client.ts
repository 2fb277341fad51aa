// The dqlite client: a pool of connections to the cluster's leader, found from a list of node
// addresses, and the calls of the protocol on top of it. Reads run in parallel on the pool's
// connections; writes go one at a time through the write lane (session.ts). When a connection
// breaks, or a node says it is no longer the leader, the pool forgets the leader and every
// connection follows the new one (pool.ts). Nothing that may have written is ever resent on the
// client's own initiative: a write whose reply was lost fails with OUTCOME_UNKNOWN. A read that
// failed that way before any row reached the caller is retried once (query-result.ts).

import { WireError } from "../errors.ts";
import { initRowEngine } from "../rows/wasm-loader.ts";
import { NodeRole } from "../messages/codes.ts";
import type { ResponseTypeName } from "../messages/schemas.ts";
import { sqlOf } from "../messages/hazards.ts";
import { isReadOnlySql } from "../messages/sql-text.ts";
import { type CallTracer, traced } from "./call-trace.ts";
import type { FileEntry, NodeInfo, RequestInput, ResponseOf } from "../messages/types.ts";
import { type CallOptions, CallScope, isScopeEnd } from "./call-scope.ts";
import { type Connection, type ConnectionOptions, DEFAULT_CALL_TIMEOUT_MS } from "./connection.ts";
import { Database } from "./database.ts";
import { type DiscoveryOptions, connectToLeader } from "./leader-discovery.ts";
import { withToJSON } from "./json-safe.ts";
import { type Claim, ConnectionPool, type PoolOptions, type PoolStats, resolvePoolOptions } from "./pool.ts";
import { RequestQueue } from "./request-queue.ts";
import { needsNewLeader } from "./server-errors.ts";
import type { HeldConnection, Lane, Session } from "./session.ts";
import type { Connector } from "./transport-types.ts";

export interface ClientOptions extends ConnectionOptions {
  /** Node addresses, "HOST:PORT": an array, or one string separated by commas. */
  addresses: string | readonly string[];
  /**
   * Opens byte transports: `connectTcp` (Node, Deno, Bun; the default of `connect` from
   * "dqlite-wire/client") or `connectWebSocket` through the bridge in browsers.
   */
  connector?: Connector;
  /** Leader discovery: rounds, backoff, per-attempt timeout. */
  discovery?: DiscoveryOptions;
  /**
   * Register with CLIENT (answered by WELCOME) under this id after each connect. go-dqlite
   * does not; dqlite does not require it.
   */
  clientId?: bigint | number;
  /** The connection pool: how many connections, kept how long (see pool.ts). `{ max: 1 }`: one connection. */
  pool?: PoolOptions;
  /**
   * Told when each call starts (kind, SQL, lane); the function it returns is told how it ended
   * (outcome, wait, run time, rows, node). For metrics and tracing: see call-trace.ts.
   */
  trace?: CallTracer;
}

/** What the client holds and who waits, for a health page (`client.stats()`). */
export interface ClientStats extends PoolStats {
  /** The write lane: held by a write or a transaction, and how many writes wait for it. */
  readonly writeLane: { readonly held: boolean; readonly waiting: number };
}

/** A node of the cluster, as CLUSTER lists it. */
export interface ClusterMember {
  id: bigint;
  address: string;
  role: "voter" | "standby" | "spare";
  toJSON(): unknown;
}

const ROLE_NAMES = { [NodeRole.Voter]: "voter", [NodeRole.Standby]: "standby", [NodeRole.Spare]: "spare" } as const;
const ROLE_CODES = { voter: NodeRole.Voter, standby: NodeRole.Standby, spare: NodeRole.Spare } as const;
export type RoleName = keyof typeof ROLE_CODES;

/** Parses "a:1,b:2" or an array into a clean address list. */
export function parseAddresses(addresses: string | readonly string[]): string[] {
  const list = typeof addresses === "string" ? addresses.split(",") : [...addresses];
  const clean = list.map((address) => address.trim()).filter((address) => address !== "");
  if (clean.length === 0) throw new WireError("BAD_STATE", "no node address given (expected HOST:PORT[,HOST:PORT…])");
  return [...new Set(clean)];
}

/** Connects to the leader of the cluster that `addresses` belong to, with `options.connector`. */
export async function connectClient(options: ClientOptions, call: CallOptions = {}): Promise<Client> {
  const client = new Client(options);
  // The row engine loads (WebAssembly, or the TS core where it cannot) while the leader is found.
  await Promise.all([client.reconnect(call), initRowEngine()]);
  return client;
}

export class Client {
  readonly options: Readonly<ClientOptions>;
  #addresses: string[];
  readonly #connector: Connector;
  readonly #pool: ConnectionPool;
  /** Writes, one at a time (session.ts). */
  readonly #writeLane = new RequestQueue();
  /** What holds the write lane (or held it last), for messages. */
  #laneHolder = "a write";
  #leaderId = 0n;
  #closed = false;
  /** Bumped at every new connection: statements and database ids belong to one connection. */
  #generation = 0;
  #databases = new Map<string, Database>();
  /** What the client's databases and statements use of it (see session.ts). */
  readonly #session: Session;
  readonly #timeoutMs: number;

  constructor(options: ClientOptions) {
    this.options = options;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const pool = resolvePoolOptions(options.pool);
    this.#session = {
      acquire: (lane, call, holder, claim) => this.#acquire(lane, call, holder, claim),
      acquireNow: (lane, claim) => this.#acquireNow(lane, claim),
      holdWriteLane: (call) => this.#holdWriteLane(call),
      run: (connection, input, expect, call) => this.#run(connection, input, expect, call),
      noteFailure: (connection, error) => this.#noteFailure(connection, error),
      callOptions: (call) => call,
      limits: options.limits,
      oneConnection: pool.max === 1,
      tracer: options.trace,
    };
    this.#addresses = parseAddresses(options.addresses);
    if (options.connector === undefined) {
      throw new WireError("BAD_STATE", "no connector given: pass connectTcp (Node, Deno, Bun) or a WebSocket connector (browsers)");
    }
    this.#connector = options.connector;
    this.#pool = new ConnectionPool(
      pool,
      (known, call) => this.#findLeader(known, call),
      (connection, leader) => this.#opened(connection, leader),
      this.#timeoutMs,
    );
  }

  /** The addresses leader discovery tries (the given ones, then members learned from CLUSTER). */
  get addresses(): readonly string[] {
    return this.#addresses;
  }

  /** The address of the node the client's connections reach (the leader when they were opened). */
  get address(): string | undefined {
    return this.#pool.anyConnection?.closed === false ? this.#pool.leader?.address : undefined;
  }

  /** The id of the leader found at the last connect (0 with the legacy protocol). */
  get leaderId(): bigint {
    return this.#leaderId;
  }

  /** Increases at every new connection to a leader. */
  get generation(): number {
    return this.#generation;
  }

  /** An open connection of the pool, for raw requests (`connection.request(...)`); undefined when none is open. */
  get connection(): Connection | undefined {
    return this.#pool.anyConnection;
  }

  /** What the client holds and who waits: connections (open, idle, in use, waiting callers) and the write lane. */
  stats(): ClientStats {
    return { ...this.#pool.stats(), writeLane: { held: this.#writeLane.busy, waiting: this.#writeLane.waiting } };
  }

  /** Finds the leader and opens the pool's first connections to it (`pool.min`, at least one). */
  async reconnect(call: CallOptions = {}): Promise<void> {
    this.#throwIfClosed();
    await this.#pool.warm(this.#bounded(call));
  }

  /** A connection for a call in `lane` at once, or undefined (see Session.acquireNow). */
  #acquireNow(lane: Lane, claim: Claim = "shared"): HeldConnection | undefined {
    if (this.#closed) return undefined;
    const releaseLane = lane === "write" ? this.#writeLane.tryAcquire() : undefined;
    if (lane === "write" && releaseLane === undefined) return undefined;
    const connection = this.#pool.tryAcquire(claim);
    if (connection === undefined) {
      releaseLane?.();
      return undefined;
    }
    if (releaseLane !== undefined) this.#laneHolder = "a write";
    return heldConnection(this.#pool, connection, releaseLane, claim);
  }

  /** A connection for a call in `lane`: a write holds the write lane until released. */
  async #acquire(lane: Lane, call: CallOptions, holder = "a write", claim: Claim = "shared"): Promise<HeldConnection> {
    this.#throwIfClosed();
    const releaseLane = lane === "write" ? await this.#holdWriteLane(call, holder) : undefined;
    let connection: Connection;
    try {
      connection = await this.#pool.acquire(this.#bounded(call), claim);
    } catch (error) {
      releaseLane?.();
      throw error;
    }
    return heldConnection(this.#pool, connection, releaseLane, claim);
  }

  /** Waits for the write lane (FIFO, bounded by the call); resolves with its release. `holder`: who holds it then. */
  async #holdWriteLane(call: CallOptions, holder = "a write"): Promise<() => void> {
    const scope = new CallScope("waiting for the write lane", call, this.#timeoutMs);
    try {
      const release = await this.#writeLane.acquire(scope);
      this.#laneHolder = holder;
      return release;
    } catch (error) {
      if (isScopeEnd(error)) {
        const inside = this.#laneHolder === "a transaction" ? "; inside it, call through its own handle" : "";
        (error as Error).message += ` (held by ${this.#laneHolder}${inside})`;
      }
      throw error;
    } finally {
      scope.dispose();
    }
  }

  /** Connects to the leader: to `known` when given (it must still say it leads), else by discovery. */
  async #findLeader(known: string | undefined, call: CallOptions) {
    const addresses = known === undefined ? this.#addresses : [known, ...this.#addresses.filter((address) => address !== known)];
    return connectToLeader(addresses, this.#connector, this.options, this.options.discovery, this.#bounded(call));
  }

  /** A new connection to the leader: count it, and register the client id if asked. */
  #opened(connection: Connection, leader: { id: bigint }): void {
    this.#leaderId = leader.id;
    this.#generation++;
    if (this.options.clientId !== undefined) {
      void this.#run(connection, { type: "CLIENT", id: this.options.clientId }, "WELCOME", {}).catch(() => {});
    }
  }

  /** Finding the leader or a connection is part of the call that needed it, and bounded like any call. */
  #bounded(call: CallOptions): CallOptions {
    return { ...call, timeoutMs: call.timeoutMs ?? this.#timeoutMs };
  }

  /**
   * Sends one request on a connection of the pool (a write through the write lane) and returns
   * its reply. NOT_LEADER, LEADERSHIP_LOST and broken connections make the pool forget the
   * leader, so the next call finds it again; the error is passed on either way.
   */
  async request<N extends ResponseTypeName>(input: RequestInput, expect: N, call: CallOptions = {}): Promise<ResponseOf<N>> {
    const lane = laneOfRequest(input);
    return traced(this.options.trace, { kind: "request", sql: sqlOf(input), request: input.type, lane }, async (span) => {
      const held = await this.#acquire(lane, call);
      span?.held(held.connection.address);
      try {
        return await this.#run(held.connection, input, expect, call);
      } finally {
        held.release();
      }
    });
  }

  /** Runs one request on `connection`, forgetting the leader when the error calls for it. */
  async #run<N extends ResponseTypeName>(
    connection: Connection,
    input: RequestInput,
    expect: N,
    call: CallOptions,
  ): Promise<ResponseOf<N>> {
    try {
      return await connection.request(input, expect, call);
    } catch (error) {
      this.#noteFailure(connection, error);
      throw error;
    }
  }

  /** Forgets the leader when `error` means `connection` no longer reaches it. */
  #noteFailure(connection: Connection, error: unknown): void {
    if (needsNewLeader(error)) this.#pool.forgetLeader(connection);
  }

  /** Asks the connected node who the leader is (LEADER). */
  async leader(call: CallOptions = {}): Promise<{ id: bigint; address: string }> {
    const reply = await this.request({ type: "LEADER" }, "LEADER", call);
    return { id: "id" in reply ? reply.id : 0n, address: reply.address };
  }

  /** Registers a client id (CLIENT → WELCOME); returns the node's heartbeat timeout in ms. */
  async register(id: bigint | number, call: CallOptions = {}): Promise<{ heartbeatTimeout: bigint }> {
    const reply = await this.request({ type: "CLIENT", id }, "WELCOME", call);
    return { heartbeatTimeout: reply.heartbeatTimeout };
  }

  /**
   * A database of the cluster (created on first use). dqlite allows one database per
   * connection, so one client serves one database name; open another with another client.
   */
  async open(name: string, call: CallOptions = {}): Promise<Database> {
    const existing = this.#databases.get(name);
    if (existing !== undefined) return existing;
    if (this.#databases.size > 0) {
      const [other] = this.#databases.keys();
      throw new WireError(
        "BAD_STATE",
        `open "${name}": this client has "${other}" open, and dqlite allows one database per connection; use another client`,
      );
    }
    const database = new Database(this.#session, name);
    this.#databases.set(name, database);
    try {
      await database.id(call);
    } catch (error) {
      this.#databases.delete(name);
      throw error;
    }
    return database;
  }

  /** The members of the cluster with their roles (CLUSTER format 1). */
  async cluster(call: CallOptions = {}): Promise<ClusterMember[]> {
    const reply = await this.request({ type: "CLUSTER", format: 1 }, "SERVERS", call);
    const members = reply.nodes.map(member);
    this.#learn(members.map((m) => m.address));
    return members;
  }

  /** The connected node's failure domain and weight (DESCRIBE → METADATA). */
  async describe(call: CallOptions = {}): Promise<{ failureDomain: bigint; weight: bigint; toJSON(): unknown }> {
    const reply = await this.request({ type: "DESCRIBE", format: 0 }, "METADATA", call);
    const { failureDomain, weight } = reply;
    return withToJSON({ failureDomain, weight }, () => ({ failureDomain: failureDomain.toString(), weight: weight.toString() }));
  }

  /** The database's files as the leader has them: the main file and its WAL (DUMP → FILES). */
  async dump(name: string, call: CallOptions = {}): Promise<FileEntry[]> {
    const reply = await this.request({ type: "DUMP", name }, "FILES", call);
    return reply.files;
  }

  /** Adds a node to the cluster as a spare (ADD); `assign` gives it a role. */
  async add(id: bigint | number, address: string, call: CallOptions = {}): Promise<void> {
    await this.request({ type: "ADD", id, address }, "EMPTY", call);
  }

  /** Gives a member a role (ASSIGN). */
  async assign(id: bigint | number, role: RoleName | number, call: CallOptions = {}): Promise<void> {
    const code = typeof role === "number" ? role : ROLE_CODES[role];
    if (code === undefined) throw new WireError("BAD_STATE", `assign: unknown role ${JSON.stringify(role)} (voter, standby or spare)`);
    await this.request({ type: "ASSIGN", id, role: code }, "EMPTY", call);
  }

  /** Removes a member from the cluster (REMOVE). */
  async remove(id: bigint | number, call: CallOptions = {}): Promise<void> {
    await this.request({ type: "REMOVE", id }, "EMPTY", call);
  }

  /**
   * Hands leadership to another voter (TRANSFER; id 0 lets the node choose). The connections are
   * then to a follower: the client forgets the leader, so the next call finds the new one.
   */
  async transfer(id: bigint | number, call: CallOptions = {}): Promise<void> {
    const held = await this.#acquire("read", call);
    try {
      await this.#run(held.connection, { type: "TRANSFER", id }, "EMPTY", call);
      this.#pool.forgetLeader(held.connection);
    } finally {
      held.release();
    }
  }

  /** Sets the connected node's weight for leader elections (WEIGHT). */
  async weight(weight: bigint | number, call: CallOptions = {}): Promise<void> {
    await this.request({ type: "WEIGHT", weight }, "EMPTY", call);
  }

  /** Closes every connection; later calls fail with BAD_STATE. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool.close();
  }

  /** Adds members learned from the cluster to the addresses discovery tries. */
  #learn(addresses: readonly string[]): void {
    for (const address of addresses) if (!this.#addresses.includes(address)) this.#addresses.push(address);
  }

  #throwIfClosed(): void {
    if (this.#closed) throw new WireError("BAD_STATE", "the client is closed");
  }
}

/** `connection` held for a call, with the write lane when `releaseLane` is given; released once. */
function heldConnection(
  pool: ConnectionPool,
  connection: Connection,
  releaseLane: (() => void) | undefined,
  claim: Claim = "shared",
): HeldConnection {
  let released = false;
  return {
    connection,
    release: () => {
      if (released) return;
      released = true;
      pool.release(connection, claim);
      releaseLane?.();
    },
  };
}

/**
 * The lane of a raw request: a write through the write lane unless it only reads (a QUERY_SQL of
 * read-only SQL, or a request that runs no SQL at all).
 */
function laneOfRequest(input: RequestInput): Lane {
  switch (input.type) {
    case "EXEC":
    case "EXEC_SQL":
    case "QUERY":
      return "write";
    case "QUERY_SQL":
      return isReadOnlySql(input.sql) ? "read" : "write";
    default:
      return "read";
  }
}

function member(node: NodeInfo): ClusterMember {
  const role = ROLE_NAMES[node.role as keyof typeof ROLE_NAMES] ?? "spare";
  return withToJSON({ id: node.id, address: node.address, role }, () => ({ id: node.id.toString(), address: node.address, role }));
}
