// The session layer ("dqlite-wire/client"): connect to a dqlite cluster's leader and run the
// protocol's calls. `connect` defaults to the runtime's TCP transport (Node, Deno, Bun);
// browsers pass a WebSocket connector (`webSocketConnector`) to it or to `connectClient`.

import type { CallOptions } from "./call-scope.ts";
import { type Client, type ClientOptions, connectClient } from "./client.ts";
import { connectTcp } from "../transport/auto.ts";

/** Connects to the leader of the cluster that `options.addresses` belong to (TCP by default). */
export function connect(options: ClientOptions, call: CallOptions = {}): Promise<Client> {
  return connectClient({ ...options, connector: options.connector ?? connectTcp }, call);
}

export * from "./portable.ts";
