// The demo page: a SQL box whose results stream into a virtual table, the frame inspector, the
// engine comparison, the cluster view and the offline capture decoder. The work happens in the
// decode worker; this module builds the page and routes messages between the two.

import { readBridgeConfig } from "./config.ts";
import { formatBytes, formatCount, formatMs, formatRate, h } from "./dom.ts";
import { FrameInspector } from "./frame-inspector.ts";
import { ResultsTable } from "./results-table.ts";
import { EXAMPLE_CAPTURE } from "./example-capture.ts";
import { sqliteCodeName } from "./sqlite-codes.ts";
import type { EngineName, ErrorView, FromWorker, Progress, ToWorker } from "./worker-protocol.ts";

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
let running = false;
/** Where the frames of the running result start in the log, to open its first ROWS frame. */
let resultFirstFrame = 0;

// ---- header: connection state and engine switch
const connectionState = h("span", { class: "pill", "data-testid": "connection" }, config === undefined ? "no bridge: offline mode only" : "not connected yet");
const engineChoices = (["wasm", "js"] as const).map((name) =>
  h("label", { class: "seg" }, h("input", { type: "radio", name: "engine", value: name, checked: name === engine, onchange: () => (engine = name) }), name === "wasm" ? "WASM" : "TS"),
);
const wasmStatus = h("span", { class: "muted" }, "loading WASM…");

// ---- query box
const sqlInput = h("textarea", { id: "sql", spellcheck: "false", rows: 3, "aria-label": "SQL" }) as HTMLTextAreaElement;
sqlInput.value = EXAMPLE_QUERIES[0]!.sql;
const runButton = h("button", { type: "button", class: "primary", id: "run", onclick: () => runQuery() }, "Run");
const stopButton = h("button", { type: "button", id: "stop", disabled: true, onclick: () => send({ kind: "cancel" }) }, "Stop");
sqlInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) runQuery();
});
const examples = EXAMPLE_QUERIES.map((example) =>
  h("button", { type: "button", class: "chip", onclick: () => ((sqlInput.value = example.sql), runQuery()) }, example.label),
);

// ---- stats
const stat = (name: string, id: string) => {
  const value = h("b", { "data-testid": id }, "–");
  return { element: h("div", { class: "stat" }, h("span", {}, name), value), value };
};
const stats = {
  rows: stat("rows", "stat-rows"),
  frames: stat("frames", "stat-frames"),
  bytes: stat("bytes", "stat-bytes"),
  elapsed: stat("elapsed", "stat-elapsed"),
  rate: stat("rows/s", "stat-rate"),
  engine: stat("engine", "stat-engine"),
};
const resultState = h("span", { class: "muted", "data-testid": "result-state" }, "");

// ---- errors
const errors = h("div", { class: "errors", role: "alert", "aria-live": "polite" });

function showError(context: string, error: ErrorView): void {
  const code = error.sqliteCode === undefined ? "" : `SQLite error ${error.sqliteCode}${sqliteCodeName(error.sqliteCode) ? ` (${sqliteCodeName(error.sqliteCode)})` : ""}`;
  const item = h(
    "div",
    { class: "error", "data-testid": "error", "data-sqlite-code": error.sqliteCode },
    h("strong", {}, `${context}: `),
    code !== "" ? h("span", { class: "code" }, `${code} — `) : null,
    h("span", {}, error.message),
    h("button", { type: "button", class: "close", title: "Dismiss", onclick: () => item.remove() }, "×"),
  );
  errors.append(item);
  while (errors.children.length > 4) errors.firstElementChild!.remove();
}

// ---- results
const table = new ResultsTable((resultId, start, count) => send({ kind: "window", resultId, start, count }));

// ---- engine comparison
const compareBody = h("tbody");
const compareNote = h("p", { class: "muted", "data-testid": "compare-note" }, "Decodes the last result's ROWS frames again with each engine (mean of several runs).");
const compareButton = h("button", { type: "button", onclick: () => send({ kind: "compare" }) }, "Time both");

// ---- cluster
const clusterBody = h("tbody", { "data-testid": "cluster" });
const clusterButton = h("button", { type: "button", disabled: config === undefined, onclick: () => send({ kind: "cluster" }) }, "Refresh");

// ---- offline
const captureText = h("textarea", { id: "capture", spellcheck: "false", rows: 4, placeholder: "Paste hex: '> ' lines sent by the client, '< ' lines sent by the node, # comments", "aria-label": "capture hex" }) as HTMLTextAreaElement;
const captureFile = h("input", { type: "file", id: "capture-file", "aria-label": "capture file" }) as HTMLInputElement;
const offlineNote = h("span", { class: "muted", "data-testid": "offline-note" }, "");
const dropZone = h(
  "div",
  { class: "drop" },
  captureText,
  h(
    "div",
    { class: "row" },
    h("button", { type: "button", onclick: () => decodeText(captureText.value) }, "Decode"),
    h("button", { type: "button", class: "small", onclick: () => ((captureText.value = EXAMPLE_CAPTURE), decodeText(EXAMPLE_CAPTURE)) }, "Example"),
    h("label", { class: "file" }, "or drop / choose a file ", captureFile),
    offlineNote,
  ),
);
captureFile.addEventListener("change", () => {
  const file = captureFile.files?.[0];
  if (file !== undefined) void decodeFile(file);
});
dropZone.addEventListener("dragover", (event) => {
  event.preventDefault();
  dropZone.classList.add("over");
});
dropZone.addEventListener("dragleave", () => dropZone.classList.remove("over"));
dropZone.addEventListener("drop", (event) => {
  event.preventDefault();
  dropZone.classList.remove("over");
  const file = event.dataTransfer?.files[0];
  if (file !== undefined) void decodeFile(file);
});

// ---- inspector
const inspector = new FrameInspector(
  (seq) => send({ kind: "frame", seq }),
  () => send({ kind: "export" }),
);

// ---- layout
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
      h("section", { class: "query card" }, sqlInput, h("div", { class: "row" }, runButton, stopButton, h("span", { class: "muted" }, "examples:"), ...examples)),
      h("div", { class: "stats" }, ...Object.values(stats).map((s) => s.element), resultState),
      errors,
      table.element,
      h(
        "div",
        { class: "cards" },
        h("section", { class: "card" }, h("div", { class: "panel-head" }, h("h2", {}, "Engines"), compareButton), compareNote, h("table", { class: "compare" }, h("thead", {}, h("tr", {}, h("th", {}, "engine"), h("th", {}, "decode"), h("th", {}, "rows/s"))), compareBody)),
        h("section", { class: "card" }, h("div", { class: "panel-head" }, h("h2", {}, "Cluster"), clusterButton), h("table", { class: "cluster" }, h("thead", {}, h("tr", {}, h("th", {}, "id"), h("th", {}, "address"), h("th", {}, "role"), h("th", {}, ""))), clusterBody)),
        h("section", { class: "card offline" }, h("div", { class: "panel-head" }, h("h2", {}, "Offline capture")), dropZone),
      ),
    ),
    inspector.element,
  ),
);

if (config !== undefined) send({ kind: "configure", config });
else showError("setup", { name: "Setup", message: "This page was opened without a bridge address. Start it with `npm run demo` and open the URL it prints; offline decoding works without it." });

function runQuery(): void {
  if (config === undefined) {
    showError("query", { name: "Setup", message: "no bridge configured: open the URL printed by `npm run demo`" });
    return;
  }
  const sql = sqlInput.value.trim();
  if (sql === "") return;
  const resultId = nextResultId++;
  resultFirstFrame = inspector.frameCount;
  table.reset(resultId);
  setRunning(true);
  resultState.textContent = "running…";
  send({ kind: "query", resultId, sql, engine });
}

function setRunning(value: boolean): void {
  running = value;
  runButton.toggleAttribute("disabled", value);
  stopButton.toggleAttribute("disabled", !value);
  document.body.toggleAttribute("data-running", value);
}

function decodeText(text: string): void {
  const resultId = nextResultId++;
  resultFirstFrame = inspector.frameCount;
  table.reset(resultId);
  send({ kind: "offline", resultId, engine, text });
}

async function decodeFile(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const resultId = nextResultId++;
  resultFirstFrame = inspector.frameCount;
  table.reset(resultId);
  offlineNote.textContent = `reading ${file.name}…`;
  send({ kind: "offline", resultId, engine, bytes }, [bytes.buffer]);
}

function showProgress(progress: Progress): void {
  table.update(progress.resultId, progress.columns, progress.rows);
  if (progress.resultId !== table.resultId) return;
  stats.rows.value.textContent = formatCount(progress.rows);
  stats.frames.value.textContent = formatCount(progress.frames);
  stats.bytes.value.textContent = formatBytes(progress.bytes);
  stats.elapsed.value.textContent = formatMs(progress.elapsedMs);
  stats.rate.value.textContent = progress.elapsedMs > 0 ? formatCount((progress.rows / progress.elapsedMs) * 1000) : "–";
  stats.engine.value.textContent = progress.engine;
  if (progress.done) {
    setRunning(false);
    const rows = `${formatCount(progress.rows)} row${progress.rows === 1 ? "" : "s"}`;
    resultState.textContent = progress.failed ? "failed" : progress.stopped ? `stopped after ${rows}` : `done: ${rows}`;
    // Open the result's first ROWS frame (or its FAILURE) in the inspector.
    if (!inspector.selectFirst("ROWS", resultFirstFrame)) inspector.selectFirst("FAILURE", resultFirstFrame);
    document.body.dataset["resultDone"] = String(progress.resultId);
  }
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  const link = h("a", { href: url, download: name });
  link.click();
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
      clusterBody.replaceChildren(
        ...message.members.map((m) =>
          h("tr", { "data-testid": "member" }, h("td", { class: "id", title: m.id }, m.id), h("td", {}, m.address), h("td", {}, m.role), h("td", {}, m.address === message.leader.address ? "★ leader" : "")),
        ),
      );
      return;
    case "compare":
      compareBody.replaceChildren(
        ...message.timings.map((t) =>
          h("tr", { "data-engine": t.engine }, h("td", {}, t.engine === "js" ? "TS" : t.kind === "wasm-simd" ? "WASM (SIMD)" : "WASM"), h("td", { title: `mean of ${t.runs} runs` }, formatMs(t.ms)), h("td", { title: formatCount(t.rowsPerSecond) }, formatRate(t.rowsPerSecond))),
        ),
      );
      compareNote.textContent = `${formatCount(message.timings[0]?.rows ?? 0)} rows in ${formatCount(message.frames)} frame${message.frames === 1 ? "" : "s"} (${formatBytes(message.bytes)}); both engines decoded ${message.identical ? "identical" : "DIFFERENT"} cells.`;
      return;
    case "offline":
      offlineNote.textContent = message.note;
      if (!inspector.selectFirst("ROWS", resultFirstFrame)) inspector.select(resultFirstFrame);
      return;
    case "export":
      download("dqlite-capture.txt", message.text);
      return;
    case "error":
      showError(message.context, message.error);
      return;
  }
});

worker.addEventListener("error", (event) => {
  showError("worker", { name: "Error", message: event.message || "the decode worker failed to start" });
  setRunning(false);
});
window.addEventListener("error", (event) => showError("page", { name: "Error", message: event.message }));
window.addEventListener("unhandledrejection", (event) => showError("page", { name: "Error", message: String(event.reason) }));

function sessionStorageOrUndefined(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

void running;
