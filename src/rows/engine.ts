// What a row engine is: something that runs a row core over a span of ROWS frames and hands
// back column storage. The result reader does not know which engine ran.

import type { CoreOutcome, EngineRequest } from "./core-call.ts";

export type { EngineRequest };
import type { ColumnStorage } from "./row-batch.ts";
import { decodeSpanTs, newOutcome } from "./ts-core.ts";

/** Which core decodes: WebAssembly (SIMD build where it pays) or the pure-TS fallback. */
export type EngineChoice = "auto" | "wasm" | "js";
/** The engine that actually ran. */
export type EngineKind = "js" | "wasm" | "wasm-simd";

export interface EngineResult {
  outcome: CoreOutcome;
  storage: ColumnStorage;
}

export interface RowEngine {
  readonly kind: EngineKind;
  decode(request: EngineRequest): EngineResult;
}

/** The pure-TS engine: writes straight into fresh arrays that the batch then owns. */
export const tsEngine: RowEngine = {
  kind: "js",
  decode(request: EngineRequest): EngineResult {
    const cells = request.allocColumns * request.capacity;
    const types = new Uint8Array(cells);
    const slots = new ArrayBuffer(cells * 8);
    const { bytes } = request;
    const outcome = decodeSpanTs(
      {
        ...request,
        view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        types,
        slots32: new Uint32Array(slots),
        slotsF64: new Float64Array(slots),
      },
      newOutcome(),
    );
    return { outcome, storage: { types, slots, slotsOffset: 0, stride: request.capacity } };
  },
};
