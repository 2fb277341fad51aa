// dqlite-wire/rows: query results (runs of ROWS frames) decoded in bulk into columnar batches,
// for programs that read frames themselves (a page decoding in a Worker, an ingestion job); a
// session of dqlite-wire/client uses the same engines by itself. A WebAssembly core where it
// loads, an identical pure-TS core everywhere else. See docs/rows.md.

export { ResultReader, type ResultReaderOptions, type ResultState, type ResultStep } from "./result-reader.ts";
export { RowBatch, RowColumn, type ValueOptions } from "./row-batch.ts";
export type { BlobMode } from "./row-values.ts";
export {
  initRowEngine,
  initRowEngineSync,
  rowEngineFallback,
  simdSupported,
  type RowEngineInitOptions,
  type WasmSource,
} from "./wasm-loader.ts";
export type { EngineChoice, EngineKind } from "./engine.ts";
