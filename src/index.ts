// dqlite-wire: the dqlite wire protocol for browsers, Deno, Bun and Node.
// This entry point loads everywhere: nothing here imports node:* modules.

export * from "./errors.ts";
export { DEFAULT_LIMITS, resolveLimits, type Limits } from "./limits.ts";

export { RequestType, ResponseType, NodeRole, FailureCode, type Side } from "./messages/codes.ts";
export { requestSchemas, responseSchemas, type RequestTypeName, type ResponseTypeName } from "./messages/schemas.ts";
export type { FieldKind, FieldSpec, MessageDeclaration, RequestClass, Variant } from "./messages/fields.ts";
export {
  decodeFrame,
  decodeRequest,
  decodeResponse,
  encodeMessage,
  encodeRequest,
  encodeResponse,
  type CodecOptions,
  type DecodeOptions,
} from "./messages/codec.ts";
export type {
  FileEntry,
  Message,
  NodeInfo,
  NodeInput,
  Request,
  RequestInput,
  RequestInputOf,
  RequestOf,
  Response,
  ResponseInput,
  ResponseInputOf,
  ResponseOf,
  RowsMarker,
} from "./messages/types.ts";

export { ValueType, valueTypeName, type ValueTypeName } from "./values/value-type.ts";
export type { IntMode } from "./values/int-mode.ts";
export type { CellValue, ParamInput, Tuple, TypedParam } from "./values/cell.ts";
export type { ParamsInput, ParamsTuple } from "./values/tuple.ts";

export { FrameDecoder, type FrameDecoderOptions, type RawFrame } from "./stream/frame-decoder.ts";
export { FrameDecoderStream } from "./stream/frame-stream.ts";

export { messageFromJSON, messageToJSON } from "./json/message-json.ts";

export {
  HANDSHAKE_BYTES,
  HEADER_BYTES,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_LEGACY,
  WORD_BYTES,
} from "./wire/constants.ts";
export { encodeHandshake, readHandshake } from "./wire/handshake.ts";
export { inspectFrame, type FieldSpan, type InspectedHeader, type Inspection } from "./messages/inspect.ts";

// The session layer without a default transport (browsers pass a WebSocket connector;
// "dqlite-wire/client" adds `connect`, which picks the runtime's TCP transport).
export * from "./client/portable.ts";

// The WebSocket transport (through the bridge). TCP lives in "dqlite-wire/transport" and
// "dqlite-wire/client", so that browser bundles never see a node:net import.
export { connectWebSocket, webSocketConnector, type WebSocketOptions } from "./transport/websocket.ts";
export { BridgeCloseCode, describeBridgeCloseCode, isBridgeRefusal } from "./transport/bridge-protocol.ts";
export type { ConnectOptions } from "./transport/transport.ts";
export { parseAddress } from "./transport/address.ts";

// The row engines: bulk decoding of query results, WASM or pure TS.
export {
  ResultReader,
  RowBatch,
  RowColumn,
  initRowEngine,
  initRowEngineSync,
  rowEngineFallback,
  simdSupported,
  type BlobMode,
  type EngineChoice,
  type EngineKind,
  type ResultReaderOptions,
  type ResultState,
  type ResultStep,
  type RowEngineInitOptions,
  type WasmSource,
} from "./rows/index.ts";
