// The row engines: decode query results (runs of ROWS frames) in bulk into columnar batches,
// with a WebAssembly core where it loads and an identical pure-TS core everywhere else.
// See docs/rows.md.

export { ResultReader, type ResultReaderOptions, type ResultState, type ResultStep } from "./result-reader.ts";
export { RowBatch, RowColumn, type ValueOptions } from "./row-batch.ts";
export type { BlobMode } from "./row-values.ts";
export {
  createWasmEngineSync,
  initRowEngine,
  initRowEngine as init,
  initRowEngineSync,
  initRowEngineSync as initSync,
  rowEngineFallback,
  simdSupported,
  type RowEngineInitOptions,
  type WasmSource,
} from "./wasm-engine.ts";
export type { EngineChoice, EngineKind, RowEngine } from "./engine.ts";
export { ASCII_FAST_PATH_MAX_BYTES } from "../wire/utf8.ts";
