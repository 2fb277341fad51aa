// The page's worker: it owns the connection to the node (through the bridge), decodes ROWS
// frames with the chosen row engine, keeps the rows and the frame log, and answers the page's
// requests for what it shows. Decoding a million rows here keeps the page responsive.

import { Client, type Database, type RowBatch, ServerError, initRowEngine, isWireError, webSocketConnector } from "./library.ts";
import { CaptureFormatError, type CaptureSegment, formatTextCapture, parseCapture, parseTextCapture } from "./capture-format.ts";
import { arrowOfStore, summarizeArrow } from "./arrow-export.ts";
import { decodeResult, timeEngines } from "./engine-timing.ts";
import { FrameLog } from "./frame-log.ts";
import { firstResultRows, joinBytes, logCapture } from "./offline-decoder.ts";
import { PcapOffline } from "./pcap-offline.ts";
import { isPcapCapture } from "./pcap-conversations.ts";
import { tapConnector } from "./frame-tap.ts";
import { RowStore } from "./row-store.ts";
import { returnsRows } from "./statement-kind.ts";
import type { BridgeConfig, EngineName, ErrorView, FromWorker, Progress, ToWorker } from "./worker-protocol.ts";

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent<ToWorker>) => void): void;
}
const scope = self as unknown as WorkerScope;
const post = (message: FromWorker, transfer?: Transferable[]) => scope.postMessage(message, transfer ?? []);

/** The page hears about progress at most this often while a result streams in. */
const PROGRESS_INTERVAL_MS = 100;

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

function errorView(error: unknown): ErrorView {
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
    onOpen: () =>
      post({ kind: "connection", state: "connected", detail: `node ${config!.target} through the bridge at ${config!.bridgeUrl}` }),
    onClose: (_peer, reason) => {
      post({ kind: "connection", state: "closed", detail: reason });
      flushFrames();
    },
  });
  post({ kind: "connection", state: "connecting", detail: `${config.target} through ${config.bridgeUrl}` });
  // The client connects on its first call, and again on the next call after a lost connection.
  // A minute per call: a query may compute for a while before its first frame.
  client = new Client({ addresses: [config.target], connector, discovery: { rounds: 1 }, timeoutMs: 60_000 });
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
      progress: {
        resultId,
        columns: [...rows.columns],
        rows: rows.rowCount,
        frames,
        bytes: receivedBytes,
        elapsedMs: performance.now() - started,
        engine: engineKind,
        done,
        failed,
        stopped,
        ...(exec === undefined ? {} : { exec }),
      },
    });
  };
  const tick = () => {
    report(false);
    progressTimer = setTimeout(tick, PROGRESS_INTERVAL_MS);
  };
  progressTimer = setTimeout(tick, PROGRESS_INTERVAL_MS);
  let exec: Progress["exec"];
  try {
    const db = await database();
    if (!returnsRows(sql)) {
      const reply = await db.exec(sql);
      exec = { rowsAffected: reply.rowsAffected, lastInsertId: reply.lastInsertId.toString() };
      return;
    }
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

/** The ROWS frames a result received, back to back, as the node sent them. */
function rowsBytesOf(resultId: number): { bytes: Uint8Array; frames: number } | undefined {
  const records = log.ofResult(resultId).filter((r) => r.direction === "received" && r.name === "ROWS");
  if (records.length === 0 || records.some((r) => r.bytes === null)) return undefined;
  return { bytes: joinBytes(records.map((r) => r.bytes!)), frames: records.length };
}

function compareEngines(): void {
  try {
    if (lastResultId === undefined) throw new Error("run a query first (or load a capture): the comparison decodes the last result again");
    const found = rowsBytesOf(lastResultId);
    if (found === undefined) throw new Error("the last result has no ROWS frames kept (no rows, or too large to keep)");
    const { timings, identical } = timeEngines(found.bytes);
    post({ kind: "compare", timings, identical, frames: found.frames, bytes: found.bytes.length });
  } catch (error) {
    post({ kind: "error", context: "compare", error: errorView(error) });
  }
}

/** Logs a capture's frames and shows the rows of its first result. */
function loadCapture(resultId: number, segments: CaptureSegment[], engine: EngineName): void {
  const logged = logCapture(segments, log, resultId);
  flushFrames();
  const rowsFrames = firstResultRows(logged);
  const rows = (store = new RowStore(resultId));
  let note = `${logged.length} frames`;
  let engineKind = engine === "wasm" ? wasmKind : "js";
  let ms = 0;
  if (rowsFrames !== undefined) {
    try {
      const decoded = decodeResult(rowsFrames.bytes, engine);
      for (const batch of decoded.batches) rows.add(batch);
      engineKind = decoded.kind;
      ms = decoded.ms;
      lastResultId = resultId;
      note += `; ${rows.rowCount} rows from ${rowsFrames.frames} ROWS frames`;
    } catch (error) {
      post({ kind: "error", context: "offline", error: errorView(error) });
    }
  }
  const frames = rowsFrames?.frames ?? 0;
  const bytes = rowsFrames?.bytes.length ?? 0;
  post({
    kind: "progress",
    progress: {
      resultId,
      columns: [...rows.columns],
      rows: rows.rowCount,
      frames,
      bytes,
      elapsedMs: ms,
      engine: engineKind,
      done: true,
      failed: false,
      stopped: false,
    },
  });
  post({ kind: "offline", resultId, frames: logged.length, rowsFrames: frames, note });
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

/** The shown result as an Arrow IPC stream for the page to download, with its columns read back. */
async function exportArrow(): Promise<void> {
  try {
    if (store === undefined) throw new Error("run a query first (or load a capture): the download holds the shown result");
    const bytes = arrowOfStore(store);
    const { rows, columns } = await summarizeArrow(bytes);
    post({ kind: "arrow", bytes, rows, columns }, [bytes.buffer]);
  } catch (error) {
    post({ kind: "error", context: "arrow", error: errorView(error) });
  }
}

/** A tcpdump capture dropped on the page: its connections, one conversation at a time. */
const pcap = new PcapOffline({
  log,
  post,
  flushFrames,
  wasmKind: () => wasmKind,
  showing: (rows, comparable) => {
    store = rows;
    if (comparable) lastResultId = rows.resultId;
  },
  errorView,
});

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
    case "arrow":
      return exportArrow();
    case "conversation":
      try {
        pcap.open(message.resultId, message.conn, message.request, message.engine);
      } catch (error) {
        post({ kind: "error", context: "offline", error: errorView(error) });
      }
      return;
    case "offline": {
      try {
        if (message.bytes !== undefined && isPcapCapture(message.bytes)) return pcap.load(message.resultId, message.bytes, message.engine);
        const segments = message.text !== undefined ? parseTextCapture(message.text) : parseCapture(message.bytes ?? new Uint8Array(0));
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
