// dqlite-wire: the dqlite wire protocol, no I/O: every message encoded and decoded, the
// streaming frame decoder, lossless JSON, the frame inspector, the caps, and the error family
// every entry point of the package throws. A codec-only program needs this entry alone; it loads
// everywhere (browsers, Workers, Deno, Bun, Node) and imports no node:* module.
//
// The other entry points build on it, each for one kind of program:
//   dqlite-wire/client     sessions with a cluster, in any runtime (TCP, TLS; the bridge in browsers)
//   dqlite-wire/rows       bulk decoding of query results into columnar batches (WASM or TS)
//   dqlite-wire/transport  byte pipes to a node without a session, and the bridge's protocol
//   dqlite-wire/arrow      query results as Apache Arrow IPC streams
//   dqlite-wire/capture    dqlite conversations decoded from tcpdump captures
//   dqlite-wire/kysely     the Kysely dialect
//   dqlite-wire/bridge     the WebSocket-to-TCP bridge server (Node)
//   dqlite-wire/testing    real dqlite nodes and clusters on loopback (Node)

export {
  CancelledError,
  ConnectionError,
  DecodeError,
  EncodeError,
  HandshakeError,
  PoisonedError,
  ServerError,
  TimeoutError,
  WireError,
  isWireError,
  type WireErrorCode,
  type WireErrorOptions,
} from "./errors.ts";
export { DEFAULT_LIMITS, type Limits } from "./limits.ts";

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
