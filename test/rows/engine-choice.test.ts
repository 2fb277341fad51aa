import { afterEach, describe, expect, it } from "vitest";
import { WireError } from "../../src/errors.ts";
import { ResultReader } from "../../src/rows/result-reader.ts";
import { createWasmEngineSync, initRowEngine, initRowEngineSync, resetRowEngine, rowEngineFallback, simdSupported } from "../../src/rows/wasm-engine.ts";
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

  it("'auto' is the TS core until initRowEngine() has loaded the bundled bytes; then WASM, also after a reset", async () => {
    resetRowEngine();
    expect(await initRowEngine()).toBe("wasm");
    expect(new ResultReader().engine).toBe("wasm");
    resetRowEngine();
    // The bytes stay loaded: "auto" makes the engine synchronously.
    expect(new ResultReader().engine).toBe("wasm");
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
    // The bundled SIMD build loads only when asked for.
    expect(await initRowEngine({ simd: true })).toBe(simdSupported() ? "wasm-simd" : "wasm");
    expect(new ResultReader().read(frame).batch!.arrays()).toEqual([[5]]);
  });

  it("falls back to the TS core when the runtime refuses to compile WebAssembly (a strict CSP), and says why", async () => {
    resetRowEngine();
    const { compile, Module } = WebAssembly;
    // What Chromium does under script-src 'self': both compiles refuse.
    function refused(): never {
      throw new WebAssembly.CompileError("WebAssembly.compile(): Refused to compile or instantiate WebAssembly module because 'wasm-unsafe-eval' is not an allowed source");
    }
    Object.assign(WebAssembly, { compile: async () => refused(), Module: refused });
    try {
      expect(await initRowEngine()).toBe("js");
      expect(rowEngineFallback()).toBeInstanceOf(WebAssembly.CompileError);
      expect(new ResultReader().engine).toBe("js");
      expect(new ResultReader().read(frame).batch!.arrays()).toEqual([[5]]);
      // A source given explicitly that cannot be compiled is a typed error.
      await expect(initRowEngine({ source: Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0) })).rejects.toMatchObject({ name: "WireError", code: "BAD_STATE" });
    } finally {
      Object.assign(WebAssembly, { compile, Module });
    }
    expect(await initRowEngine()).toBe("wasm");
    expect(rowEngineFallback()).toBeUndefined();
  });

  it("refuses a module that is not the row core", () => {
    const empty = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
    expect(() => createWasmEngineSync({ source: empty })).toThrow(TypeError);
  });
});
