// The session layer ("dqlite-wire/client"): connect to a dqlite cluster's leader and run the
// protocol's calls. `connect` defaults to the runtime's TCP transport (Node, Deno, Bun), with
// TLS when `tls` is given; browsers pass a WebSocket connector (`webSocketConnector`) to it or
// to `connectClient`.

import type { CallOptions } from "./call-scope.ts";
import { type Client, type ClientOptions, connectClient } from "./client.ts";
import { ConnectionError, WireError } from "../errors.ts";
import { connectTcp, tcpConnector } from "../transport/auto.ts";
import { PLAIN_TO_TLS_HINT, type TlsOptions, resolveTls } from "../transport/tls.ts";

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
  if (tls !== undefined) resolveTls(tls);
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

export type { TlsOptions } from "../transport/tls.ts";
export * from "./portable.ts";
