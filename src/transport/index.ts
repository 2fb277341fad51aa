// dqlite-wire/transport: byte pipes to a dqlite node without a session (a proxy, a tool that
// speaks the protocol itself), and the protocol of the bridge (its subprotocols and close codes,
// shared by the WebSocket transport and the bridge server). Loads in browsers: the TCP
// transports are imported by `connectTcp` when it is first called, and nothing here imports a
// node:* module. Sessions hand a connector to the client instead: `tcpConnector` and
// `webSocketConnector` from "dqlite-wire/client".

export type { ConnectOptions, Connector, Transport } from "./transport.ts";
export { connectTcp, detectTcpRuntime, type TcpOptions, type TcpRuntime } from "./auto.ts";
export type { PemInput, TlsOptions } from "./tls.ts";
export {
  connectWebSocket,
  type WebSocketCloseInfo,
  type WebSocketConstructor,
  type WebSocketLike,
  type WebSocketOptions,
} from "./websocket.ts";
export {
  BRIDGE_SUBPROTOCOL,
  BRIDGE_TOKEN_SUBPROTOCOL_PREFIX,
  BridgeCloseCode,
  bridgeSubprotocols,
  describeBridgeCloseCode,
  isBridgeRefusal,
} from "./bridge-protocol.ts";
export { parseAddress, type HostPort } from "./address.ts";
