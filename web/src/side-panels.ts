// The cards under the result: the engine timing, the Arrow download, the cluster view and the
// offline capture loader. Each owns its elements and shows what the worker answers.

import { formatBytes, formatCount, formatMs, formatRate, h } from "./dom.ts";
import { EXAMPLE_CAPTURE } from "./example-capture.ts";
import type { FromWorker } from "./worker-protocol.ts";

type Answer<K extends FromWorker["kind"]> = Extract<FromWorker, { kind: K }>;

const card = (title: string, action: HTMLElement | null, ...body: HTMLElement[]) =>
  h("section", { class: "card" }, h("div", { class: "panel-head" }, h("h2", {}, title), action), ...body);

const table = (className: string, headers: string[], body: HTMLElement) =>
  h("table", { class: className }, h("thead", {}, h("tr", {}, ...headers.map((text) => h("th", {}, text)))), body);

export class EnginePanel {
  readonly element: HTMLElement;
  readonly #body = h("tbody");
  readonly #note = h(
    "p",
    { class: "muted", "data-testid": "compare-note" },
    "Decodes the last result's ROWS frames again with each engine (mean of several runs).",
  );

  constructor(compare: () => void) {
    const button = h("button", { type: "button", onclick: compare }, "Time both");
    this.element = card("Engines", button, this.#note, table("compare", ["engine", "decode", "rows/s"], this.#body));
  }

  show(answer: Answer<"compare">): void {
    this.#body.replaceChildren(
      ...answer.timings.map((t) =>
        h(
          "tr",
          { "data-engine": t.engine },
          h("td", {}, t.engine === "js" ? "TS" : t.kind === "wasm-simd" ? "WASM (SIMD)" : "WASM"),
          h("td", { title: `mean of ${t.runs} runs` }, formatMs(t.ms)),
          h("td", { title: formatCount(t.rowsPerSecond) }, formatRate(t.rowsPerSecond)),
        ),
      ),
    );
    const frames = `${formatCount(answer.frames)} frame${answer.frames === 1 ? "" : "s"}`;
    this.#note.textContent = `${formatCount(answer.timings[0]?.rows ?? 0)} rows in ${frames} (${formatBytes(answer.bytes)}); both engines decoded ${answer.identical ? "identical" : "DIFFERENT"} cells.`;
  }
}

export class ArrowPanel {
  readonly element: HTMLElement;
  readonly #body = h("tbody", { "data-testid": "arrow-columns" });
  readonly #note = h(
    "p",
    { class: "muted", "data-testid": "arrow-note" },
    "Downloads the shown result as an Apache Arrow IPC stream (.arrow), written from the row engine's column batches, and reads it back here.",
  );

  constructor(request: () => void) {
    const button = h("button", { type: "button", id: "arrow-download", onclick: request }, "Download .arrow");
    this.element = card("Arrow", button, this.#note, table("arrow", ["column", "type", "nulls", "min", "max", "sum"], this.#body));
  }

  show(answer: Answer<"arrow">): void {
    this.#note.textContent = `${formatCount(answer.rows)} rows, ${formatBytes(answer.bytes.length)} of Arrow IPC, read back by flechette:`;
    this.#body.replaceChildren(
      ...answer.columns.map((column) =>
        h(
          "tr",
          { "data-column": column.name },
          h("td", {}, column.name),
          h("td", {}, column.type),
          h("td", {}, formatCount(column.nulls)),
          h("td", {}, column.min ?? ""),
          h("td", {}, column.max ?? ""),
          h("td", {}, column.sum ?? ""),
        ),
      ),
    );
  }
}

export class ClusterPanel {
  readonly element: HTMLElement;
  readonly #body = h("tbody", { "data-testid": "cluster" });

  constructor(refresh: () => void, enabled: boolean) {
    const button = h("button", { type: "button", disabled: !enabled, onclick: refresh }, "Refresh");
    this.element = card("Cluster", button, table("cluster", ["id", "address", "role", ""], this.#body));
  }

  show(answer: Answer<"cluster">): void {
    this.#body.replaceChildren(
      ...answer.members.map((m) =>
        h(
          "tr",
          { "data-testid": "member" },
          h("td", { class: "id", title: m.id }, m.id),
          h("td", {}, m.address),
          h("td", {}, m.role),
          h("td", {}, m.address === answer.leader.address ? "★ leader" : ""),
        ),
      ),
    );
  }
}

export class OfflinePanel {
  readonly element: HTMLElement;
  readonly #note = h("span", { class: "muted", "data-testid": "offline-note" }, "");

  constructor(decode: (input: { text: string } | { file: File }) => void) {
    const text = h("textarea", {
      id: "capture",
      spellcheck: "false",
      rows: 4,
      placeholder: "Paste hex: '> ' lines sent by the client, '< ' lines sent by the node, # comments",
      "aria-label": "capture hex",
    }) as HTMLTextAreaElement;
    const file = h("input", { type: "file", id: "capture-file", "aria-label": "capture file" }) as HTMLInputElement;
    const decodeFile = (chosen: File | undefined) => {
      if (chosen === undefined) return;
      this.#note.textContent = `reading ${chosen.name}…`;
      decode({ file: chosen });
    };
    file.addEventListener("change", () => decodeFile(file.files?.[0]));
    const drop = h(
      "div",
      { class: "drop" },
      text,
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", onclick: () => decode({ text: text.value }) }, "Decode"),
        h(
          "button",
          {
            type: "button",
            class: "small",
            onclick: () => {
              text.value = EXAMPLE_CAPTURE;
              decode({ text: EXAMPLE_CAPTURE });
            },
          },
          "Example",
        ),
        h("label", { class: "file" }, "or drop / choose a file ", file),
        this.#note,
      ),
    );
    drop.addEventListener("dragover", (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      drop.classList.remove("over");
      decodeFile(event.dataTransfer?.files[0]);
    });
    this.element = card("Offline capture", null, drop);
    this.element.classList.add("offline");
  }

  show(answer: Answer<"offline">): void {
    this.#note.textContent = answer.note;
  }
}
