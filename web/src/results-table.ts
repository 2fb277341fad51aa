// The result table: a header of column names over a virtual list of rows. Rows live in the
// worker; the table asks for the blocks in view and caches a bounded number of them.

import { h } from "./dom.ts";
import { VirtualList } from "./virtual-list.ts";
import type { CellView } from "./worker-protocol.ts";

const ROW_HEIGHT_PX = 26;
/** Rows fetched per request; a screen shows a few dozen. */
const BLOCK_ROWS = 100;
/** Blocks kept on the page; older ones are fetched again if scrolled back to. */
const MAX_CACHED_BLOCKS = 200;

export class ResultsTable {
  readonly element: HTMLElement;
  readonly #header: HTMLElement;
  readonly #list: VirtualList;
  readonly #blocks = new Map<number, CellView[][]>();
  readonly #pending = new Set<number>();
  #resultId = -1;
  #columns: string[] = [];

  constructor(private readonly fetchWindow: (resultId: number, start: number, count: number) => void) {
    this.#header = h("div", { class: "grid-row grid-header", role: "row" });
    this.#list = new VirtualList({
      rowHeight: ROW_HEIGHT_PX,
      renderRow: (index) => this.#renderRow(index),
      onRange: (first, end) => {
        // Which result the rows on screen belong to (tests and tools wait on it).
        this.element.dataset["renderedResult"] = String(this.#resultId);
        this.#fetch(first, end);
      },
    });
    this.#list.viewport.classList.add("results-body");
    this.#list.viewport.addEventListener("scroll", () => {
      this.#header.scrollLeft = this.#list.viewport.scrollLeft;
    });
    this.element = h("div", { class: "results", role: "grid", "aria-label": "query result" }, this.#header, this.#list.viewport);
  }

  /** Starts showing another result (clears the cache). */
  reset(resultId: number): void {
    this.#resultId = resultId;
    this.#blocks.clear();
    this.#pending.clear();
    this.#columns = [];
    this.#header.replaceChildren();
    this.#list.setCount(0);
    this.#list.viewport.scrollTop = 0;
    this.#list.refresh();
  }

  get resultId(): number {
    return this.#resultId;
  }

  /** More rows (or the columns) have arrived for the current result. */
  update(resultId: number, columns: string[], rowCount: number): void {
    if (resultId !== this.#resultId) return;
    if (columns.length > 0 && columns.join("\u0000") !== this.#columns.join("\u0000")) {
      this.#columns = columns;
      const template = `72px repeat(${columns.length}, minmax(120px, 1fr))`;
      this.element.style.setProperty("--grid-columns", template);
      this.element.style.setProperty("--grid-min-width", `${72 + columns.length * 120}px`);
      this.#header.replaceChildren(
        h("div", { class: "cell rownum" }, "#"),
        ...columns.map((name) => h("div", { class: "cell", role: "columnheader", title: name }, name)),
      );
      this.#list.refresh();
    }
    // A block fetched while the result was still arriving may be short: fetch it again.
    for (const [block, rows] of this.#blocks) {
      if (rows.length < BLOCK_ROWS && block * BLOCK_ROWS + rows.length < rowCount) this.#blocks.delete(block);
    }
    this.#list.setCount(rowCount);
  }

  /** A window of rows arrived from the worker. */
  receive(resultId: number, start: number, rows: CellView[][]): void {
    if (resultId !== this.#resultId) return;
    const block = Math.floor(start / BLOCK_ROWS);
    this.#pending.delete(block);
    this.#blocks.set(block, rows);
    while (this.#blocks.size > MAX_CACHED_BLOCKS) this.#blocks.delete(this.#blocks.keys().next().value!);
    this.#list.refresh();
  }

  #fetch(first: number, end: number): void {
    for (let block = Math.floor(first / BLOCK_ROWS); block * BLOCK_ROWS < end; block++) {
      const cached = this.#blocks.get(block);
      const complete = cached !== undefined && (cached.length === BLOCK_ROWS || block * BLOCK_ROWS + cached.length >= this.#list.count);
      if (complete || this.#pending.has(block)) continue;
      this.#pending.add(block);
      this.fetchWindow(this.#resultId, block * BLOCK_ROWS, BLOCK_ROWS);
    }
  }

  #renderRow(index: number): HTMLElement {
    const row = h("div", { class: "grid-row", role: "row", "data-row": index }, h("div", { class: "cell rownum" }, String(index + 1)));
    const cells = this.#blocks.get(Math.floor(index / BLOCK_ROWS))?.[index % BLOCK_ROWS];
    if (cells === undefined) {
      row.classList.add("loading");
      for (let c = 0; c < this.#columns.length; c++) row.append(h("div", { class: "cell" }, "…"));
      return row;
    }
    for (const cell of cells) row.append(h("div", { class: `cell ${cell.k}`, role: "gridcell", title: cell.t }, cell.t));
    return row;
  }
}
