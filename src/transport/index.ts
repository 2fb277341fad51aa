// The transports' public surface. Safe to load in a browser: the TCP transports are imported
// by `connectTcp` on demand, and nothing here imports node: modules.

export type { ConnectOptions, Connector, Transport } from "./transport.ts";
export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_READ_HIGH_WATER_MARK_BYTES } from "./transport.ts";
export { connectTcp, detectTcpRuntime, tcpConnector, type TcpOptions, type TcpRuntime } from "./auto.ts";
export type { PemInput, TlsOptions } from "./tls.ts";
export {
  connectWebSocket,
  webSocketConnector,
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
