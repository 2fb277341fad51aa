// The library as the page uses it, in one place. Most of it is the package's entry point; the
// session layer, the WebSocket transport and the row engine's reader are not exported there
// (yet), so they come from the modules that define them. No other web module names a path in src/.

export * from "../../src/index.ts";
// The portable half of the session layer: it picks no transport, so no TCP module is bundled.
export { Client, type Connector, type Database, type Transport } from "../../src/client/portable.ts";
export { webSocketConnector } from "../../src/transport/websocket.ts";
export { initRowEngine } from "../../src/rows/wasm-engine.ts";
export { ResultReader } from "../../src/rows/result-reader.ts";
export type { RowBatch } from "../../src/rows/row-batch.ts";
