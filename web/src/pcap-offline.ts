// The worker's side of a tcpdump capture dropped on the page: it reads the capture
// (pcap-conversations.ts), lists its connections for the page, and opens one conversation at a
// time: its frames go to the frame log (the list and the inspector), and the rows of one of
// its queries to the table, decoded by the chosen row engine as a live result would be.

import { decodeResult } from "./engine-timing.ts";
import type { FrameLog } from "./frame-log.ts";
import { joinBytes } from "./offline-decoder.ts";
import { PcapConversations } from "./pcap-conversations.ts";
import { RowStore } from "./row-store.ts";
import type { EngineName, ErrorView, FromWorker } from "./worker-protocol.ts";

export interface PcapOfflineContext {
  log: FrameLog;
  post(message: FromWorker): void;
  flushFrames(): void;
  /** The WebAssembly build the row engine loaded, for the figures. */
  wasmKind(): string;
  /** The rows the table now shows, and (when they came from ROWS frames) the result the engine comparison reads. */
  showing(store: RowStore, comparable: boolean): void;
  errorView(error: unknown): ErrorView;
}

export class PcapOffline {
  #capture: PcapConversations | undefined;

  constructor(private readonly context: PcapOfflineContext) {}

  /** Reads a capture, lists its connections, and opens the first dqlite conversation with a query. */
  load(resultId: number, bytes: Uint8Array, engine: EngineName): void {
    const capture = (this.#capture = PcapConversations.read(bytes));
    const connections = capture.connections;
    this.context.post({ kind: "connections", connections, summary: capture.describe() });
    const first = connections.find((c) => c.kind === "dqlite" && c.results.length > 0) ?? connections.find((c) => c.kind === "dqlite");
    if (first === undefined) {
      this.context.post({
        kind: "offline",
        resultId,
        frames: 0,
        rowsFrames: 0,
        note: `${capture.describe()}; no dqlite conversation in it`,
      });
      return;
    }
    this.open(resultId, first.id, first.results[0]?.request, engine);
  }

  /** Opens a conversation: its frames to the log, and the rows of query `request` (default: its first) to the table. */
  open(resultId: number, id: string, request: number | undefined, engine: EngineName): void {
    const capture = this.#capture;
    const view = capture?.connections.find((c) => c.id === id);
    if (capture === undefined || view === undefined) throw new Error(`no connection ${id} in the loaded capture`);
    const entries = capture.entries(id);
    for (const entry of entries) {
      this.context.log.add({
        direction: entry.direction,
        name: entry.name,
        size: entry.bytes?.length ?? 0,
        source: "offline",
        bytes: entry.bytes,
        resultId,
        ...(entry.error === undefined ? {} : { error: entry.error }),
      });
    }
    this.context.flushFrames();
    const result = view.results.find((r) => r.request === (request ?? view.results[0]?.request));
    const frames = result === undefined ? undefined : capture.rowsOf(id, result.request);
    const store = new RowStore(resultId);
    let note = `${id} ${view.client} → ${view.server}: ${entries.length} frames`;
    let engineKind = engine === "wasm" ? this.context.wasmKind() : "js";
    let ms = 0;
    if (result !== undefined && frames !== undefined) {
      try {
        const decoded = decodeResult(joinBytes(frames), engine);
        for (const batch of decoded.batches) store.add(batch);
        engineKind = decoded.kind;
        ms = decoded.ms;
        note += `; request ${result.request} (${result.sql}): ${store.rowCount} rows from ${frames.length} ROWS frames`;
      } catch (error) {
        this.context.post({ kind: "error", context: "offline", error: this.context.errorView(error) });
      }
    } else if (result !== undefined) note += `; request ${result.request} (${result.sql}) has no rows in the capture`;
    // The engine comparison decodes the conversation's ROWS frames again: only when they are one result.
    this.context.showing(store, frames !== undefined && view.results.filter((r) => r.rows > 0).length === 1);
    const bytes = frames?.reduce((n, f) => n + f.length, 0) ?? 0;
    this.context.post({
      kind: "progress",
      progress: {
        resultId,
        columns: [...store.columns],
        rows: store.rowCount,
        frames: frames?.length ?? 0,
        bytes,
        elapsedMs: ms,
        engine: engineKind,
        done: true,
        failed: result?.failed ?? false,
        stopped: false,
      },
    });
    this.context.post({ kind: "offline", resultId, frames: entries.length, rowsFrames: frames?.length ?? 0, note });
  }
}
