// Picks the engine for a reader: WebAssembly where it is (or can be made) ready, else TS.

import { WireError } from "../errors.ts";
import { type EngineChoice, type RowEngine, tsEngine } from "./engine.ts";
import { readyWasmEngine } from "./wasm-engine.ts";

export function selectEngine(choice: EngineChoice): RowEngine {
  if (choice === "js") return tsEngine;
  const wasm = readyWasmEngine();
  if (wasm !== undefined) return wasm;
  if (choice === "wasm") {
    throw new WireError("BAD_STATE", "the WebAssembly row engine is not available here: call and await initRowEngine() first, or use engine \"auto\" or \"js\"");
  }
  return tsEngine;
}
