import { afterEach, describe, expect, it } from "vitest";
import { WireError } from "../../src/errors.ts";
import { ResultReader } from "../../src/rows/result-reader.ts";
import { createWasmEngineSync, initRowEngine, initRowEngineSync, resetRowEngine, simdSupported } from "../../src/rows/wasm-engine.ts";
import { rowsFrame } from "./build-frames.ts";
import { readFileSync } from "node:fs";

const frame = rowsFrame(["n"], [[{ type: 1, value: 5n }]]);

describe("engine choice and loading", () => {
  afterEach(() => {
    resetRowEngine();
  });

  it("falls back to the TS engine without WebAssembly; 'wasm' then fails clearly", () => {
    resetRowEngine();
    const saved = globalThis.WebAssembly;
    // @ts-expect-error removing the global as a runtime without WebAssembly would lack it
    delete globalThis.WebAssembly;
    try {
      const reader = new ResultReader({ engine: "auto" });
      expect(reader.engine).toBe("js");
      expect(reader.read(frame).batch!.arrays()).toEqual([[5]]);
      expect(() => new ResultReader({ engine: "wasm" })).toThrow(WireError);
    } finally {
      globalThis.WebAssembly = saved;
    }
  });

  it("'auto' loads WASM synchronously when it can", () => {
    resetRowEngine();
    expect(new ResultReader().engine).toMatch(/^wasm/);
  });

  it("loads asynchronously, from bytes and from a precompiled module (the shipped .wasm files)", async () => {
    expect(await initRowEngine()).toBe("wasm");
    const bytes = readFileSync(new URL("../../src/generated/rows.wasm", import.meta.url));
    expect(initRowEngineSync({ source: bytes })).toBe("wasm");
    const module = new WebAssembly.Module(bytes);
    resetRowEngine();
    expect(await initRowEngine({ source: module })).toBe("wasm");
    expect(new ResultReader({ engine: "wasm" }).read(frame).batch!.arrays()).toEqual([[5]]);
    const simdBytes = readFileSync(new URL("../../src/generated/rows-simd.wasm", import.meta.url));
    expect(simdSupported()).toBe(WebAssembly.validate(simdBytes));
    const simd = createWasmEngineSync({ source: simdBytes, simd: true });
    expect(simd.kind).toBe("wasm-simd");
    expect(new ResultReader({ engine: simd }).read(frame).batch!.arrays()).toEqual([[5]]);
  });

  it("refuses a module that is not the row core", () => {
    const empty = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
    expect(() => createWasmEngineSync({ source: empty })).toThrow(TypeError);
  });
});
