// The dqlite client: a connection to the cluster's leader, found from a list of node addresses,
// and the calls of the protocol on top of it. One request runs at a time; further calls wait
// their turn. When the connection breaks, or the node says it is no longer the leader, the
// connection is dropped and the next call finds the leader again. Nothing is ever resent on
// the client's own initiative: a write whose reply was lost fails with OUTCOME_UNKNOWN.

import { WireError } from "../errors.ts";
import { initRowEngine } from "../rows/wasm-engine.ts";
import { NodeRole } from "../messages/codes.ts";
import type { ResponseTypeName } from "../messages/schemas.ts";
import type { FileEntry, NodeInfo, RequestInput, ResponseOf } from "../messages/types.ts";
import type { CallOptions } from "./call-scope.ts";
import { type Connection, type ConnectionOptions, DEFAULT_CALL_TIMEOUT_MS } from "./connection.ts";
import { Database } from "./database.ts";
import { type DiscoveryOptions, connectToLeader } from "./leader-discovery.ts";
import { withToJSON } from "./json-safe.ts";
import { needsNewLeader } from "./server-errors.ts";
import type { Session } from "./session.ts";
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
  #current: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  #leaderId = 0n;
  #closed = false;
  /** Bumped at every new connection: statements and database ids belong to one generation. */
  #generation = 0;
  #databases = new Map<string, Database>();
  /** What the client's databases and statements use of it (see session.ts). */
  readonly #session: Session;

  constructor(options: ClientOptions) {
    this.options = options;
    this.#session = {
      leaderConnection: (call) => this.#leaderConnection(call),
      run: (connection, input, expect, call) => this.#run(connection, input, expect, call),
      noteFailure: (connection, error) => this.#noteFailure(connection, error),
      callOptions: (call) => call,
      limits: options.limits,
    };
    this.#addresses = parseAddresses(options.addresses);
    if (options.connector === undefined) {
      throw new WireError("BAD_STATE", "no connector given: pass connectTcp (Node, Deno, Bun) or a WebSocket connector (browsers)");
    }
    this.#connector = options.connector;
  }

  /** The addresses leader discovery tries (the given ones, then members learned from CLUSTER). */
  get addresses(): readonly string[] {
    return this.#addresses;
  }

  /** The address of the node the client is connected to (the leader when it connected). */
  get address(): string | undefined {
    return this.#current?.closed === false ? this.#current.address : undefined;
  }

  /** The id of the leader found at the last connect (0 with the legacy protocol). */
  get leaderId(): bigint {
    return this.#leaderId;
  }

  /** Increases at every new connection to a leader. */
  get generation(): number {
    return this.#generation;
  }

  /** The current connection, for raw requests (`connection.request(...)`). */
  get connection(): Connection | undefined {
    return this.#current;
  }

  /** Finds the leader and connects to it, dropping the current connection if any. */
  async reconnect(call: CallOptions = {}): Promise<Connection> {
    this.#throwIfClosed();
    const old = this.#current;
    this.#current = undefined;
    if (old !== undefined) await old.close();
    return this.#leaderConnection(call);
  }

  /** The connection to use for a call: the current one, or a new one to the leader. */
  async #leaderConnection(call: CallOptions): Promise<Connection> {
    this.#throwIfClosed();
    const current = this.#current;
    if (current !== undefined && !current.closed) return current;
    this.#connecting ??= this.#connectToLeader(call).finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connectToLeader(call: CallOptions): Promise<Connection> {
    // Finding the leader is part of the call that needed it, and bounded like any call.
    const bounded = { ...call, timeoutMs: call.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS };
    const found = await connectToLeader(this.#addresses, this.#connector, this.options, this.options.discovery, bounded);
    if (this.#closed) {
      await found.connection.close();
      this.#throwIfClosed();
    }
    this.#current = found.connection;
    this.#leaderId = found.id;
    this.#generation++;
    if (this.options.clientId !== undefined) {
      await this.#run(found.connection, { type: "CLIENT", id: this.options.clientId }, "WELCOME", call);
    }
    return found.connection;
  }

  /**
   * Sends one request on the current connection (connecting first if needed) and returns its
   * reply. NOT_LEADER, LEADERSHIP_LOST and broken connections drop the connection, so the next
   * call finds the leader again; the error is passed on either way.
   */
  async request<N extends ResponseTypeName>(input: RequestInput, expect: N, call: CallOptions = {}): Promise<ResponseOf<N>> {
    const connection = await this.#leaderConnection(call);
    return this.#run(connection, input, expect, call);
  }

  /** Runs one request on `connection`, dropping it when the error calls for a new leader. */
  async #run<N extends ResponseTypeName>(connection: Connection, input: RequestInput, expect: N, call: CallOptions): Promise<ResponseOf<N>> {
    try {
      return await connection.request(input, expect, call);
    } catch (error) {
      this.#noteFailure(connection, error);
      throw error;
    }
  }

  /** Drops `connection` when `error` means it no longer reaches the leader. */
  #noteFailure(connection: Connection, error: unknown): void {
    if (needsNewLeader(error) && this.#current === connection) {
      this.#current = undefined;
      void connection.close();
    }
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
   * Hands leadership to another voter (TRANSFER; id 0 lets the node choose). The connection is
   * then to a follower: the client drops it, so the next call finds the new leader.
   */
  async transfer(id: bigint | number, call: CallOptions = {}): Promise<void> {
    const connection = await this.#leaderConnection(call);
    await this.#run(connection, { type: "TRANSFER", id }, "EMPTY", call);
    if (this.#current === connection) {
      this.#current = undefined;
      await connection.close();
    }
  }

  /** Sets the connected node's weight for leader elections (WEIGHT). */
  async weight(weight: bigint | number, call: CallOptions = {}): Promise<void> {
    await this.request({ type: "WEIGHT", weight }, "EMPTY", call);
  }

  /** Closes the connection; later calls fail with BAD_STATE. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const current = this.#current;
    this.#current = undefined;
    await this.#connecting?.catch(() => {});
    await current?.close();
  }

  /** Adds members learned from the cluster to the addresses discovery tries. */
  #learn(addresses: readonly string[]): void {
    for (const address of addresses) if (!this.#addresses.includes(address)) this.#addresses.push(address);
  }

  #throwIfClosed(): void {
    if (this.#closed) throw new WireError("BAD_STATE", "the client is closed");
  }
}

function member(node: NodeInfo): ClusterMember {
  const role = ROLE_NAMES[node.role as keyof typeof ROLE_NAMES] ?? "spare";
  return withToJSON({ id: node.id, address: node.address, role }, () => ({ id: node.id.toString(), address: node.address, role }));
}

