import type { RowEngine } from "./engine.ts";
export function readyWasmEngine(_required: boolean): RowEngine | undefined {
  return undefined;
}
export function initRowEngineSync(): void {}
