// dqlite-wire/bridge (Node only): the WebSocket-to-TCP bridge. Browsers cannot open TCP sockets,
// so a page reaches a dqlite node through this server, one WebSocket per TCP connection.
//
// A naive bridge is an open proxy and a cross-site WebSocket hijacking hole. This one listens on
// loopback, pipes only to the nodes it was started with, checks the page's Origin and a token
// before it opens any TCP connection (admission.ts), caps connections, message and frame sizes,
// buffered bytes and idle time (options.ts, connection.ts), and forwards only whole, valid,
// allowed dqlite request frames (frame-gate.ts, node-hazards.ts). Refused clients get a
// WebSocket close code and a reason they can show: the protocol both sides share is
// src/transport/bridge-protocol.ts, exported by dqlite-wire/transport (BridgeCloseCode, …).

export { startBridge, type Bridge, type BridgeStats } from "./server.ts";
export { BRIDGE_DEFAULTS, generateBridgeToken, type BridgeOptions } from "./options.ts";
export type { BridgeConnectionStats } from "./connection-stats.ts";
export { silentLogger, stderrJsonLogger, type BridgeLogEntry, type BridgeLogger } from "./log.ts";
