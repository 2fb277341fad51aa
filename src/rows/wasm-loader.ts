// Loads the WebAssembly row core and makes it the engine "auto" uses: where the module comes
// from, whether SIMD is there, and the cache. Calling the core is wasm-engine.ts's job.
//
// Two ways in: `initRowEngine()` (asynchronous compile; never blocks, and the only safe way for
// a browser's main thread) and `initRowEngineSync()` (a given source, or the bundled build once
// `initRowEngine()` has compiled it).
//
// The bundled bytes are inlined as base64 in generated modules (src/generated/, built by
// `npm run asbuild`) imported on demand: one import works in Node, Deno without permissions,
// Bun, browsers and bundlers, and a bundler puts the bytes in a chunk of their own that a page
// loads only when it asks for the engine. The SIMD build is another such chunk, loaded only when
// asked for (`simd: true`). Each build is compiled once; every later engine is an instance of
// the cached module. Runtimes that forbid compiling at run time pass a precompiled
// WebAssembly.Module, or the bytes of the shipped .wasm file, as `source`.
//
// Where WebAssembly cannot be compiled (no WebAssembly, or a page whose Content-Security-Policy
// refuses it), `initRowEngine()` resolves to "js": the readers then use the TS core, with the
// same results. `rowEngineFallback()` says why.

import { WireError } from "../errors.ts";
import type { EngineKind, RowEngine } from "./engine.ts";
import { WasmRowEngine } from "./wasm-engine.ts";

/**
 * What the caller may hand over instead of the bundled bytes: a compiled WebAssembly.Module, or
 * the bytes of rows.wasm / rows-simd.wasm. (A module is typed as `object` so that declarations
 * need no DOM or WebAssembly typings.)
 */
export type WasmSource = ArrayBuffer | ArrayBufferView | object;

export interface RowEngineInitOptions {
  /** A precompiled module or the bytes of rows.wasm / rows-simd.wasm (edge runtimes). */
  source?: WasmSource;
  /**
   * The SIMD build: loaded only when asked for, and used only where the runtime supports SIMD
   * (it speeds up long text scans only; bench/ shows no gain on typical rows). With `source`,
   * says which build the source is.
   */
  simd?: boolean;
}

type WasmKind = "wasm" | "wasm-simd";

/** The engine "auto" uses, once loaded. */
let engine: WasmRowEngine | undefined;
/** Why the last attempt to load the bundled engine fell back to the TS core. */
let fallback: Error | undefined;
/** Each bundled build, compiling or compiled: concurrent first calls share one compile. */
const compiling = new Map<WasmKind, Promise<WebAssembly.Module>>();
/** Each bundled build once compiled, for the synchronous way in. */
const compiled = new Map<WasmKind, WebAssembly.Module>();

/** A minimal module using one SIMD instruction: validates where the runtime supports SIMD. */
const SIMD_PROBE = Uint8Array.of(
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  10,
  1,
  8,
  0,
  65,
  0,
  253,
  15,
  253,
  98,
  11,
);

/** True when the runtime supports WebAssembly SIMD (the SIMD build then loads). */
export function simdSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
}

/**
 * Loads the WebAssembly row engine (asynchronous compile: required for large modules on a
 * browser's main thread, and never blocking) and resolves to the engine kind "auto" now uses.
 * Without `source`, a runtime that cannot compile WebAssembly (none at all, or a
 * Content-Security-Policy without 'wasm-unsafe-eval') is no failure: it resolves to "js", and
 * rowEngineFallback() gives the reason. With a `source` that cannot be used, it rejects with a
 * WireError (BAD_STATE) whose cause is the runtime's error.
 */
export async function initRowEngine(options: RowEngineInitOptions = {}): Promise<EngineKind> {
  const kind = buildOf(options);
  const { source } = options;
  if (source !== undefined) {
    try {
      const module = isModule(source) ? source : await WebAssembly.compile(sourceBytes(source));
      return use(new WasmRowEngine(await WebAssembly.instantiate(module, {}), kind));
    } catch (error) {
      throw unusableSource(error);
    }
  }
  if (engine !== undefined && covers(engine.kind, kind)) return engine.kind;
  try {
    const module = await bundledModule(kind);
    // A concurrent call may have made it meanwhile.
    if (engine !== undefined && covers(engine.kind, kind)) return engine.kind;
    return use(new WasmRowEngine(await WebAssembly.instantiate(module, {}), kind));
  } catch (error) {
    fallback = error instanceof Error ? error : new Error(String(error));
    return engine?.kind ?? "js";
  }
}

/**
 * Loads the engine synchronously, from `source`, or from the bundled build once
 * `initRowEngine()` has compiled it (otherwise a WireError BAD_STATE says so). Fine in Node,
 * Deno, Bun and workers; browsers refuse synchronous compilation of large modules on the main
 * thread, where `initRowEngine` is the safe choice.
 */
export function initRowEngineSync(options: RowEngineInitOptions = {}): EngineKind {
  const kind = buildOf(options);
  const { source } = options;
  if (source !== undefined) {
    try {
      const module = isModule(source) ? source : new WebAssembly.Module(sourceBytes(source));
      return use(new WasmRowEngine(new WebAssembly.Instance(module, {}), kind));
    } catch (error) {
      throw unusableSource(error);
    }
  }
  if (engine !== undefined && covers(engine.kind, kind)) return engine.kind;
  if (typeof WebAssembly !== "object") throw noWebAssembly();
  const module = compiled.get(kind);
  if (module === undefined) {
    const simd = kind === "wasm-simd";
    throw new WireError(
      "BAD_STATE",
      `the bundled ${simd ? "SIMD " : ""}WebAssembly row core is not loaded yet: await initRowEngine(${simd ? "{ simd: true }" : ""}) once first, or pass \`source\``,
    );
  }
  return use(new WasmRowEngine(new WebAssembly.Instance(module, {}), kind));
}

/**
 * Why "auto" uses the TS core after `initRowEngine()` (the runtime has no WebAssembly, or refused
 * to compile it), or undefined when the WebAssembly engine loaded.
 */
export function rowEngineFallback(): Error | undefined {
  return engine === undefined ? fallback : undefined;
}

/** The loaded engine, or undefined: "auto" then uses the TS core. */
export function loadedWasmEngine(): RowEngine | undefined {
  return engine;
}

function use(loaded: WasmRowEngine): EngineKind {
  engine = loaded;
  fallback = undefined;
  return loaded.kind;
}

/** The build asked for: SIMD only when asked and supported (or when the given source is it). */
function buildOf(options: RowEngineInitOptions): WasmKind {
  return options.simd === true && (options.source !== undefined || simdSupported()) ? "wasm-simd" : "wasm";
}

/** Whether an engine already loaded serves a request for `wanted` (a SIMD engine serves both). */
function covers(loaded: EngineKind, wanted: WasmKind): boolean {
  return wanted === "wasm" || loaded === "wasm-simd";
}

/** The bundled build, compiled once; a failed compile (a CSP) is tried again by the next call. */
function bundledModule(kind: WasmKind): Promise<WebAssembly.Module> {
  let module = compiling.get(kind);
  if (module === undefined) {
    module = (async () => {
      if (typeof WebAssembly !== "object") throw noWebAssembly();
      const result = await WebAssembly.compile(await bundledBytes(kind));
      compiled.set(kind, result);
      return result;
    })();
    compiling.set(kind, module);
    module.catch(() => compiling.delete(kind));
  }
  return module;
}

/** Imports the generated module of a build (a chunk of its own in bundles). */
async function bundledBytes(kind: WasmKind): Promise<Uint8Array<ArrayBuffer>> {
  const { wasmBase64 } =
    kind === "wasm-simd" ? await import("../generated/rows-wasm-simd.ts") : await import("../generated/rows-wasm-scalar.ts");
  return base64Bytes(wasmBase64);
}

function base64Bytes(base64: string): Uint8Array<ArrayBuffer> {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }).fromBase64;
  if (typeof native === "function") return native(base64);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function isModule(source: WasmSource): source is WebAssembly.Module {
  return typeof WebAssembly === "object" && source instanceof WebAssembly.Module;
}

function sourceBytes(source: WasmSource): Uint8Array<ArrayBuffer> {
  if (typeof WebAssembly !== "object") throw noWebAssembly();
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength) as Uint8Array<ArrayBuffer>;
  throw new TypeError("source: expected a WebAssembly.Module, an ArrayBuffer or the bytes of rows.wasm");
}

function noWebAssembly(): WireError {
  return new WireError("BAD_STATE", 'this runtime has no WebAssembly: the row engine is the TS core (engine "js")');
}

function unusableSource(error: unknown): WireError {
  const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new WireError("BAD_STATE", `the given WebAssembly row core cannot be used here: ${why}`, { cause: error });
}
