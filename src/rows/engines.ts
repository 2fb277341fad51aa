// Picks the engine for a reader: WebAssembly where it is (or can be made) ready, else TS.

import { DecodeError } from "../errors.ts";
import { type EngineChoice, type RowEngine, tsEngine } from "./engine.ts";
import { readyWasmEngine } from "./wasm-engine.ts";

export function selectEngine(choice: EngineChoice): RowEngine {
  if (choice === "js") return tsEngine;
  const wasm = readyWasmEngine();
  if (wasm !== undefined) return wasm;
  if (choice === "wasm") {
    throw new DecodeError("BAD_STATE", "the WebAssembly row engine is not available: call and await initRowEngine() first");
  }
  return tsEngine;
}
