// The WebAssembly row engine: loads the AssemblyScript core (assembly/rows.ts) and drives it
// through the same EngineRequest as the TS core.
//
// Loading: the module bytes are inlined as base64 (src/generated/, built by `npm run asbuild`),
// so one import works in Node, Deno without permissions, Bun, browsers and bundlers. Runtimes
// that forbid compiling at run time (edge workers) pass a precompiled WebAssembly.Module, or the
// bytes of the shipped .wasm file, to `initRowEngine` / `initRowEngineSync`.
//
// Memory: each call copies the input span into linear memory once, runs the core once for all
// the frames, and copies the packed column outputs out into a fresh ArrayBuffer (one slice). No
// view of WebAssembly memory ever leaves this module, so a batch stays valid after later calls
// and after memory growth; there is nothing stale to read.

import { WireError } from "../errors.ts";
import { wasmBase64 as scalarBase64 } from "../generated/rows-wasm-scalar.ts";
import { wasmBase64 as simdBase64 } from "../generated/rows-wasm-simd.ts";
import { CallField, CoreFault, CoreMemory, CoreStop, ResultField } from "./core-abi.ts";
import type { CoreOutcome, EngineRequest } from "./core-call.ts";
import type { EngineKind, EngineResult, RowEngine } from "./engine.ts";

/**
 * Whether `auto` takes the SIMD build where the runtime validates it. The SIMD build only
 * speeds up long text scans; bench/ shows no gain on realistic rows (see docs/benchmark.md).
 */
const PREFER_SIMD = false;

/** What the caller may hand over instead of the inlined bytes. */
export type WasmSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView;

export interface RowEngineInitOptions {
  /** A precompiled module or the bytes of rows.wasm / rows-simd.wasm (edge runtimes). */
  source?: WasmSource;
  /** Use the SIMD build when the runtime supports it (default: only where it pays). */
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

function base64Bytes(base64: string): Uint8Array {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (typeof native === "function") return native(base64);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bundledBytes(simd: boolean | undefined): { bytes: Uint8Array; kind: EngineKind } {
  const wantSimd = simd ?? PREFER_SIMD;
  if (wantSimd) {
    const bytes = base64Bytes(simdBase64);
    if (WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) return { bytes, kind: "wasm-simd" };
  }
  return { bytes: base64Bytes(scalarBase64), kind: "wasm" };
}

/** Both builds export the same names, so a caller's module is reported as the build it says. */
function givenKind(options: RowEngineInitOptions): EngineKind {
  return options.simd === true ? "wasm-simd" : "wasm";
}

function sourceBytes(source: ArrayBuffer | ArrayBufferView): Uint8Array {
  return source instanceof ArrayBuffer
    ? new Uint8Array(source)
    : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
}

function checkExports(instance: WebAssembly.Instance): CoreExports {
  const exports = instance.exports as unknown as CoreExports;
  if (!(exports.memory instanceof WebAssembly.Memory) || typeof exports.decodeSpan !== "function") {
    throw new TypeError("the given WebAssembly module is not the dqlite-wire row core");
  }
  return exports;
}

/**
 * Loads the WebAssembly row engine (asynchronous compile: required for large modules on a
 * browser's main thread, and never blocking). Resolves to the engine kind now used by "auto".
 */
export function initRowEngine(options: RowEngineInitOptions = {}): Promise<EngineKind> {
  if (engine !== undefined && options.source === undefined) return Promise.resolve(engine.kind);
  if (loading !== undefined && options.source === undefined) return loading;
  const run = async (): Promise<EngineKind> => {
    let instance: WebAssembly.Instance;
    let kind: EngineKind;
    if (options.source instanceof WebAssembly.Module) {
      instance = await WebAssembly.instantiate(options.source, {});
      kind = givenKind(options);
    } else {
      const chosen = options.source === undefined ? bundledBytes(options.simd) : { bytes: sourceBytes(options.source), kind: givenKind(options) };
      const module = await WebAssembly.compile(chosen.bytes as Uint8Array<ArrayBuffer>);
      instance = await WebAssembly.instantiate(module, {});
      kind = chosen.kind;
    }
    engine = new WasmRowEngine(checkExports(instance), kind);
    return kind;
  };
  const promise = run();
  if (options.source === undefined) {
    loading = promise;
    promise.catch(() => {
      loading = undefined;
    });
  }
  return promise;
}

/**
 * Loads the engine synchronously. Fine in Node, Deno, Bun and workers; browsers refuse
 * synchronous compilation of large modules on the main thread (this one is ~3 KiB, under the
 * 4 KiB limit Chromium applies), where `initRowEngine` is the safe choice.
 */
export function initRowEngineSync(options: RowEngineInitOptions = {}): EngineKind {
  if (engine !== undefined && options.source === undefined) return engine.kind;
  engine = createWasmEngineSync(options) as WasmRowEngine;
  return engine.kind;
}

/**
 * A separate WASM engine instance with its own memory (benchmarks compare the builds side by
 * side with it; pass it as a reader's `engine`). It does not change what "auto" uses.
 */
export function createWasmEngineSync(options: RowEngineInitOptions = {}): RowEngine {
  let module: WebAssembly.Module;
  let kind: EngineKind;
  if (options.source instanceof WebAssembly.Module) {
    module = options.source;
    kind = givenKind(options);
  } else {
    const chosen = options.source === undefined ? bundledBytes(options.simd) : { bytes: sourceBytes(options.source), kind: givenKind(options) };
    module = new WebAssembly.Module(chosen.bytes as Uint8Array<ArrayBuffer>);
    kind = chosen.kind;
  }
  return new WasmRowEngine(checkExports(new WebAssembly.Instance(module, {})), kind);
}

/** True when the runtime validates the SIMD build. */
export function simdSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(base64Bytes(simdBase64) as Uint8Array<ArrayBuffer>);
}

/**
 * The loaded engine. When none is loaded yet it tries a synchronous load; where that is refused
 * (no WebAssembly, or a browser main thread) it returns undefined and "auto" falls back to TS.
 */
export function readyWasmEngine(): RowEngine | undefined {
  if (engine === undefined && typeof WebAssembly === "object") {
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
}

class WasmRowEngine implements RowEngine {
  readonly kind: EngineKind;
  readonly #core: CoreExports;

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

    const heap = new Uint8Array(memory.buffer);
    heap.set(end === bytes.length ? bytes : bytes.subarray(0, end), inPtr);
    const heap32 = new Int32Array(memory.buffer);
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
