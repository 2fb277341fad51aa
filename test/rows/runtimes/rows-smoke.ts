// The row engines outside Node: `npx deno run test/rows/runtimes/rows-smoke.ts` (no permission
// flags) and `npx bun test/rows/runtimes/rows-smoke.ts`. Loads the inlined WASM module every
// supported way (async, sync, from a precompiled module, from bytes), decodes the same frames
// with the WASM and TS engines, and prints "ok" only when every result matches.

import { ResultReader } from "../../../src/rows/result-reader.ts";
import { initRowEngine, initRowEngineSync, loadedWasmEngine } from "../../../src/rows/wasm-loader.ts";
import { wasmBase64 } from "../../../src/generated/rows-wasm-scalar.ts";
import { concat, float, rowsFrame, text } from "../build-frames.ts";

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`rows smoke test failed: ${what}`);
}

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const kind = await initRowEngine();
check(kind === "wasm" || kind === "wasm-simd", `initRowEngine gave ${kind}`);
check(initRowEngineSync() === kind, "initRowEngineSync after init");

const input = concat([
  rowsFrame(
    ["id", "name", "score", "data"],
    [
      [{ type: 1, value: 1n }, text("alice"), float(1.5), { type: 4, bytes: Uint8Array.of(1, 2) }],
      [{ type: 1, value: 2n }, text("bob — ünïcode"), float(-0), { type: 5 }],
    ],
    "PART",
  ),
  rowsFrame(
    ["id", "name", "score", "data"],
    [[{ type: 9, value: 1700000000n }, text("2024-01-01", 10), { type: 11, word: 1n }, { type: 5 }]],
    "DONE",
  ),
]);

const bytes = Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0));
// Each load makes an instance of its own; the last one is what "auto" uses.
check(initRowEngineSync({ source: new WebAssembly.Module(bytes) }) === "wasm", "initRowEngineSync from a precompiled module");
const fromModule = loadedWasmEngine()!;
check((await initRowEngine({ source: bytes })) === "wasm", "initRowEngine from bytes");
const fromBytes = loadedWasmEngine()!;
const engines = { js: "js" as const, wasm: "wasm" as const, fromBytes, fromModule };
const expected = JSON.stringify(
  [
    [1, "alice", 1.5, [1, 2]],
    [2, "bob — ünïcode", -0, null],
    [1700000000, "2024-01-01", true, null],
  ],
  (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v),
);

for (const [name, engine] of Object.entries(engines)) {
  const reader = new ResultReader({ engine });
  const step = reader.read(input);
  check(step.state === "done" && step.consumed === input.length, `${name}: state ${step.state}`);
  const rows = step.batch!.arrays();
  check(Object.is(rows[1]![2], -0), `${name}: -0 kept`);
  const got = JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v));
  check(got === expected, `${name}: ${got}`);
  check(
    reader.engine === (name === "js" ? "js" : kind === "wasm-simd" && name === "wasm" ? "wasm-simd" : "wasm"),
    `${name}: engine ${reader.engine}`,
  );
  let failed = false;
  try {
    new ResultReader({ engine }).read(input.subarray(0, input.length - 8).map((b, i) => (i === 24 ? 0xff : b)));
  } catch (error) {
    failed = (error as Error).name === "DecodeError";
  }
  check(failed, `${name}: a corrupted frame raises DecodeError`);
}
console.log(`ok rows engines on ${runtime} (${kind})`);
