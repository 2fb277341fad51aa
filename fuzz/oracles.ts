// The checks every fuzz input goes through. Each oracle feeds the bytes to one decoder (or two
// decoders that must agree) and reports findings:
//
// - crash: something other than a WireError was thrown (or a non-throwing API threw);
// - mismatch: two decoders, or a decoder and the encoder, disagree about the same bytes;
// - unboundedAllocation: a decoded value exceeds a configured cap, the decoded output is larger
//   than the input could describe, an allocation was sized far beyond the input, or a stream
//   decoder buffered more than one frame plus one chunk;
// - hang: measured by the harness around this whole function (see runner.ts).
//
// `checkInput` is deterministic: the same input gives the same findings, which is what lets the
// minimiser shrink an input and the corpus test replay it in CI.

import { isWireError, type WireError } from "../src/errors.ts";
import { type Limits, DEFAULT_LIMITS } from "../src/limits.ts";
import { type DecodeOptions, decodeFrame, encodeMessage } from "../src/messages/codec.ts";
import type { Side } from "../src/messages/codes.ts";
import type { FieldSpec, MessageDeclaration } from "../src/messages/fields.ts";
import { inspectFrame } from "../src/messages/inspect.ts";
import { requestSchemas, responseSchemas } from "../src/messages/schemas.ts";
import type { Message } from "../src/messages/types.ts";
import { tsEngine, type EngineRequest, type RowEngine } from "../src/rows/engine.ts";
import { ResultReader } from "../src/rows/result-reader.ts";
import type { RowBatch } from "../src/rows/row-batch.ts";
import { initRowEngineSync, readyWasmEngine } from "../src/rows/wasm-engine.ts";
import { FrameDecoder } from "../src/stream/frame-decoder.ts";
import type { Tuple } from "../src/values/cell.ts";
import type { IntMode } from "../src/values/int-mode.ts";
import { readHeader } from "../src/wire/header.ts";
import { messageFromJSON, messageToJSON } from "../src/json/message-json.ts";
import { failureAtEnd } from "../src/client/failure-tail.ts";
import { largestAllocation, resetLargestAllocation, allocationTrackerInstalled } from "./alloc-tracker.ts";
import { firstDifference, toHex } from "./same.ts";

export type FindingKind = "crash" | "hang" | "mismatch" | "unboundedAllocation";

export interface Finding {
  kind: FindingKind;
  /** Which check failed, e.g. "decodeFrame(response)" or "engines js/wasm". */
  oracle: string;
  detail: string;
}

const SEVERITY: Record<FindingKind, number> = { crash: 0, hang: 1, unboundedAllocation: 2, mismatch: 3 };

/** The finding to minimise and file an input under: crashes first, mismatches last. */
export function gravest(findings: readonly Finding[]): Finding | undefined {
  let out: Finding | undefined;
  for (const finding of findings) if (out === undefined || SEVERITY[finding.kind] < SEVERITY[out.kind]) out = finding;
  return out;
}

export interface FuzzInput {
  /** The side the bytes were made for; the stateless decoder is tried on both sides. */
  side: Side;
  bytes: Uint8Array;
  legacy: boolean;
  allowInternal: boolean;
  /** Where the incremental decoders get the bytes cut, ascending, within [0, bytes.length]. */
  splits: number[];
}

/** Caps small enough that generated and recorded frames hit them. */
export const TIGHT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 4096,
  maxValueBytes: 24,
  maxParams: 4,
  maxColumns: 3,
  maxRowsPerFrame: 3,
  maxFramesPerResult: 2,
  maxRowsPerResult: 4,
  maxFiles: 2,
  maxNodes: 2,
  maxRowsAffected: 100,
  maxTailOffset: 100,
  maxFailureMessageBytes: 16,
  maxNameBytes: 8,
  maxAddressBytes: 12,
  maxDumpNameBytes: 8,
});

/** The largest allocation one input may cause: a few times its size, plus the stream buffer. */
export function allocationBound(inputBytes: number): number {
  return 4 * inputBytes + 64 * 1024 + 1024;
}

type Attempt<T> = { ok: T } | { error: WireError } | { crash: unknown };

function attempt<T>(run: () => T): Attempt<T> {
  try {
    return { ok: run() };
  } catch (error) {
    return isWireError(error) ? { error } : { crash: error };
  }
}

function describeThrown(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`.slice(0, 300);
  return String(value).slice(0, 300);
}

function errorKey(error: WireError): string {
  return `${error.name}/${error.code}@${error.offset}`;
}

class Findings {
  readonly list: Finding[] = [];
  add(kind: FindingKind, oracle: string, detail: string): void {
    this.list.push({ kind, oracle, detail: detail.slice(0, 500) });
  }
  crashIf<T>(result: Attempt<T>, oracle: string): result is { crash: unknown } {
    if ("crash" in result) {
      this.add("crash", oracle, describeThrown(result.crash));
      return true;
    }
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
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
  initRowEngineSync();
  const wasm = readyWasmEngine();
  if (wasm === undefined) throw new Error("the WebAssembly row engine did not load (run npm run asbuild)");
  guardEngine(tsEngine);
  guardEngine(wasm);
  environmentReady = true;
}

// ---------------------------------------------------------------------------------------------
// Walking decoded messages.

const textEncoder = new TextEncoder();
const utf8Bytes = (text: string): number => textEncoder.encode(text).length;

function declarationOf(side: Side, type: string): MessageDeclaration {
  const schemas: Record<string, MessageDeclaration> = side === "request" ? requestSchemas : responseSchemas;
  return schemas[type]!;
}

function tupleCells(tuple: Tuple, limits: Readonly<Limits>, where: string): string | undefined {
  for (let i = 0; i < tuple.values.length; i++) {
    const value = tuple.values[i];
    if (typeof value === "string" && utf8Bytes(value) > limits.maxValueBytes) return `${where}[${i}] text of ${utf8Bytes(value)} bytes > maxValueBytes ${limits.maxValueBytes}`;
    if (value instanceof Uint8Array && value.length > limits.maxValueBytes) return `${where}[${i}] blob of ${value.length} bytes > maxValueBytes ${limits.maxValueBytes}`;
  }
  return undefined;
}

/** The first decoded value that exceeds its cap, or undefined. */
export function capViolation(side: Side, message: Message, limits: Readonly<Limits>): string | undefined {
  const record = message as unknown as Record<string, unknown>;
  const declaration = declarationOf(side, message.type);
  const specs: FieldSpec[] = declaration.variants.flatMap((variant) => [...variant.fields]);
  for (const spec of specs) {
    if (spec.name === undefined || !(spec.name in record)) continue;
    const value = record[spec.name];
    const where = `${message.type}.${spec.name}`;
    const cap = spec.cap === undefined ? Number.MAX_SAFE_INTEGER : limits[spec.cap];
    switch (spec.kind) {
      case "text":
        if (utf8Bytes(value as string) > cap) return `${where} of ${utf8Bytes(value as string)} bytes > ${spec.cap} ${cap}`;
        break;
      case "count64":
        if ((value as number) > cap) return `${where} ${String(value)} > ${spec.cap} ${cap}`;
        break;
      case "params": {
        const tuple = value as Tuple;
        if (tuple.types.length > limits.maxParams) return `${where} holds ${tuple.types.length} params > maxParams ${limits.maxParams}`;
        const cell = tupleCells(tuple, limits, where);
        if (cell !== undefined) return cell;
        break;
      }
      case "columns": {
        const names = value as string[];
        if (names.length > limits.maxColumns) return `${where} holds ${names.length} > maxColumns ${limits.maxColumns}`;
        for (const name of names) if (utf8Bytes(name) > limits.maxNameBytes) return `${where} name of ${utf8Bytes(name)} bytes > maxNameBytes`;
        break;
      }
      case "rows": {
        const rows = value as Tuple[];
        if (rows.length >= limits.maxRowsPerFrame) return `${where} holds ${rows.length} >= maxRowsPerFrame ${limits.maxRowsPerFrame} (exclusive)`;
        for (let r = 0; r < rows.length; r++) {
          const cell = tupleCells(rows[r]!, limits, `${where}[${r}]`);
          if (cell !== undefined) return cell;
        }
        break;
      }
      case "nodes": {
        const nodes = value as { address: string }[];
        if (nodes.length > limits.maxNodes) return `${where} holds ${nodes.length} > maxNodes ${limits.maxNodes}`;
        for (const node of nodes) if (utf8Bytes(node.address) > limits.maxAddressBytes) return `${where} address > maxAddressBytes`;
        break;
      }
      case "files": {
        const files = value as { name: string; content: Uint8Array }[];
        if (files.length > limits.maxFiles) return `${where} holds ${files.length} > maxFiles ${limits.maxFiles}`;
        for (const file of files) {
          if (utf8Bytes(file.name) > limits.maxNameBytes) return `${where} name > maxNameBytes`;
          if (file.content.length > limits.maxValueBytes) return `${where} content of ${file.content.length} > maxValueBytes`;
        }
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}

/** Elements, characters and bytes held by a decoded value: what decoding it allocated. */
export function footprint(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (value instanceof Uint8Array) return value.length;
  if (value instanceof Map) return value.size;
  if (Array.isArray(value)) {
    let total = value.length;
    for (const item of value) total += footprint(item);
    return total;
  }
  if (value !== null && typeof value === "object") {
    let total = 0;
    for (const item of Object.values(value)) total += footprint(item);
    return total;
  }
  return 0;
}

const INT_TYPES = new Set([1, 9]);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The message a decoder in `mode` must return, given the one decoded in "bigint" mode; or
 * "unsafe" when an integer cell cannot be a JS number exactly (the decoder must then refuse).
 */
function expectedInMode(message: Message, mode: IntMode): Message | "unsafe" {
  let unsafe = false;
  const convert = (tuple: Tuple): Tuple => {
    const values = tuple.values.map((value, i) => {
      if (!INT_TYPES.has(tuple.types[i]!) || typeof value !== "bigint") return value;
      if (mode === "string") return value.toString();
      if (value > MAX_SAFE || value < -MAX_SAFE) unsafe = true;
      return Number(value);
    });
    const out: Tuple = { ...tuple, values };
    return out;
  };
  const record = { ...(message as unknown as Record<string, unknown>) };
  if (record["params"] !== undefined) record["params"] = convert(record["params"] as Tuple);
  if (record["rows"] !== undefined) record["rows"] = (record["rows"] as Tuple[]).map(convert);
  return unsafe ? "unsafe" : (record as unknown as Message);
}

// ---------------------------------------------------------------------------------------------
// Stateless decoder, encoder, inspector.

function checkStateless(input: FuzzInput, side: Side, findings: Findings): Attempt<Message> {
  const { bytes } = input;
  const options: DecodeOptions = { intMode: "bigint", legacy: input.legacy, allowInternal: input.allowInternal };
  const oracle = `decodeFrame(${side})`;
  const base = attempt(() => decodeFrame(side, bytes, options));
  if (findings.crashIf(base, oracle)) return base;

  if ("ok" in base) {
    const message = base.ok;
    const violation = capViolation(side, message, DEFAULT_LIMITS);
    if (violation !== undefined) findings.add("unboundedAllocation", `${oracle} caps`, violation);
    const held = footprint(message);
    if (held > 2 * bytes.length + 64) findings.add("unboundedAllocation", `${oracle} footprint`, `decoded ${held} elements from ${bytes.length} bytes`);
    checkReencode(side, message, options, findings);
  }

  // intMode: "number" and "string" must agree with the exact "bigint" decode.
  for (const mode of ["number", "string"] as const) {
    const other = attempt(() => decodeFrame(side, bytes, { ...options, intMode: mode }));
    const modeOracle = `${oracle} intMode ${mode}`;
    if (findings.crashIf(other, modeOracle)) continue;
    if ("error" in base) {
      if ("ok" in other) {
        findings.add("mismatch", modeOracle, `decodes in intMode ${mode} but fails in bigint: ${base.error.message}`);
      } else if ("error" in other && errorKey(other.error) !== errorKey(base.error)) {
        // An unsafe integer may be met before the structural error the bigint decode reports.
        const earlierUnsafe = other.error.code === "UNSAFE_INTEGER" && other.error.offset < base.error.offset;
        if (!earlierUnsafe) findings.add("mismatch", modeOracle, `${errorKey(other.error)} vs bigint ${errorKey(base.error)}`);
      }
      continue;
    }
    if (!("ok" in base)) continue;
    const expected = expectedInMode(base.ok, mode);
    if (expected === "unsafe") {
      if (!("error" in other && other.error.code === "UNSAFE_INTEGER")) {
        const got = "ok" in other ? "a message" : errorKey((other as { error: WireError }).error);
        findings.add("mismatch", modeOracle, `an integer outside ±(2^53-1) must be refused as UNSAFE_INTEGER, got ${got}`);
      }
    } else if (!("ok" in other)) {
      findings.add("mismatch", modeOracle, `fails (${errorKey((other as { error: WireError }).error)}) where bigint decodes`);
    } else {
      const difference = firstDifference(other.ok, expected);
      if (difference !== undefined) findings.add("mismatch", modeOracle, difference);
    }
  }

  // Options that only some messages care about: each decode must still end in a message or a
  // WireError, and allowing internal messages never makes a frame fail.
  const legacyFlip = attempt(() => decodeFrame(side, bytes, { ...options, legacy: !input.legacy }));
  findings.crashIf(legacyFlip, `${oracle} legacy=${!input.legacy}`);
  const internalFlip = attempt(() => decodeFrame(side, bytes, { ...options, allowInternal: !input.allowInternal }));
  if (!findings.crashIf(internalFlip, `${oracle} allowInternal=${!input.allowInternal}`)) {
    const allowed = input.allowInternal ? base : internalFlip;
    const refused = input.allowInternal ? internalFlip : base;
    if ("ok" in refused && !("ok" in allowed)) findings.add("mismatch", `${oracle} allowInternal`, "a frame accepted without allowInternal fails with it");
  }

  // Tight caps: whatever decodes must fit them, and must be what the default caps decode.
  const tight = attempt(() => decodeFrame(side, bytes, { ...options, limits: TIGHT_LIMITS }));
  if (!findings.crashIf(tight, `${oracle} tight caps`) && "ok" in tight) {
    if (bytes.length > TIGHT_LIMITS.maxMessageBytes) findings.add("unboundedAllocation", `${oracle} tight caps`, `a frame of ${bytes.length} bytes passed maxMessageBytes ${TIGHT_LIMITS.maxMessageBytes}`);
    const violation = capViolation(side, tight.ok, TIGHT_LIMITS);
    if (violation !== undefined) findings.add("unboundedAllocation", `${oracle} tight caps`, violation);
    if (!("ok" in base)) findings.add("mismatch", `${oracle} tight caps`, "decodes under tight caps but not under the defaults");
    else {
      const difference = firstDifference(tight.ok, base.ok);
      if (difference !== undefined) findings.add("mismatch", `${oracle} tight caps`, difference);
    }
  }
  return base;
}

function checkReencode(side: Side, message: Message, options: DecodeOptions, findings: Findings): void {
  const oracle = `re-encode(${side})`;
  const encoded = attempt(() => encodeMessage(side, message, { legacy: options.legacy }));
  if (findings.crashIf(encoded, `${oracle} encodeMessage`)) return;
  if ("error" in encoded) {
    findings.add("mismatch", oracle, `a decoded ${message.type} does not encode: ${encoded.error.code} ${encoded.error.message}`);
    return;
  }
  if (!("ok" in encoded)) return;
  const again = attempt(() => decodeFrame(side, encoded.ok, options));
  if (findings.crashIf(again, `${oracle} decodeFrame`)) return;
  if (!("ok" in again)) {
    findings.add("mismatch", oracle, `the re-encoded ${message.type} does not decode: ${errorKey((again as { error: WireError }).error)} ${toHex(encoded.ok).slice(0, 120)}`);
    return;
  }
  const difference = firstDifference(again.ok, message);
  if (difference !== undefined) {
    findings.add("mismatch", oracle, `decode(encode(m)) differs from m at ${difference}`);
    return;
  }
  const twice = attempt(() => encodeMessage(side, again.ok, { legacy: options.legacy }));
  if (findings.crashIf(twice, `${oracle} encodeMessage`)) return;
  if (!("ok" in twice) || toHex(twice.ok) !== toHex(encoded.ok)) findings.add("mismatch", oracle, "encoding is not stable: encode(decode(encode(m))) differs from encode(m)");

  // Through the JSON mapping and back: the same frame.
  const viaJson = attempt(() => encodeMessage(side, messageFromJSON(side, JSON.parse(JSON.stringify(messageToJSON(side, message)))) as never, { legacy: options.legacy }));
  if (findings.crashIf(viaJson, "JSON round trip")) return;
  if (!("ok" in viaJson)) findings.add("mismatch", "JSON round trip", `messageFromJSON(messageToJSON(m)) does not encode: ${errorKey((viaJson as { error: WireError }).error)} ${(viaJson as { error: WireError }).error.message}`);
  else if (toHex(viaJson.ok) !== toHex(encoded.ok)) findings.add("mismatch", "JSON round trip", `encodes to ${toHex(viaJson.ok).slice(0, 80)}, not ${toHex(encoded.ok).slice(0, 80)}`);
}

function checkInspect(input: FuzzInput, side: Side, stateless: Attempt<Message>, findings: Findings): void {
  const oracle = `inspectFrame(${side})`;
  const options: DecodeOptions = { intMode: "bigint", legacy: input.legacy, allowInternal: input.allowInternal };
  const inspected = attempt(() => inspectFrame(side, input.bytes, options));
  if ("crash" in inspected || "error" in inspected) {
    findings.add("crash", oracle, `inspectFrame threw: ${"crash" in inspected ? describeThrown(inspected.crash) : inspected.error.message}`);
    return;
  }
  const { message, error, fields } = inspected.ok;
  for (const span of fields) {
    if (!(span.start >= 0 && span.start <= span.end && span.end <= input.bytes.length)) {
      findings.add("mismatch", oracle, `span ${span.path} [${span.start}, ${span.end}) is outside the ${input.bytes.length}-byte frame`);
      break;
    }
  }
  if ("ok" in stateless) {
    if (message === undefined) findings.add("mismatch", oracle, `decodeFrame decodes, inspectFrame says ${error?.code}`);
    else {
      const difference = firstDifference(message, stateless.ok);
      if (difference !== undefined) findings.add("mismatch", oracle, difference);
    }
  } else if ("error" in stateless) {
    if (error === undefined) findings.add("mismatch", oracle, `inspectFrame decodes, decodeFrame fails with ${errorKey(stateless.error)}`);
    else if (error.code !== stateless.error.code) findings.add("mismatch", oracle, `${errorKey(error)} vs decodeFrame ${errorKey(stateless.error)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Incremental decoder against the stateless one, frame by frame.

interface StreamOutcome {
  messages: Message[];
  error?: { code: string; offset: number };
}

function expectedStream(side: Side, bytes: Uint8Array, options: DecodeOptions, shift: number, findings: Findings): StreamOutcome {
  const out: StreamOutcome = { messages: [] };
  const maxMessageBytes = { ...DEFAULT_LIMITS, ...options.limits }.maxMessageBytes;
  let at = 0;
  while (bytes.length - at >= 8) {
    let frameBytes: number;
    try {
      frameBytes = readHeader(bytes, at, maxMessageBytes).frameBytes;
    } catch (error) {
      out.error = { code: (error as WireError).code, offset: at + shift };
      return out;
    }
    if (frameBytes > bytes.length - at) break;
    try {
      out.messages.push(decodeFrame(side, bytes.subarray(at, at + frameBytes), options));
    } catch (error) {
      if (!isWireError(error)) findings.add("crash", `decodeFrame(${side}) of a frame at ${at}`, describeThrown(error));
      out.error = { code: (error as WireError).code, offset: (error as WireError).offset + at + shift };
      return out;
    }
    at += frameBytes;
  }
  if (at < bytes.length) out.error = { code: "TRUNCATED", offset: at + shift };
  return out;
}

function cut(bytes: Uint8Array, splits: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const at of splits) {
    if (at <= from || at >= bytes.length) continue;
    chunks.push(bytes.subarray(from, at));
    from = at;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

function checkStream(input: FuzzInput, split: boolean, findings: Findings, limits?: Readonly<Limits>): void {
  const side = input.side;
  // The request side of a real connection starts with the handshake; the split run covers it.
  const handshake = split && side === "request";
  const prefix = handshake ? (input.legacy ? Uint8Array.of(0xe5, 0x3f, 0x43, 0x60, 0xd7, 0x4d, 0x10, 0x86) : Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)) : new Uint8Array(0);
  const stream = new Uint8Array(prefix.length + input.bytes.length);
  stream.set(prefix);
  stream.set(input.bytes, prefix.length);
  const splits = split ? input.splits.map((at) => at + prefix.length) : [];
  const options: DecodeOptions = { intMode: "bigint", legacy: input.legacy, allowInternal: input.allowInternal, ...(limits ? { limits } : {}) };
  const oracle = `FrameDecoder(${side}${split ? ", split" : ""}${limits ? ", tight caps" : ""})`;
  const expected = expectedStream(side, input.bytes, options, prefix.length, findings);

  const made = attempt(() => new FrameDecoder({ side, handshake, ...options }));
  if (findings.crashIf(made, oracle) || !("ok" in made)) return;
  const decoder = made.ok;
  const actual: StreamOutcome = { messages: [] };
  let failure: WireError | undefined;
  const maxMessageBytes = (limits ?? DEFAULT_LIMITS).maxMessageBytes;
  outer: for (const chunk of cut(stream, splits)) {
    const pushed = attempt(() => decoder.push(chunk));
    if (findings.crashIf(pushed, `${oracle} push`)) return;
    if ("error" in pushed) {
      failure = pushed.error;
      break;
    }
    if (decoder.bufferedBytes > maxMessageBytes + chunk.length) {
      findings.add("unboundedAllocation", `${oracle} buffer`, `${decoder.bufferedBytes} bytes buffered after a ${chunk.length}-byte chunk`);
    }
    const capacity = (decoder as unknown as { buffer: Uint8Array }).buffer.length;
    if (capacity > Math.max(64 * 1024, 2 * (maxMessageBytes + chunk.length))) {
      findings.add("unboundedAllocation", `${oracle} buffer`, `buffer of ${capacity} bytes for ${decoder.bufferedBytes} pending`);
    }
    for (;;) {
      const next = attempt(() => decoder.next());
      if (findings.crashIf(next, `${oracle} next`)) return;
      if ("error" in next) {
        failure = next.error;
        break outer;
      }
      if (!("ok" in next) || next.ok === undefined) break;
      actual.messages.push(next.ok);
    }
  }
  if (failure === undefined) {
    const ended = attempt(() => decoder.end());
    if (findings.crashIf(ended, `${oracle} end`)) return;
    if ("error" in ended) failure = ended.error;
  }
  if (failure !== undefined) {
    actual.error = { code: failure.code, offset: failure.offset };
    // After a failure the decoder refuses to go on, with the original error as the cause.
    if (failure.code !== "BAD_HANDSHAKE") {
      const again = attempt(() => decoder.next());
      if (!("error" in again) || again.error.code !== "POISONED" || (again.error as { cause?: unknown }).cause !== failure) {
        findings.add("mismatch", `${oracle} poison`, `after ${failure.code} the decoder did not raise POISONED with the cause`);
      }
    }
  }
  const difference = firstDifference(actual, expected);
  if (difference !== undefined) findings.add("mismatch", oracle, `stream vs frame-by-frame stateless: ${difference}`);
}

// ---------------------------------------------------------------------------------------------
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
    out += toHex(column.types) + ":" + toHex(new Uint8Array(column.numbers.buffer, column.numbers.byteOffset, column.numbers.byteLength)) + "|";
  }
  return out;
}

function driveReader(engine: "js" | "wasm", bytes: Uint8Array, splits: readonly number[], intMode: IntMode, findings: Findings, limits?: Readonly<Limits>): ReaderObservation | undefined {
  const oracle = `ResultReader(${engine}, ${intMode}${splits.length > 0 ? ", split" : ""}${limits ? ", tight caps" : ""})`;
  const observation: ReaderObservation = { steps: [], values: [] };
  const made = attempt(() => new ResultReader({ engine, intMode, ...(limits ? { limits } : {}) }));
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
      observation.steps.push({ consumed, state, ...(batch ? { rows: batch.rowCount, columns: batch.columns, slots: batchSlots(batch) } : {}) });
    }
    if (batch) {
      const caps = limits ?? DEFAULT_LIMITS;
      if (batch.columns.length > caps.maxColumns || reader.rowsRead > caps.maxRowsPerResult || reader.framesRead > caps.maxFramesPerResult) {
        findings.add("unboundedAllocation", `${oracle} caps`, `${batch.columns.length} columns, ${reader.rowsRead} rows, ${reader.framesRead} frames passed the caps`);
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

function checkEngines(input: FuzzInput, findings: Findings): void {
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
  checkFailureTail(input, findings);
}

/**
 * The session's parser of a FAILURE record written after part of a ROWS frame reads the first
 * whole frame from its end: it returns a record or undefined, never throws, and never hands out
 * a message the codec's cap would refuse.
 */
function checkFailureTail(input: FuzzInput, findings: Findings): void {
  const { bytes } = input;
  if (bytes.length < 8) return;
  const frameBytes = 8 + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) * 8;
  if (frameBytes > bytes.length) return;
  const tail = attempt(() => failureAtEnd(bytes.subarray(0, frameBytes)));
  if ("error" in tail) findings.add("crash", "failureAtEnd", `threw ${errorKey(tail.error)} (it returns undefined for what it cannot read)`);
  else if (!findings.crashIf(tail, "failureAtEnd") && "ok" in tail && tail.ok !== undefined) {
    const messageBytes = utf8Bytes(tail.ok.message);
    if (messageBytes > DEFAULT_LIMITS.maxFailureMessageBytes) {
      findings.add("unboundedAllocation", "failureAtEnd caps", `a FAILURE message of ${messageBytes} bytes > maxFailureMessageBytes ${DEFAULT_LIMITS.maxFailureMessageBytes}`);
    }
  }
}

/** The first whole frame, read alone by the reader and by the codec, must give the same answer. */
function checkEnginesAgainstCodec(input: FuzzInput, findings: Findings): void {
  const { bytes } = input;
  if (bytes.length < 8) return;
  const frameBytes = 8 + (new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) * 8);
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
          firstDifference(values, message.rows.map((row) => row.values)) ??
          firstDifference(step.state, message.marker === "DONE" ? "done" : "more");
        if (difference !== undefined) findings.add("mismatch", oracle, difference);
      } else if (message.type === "FAILURE") {
        if (!("ok" in reader) || reader.ok.state !== "failed" || reader.ok.error?.sqliteCode !== Number(message.errorCode) || reader.ok.error?.message !== message.message) {
          findings.add("mismatch", oracle, "codec decodes FAILURE, the reader does not report it as the failed state with its code");
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** Runs every oracle on one input. */
export function checkInput(input: FuzzInput): Finding[] {
  prepareEnvironment();
  const findings = new Findings();
  engineAllocationProblem = undefined;
  const tracking = allocationTrackerInstalled();
  if (tracking) resetLargestAllocation();

  for (const side of ["request", "response"] as const) {
    const stateless = checkStateless(input, side, findings);
    checkInspect(input, side, stateless, findings);
  }
  checkStream(input, false, findings);
  if (input.splits.length > 0) checkStream(input, true, findings);
  checkStream(input, input.splits.length > 0, findings, TIGHT_LIMITS);
  if (input.side === "response") checkEngines(input, findings);

  if (engineAllocationProblem !== undefined) findings.add("unboundedAllocation", "row engine request", engineAllocationProblem);
  if (tracking) {
    const largest = largestAllocation();
    if (largest.bytes > allocationBound(input.bytes.length + 16)) {
      findings.add("unboundedAllocation", "allocation size", `${largest.what} (${largest.bytes} bytes) for a ${input.bytes.length}-byte input`);
    }
  }
  return findings.list;
}
