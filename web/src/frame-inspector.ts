// The frame inspector: every frame sent and received, in order, with its type and size. Picking
// one shows its bytes with each field coloured, the decoded fields with their byte ranges, and
// the whole message as JSON; hovering a field (in the list or in the hex) lights up its bytes.

import {
  type FieldSpan,
  HANDSHAKE_BYTES,
  type InspectedHeader,
  WORD_BYTES,
  inspectFrame,
  messageToJSON,
  readHandshake,
} from "./library.ts";
import { formatBytes, h } from "./dom.ts";
import { HexView } from "./hex-view.ts";
import { VirtualList } from "./virtual-list.ts";
import type { FrameDirection, FrameSummary } from "./worker-protocol.ts";

const ROW_HEIGHT_PX = 24;
const VALUE_PREVIEW_CHARS = 160;
/** Fields listed for one frame; a large offline ROWS frame can hold tens of thousands of rows. */
const MAX_LISTED_FIELDS = 1000;
/** The JSON view is cut here (it is built only when opened). */
const MAX_JSON_CHARS = 200_000;

export class FrameInspector {
  readonly element: HTMLElement;
  readonly #frames: FrameSummary[] = [];
  readonly #list: VirtualList;
  readonly #count: HTMLElement;
  readonly #title: HTMLElement;
  readonly #status: HTMLElement;
  readonly #hex: HexView;
  readonly #fieldRows: HTMLElement;
  readonly #json: HTMLElement;
  readonly #jsonDetails: HTMLDetailsElement;
  #message: unknown;
  #selected = -1;
  #fields: FieldSpan[] = [];
  #fieldElements: HTMLElement[] = [];

  constructor(
    private readonly requestFrame: (seq: number) => void,
    private readonly requestExport: () => void,
  ) {
    this.#list = new VirtualList({ rowHeight: ROW_HEIGHT_PX, renderRow: (index) => this.#renderFrame(index) });
    this.#list.viewport.classList.add("frame-list");
    this.#count = h("span", { class: "muted", "data-testid": "frame-count" }, "no frames yet");
    this.#title = h("div", { class: "frame-title" }, "Select a frame to see its bytes and fields.");
    this.#status = h("div", { class: "frame-status" });
    this.#hex = new HexView((field) => this.#hover(field, false));
    this.#fieldRows = h("tbody");
    this.#json = h("pre", { class: "json" });
    this.#jsonDetails = h("details", {}, h("summary", {}, "Decoded message (JSON)"), this.#json);
    this.#jsonDetails.addEventListener("toggle", () => this.#renderJson());
    this.element = h(
      "section",
      { class: "inspector", "aria-label": "frame inspector" },
      h(
        "div",
        { class: "panel-head" },
        h("h2", {}, "Frames"),
        this.#count,
        h(
          "button",
          { type: "button", class: "small", onclick: () => this.requestExport(), title: "Download every kept frame as a text capture" },
          "Save capture",
        ),
      ),
      h(
        "div",
        { class: "frame-list-head grid-row" },
        h("div", { class: "cell" }, "#"),
        h("div", { class: "cell" }, "dir"),
        h("div", { class: "cell" }, "type"),
        h("div", { class: "cell num" }, "size"),
      ),
      this.#list.viewport,
      h(
        "div",
        { class: "frame-detail" },
        this.#title,
        this.#status,
        this.#hex.element,
        h(
          "div",
          { class: "field-pane" },
          h(
            "table",
            { class: "fields" },
            h("thead", {}, h("tr", {}, h("th", {}, "field"), h("th", {}, "bytes"), h("th", {}, "value"))),
            this.#fieldRows,
          ),
          this.#jsonDetails,
        ),
      ),
    );
  }

  add(frames: FrameSummary[], dropped: number): void {
    this.#frames.push(...frames);
    this.#count.textContent = `${this.#frames.length.toLocaleString("en-US")} frames${dropped > 0 ? ` (${dropped.toLocaleString("en-US")} oldest without bytes)` : ""}`;
    this.#list.setCount(this.#frames.length);
  }

  /** Selects the first frame of `name` at or after `fromSeq` (used to jump to a result's frames). */
  selectFirst(name: string, fromSeq = 0): boolean {
    const found = this.#frames.find((frame) => frame.seq >= fromSeq && frame.name === name);
    if (found === undefined) return false;
    this.select(found.seq);
    return true;
  }

  get frameCount(): number {
    return this.#frames.length;
  }

  select(seq: number): void {
    this.#selected = seq;
    this.#list.scrollToIndex(seq);
    this.#list.refresh();
    const frame = this.#frames[seq];
    if (frame === undefined) return;
    this.#title.textContent = `#${seq} ${frame.direction === "sent" ? "sent to" : "received from"} the node: ${frame.name}, ${formatBytes(frame.size)}`;
    this.#status.textContent = frame.error ?? "";
    if (frame.error === undefined) this.requestFrame(seq);
    else this.#clearDetail();
  }

  /** The bytes of the selected frame arrived from the worker. */
  showBytes(seq: number, direction: FrameDirection, bytes: Uint8Array | null): void {
    if (seq !== this.#selected) return;
    if (bytes === null) {
      this.#clearDetail();
      this.#status.textContent = "The bytes of this frame are no longer kept (the log keeps the most recent frames' bytes).";
      return;
    }
    const frame = this.#frames[seq]!;
    if (frame.name === "HANDSHAKE") {
      this.#fields = [{ path: "handshake.version", start: 0, end: HANDSHAKE_BYTES }];
      this.#render(bytes, { "handshake.version": String(readHandshake(bytes) ?? "") }, undefined);
      this.#setMessage(undefined);
      return;
    }
    const side = direction === "sent" ? "request" : "response";
    const inspection = inspectFrame(side, bytes, { intMode: "string" });
    this.#fields = inspection.fields;
    const json = inspection.message === undefined ? undefined : messageToJSON(side, inspection.message);
    const values: Record<string, string> = headerValues(inspection.header, frame.name);
    for (const span of inspection.fields) {
      if (span.path.startsWith("header.")) continue;
      const value = json === undefined ? undefined : valueAt(json, span.path);
      values[span.path] = value === undefined ? "" : preview(value);
    }
    this.#render(
      bytes,
      values,
      inspection.error === undefined ? undefined : `${inspection.error.name} ${inspection.error.code}: ${inspection.error.message}`,
    );
    this.#setMessage(json);
  }

  #render(bytes: Uint8Array, values: Record<string, string>, error: string | undefined): void {
    this.#status.textContent = error ?? "";
    this.#status.classList.toggle("bad", error !== undefined);
    this.#hex.show(bytes, this.#fields);
    this.#fieldElements = this.#fields.map((span, index) => {
      const depth = span.path.split(/[.[]/).length - 2;
      const row = h(
        "tr",
        { "data-path": span.path, class: `f${index % 8}` },
        h("td", { class: "path", style: `padding-left:${0.4 + Math.max(0, depth) * 0.8}em` }, span.path),
        h("td", { class: "range" }, `${span.start}–${span.end}`),
        h("td", { class: "value" }, values[span.path] ?? ""),
      );
      row.addEventListener("mouseenter", () => this.#hover(index, true));
      row.addEventListener("mouseleave", () => this.#hover(undefined, true));
      return row;
    });
    // Listed in byte order, outer spans before the inner ones they contain.
    const order = this.#fields
      .map((_, i) => i)
      .sort((a, b) => this.#fields[a]!.start - this.#fields[b]!.start || this.#fields[b]!.end - this.#fields[a]!.end);
    const listed = order.slice(0, MAX_LISTED_FIELDS).map((i) => this.#fieldElements[i]!);
    if (order.length > MAX_LISTED_FIELDS) {
      listed.push(
        h(
          "tr",
          {},
          h("td", { colspan: 3, class: "muted" }, `… ${order.length - MAX_LISTED_FIELDS} more fields (the JSON below has them all)`),
        ),
      );
    }
    this.#fieldRows.replaceChildren(...listed);
  }

  #setMessage(json: unknown): void {
    this.#message = json;
    this.#renderJson();
  }

  #renderJson(): void {
    if (!this.#jsonDetails.open || this.#message === undefined) {
      this.#json.textContent = "";
      return;
    }
    const text = JSON.stringify(this.#message, null, 2);
    this.#json.textContent =
      text.length > MAX_JSON_CHARS ? `${text.slice(0, MAX_JSON_CHARS)}\n… (${text.length - MAX_JSON_CHARS} more characters)` : text;
  }

  #hover(field: number | undefined, fromList: boolean): void {
    for (const row of this.#fieldElements) row.classList.remove("lit");
    const span = field === undefined ? undefined : this.#fields[field];
    this.#hex.highlight(span);
    if (field !== undefined) {
      const row = this.#fieldElements[field];
      row?.classList.add("lit");
      if (fromList) this.#hex.revealLit();
      else row?.scrollIntoView({ block: "nearest" });
    }
  }

  #clearDetail(): void {
    this.#hex.clear();
    this.#fieldRows.replaceChildren();
    this.#setMessage(undefined);
    this.#fields = [];
    this.#fieldElements = [];
  }

  #renderFrame(index: number): HTMLElement {
    const frame = this.#frames[index]!;
    const row = h(
      "div",
      {
        class: `grid-row frame ${frame.direction}${index === this.#selected ? " selected" : ""}${frame.error !== undefined ? " bad" : ""}`,
        "data-seq": index,
        title: frame.error ?? `${frame.source} frame`,
        onclick: () => this.select(index),
      },
      h("div", { class: "cell num" }, String(index)),
      h("div", { class: "cell dir" }, frame.direction === "sent" ? "→ node" : "← node"),
      h("div", { class: "cell type" }, frame.name),
      h("div", { class: "cell num" }, frame.size > 0 ? formatBytes(frame.size) : ""),
    );
    return row;
  }
}

function headerValues(header: InspectedHeader | undefined, name: string): Record<string, string> {
  if (header === undefined) return {};
  return {
    "header.size": `${header.sizeWords} words (${header.sizeWords * WORD_BYTES}-byte body)`,
    "header.type": `${header.type} ${name}`,
    "header.schema": String(header.schema),
    "header.reserved": String(header.reserved),
  };
}

/** The value at an inspection path ("ROWS.rows[3]", "SERVERS.nodes[0].address") in the message's JSON. */
export function valueAt(json: unknown, path: string): unknown {
  const steps = path
    .split(".")
    .slice(1)
    .flatMap((part) => part.split(/\[|\]/).filter((s) => s !== ""));
  let value: unknown = json;
  for (const step of steps) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(compactCells(value));
  return text.length > VALUE_PREVIEW_CHARS ? `${text.slice(0, VALUE_PREVIEW_CHARS)}…` : text;
}

/** Rows and params in the JSON mapping are lists of {type, value}; show just the values. */
function compactCells(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(compactCells);
  if (value !== null && typeof value === "object" && "type" in value && "value" in value && Object.keys(value).length === 2) {
    return (value as { value: unknown }).value;
  }
  return value;
}
