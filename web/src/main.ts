// The demo page: a SQL box whose results stream into a virtual table, the frame inspector, the
// engine timing, the cluster view and the offline capture decoder. The work happens in the
// decode worker; this module builds the page and routes messages between the two.

import { readBridgeConfig } from "./config.ts";
import { h } from "./dom.ts";
import { ErrorList } from "./error-list.ts";
import { FrameInspector } from "./frame-inspector.ts";
import { ResultsTable } from "./results-table.ts";
import { ArrowPanel, ClusterPanel, EnginePanel, OfflinePanel } from "./side-panels.ts";
import { ConnectionList } from "./connection-list.ts";
import { StatsBar } from "./stats-bar.ts";
import type { EngineName, FromWorker, Progress, ToWorker } from "./worker-protocol.ts";

const EXAMPLE_QUERIES: { label: string; sql: string }[] = [
  { label: "customers", sql: "SELECT * FROM customers ORDER BY id" },
  { label: "orders", sql: "SELECT o.id, c.name, o.amount, o.note FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id" },
  { label: "value types", sql: "SELECT * FROM kinds ORDER BY id" },
  { label: "big table", sql: "SELECT * FROM big" },
  { label: "bad SQL", sql: "SELEC * FROM customers" },
];

const config = readBridgeConfig(window.location, sessionStorageOrUndefined());
const worker = new Worker(new URL("./decode-worker.ts", import.meta.url), { type: "module" });
const send = (message: ToWorker, transfer: Transferable[] = []) => worker.postMessage(message, transfer);

let nextResultId = 1;
let engine: EngineName = "wasm";
/** Where the frames of the newest result start in the log, to open its first ROWS frame. */
let resultFirstFrame = 0;

// ---- header: connection state and engine switch
const connectionState = h(
  "span",
  { class: "pill", "data-testid": "connection" },
  config === undefined ? "no bridge: offline mode only" : "not connected yet",
);
const engineChoices = (["wasm", "js"] as const).map((name) =>
  h(
    "label",
    { class: "seg" },
    h("input", { type: "radio", name: "engine", value: name, checked: name === engine, onchange: () => (engine = name) }),
    name === "wasm" ? "WASM" : "TS",
  ),
);
const wasmStatus = h("span", { class: "muted" }, "loading WASM…");

// ---- query box
const sqlInput = h("textarea", { id: "sql", spellcheck: "false", rows: 3, "aria-label": "SQL" }) as HTMLTextAreaElement;
sqlInput.value = EXAMPLE_QUERIES[0]!.sql;
sqlInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) runQuery();
});
const runButton = h("button", { type: "button", class: "primary", id: "run", onclick: () => runQuery() }, "Run");
const stopButton = h("button", { type: "button", id: "stop", disabled: true, onclick: () => send({ kind: "cancel" }) }, "Stop");
const examples = EXAMPLE_QUERIES.map((example) =>
  h(
    "button",
    {
      type: "button",
      class: "chip",
      onclick: () => {
        sqlInput.value = example.sql;
        runQuery();
      },
    },
    example.label,
  ),
);

// ---- the parts of the page
const stats = new StatsBar();
const errors = new ErrorList();
const table = new ResultsTable((resultId, start, count) => send({ kind: "window", resultId, start, count }));
const engines = new EnginePanel(() => send({ kind: "compare" }));
const arrow = new ArrowPanel(() => send({ kind: "arrow" }));
const cluster = new ClusterPanel(() => send({ kind: "cluster" }), config !== undefined);
const offline = new OfflinePanel((input) => decodeCapture(input));
const connections = new ConnectionList((conn, request) => send({ kind: "conversation", resultId: newResult(), engine, conn, request }));
const inspector = new FrameInspector(
  (seq) => send({ kind: "frame", seq }),
  () => send({ kind: "export" }),
);

document.body.replaceChildren(
  h(
    "header",
    { class: "top" },
    h("h1", {}, "dqlite-wire ", h("span", { class: "muted" }, "live frames from a dqlite node")),
    connectionState,
    h("div", { class: "engine" }, h("span", {}, "row engine"), ...engineChoices, wasmStatus),
  ),
  h(
    "main",
    { class: "layout" },
    h(
      "div",
      { class: "left" },
      h(
        "section",
        { class: "query card" },
        sqlInput,
        h("div", { class: "row" }, runButton, stopButton, h("span", { class: "muted" }, "examples:"), ...examples),
      ),
      stats.element,
      errors.element,
      table.element,
      h("div", { class: "cards" }, engines.element, arrow.element, cluster.element, offline.element, connections.element),
    ),
    inspector.element,
  ),
);

if (config !== undefined) {
  send({ kind: "configure", config });
  // Connect at once: the cluster view fills in, and a refused token or origin shows up now
  // rather than at the first query.
  send({ kind: "cluster" });
} else
  errors.show("setup", {
    name: "Setup",
    message:
      "This page was opened without a bridge address. Start it with `npm run demo` and open the URL it prints; offline decoding works without it.",
  });

/** Starts showing a new result (a query or a capture); returns its id. */
function newResult(): number {
  const resultId = nextResultId++;
  resultFirstFrame = inspector.frameCount;
  table.reset(resultId);
  return resultId;
}

function runQuery(): void {
  if (config === undefined) {
    errors.show("query", { name: "Setup", message: "no bridge configured: open the URL printed by `npm run demo`" });
    return;
  }
  const sql = sqlInput.value.trim();
  if (sql === "") return;
  const resultId = newResult();
  setRunning(true);
  stats.running();
  send({ kind: "query", resultId, sql, engine });
}

function setRunning(value: boolean): void {
  runButton.toggleAttribute("disabled", value);
  stopButton.toggleAttribute("disabled", !value);
  document.body.toggleAttribute("data-running", value);
}

async function decodeCapture(input: { text: string } | { file: File }): Promise<void> {
  if ("text" in input) {
    send({ kind: "offline", resultId: newResult(), engine, text: input.text });
    return;
  }
  const bytes = new Uint8Array(await input.file.arrayBuffer());
  send({ kind: "offline", resultId: newResult(), engine, bytes }, [bytes.buffer]);
}

function showProgress(progress: Progress): void {
  table.update(progress.resultId, progress.columns, progress.rows);
  if (progress.resultId !== table.resultId) return;
  stats.show(progress);
  if (progress.done) {
    setRunning(false);
    // Open the result's first ROWS frame (or its FAILURE, or the RESULT of a write) in the inspector.
    if (!inspector.selectFirst("ROWS", resultFirstFrame) && !inspector.selectFirst("FAILURE", resultFirstFrame)) {
      inspector.selectFirst("RESULT", resultFirstFrame);
    }
    document.body.dataset["resultDone"] = String(progress.resultId);
  }
}

function download(name: string, content: string | Uint8Array<ArrayBuffer>, type = "text/plain"): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  h("a", { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

worker.addEventListener("message", (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  switch (message.kind) {
    case "ready":
      wasmStatus.textContent = message.wasm.startsWith("unavailable") ? `WASM ${message.wasm}` : `(${message.wasm} ready)`;
      document.body.dataset["ready"] = "true";
      return;
    case "connection":
      connectionState.textContent = `${message.state}: ${message.detail}`;
      connectionState.title = connectionState.textContent;
      connectionState.dataset["state"] = message.state;
      return;
    case "progress":
      showProgress(message.progress);
      return;
    case "frames":
      inspector.add(message.frames, message.dropped);
      return;
    case "window":
      table.receive(message.resultId, message.start, message.rows);
      return;
    case "frame":
      inspector.showBytes(message.seq, message.direction, message.bytes);
      return;
    case "cluster":
      cluster.show(message);
      return;
    case "compare":
      engines.show(message);
      return;
    case "offline":
      offline.show(message);
      if (!inspector.selectFirst("ROWS", resultFirstFrame)) inspector.select(resultFirstFrame);
      return;
    case "export":
      download("dqlite-capture.txt", message.text);
      return;
    case "arrow":
      arrow.show(message);
      download("dqlite-result.arrow", message.bytes as Uint8Array<ArrayBuffer>, "application/vnd.apache.arrow.stream");
      return;
    case "connections":
      connections.show(message);
      return;
    case "error":
      errors.show(message.context, message.error);
      return;
  }
});

worker.addEventListener("error", (event) => {
  errors.show("worker", { name: "Error", message: event.message || "the decode worker failed to start" });
  setRunning(false);
});
window.addEventListener("error", (event) => errors.show("page", { name: "Error", message: event.message }));
window.addEventListener("unhandledrejection", (event) => errors.show("page", { name: "Error", message: String(event.reason) }));

function sessionStorageOrUndefined(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}
