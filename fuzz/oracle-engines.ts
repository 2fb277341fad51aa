// The row engines: WASM and TS must be indistinguishable (batches, values, errors), whole and
// split, under default and tight caps; the first frame read alone must agree with the codec; the
// session's FAILURE-tail parser must stay within the codec's cap. Both engines are wrapped so
// that every allocation they are asked to size is checked against the span they decode.

import type { WireError } from "../src/errors.ts";
import { type Limits, DEFAULT_LIMITS } from "../src/limits.ts";
import { decodeFrame } from "../src/messages/codec.ts";
import { tsEngine, type EngineRequest, type RowEngine } from "../src/rows/engine.ts";
import { ResultReader } from "../src/rows/result-reader.ts";
import type { RowBatch } from "../src/rows/row-batch.ts";
import { wasmBase64 } from "../src/generated/rows-wasm-scalar.ts";
import { initRowEngineSync, loadedWasmEngine } from "../src/rows/wasm-loader.ts";
import type { IntMode } from "../src/values/int-mode.ts";
import { type FuzzInput, type Findings, TIGHT_LIMITS, attempt, errorKey } from "./findings.ts";
import { cut } from "./oracle-stream.ts";
import { firstDifference, toHex } from "./same.ts";

// Environment: both row engines, with their allocations checked against the span they decode.

let engineAllocationProblem: string | undefined;
let environmentReady = false;

function guardEngine(engine: RowEngine): void {
  const decode = engine.decode.bind(engine);
  (engine as { decode: RowEngine["decode"] }).decode = (request: EngineRequest) => {
    // Every row takes at least one word per cell, so the cells of a span are at most its words.
    const cells = request.allocColumns * request.capacity;
    const spanWords = Math.ceil((request.end - request.start) / 8);
    if (cells > spanWords + 1 && engineAllocationProblem === undefined) {
      engineAllocationProblem = `${engine.kind} engine sized ${request.allocColumns} x ${request.capacity} cells for a span of ${request.end - request.start} bytes`;
    }
    return decode(request);
  };
}

/** Loads the WASM engine and guards both engines; idempotent. */
export function prepareEnvironment(): void {
  if (environmentReady) return;
  // The bundled bytes, imported here so that loading stays synchronous (the library imports
  // them on demand in initRowEngine).
  initRowEngineSync({ source: Buffer.from(wasmBase64, "base64") });
  const wasm = loadedWasmEngine();
  if (wasm === undefined) throw new Error("the WebAssembly row engine did not load (run npm run asbuild)");
  guardEngine(tsEngine);
  guardEngine(wasm);
  environmentReady = true;
}

/** The allocation problem an engine reported since the last call, and resets it. */
export function takeEngineAllocationProblem(): string | undefined {
  const problem = engineAllocationProblem;
  engineAllocationProblem = undefined;
  return problem;
}

// Row engines: the WASM and TS engines must be indistinguishable, and agree with the codec.

interface ReaderObservation {
  steps: { consumed: number; state: string; rows?: number; columns?: readonly string[]; slots?: string }[];
  values: unknown[][];
  ended?: string;
  error?: { name: string; code: string; message: string; offset: number; field?: string };
  serverError?: { code: number; message: string };
}

function batchSlots(batch: RowBatch): string {
  let out = "";
  for (let c = 0; c < batch.columns.length; c++) {
    const column = batch.column(c);
    out +=
      toHex(column.types) + ":" + toHex(new Uint8Array(column.numbers.buffer, column.numbers.byteOffset, column.numbers.byteLength)) + "|";
  }
  return out;
}

function driveReader(
  engine: "js" | "wasm",
  bytes: Uint8Array,
  splits: readonly number[],
  intMode: IntMode,
  findings: Findings,
  limits?: Readonly<Limits>,
): ReaderObservation | undefined {
  const oracle = `ResultReader(${engine}, ${intMode}${splits.length > 0 ? ", split" : ""}${limits ? ", tight caps" : ""})`;
  const observation: ReaderObservation = { steps: [], values: [] };
  const made = attempt(() => new ResultReader({ engine, intMode, retention: "keep", ...(limits ? { limits } : {}) }));
  if (findings.crashIf(made, oracle) || !("ok" in made)) return undefined;
  const reader = made.ok;
  const chunks = cut(bytes, splits);
  let pending: Uint8Array = new Uint8Array(0);
  let base = 0;
  let next = 0;
  for (;;) {
    if (next < chunks.length) {
      const chunk = chunks[next++]!;
      const merged = new Uint8Array(pending.length + chunk.length);
      merged.set(pending);
      merged.set(chunk, pending.length);
      pending = merged;
    }
    const step = attempt(() => reader.read(pending, base));
    if (findings.crashIf(step, oracle)) return undefined;
    if ("error" in step) {
      const e = step.error;
      observation.error = { name: e.name, code: e.code, message: e.message, offset: e.offset, field: e.field };
      return observation;
    }
    if (!("ok" in step)) return undefined;
    const { consumed, state, batch, error } = step.ok;
    if (consumed > 0 || state !== "more") {
      observation.steps.push({
        consumed,
        state,
        ...(batch ? { rows: batch.rowCount, columns: batch.columns, slots: batchSlots(batch) } : {}),
      });
    }
    if (batch) {
      const caps = limits ?? DEFAULT_LIMITS;
      if (
        batch.columns.length > caps.maxColumns ||
        reader.rowsRead > caps.maxRowsPerResult ||
        reader.framesRead > caps.maxFramesPerResult
      ) {
        findings.add(
          "unboundedAllocation",
          `${oracle} caps`,
          `${batch.columns.length} columns, ${reader.rowsRead} rows, ${reader.framesRead} frames passed the caps`,
        );
      }
      const rows = attempt(() => batch.arrays());
      if (findings.crashIf(rows, `${oracle} arrays`) || !("ok" in rows)) return undefined;
      // The per-cell and per-object views must show the same cells.
      const objects = attempt(() => batch.objects());
      if (findings.crashIf(objects, `${oracle} objects`)) return undefined;
      const last = batch.rowCount - 1;
      if (last >= 0) {
        const cells = attempt(() => batch.columns.map((_, c) => batch.get(last, c)));
        if (findings.crashIf(cells, `${oracle} get`) || !("ok" in cells)) return undefined;
        const difference = firstDifference(cells.ok, rows.ok[last]);
        if (difference !== undefined) findings.add("mismatch", `${oracle} get vs arrays`, difference);
      }
      observation.values.push(...rows.ok);
    }
    if (error) observation.serverError = { code: error.sqliteCode, message: error.message };
    pending = pending.subarray(consumed);
    base += consumed;
    if (state !== "more") {
      observation.ended = state;
      return observation;
    }
    if (consumed === 0 && next >= chunks.length) return observation;
  }
}

function endOf(o: ReaderObservation): unknown {
  return o.error ? { error: o.error } : { values: o.values, ended: o.ended, serverError: o.serverError };
}

export function checkEngines(input: FuzzInput, findings: Findings): void {
  for (const intMode of ["bigint", "number"] as const) {
    const js = driveReader("js", input.bytes, [], intMode, findings);
    const wasm = driveReader("wasm", input.bytes, [], intMode, findings);
    if (js && wasm) {
      const difference = firstDifference(wasm, js);
      if (difference !== undefined) findings.add("mismatch", `engines js/wasm (${intMode})`, difference);
    }
    if (input.splits.length === 0) continue;
    const jsSplit = driveReader("js", input.bytes, input.splits, intMode, findings);
    const wasmSplit = driveReader("wasm", input.bytes, input.splits, intMode, findings);
    if (jsSplit && wasmSplit) {
      const difference = firstDifference(wasmSplit, jsSplit);
      if (difference !== undefined) findings.add("mismatch", `engines js/wasm (${intMode}, split)`, difference);
    }
    if (js && jsSplit) {
      const difference = firstDifference(endOf(jsSplit), endOf(js));
      if (difference !== undefined) findings.add("mismatch", `ResultReader(js, ${intMode}) split vs whole`, difference);
    }
  }
  // Under tight caps the engines must still be indistinguishable.
  const jsTight = driveReader("js", input.bytes, input.splits, "string", findings, TIGHT_LIMITS);
  const wasmTight = driveReader("wasm", input.bytes, input.splits, "string", findings, TIGHT_LIMITS);
  if (jsTight && wasmTight) {
    const difference = firstDifference(wasmTight, jsTight);
    if (difference !== undefined) findings.add("mismatch", "engines js/wasm (string, tight caps)", difference);
  }
  checkEnginesAgainstCodec(input, findings);
}

/** The first whole frame, read alone by the reader and by the codec, must give the same answer. */
function checkEnginesAgainstCodec(input: FuzzInput, findings: Findings): void {
  const { bytes } = input;
  if (bytes.length < 8) return;
  const frameBytes = 8 + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) * 8;
  if (frameBytes > bytes.length || frameBytes > DEFAULT_LIMITS.maxMessageBytes) return;
  const frame = bytes.subarray(0, frameBytes);
  for (const intMode of ["bigint", "number"] as const) {
    const codec = attempt(() => decodeFrame("response", frame, { intMode }));
    if ("crash" in codec) return; // reported by the stateless oracle
    for (const engine of ["js", "wasm"] as const) {
      const oracle = `ResultReader(${engine}, ${intMode}) vs codec`;
      const reader = attempt(() => new ResultReader({ engine, intMode }).read(frame));
      if ("crash" in reader) return; // reported by driveReader
      if ("error" in codec) {
        if (!("error" in reader)) findings.add("mismatch", oracle, `codec fails with ${errorKey(codec.error)}, the reader does not`);
        else if (reader.error.code !== codec.error.code || reader.error.offset !== codec.error.offset) {
          findings.add("mismatch", oracle, `reader ${errorKey(reader.error)} vs codec ${errorKey(codec.error)}`);
        }
        continue;
      }
      if (!("ok" in codec)) continue;
      const message = codec.ok;
      if (message.type === "ROWS") {
        if (!("ok" in reader)) {
          findings.add("mismatch", oracle, `codec decodes ROWS, reader fails with ${errorKey((reader as { error: WireError }).error)}`);
          continue;
        }
        const step = reader.ok;
        const values = step.batch ? step.batch.arrays() : [];
        const difference =
          firstDifference(step.batch?.columns ?? [], message.columns) ??
          firstDifference(
            values,
            message.rows.map((row) => row.values),
          ) ??
          firstDifference(step.state, message.marker === "DONE" ? "done" : "more");
        if (difference !== undefined) findings.add("mismatch", oracle, difference);
      } else if (message.type === "FAILURE") {
        if (
          !("ok" in reader) ||
          reader.ok.state !== "failed" ||
          reader.ok.error?.sqliteCode !== Number(message.errorCode) ||
          reader.ok.error?.message !== message.message
        ) {
          findings.add("mismatch", oracle, "codec decodes FAILURE, the reader does not report it as the failed state with its code");
        }
      }
    }
  }
}
