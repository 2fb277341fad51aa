import { beforeEach, describe, expect, it, vi } from "vitest";
import { readFileSync } from "node:fs";
import { rowsFrame } from "./build-frames.ts";

const frame = rowsFrame(["n"], [[{ type: 1, value: 5n }]]);

/** The loader and the reader as a fresh program sees them: nothing loaded yet. */
async function fresh() {
  vi.resetModules();
  const loader = await import("../../src/rows/wasm-loader.ts");
  const { ResultReader } = await import("../../src/rows/result-reader.ts");
  const { WireError } = await import("../../src/errors.ts");
  return { ...loader, ResultReader, WireError };
}

describe("engine choice and loading", () => {
  beforeEach(() => {
    vi.resetModules();
  });

  it("falls back to the TS engine without WebAssembly; 'wasm' then fails clearly", async () => {
    const { ResultReader, WireError, initRowEngine, initRowEngineSync, rowEngineFallback } = await fresh();
    const saved = globalThis.WebAssembly;
    // @ts-expect-error removing the global as a runtime without WebAssembly would lack it
    delete globalThis.WebAssembly;
    try {
      const reader = new ResultReader({ engine: "auto" });
      expect(reader.engine).toBe("js");
      expect(reader.read(frame).batch!.arrays()).toEqual([[5]]);
      expect(() => new ResultReader({ engine: "wasm" })).toThrow(WireError);
      expect(await initRowEngine()).toBe("js");
      expect(rowEngineFallback()).toMatchObject({ name: "WireError", code: "BAD_STATE" });
      expect(() => initRowEngineSync()).toThrow(/no WebAssembly/);
    } finally {
      globalThis.WebAssembly = saved;
    }
  });

  it("'auto' is the TS core until initRowEngine() has loaded the bundled build; then WASM", async () => {
    const { ResultReader, initRowEngine, initRowEngineSync } = await fresh();
    expect(new ResultReader().engine).toBe("js");
    expect(() => initRowEngineSync()).toThrow(/not loaded yet: await initRowEngine\(\) once first/);
    const [first, second] = await Promise.all([initRowEngine(), initRowEngine()]);
    expect([first, second]).toEqual(["wasm", "wasm"]);
    expect(new ResultReader().engine).toBe("wasm");
    // The compiled build is kept: the synchronous way in makes a new instance of it.
    expect(initRowEngineSync()).toBe("wasm");
  });

  it("loads asynchronously, from bytes and from a precompiled module (the shipped .wasm files)", async () => {
    const { ResultReader, initRowEngine, initRowEngineSync, loadedWasmEngine, simdSupported } = await fresh();
    const bytes = readFileSync(new URL("../../src/generated/rows.wasm", import.meta.url));
    expect(initRowEngineSync({ source: bytes })).toBe("wasm");
    const fromBytes = loadedWasmEngine();
    expect(await initRowEngine({ source: new WebAssembly.Module(bytes) })).toBe("wasm");
    // Each load is an instance of its own; the last is what "auto" uses.
    expect(loadedWasmEngine()).not.toBe(fromBytes);
    expect(new ResultReader({ engine: "wasm" }).read(frame).batch!.arrays()).toEqual([[5]]);
    expect(new ResultReader({ engine: fromBytes! }).read(frame).batch!.arrays()).toEqual([[5]]);
    const simdBytes = readFileSync(new URL("../../src/generated/rows-simd.wasm", import.meta.url));
    expect(simdSupported()).toBe(WebAssembly.validate(simdBytes));
    expect(initRowEngineSync({ source: simdBytes, simd: true })).toBe("wasm-simd");
    expect(new ResultReader().read(frame).batch!.arrays()).toEqual([[5]]);
    // A SIMD engine serves a request for the scalar build too.
    expect(await initRowEngine()).toBe("wasm-simd");
  });

  it("loads the bundled SIMD build only when asked for", async () => {
    const { ResultReader, initRowEngine, initRowEngineSync, simdSupported } = await fresh();
    expect(await initRowEngine()).toBe("wasm");
    if (simdSupported()) expect(() => initRowEngineSync({ simd: true })).toThrow(/SIMD WebAssembly row core is not loaded yet/);
    else expect(initRowEngineSync({ simd: true })).toBe("wasm");
    expect(await initRowEngine({ simd: true })).toBe(simdSupported() ? "wasm-simd" : "wasm");
    expect(new ResultReader().read(frame).batch!.arrays()).toEqual([[5]]);
  });

  it("falls back to the TS core when the runtime refuses to compile WebAssembly (a strict CSP), and says why", async () => {
    const { ResultReader, initRowEngine, rowEngineFallback } = await fresh();
    const { compile, Module } = WebAssembly;
    // What Chromium does under script-src 'self': both compiles refuse.
    function refused(): never {
      throw new WebAssembly.CompileError(
        "WebAssembly.compile(): Refused to compile or instantiate WebAssembly module because 'wasm-unsafe-eval' is not an allowed source",
      );
    }
    Object.assign(WebAssembly, { compile: async () => refused(), Module: refused });
    try {
      expect(await initRowEngine()).toBe("js");
      expect(rowEngineFallback()).toBeInstanceOf(WebAssembly.CompileError);
      expect(new ResultReader().engine).toBe("js");
      expect(new ResultReader().read(frame).batch!.arrays()).toEqual([[5]]);
      // A source given explicitly that cannot be compiled is a typed error.
      await expect(initRowEngine({ source: Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0) })).rejects.toMatchObject({
        name: "WireError",
        code: "BAD_STATE",
      });
    } finally {
      Object.assign(WebAssembly, { compile, Module });
    }
    // A refused compile is not cached: the next call compiles.
    expect(await initRowEngine()).toBe("wasm");
    expect(rowEngineFallback()).toBeUndefined();
  });

  it("refuses a module that is not the row core, both ways in, with the runtime's error as the cause", async () => {
    const { initRowEngine, initRowEngineSync } = await fresh();
    const empty = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
    expect(() => initRowEngineSync({ source: empty })).toThrow(
      expect.objectContaining({ code: "BAD_STATE", cause: expect.any(TypeError) }),
    );
    await expect(initRowEngine({ source: empty })).rejects.toMatchObject({ code: "BAD_STATE", cause: expect.any(TypeError) });
  });
});
