// The page's worker: it owns the connection to the node (through the bridge), decodes ROWS
// frames with the chosen row engine, keeps the rows and the frame log, and answers the page's
// requests for what it shows. Decoding a million rows here keeps the page responsive.

import {
  Client,
  type Database,
  FrameDecoder,
  ResultReader,
  type RowBatch,
  ServerError,
  initRowEngine,
  isWireError,
  webSocketConnector,
} from "./library.ts";
import { CaptureFormatError, type CaptureSegment, formatTextCapture, parseCapture, parseTextCapture, startsWithHandshake } from "./capture-format.ts";
import { FrameLog, type FrameRecord, typeName } from "./frame-log.ts";
import { tapConnector } from "./frame-tap.ts";
import { RowStore } from "./row-store.ts";
import type { BridgeConfig, EngineName, EngineTiming, ErrorView, FromWorker, ToWorker } from "./worker-protocol.ts";

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent<ToWorker>) => void): void;
}
const scope = self as unknown as WorkerScope;
const post = (message: FromWorker, transfer?: Transferable[]) => scope.postMessage(message, transfer ?? []);

/** The page hears about progress at most this often while a result streams in. */
const PROGRESS_INTERVAL_MS = 100;
/** The engine comparison decodes the result at least this many times per engine… */
const COMPARE_MIN_RUNS = 3;
/** …and until this much time has been spent on it, so tiny results are measurable too… */
const COMPARE_MIN_TOTAL_MS = 150;
/** …but never more often than this. */
const COMPARE_MAX_RUNS = 20_000;

const log = new FrameLog();
let config: BridgeConfig | undefined;
let client: Client | undefined;
/** The query streaming now. `stop` asks its loop to leave; `finished` settles when it has. */
let running: { resultId: number; stop: boolean; finished: Promise<void> } | undefined;
let store: RowStore | undefined;
/** The result whose ROWS frames the engine comparison decodes. */
let lastResultId: number | undefined;
let receivedBytes = 0;
let progressTimer: ReturnType<typeof setTimeout> | undefined;
/** The WebAssembly build the row engine loaded ("wasm" or "wasm-simd"). */
let wasmKind = "wasm";

export function errorView(error: unknown): ErrorView {
  if (error instanceof ServerError) return { name: error.name, message: error.message, code: error.code, sqliteCode: error.sqliteCode };
  if (isWireError(error)) return { name: error.name, message: error.message, code: error.code };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

function flushFrames(): void {
  const unsent = log.takeUnsent();
  if (unsent !== undefined) post({ kind: "frames", ...unsent });
}

function sessionClient(): Client {
  if (config === undefined) throw new Error("no bridge is configured: open the URL that `npm run demo` prints");
  if (client !== undefined) return client;
  const bridge = webSocketConnector(config.bridgeUrl, { token: config.token });
  const connector = tapConnector(bridge, log, {
    currentResult: () => running?.resultId,
    onReceived: (bytes) => {
      receivedBytes += bytes;
    },
    onOpen: () => post({ kind: "connection", state: "connected", detail: `node ${config!.target} through the bridge at ${config!.bridgeUrl}` }),
    onClose: (_peer, reason) => {
      post({ kind: "connection", state: "closed", detail: reason });
      flushFrames();
    },
  });
  post({ kind: "connection", state: "connecting", detail: `${config.target} through ${config.bridgeUrl}` });
  // The client connects on its first call, and again on the next call after a lost connection.
  client = new Client({ addresses: [config.target], connector, discovery: { rounds: 1 } });
  return client;
}

async function database(): Promise<Database> {
  return sessionClient().open(config!.database);
}

async function runQuery(resultId: number, sql: string, engine: EngineName): Promise<void> {
  await stopRunning();
  let finish = () => {};
  const current: NonNullable<typeof running> = { resultId, stop: false, finished: new Promise<void>((resolve) => (finish = resolve)) };
  running = current;
  store = new RowStore(resultId);
  const rows = store;
  receivedBytes = 0;
  const started = performance.now();
  let frames = 0;
  const engineKind = engine === "wasm" ? wasmKind : "js";
  let failed = false;
  let stopped = false;
  const report = (done: boolean) => {
    // Frames first: the page opens the result's first ROWS frame when it hears "done".
    flushFrames();
    post({
      kind: "progress",
      progress: { resultId, columns: [...rows.columns], rows: rows.rowCount, frames, bytes: receivedBytes, elapsedMs: performance.now() - started, engine: engineKind, done, failed, stopped },
    });
  };
  const tick = () => {
    report(false);
    progressTimer = setTimeout(tick, PROGRESS_INTERVAL_MS);
  };
  progressTimer = setTimeout(tick, PROGRESS_INTERVAL_MS);
  try {
    const db = await database();
    const result = db.query(sql, [], { rowMode: "batch", intMode: "string", engine });
    for await (const batch of result) {
      rows.add(batch.raw as RowBatch);
      frames = result.framesRead;
      // Leaving the loop makes the result interrupt the query and drain what is still on the
      // way, so the connection stays usable for the next one.
      if (current.stop) {
        stopped = true;
        break;
      }
    }
    frames = result.framesRead;
    lastResultId = resultId;
  } catch (error) {
    failed = true;
    post({ kind: "error", context: "query", error: errorView(error) });
  } finally {
    clearTimeout(progressTimer);
    if (running === current) running = undefined;
    report(true);
    finish();
  }
}

/** Asks the running query to stop at its next batch and waits until it has. */
async function stopRunning(): Promise<void> {
  const current = running;
  if (current === undefined) return;
  current.stop = true;
  await current.finished;
}

async function showCluster(): Promise<void> {
  try {
    const session = sessionClient();
    const members = await session.cluster();
    const leader = await session.leader();
    post({
      kind: "cluster",
      members: members.map((m) => ({ id: m.id.toString(), address: m.address, role: m.role })),
      leader: { id: leader.id.toString(), address: leader.address },
    });
  } catch (error) {
    post({ kind: "error", context: "cluster", error: errorView(error) });
  } finally {
    flushFrames();
  }
}

/** The ROWS frames of a result, back to back, as the node sent them. */
function rowsBytesOf(resultId: number): { bytes: Uint8Array; frames: number } | undefined {
  const records = log.ofResult(resultId).filter((r) => r.direction === "received" && r.name === "ROWS");
  if (records.length === 0 || records.some((r) => r.bytes === null)) return undefined;
  const total = records.reduce((sum, r) => sum + r.bytes!.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const record of records) {
    bytes.set(record.bytes!, at);
    at += record.bytes!.length;
  }
  return { bytes, frames: records.length };
}

/** Decodes a whole result with one engine; returns the batches and the time taken. */
function decodeAll(bytes: Uint8Array, engine: EngineName): { batches: RowBatch[]; ms: number; kind: string; rows: number } {
  const started = performance.now();
  const reader = new ResultReader({ engine, intMode: "string" });
  const batches: RowBatch[] = [];
  let at = 0;
  while (at < bytes.length && reader.ended === undefined) {
    const step = reader.read(bytes.subarray(at), at);
    if (step.batch !== undefined) batches.push(step.batch);
    if (step.error !== undefined) throw step.error;
    if (step.consumed === 0) break;
    at += step.consumed;
  }
  return { batches, ms: performance.now() - started, kind: reader.engine, rows: reader.rowsRead };
}

/** Whether two decodings hold the same cells: types, numbers, 64-bit integers and byte spans. */
function sameCells(a: RowBatch[], b: RowBatch[]): boolean {
  const cellsOf = (batches: RowBatch[]) => {
    const out: { types: Uint8Array; words: Uint32Array; spans: Uint32Array }[] = [];
    for (const batch of batches) {
      for (let c = 0; c < batch.columns.length; c++) {
        const column = batch.column(c);
        out.push({ types: column.types, words: new Uint32Array(column.int64s.buffer, column.int64s.byteOffset, batch.rowCount * 2), spans: column.spans });
      }
    }
    return out;
  };
  const left = cellsOf(a);
  const right = cellsOf(b);
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) {
    const l = left[i]!;
    const r = right[i]!;
    if (l.types.length !== r.types.length) return false;
    for (let row = 0; row < l.types.length; row++) {
      const type = l.types[row]!;
      if (type !== r.types[row]) return false;
      // NULL cells carry no value; every other type's 8-byte slot must match exactly.
      if (type !== 5 && (l.words[row * 2] !== r.words[row * 2] || l.words[row * 2 + 1] !== r.words[row * 2 + 1])) return false;
    }
  }
  return true;
}

function compareEngines(): void {
  try {
    if (lastResultId === undefined) throw new Error("run a query first (or load a capture): the comparison decodes the last result again");
    const found = rowsBytesOf(lastResultId);
    if (found === undefined) throw new Error("the last result has no ROWS frames kept (no rows, or too large to keep)");
    const timings: EngineTiming[] = [];
    const decoded: RowBatch[][] = [];
    for (const engine of ["wasm", "js"] as const) {
      // Small results decode in microseconds, below the resolution of a worker's clock: repeat
      // until the total is long enough to measure, and report the mean of the runs.
      let total = 0;
      let runs = 0;
      let last: ReturnType<typeof decodeAll> | undefined;
      while (runs < COMPARE_MAX_RUNS && (runs < COMPARE_MIN_RUNS || total < COMPARE_MIN_TOTAL_MS)) {
        last = decodeAll(found.bytes, engine);
        total += last.ms;
        runs++;
      }
      const ms = total / runs;
      decoded.push(last!.batches);
      timings.push({ engine, kind: last!.kind, ms, runs, rows: last!.rows, rowsPerSecond: ms > 0 ? (last!.rows / ms) * 1000 : 0 });
    }
    post({ kind: "compare", timings, identical: sameCells(decoded[0]!, decoded[1]!), frames: found.frames, bytes: found.bytes.length });
  } catch (error) {
    post({ kind: "error", context: "compare", error: errorView(error) });
  }
}

/** Splits capture segments into frames (one decoder per direction), logs them, decodes the rows. */
function loadCapture(resultId: number, segments: CaptureSegment[], engine: EngineName): void {
  const decoders = new Map<string, FrameDecoder>();
  const broken = new Set<string>();
  const logged: FrameRecord[] = [];
  for (const segment of segments) {
    if (broken.has(segment.direction)) continue;
    let decoder = decoders.get(segment.direction);
    let bytes = segment.bytes;
    if (decoder === undefined) {
      const side = segment.direction === "sent" ? "request" : "response";
      decoder = new FrameDecoder({ side, handshake: false });
      decoders.set(segment.direction, decoder);
      if (segment.direction === "sent" && startsWithHandshake(bytes)) {
        logged.push(log.add({ direction: "sent", name: "HANDSHAKE", size: 8, source: "offline", bytes: bytes.slice(0, 8), resultId }));
        bytes = bytes.subarray(8);
      }
    }
    try {
      decoder.push(bytes);
      for (let frame = decoder.nextFrame(); frame !== undefined; frame = decoder.nextFrame()) {
        const name = typeName(segment.direction, frame.header.type);
        logged.push(log.add({ direction: segment.direction, name, size: frame.bytes.length, source: "offline", bytes: frame.bytes.slice(), resultId }));
      }
    } catch (error) {
      broken.add(segment.direction);
      log.add({ direction: segment.direction, name: "UNREADABLE", size: 0, source: "offline", bytes: null, resultId, error: errorView(error).message });
    }
  }
  for (const [direction, decoder] of decoders) {
    if (!broken.has(direction) && decoder.bufferedBytes > 0) {
      log.add({ direction: direction as "sent" | "received", name: "INCOMPLETE", size: decoder.bufferedBytes, source: "offline", bytes: null, resultId, error: `${decoder.bufferedBytes} bytes at the end are not a whole frame` });
    }
  }
  flushFrames();

  // The rows of the first result in the capture: its ROWS frames up to the one ending with DONE.
  const rowsFrames: Uint8Array[] = [];
  for (const record of logged) {
    if (record.direction !== "received") continue;
    if (record.name === "ROWS") rowsFrames.push(record.bytes!);
    else if (rowsFrames.length > 0) break;
  }
  store = new RowStore(resultId);
  const rows = store;
  let note = `${logged.length} frames`;
  let engineKind: string = engine;
  let ms = 0;
  if (rowsFrames.length > 0) {
    const total = rowsFrames.reduce((sum, f) => sum + f.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const frame of rowsFrames) {
      bytes.set(frame, at);
      at += frame.length;
    }
    try {
      const decoded = decodeAll(bytes, engine);
      for (const batch of decoded.batches) rows.add(batch);
      engineKind = decoded.kind;
      ms = decoded.ms;
      lastResultId = resultId;
      note += `; ${rows.rowCount} rows from ${rowsFrames.length} ROWS frames`;
    } catch (error) {
      post({ kind: "error", context: "offline", error: errorView(error) });
    }
  }
  post({ kind: "progress", progress: { resultId, columns: [...rows.columns], rows: rows.rowCount, frames: rowsFrames.length, bytes: rowsFrames.reduce((s, f) => s + f.length, 0), elapsedMs: ms, engine: engineKind, done: true, failed: false, stopped: false } });
  post({ kind: "offline", resultId, frames: logged.length, rowsFrames: rowsFrames.length, note });
}

function exportCapture(): string {
  const frames: { direction: "sent" | "received"; name: string; bytes: Uint8Array }[] = [];
  for (let seq = 0; ; seq++) {
    const record = log.get(seq);
    if (record === undefined) break;
    if (record.bytes !== null) frames.push({ direction: record.direction, name: record.name, bytes: record.bytes });
  }
  return formatTextCapture(frames);
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.kind) {
    case "configure":
      config = message.config;
      return;
    case "query":
      return runQuery(message.resultId, message.sql, message.engine);
    case "cancel":
      return stopRunning();
    case "window": {
      if (store?.resultId !== message.resultId) return;
      post({ kind: "window", resultId: message.resultId, start: message.start, rows: store.window(message.start, message.count) });
      return;
    }
    case "frame": {
      const record = log.get(message.seq);
      if (record === undefined) return;
      post({ kind: "frame", seq: record.seq, direction: record.direction, bytes: record.bytes, source: record.source });
      return;
    }
    case "cluster":
      return showCluster();
    case "export":
      post({ kind: "export", text: exportCapture() });
      return;
    case "compare":
      return compareEngines();
    case "offline": {
      try {
        const segments =
          message.text !== undefined ? parseTextCapture(message.text) : parseCapture(message.bytes ?? new Uint8Array(0));
        loadCapture(message.resultId, segments, message.engine);
      } catch (error) {
        const view = error instanceof CaptureFormatError ? { name: error.name, message: error.message } : errorView(error);
        post({ kind: "error", context: "offline", error: view });
      }
      return;
    }
  }
}

scope.addEventListener("message", (event) => {
  handle(event.data).catch((error: unknown) => post({ kind: "error", context: "worker", error: errorView(error) }));
});

initRowEngine().then(
  (kind) => {
    wasmKind = kind;
    post({ kind: "ready", wasm: kind });
  },
  (error: unknown) => post({ kind: "ready", wasm: `unavailable: ${errorView(error).message}` }),
);
