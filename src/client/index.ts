// dqlite-wire/client: sessions with a dqlite cluster, in any runtime. `connect` finds the leader
// over the runtime's TCP (Node, Deno, Bun), with mutual TLS when `tls` is given; a browser page
// passes `connector: webSocketConnector(bridgeUrl, { token })` (through the bridge) to
// `connectClient`, which never loads a TCP transport. The TCP transports and the certificate
// reader are imported when a connection first needs them, so this entry loads fast and loads
// in browsers. Errors are the protocol's (`isWireError`, `ServerError`, … from "dqlite-wire").

import type { CallOptions } from "./call-scope.ts";
import { type Client, type ClientOptions, connectClient } from "./client.ts";
import { ConnectionError, WireError } from "../errors.ts";
import { connectTcp, tcpConnector } from "../transport/auto.ts";
import { PLAIN_TO_TLS_HINT, type TlsOptions } from "../transport/tls.ts";

export interface TcpClientOptions extends ClientOptions {
  /**
   * Mutual TLS to every node, as clusters built on go-dqlite's app package (and MicroK8s) listen:
   * the client certificate and key; by default the certificate is also the CA and its first DNS
   * name the server name, as go-dqlite's SimpleTLSConfig. Not together with `connector`.
   */
  tls?: TlsOptions;
}

/** Connects to the leader of the cluster that `options.addresses` belong to (TCP by default). */
export async function connect(options: TcpClientOptions, call: CallOptions = {}): Promise<Client> {
  const { tls, ...clientOptions } = options;
  if (tls !== undefined && options.connector !== undefined) {
    throw new WireError("BAD_STATE", "connect: the tls option configures the TCP connector; a custom connector does its own TLS");
  }
  // Resolved once, before any node is dialled: a bad certificate fails here, not at every node.
  if (tls !== undefined) (await import("../transport/tls-certificate.ts")).resolveTls(tls);
  const connector = options.connector ?? (tls === undefined ? connectTcp : tcpConnector({ tls }));
  try {
    return await connectClient({ ...clientOptions, connector }, call);
  } catch (error) {
    throw tls === undefined && options.connector === undefined ? withTlsHint(error) : error;
  }
}

/**
 * A node that listens with TLS closes a plain connection at once, without a byte: when every
 * node did that, say that TLS may be what is missing.
 */
function withTlsHint(error: unknown): unknown {
  if (error instanceof ConnectionError && /closed the connection/.test(error.message)) error.message += `; ${PLAIN_TO_TLS_HINT}`;
  return error;
}

export type { CallOptions } from "./call-scope.ts";
export type { CallEnd, CallKind, CallStart, CallTracer } from "./call-trace.ts";
export { Client, type ClientOptions, type ClientStats, type ClusterMember, type RoleName, connectClient } from "./client.ts";
export type { ConnectionOptions } from "./connection.ts";
export { Database } from "./database.ts";
export type { DiscoveryOptions } from "./leader-discovery.ts";
export type { PoolOptions, PoolStats } from "./pool.ts";
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
export type { ExecResult, Params } from "./results.ts";
export { isLeadershipLost, isNotLeader, isOutcomeUnknown } from "./server-errors.ts";
export { Statement } from "./statement.ts";
export { Transaction, type TransactionBody, type TransactionMode, type TransactionOptions } from "./transaction.ts";
export { suppressedErrors } from "./transaction-run.ts";
export { DQLITE_1_11_FEATURES, DQLITE_1_15_FEATURES, DQLITE_1_18_FEATURES, type NodeFeatures } from "../messages/hazards.ts";
export { tcpConnector } from "../transport/auto.ts";
export { webSocketConnector } from "../transport/websocket.ts";
