// The session layer: connect to a dqlite cluster's leader and run the protocol's calls.
// `connect` here defaults to the runtime's TCP transport (Node, Deno, Bun); browsers pass a
// WebSocket connector to `connectClient` (or to `connect`).

import type { CallOptions } from "./call-scope.ts";
import { type Client, type ClientOptions, connectClient } from "./client.ts";
import { connectTcp } from "../transport/auto.ts";

/** Connects to the leader of the cluster that `options.addresses` belong to (TCP by default). */
export function connect(options: ClientOptions, call: CallOptions = {}): Promise<Client> {
  return connectClient({ ...options, connector: options.connector ?? connectTcp }, call);
}

export { type CallOptions } from "./call-scope.ts";
export { Client, type ClientOptions, type ClusterMember, type RoleName, connectClient, parseAddresses } from "./client.ts";
export { Connection, type ConnectionOptions, DEFAULT_CALL_TIMEOUT_MS, type Turn } from "./connection.ts";
export { Database, type ExecResult, type Params } from "./database.ts";
export { hasReturningClause } from "./hazards.ts";
export { type DiscoveryOptions, type LeaderConnection, connectToLeader } from "./leader-discovery.ts";
export { type Batch, QueryResult, type QueryOptions, type Row, type RowMode, type Rows } from "./query-result.ts";
export { isLeadershipLost, isNotLeader, isOutcomeUnknown, needsNewLeader } from "./server-errors.ts";
export { Statement } from "./statement.ts";
export { jsonSafe } from "./json-safe.ts";
export type { Connector, Transport } from "./transport-types.ts";
