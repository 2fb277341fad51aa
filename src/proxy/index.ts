// dqlite-wire's transparent proxy (Node only): relays any dqlite client to its nodes, logs the
// decoded conversation, and keeps clients that follow the leader on the proxy.

export { startProxy, type ProxyOptions, type ProxyRoute, type RunningProxy } from "./proxy-server.ts";
export type { ProxyTls } from "./proxy-tls.ts";
