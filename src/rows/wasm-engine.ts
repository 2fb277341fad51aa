// The WebAssembly row engine: the AssemblyScript core (assembly/rows.ts) behind the RowEngine
// contract the TS core's engine (engine.ts) meets, call for call. Loading the module (bundled
// bytes, a given source, SIMD, the cache) is wasm-loader.ts's job; this file only calls an
// instance of it.
//
// Memory: each call copies the input span into linear memory once, runs the core once for all
// the frames, and copies the packed column outputs out into a fresh ArrayBuffer (one slice). No
// view of WebAssembly memory ever leaves this module, so a batch stays valid after later calls
// and after memory growth; there is nothing stale to read.

import { WireError } from "../errors.ts";
import { CallField, type CoreFault, CoreMemory, CoreStop, ResultField } from "./core-abi.ts";
import type { CoreOutcome, EngineRequest } from "./core-call.ts";
import type { EngineKind, EngineResult, RowEngine } from "./engine.ts";

interface CoreExports {
  memory: WebAssembly.Memory;
  /** Decodes the call record at `call` (CallField) and writes the result record (ResultField). */
  decodeSpan(call: number): number;
}

const PAGE_BYTES = 65536;
const align8 = (n: number) => (n + 7) & ~7;

function checkExports(instance: WebAssembly.Instance): CoreExports {
  const exports = instance.exports as unknown as CoreExports;
  if (!(exports.memory instanceof WebAssembly.Memory) || typeof exports.decodeSpan !== "function") {
    throw new TypeError("the given WebAssembly module is not the dqlite-wire row core");
  }
  return exports;
}

/**
 * One instance of the row core (its own memory) as a RowEngine. Throws a TypeError when the
 * instance is not of the row core.
 */
export class WasmRowEngine implements RowEngine {
  readonly kind: EngineKind;
  readonly #core: CoreExports;
  /** Views of the core's memory, made again only when it grows (which detaches the old ones). */
  #heap = new Uint8Array(0);
  #heap32 = new Int32Array(0);

  constructor(instance: WebAssembly.Instance, kind: EngineKind) {
    this.#core = checkExports(instance);
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
