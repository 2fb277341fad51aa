// dqlite-wire/arrow: query results as Apache Arrow IPC streams, written from the row engine's
// columnar batches (no JS value per cell, no Arrow library needed). See docs/arrow.md.

export { arrowStream, toArrowIPC, type ArrowStreamOptions, type ArrowTableOptions, type BatchResult } from "./query-arrow.ts";
export { ArrowIpcWriter, type ArrowWriterOptions } from "./ipc-writer.ts";
export { ARROW_TYPES, type ArrowType, type SchemaField } from "./ipc-format.ts";
