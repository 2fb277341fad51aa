// Everything of the session layer that loads in any runtime, browsers included: no transport
// is chosen here (`connectClient` takes one). The package's main entry re-exports this file;
// `index.ts` adds `connect`, which defaults to the runtime's TCP transport.

export { type CallOptions } from "./call-scope.ts";
export { Client, type ClientOptions, type ClusterMember, type RoleName, connectClient, parseAddresses } from "./client.ts";
export { Connection, type ConnectionOptions, DEFAULT_CALL_TIMEOUT_MS, type Turn } from "./connection.ts";
export { Database } from "./database.ts";
export { hasReturningClause } from "../messages/hazards.ts";
export { type DiscoveryOptions, type LeaderConnection, connectToLeader } from "./leader-discovery.ts";
export {
  type ArrayRow,
  type ArraysQueryOptions,
  type Batch,
  type ObjectRow,
  type ObjectsQueryOptions,
  QueryResult,
  type QueryOptions,
  type QueryResultOf,
  type Row,
  type RowMode,
  type Rows,
} from "./query-result.ts";
export { type ExecResult, type Params } from "./results.ts";
export { isLeadershipLost, isNotLeader, isOutcomeUnknown, needsNewLeader } from "./server-errors.ts";
export { Statement } from "./statement.ts";
export { Transaction, type TransactionBody, type TransactionMode, type TransactionOptions } from "./transaction.ts";
export { suppressedErrors } from "./transaction-run.ts";
export { jsonSafe } from "./json-safe.ts";
export type { Connector, Transport } from "./transport-types.ts";
