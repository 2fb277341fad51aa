// The WebAssembly row engine: loads the AssemblyScript core (assembly/rows.ts) and drives it
// through the same EngineRequest as the TS core.
//
// Loading: the module bytes are inlined as base64 in a generated module (src/generated/, built by
// `npm run asbuild`), which `initRowEngine()` imports on demand: one import works in Node, Deno
// without permissions, Bun, browsers and bundlers, and a bundler puts the bytes in a chunk of
// their own that a page loads only when it asks for the engine. The SIMD build is another such
// chunk, loaded only when asked for (`simd: true`). Once the bytes are loaded, the engine can
// also be made synchronously. Runtimes that forbid compiling at run time pass a precompiled
// WebAssembly.Module, or the bytes of the shipped .wasm file, as `source`.
//
// Where WebAssembly cannot be compiled (no WebAssembly, or a page whose Content-Security-Policy
// refuses it), `initRowEngine()` resolves to "js": the readers then use the TS core, with the
// same results. `rowEngineFallback()` says why.
//
// Memory: each call copies the input span into linear memory once, runs the core once for all
// the frames, and copies the packed column outputs out into a fresh ArrayBuffer (one slice). No
// view of WebAssembly memory ever leaves this module, so a batch stays valid after later calls
// and after memory growth; there is nothing stale to read.

import { WireError } from "../errors.ts";
import { CallField, CoreFault, CoreMemory, CoreStop, ResultField } from "./core-abi.ts";
import type { CoreOutcome, EngineRequest } from "./core-call.ts";
import type { EngineKind, EngineResult, RowEngine } from "./engine.ts";

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

interface CoreExports {
  memory: WebAssembly.Memory;
  /** Decodes the call record at `call` (CallField) and writes the result record (ResultField). */
  decodeSpan(call: number): number;
}

const PAGE_BYTES = 65536;
const align8 = (n: number) => (n + 7) & ~7;

let engine: WasmRowEngine | undefined;
let loading: Promise<EngineKind> | undefined;
/** The bundled builds' bytes, once their modules have been imported. */
const bundled: { scalar?: Uint8Array; simd?: Uint8Array } = {};
/** Why the last attempt to load the bundled engine fell back to the TS core. */
let fallback: Error | undefined;

function base64Bytes(base64: string): Uint8Array {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (typeof native === "function") return native(base64);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Imports the generated module of a build (a chunk of its own in bundles). */
async function loadBundled(simd: boolean): Promise<Uint8Array> {
  if (simd) return (bundled.simd ??= base64Bytes((await import("../generated/rows-wasm-simd.ts")).wasmBase64));
  return (bundled.scalar ??= base64Bytes((await import("../generated/rows-wasm-scalar.ts")).wasmBase64));
}

/** A minimal module using one SIMD instruction: validates where the runtime supports SIMD. */
const SIMD_PROBE = Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11);

/** True when the runtime supports WebAssembly SIMD (the SIMD build then loads). */
export function simdSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
}

function isModule(source: WasmSource): source is WebAssembly.Module {
  return typeof WebAssembly === "object" && source instanceof WebAssembly.Module;
}

function sourceBytes(source: WasmSource): Uint8Array {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  throw new TypeError("source: expected a WebAssembly.Module, an ArrayBuffer or the bytes of rows.wasm");
}

function checkExports(instance: WebAssembly.Instance): CoreExports {
  const exports = instance.exports as unknown as CoreExports;
  if (!(exports.memory instanceof WebAssembly.Memory) || typeof exports.decodeSpan !== "function") {
    throw new TypeError("the given WebAssembly module is not the dqlite-wire row core");
  }
  return exports;
}

function noWebAssembly(): WireError {
  return new WireError("BAD_STATE", "this runtime has no WebAssembly: the row engine is the TS core (engine \"js\")");
}

/**
 * Loads the WebAssembly row engine (asynchronous compile: required for large modules on a
 * browser's main thread, and never blocking) and resolves to the engine kind "auto" now uses.
 * Without `source`, a runtime that cannot compile WebAssembly (none at all, or a
 * Content-Security-Policy without 'wasm-unsafe-eval') is no failure: it resolves to "js", and
 * rowEngineFallback() gives the reason. With a `source` that cannot be used, it rejects with a
 * WireError (BAD_STATE) whose cause is the runtime's error.
 */
export function initRowEngine(options: RowEngineInitOptions = {}): Promise<EngineKind> {
  const given = options.source !== undefined;
  if (!given && engine !== undefined && (options.simd !== true || engine.kind === "wasm-simd")) return Promise.resolve(engine.kind);
  if (!given && loading !== undefined) return loading;
  const run = async (): Promise<EngineKind> => {
    try {
      if (typeof WebAssembly !== "object") throw noWebAssembly();
      const simd = options.simd === true && (given || simdSupported());
      const kind: EngineKind = simd ? "wasm-simd" : "wasm";
      const source = options.source ?? (await loadBundled(simd));
      const module = isModule(source) ? source : await WebAssembly.compile(sourceBytes(source) as Uint8Array<ArrayBuffer>);
      engine = new WasmRowEngine(checkExports(await WebAssembly.instantiate(module, {})), kind);
      fallback = undefined;
      return kind;
    } catch (error) {
      if (given) throw new WireError("BAD_STATE", `the given WebAssembly row core cannot be used here: ${describe(error)}`, { cause: error });
      fallback = error instanceof Error ? error : new Error(String(error));
      return engine?.kind ?? "js";
    }
  };
  const promise = run();
  if (!given) {
    loading = promise;
    void promise.then(() => {
      loading = undefined;
    });
  }
  return promise;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Why "auto" uses the TS core after `initRowEngine()` (the runtime has no WebAssembly, or refused
 * to compile it), or undefined when the WebAssembly engine loaded.
 */
export function rowEngineFallback(): Error | undefined {
  return engine === undefined ? fallback : undefined;
}

/**
 * Loads the engine synchronously, from `source`, or from the bundled bytes once `initRowEngine()`
 * has loaded them. Fine in Node, Deno, Bun and workers; browsers refuse synchronous compilation
 * of large modules on the main thread (this one is ~4 KiB), where `initRowEngine` is the safe
 * choice.
 */
export function initRowEngineSync(options: RowEngineInitOptions = {}): EngineKind {
  if (engine !== undefined && options.source === undefined && (options.simd !== true || engine.kind === "wasm-simd")) return engine.kind;
  engine = createWasmEngineSync(options) as WasmRowEngine;
  return engine.kind;
}

/**
 * A separate WASM engine instance with its own memory (benchmarks compare the builds side by
 * side with it; pass it as a reader's `engine`). It does not change what "auto" uses. Without
 * `source`, the bundled build must have been loaded by `initRowEngine()` first.
 */
export function createWasmEngineSync(options: RowEngineInitOptions = {}): RowEngine {
  if (typeof WebAssembly !== "object") throw noWebAssembly();
  const simd = options.simd === true && (options.source !== undefined || simdSupported());
  const source = options.source ?? (simd ? bundled.simd : bundled.scalar);
  if (source === undefined) {
    throw new WireError(
      "BAD_STATE",
      `the bundled ${simd ? "SIMD " : ""}WebAssembly row core is not loaded yet: await initRowEngine(${simd ? "{ simd: true }" : ""}) once first, or pass \`source\``,
    );
  }
  const module = isModule(source) ? source : new WebAssembly.Module(sourceBytes(source) as Uint8Array<ArrayBuffer>);
  return new WasmRowEngine(checkExports(new WebAssembly.Instance(module, {})), simd ? "wasm-simd" : "wasm");
}

/**
 * The loaded engine, or undefined: "auto" then uses the TS core. Where the bundled bytes are
 * loaded but the engine is not (a reset), it is made synchronously.
 */
export function readyWasmEngine(): RowEngine | undefined {
  if (engine === undefined && bundled.scalar !== undefined && typeof WebAssembly === "object") {
    try {
      initRowEngineSync();
    } catch {
      // Left undefined: the caller decides between the TS fallback and an error.
    }
  }
  return engine;
}

/** Forgets the loaded engine (tests use it to exercise loading again). */
export function resetRowEngine(): void {
  engine = undefined;
  loading = undefined;
  fallback = undefined;
}

class WasmRowEngine implements RowEngine {
  readonly kind: EngineKind;
  readonly #core: CoreExports;
  /** Views of the core's memory, made again only when it grows (which detaches the old ones). */
  #heap = new Uint8Array(0);
  #heap32 = new Int32Array(0);

  constructor(core: CoreExports, kind: EngineKind) {
    this.#core = core;
    this.kind = kind;
  }

  decode(request: EngineRequest): EngineResult {
    const { bytes, end, knownColumns, allocColumns, capacity } = request;
    const refColumns = Math.max(knownColumns, allocColumns, 0);
    const refBytesPtr = CoreMemory.Refs + refColumns * 8;
    const inPtr = align8(refBytesPtr + (knownColumns >= 0 ? request.refBytes.length : 0));
    const cells = allocColumns * capacity;
    // Slots before types: the core packs both down into one run that a single slice copies out.
    const slotsPtr = align8(inPtr + end);
    const typesPtr = slotsPtr + cells * 8;
    const memory = this.#reserve(typesPtr + cells);
    if (this.#heap.buffer !== memory.buffer) {
      this.#heap = new Uint8Array(memory.buffer);
      this.#heap32 = new Int32Array(memory.buffer);
    }
    const heap = this.#heap;
    const heap32 = this.#heap32;
    heap.set(end === bytes.length ? bytes : bytes.subarray(0, end), inPtr);
    if (knownColumns >= 0) {
      heap.set(request.refBytes, refBytesPtr);
      for (let c = 0; c < knownColumns; c++) {
        heap32[(CoreMemory.Refs >> 2) + c * 2] = refBytesPtr + request.refStart[c]!;
        heap32[(CoreMemory.Refs >> 2) + c * 2 + 1] = request.refLength[c]!;
      }
    }
    writeCall(heap32, request, { inPtr, typesPtr, slotsPtr });
    this.#core.decodeSpan(CoreMemory.Call);
    const outcome = readOutcome(heap32);

    if (knownColumns < 0 && outcome.stop !== CoreStop.Error) {
      for (let c = 0; c < allocColumns; c++) {
        request.refStart[c] = heap32[(CoreMemory.Refs >> 2) + c * 2]! - inPtr;
        request.refLength[c] = heap32[(CoreMemory.Refs >> 2) + c * 2 + 1]!;
      }
    }

    // One copy takes the packed outputs out of linear memory: slots, then types.
    const rows = outcome.stop === CoreStop.Error ? 0 : outcome.rows;
    const packed = allocColumns * rows;
    const slots = memory.buffer.slice(slotsPtr, slotsPtr + packed * 9);
    const types = new Uint8Array(slots, packed * 8, packed);
    return { outcome, storage: { types, slots, slotsOffset: 0, stride: rows } };
  }

  /** The core's memory, grown to hold `needed` bytes. */
  #reserve(needed: number): WebAssembly.Memory {
    if (needed > 0xffff0000) throw new WireError("LIMIT", `a row batch needs ${needed} bytes of WebAssembly memory, over 4 GiB`);
    const memory = this.#core.memory;
    if (needed > memory.buffer.byteLength) {
      try {
        memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
      } catch (error) {
        // The engine refused the memory (out of memory, or a host limit): a typed error, not a crash.
        throw new WireError("LIMIT", `a row batch needs ${needed} bytes of WebAssembly memory, which could not be had`, { cause: error });
      }
    }
    return memory;
  }
}

/** Writes the call record (CallField) for `request`, whose input and outputs sit at the given addresses. */
function writeCall(heap32: Int32Array, request: EngineRequest, at: { inPtr: number; typesPtr: number; slotsPtr: number }): void {
  const field = (name: CallField, value: number) => {
    heap32[(CoreMemory.Call + name) >> 2] = value;
  };
  const { limits } = request;
  field(CallField.InPtr, at.inPtr);
  field(CallField.InLength, request.end);
  field(CallField.Start, request.start);
  field(CallField.End, request.end);
  field(CallField.KnownColumns, request.knownColumns);
  field(CallField.RefPtr, CoreMemory.Refs);
  field(CallField.FramesBefore, request.framesBefore);
  field(CallField.RowsBefore, request.rowsBefore);
  field(CallField.IntNumbers, request.intNumbers ? 1 : 0);
  field(CallField.MaxColumns, limits.maxColumns);
  field(CallField.MaxRowsPerFrame, limits.maxRowsPerFrame);
  field(CallField.MaxFramesPerResult, limits.maxFramesPerResult);
  field(CallField.MaxRowsPerResult, limits.maxRowsPerResult);
  field(CallField.MaxNameBytes, limits.maxNameBytes);
  field(CallField.MaxValueBytes, limits.maxValueBytes);
  field(CallField.AllocColumns, request.allocColumns);
  field(CallField.Capacity, request.capacity);
  field(CallField.TypesPtr, at.typesPtr);
  field(CallField.SlotsPtr, at.slotsPtr);
  field(CallField.ResultPtr, CoreMemory.Result);
}

/** Reads the result record (ResultField) the core wrote. */
function readOutcome(heap32: Int32Array): CoreOutcome {
  const field = (name: ResultField) => heap32[(CoreMemory.Result + name) >> 2]!;
  return {
    stop: field(ResultField.Stop) as CoreStop,
    consumedEnd: field(ResultField.ConsumedEnd),
    frames: field(ResultField.Frames),
    rows: field(ResultField.Rows),
    columns: field(ResultField.Columns),
    frameIndex: field(ResultField.FrameIndex),
    fault: field(ResultField.Fault) as CoreFault,
    offset: field(ResultField.Offset),
    row: field(ResultField.Row),
    column: field(ResultField.Column),
    detail: field(ResultField.Detail),
    hasSpans: field(ResultField.HasSpans) === 1,
    nonAsciiText: field(ResultField.NonAsciiText) === 1,
  };
}
