// Picks the engine for a reader: WebAssembly where it is (or can be made) ready, else TS.

import { WireError } from "../errors.ts";
import { type EngineChoice, type RowEngine, tsEngine } from "./engine.ts";
import { loadedWasmEngine } from "./wasm-loader.ts";

export function selectEngine(choice: EngineChoice): RowEngine {
  if (choice === "js") return tsEngine;
  const wasm = loadedWasmEngine();
  if (wasm !== undefined) return wasm;
  if (choice === "wasm") {
    throw new WireError(
      "BAD_STATE",
      'the WebAssembly row engine is not available here: call and await initRowEngine() first, or use engine "auto" or "js"',
    );
  }
  return tsEngine;
}
