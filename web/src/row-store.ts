// The rows of one result, kept in the worker as the engine's column batches (typed arrays, text
// decoded only when read). The page asks for windows of rows; only those cells are formatted.

import type { RowBatch } from "./library.ts";
import { cellView } from "./cell-view.ts";
import type { CellView } from "./worker-protocol.ts";

/** The largest window the page may ask for at once (a screenful is a few dozen rows). */
const MAX_WINDOW_ROWS = 1000;

export class RowStore {
  columns: readonly string[] = [];
  #batches: RowBatch[] = [];
  /** Index of the first row of each batch. */
  #firsts: number[] = [];
  #rows = 0;

  constructor(readonly resultId: number) {}

  get rowCount(): number {
    return this.#rows;
  }

  /** The batches received so far, in order (those with rows). */
  get batches(): readonly RowBatch[] {
    return this.#batches;
  }

  add(batch: RowBatch): void {
    if (this.#batches.length === 0) this.columns = batch.columns;
    if (batch.rowCount === 0) return;
    this.#batches.push(batch);
    this.#firsts.push(this.#rows);
    this.#rows += batch.rowCount;
  }

  /** Rows [start, start + count) as cell views; fewer at the end of what has arrived. */
  window(start: number, count: number): CellView[][] {
    const out: CellView[][] = [];
    const end = Math.min(this.#rows, start + Math.min(count, MAX_WINDOW_ROWS));
    let b = this.#batchOf(start);
    for (let row = Math.max(0, start); row < end; row++) {
      while (row >= this.#firsts[b]! + this.#batches[b]!.rowCount) b++;
      const batch = this.#batches[b]!;
      const local = row - this.#firsts[b]!;
      const cells: CellView[] = [];
      for (let c = 0; c < batch.columns.length; c++) {
        const column = batch.column(c);
        cells.push(cellView(column.types[local]!, column.value(local)));
      }
      out.push(cells);
    }
    return out;
  }

  /** The batch holding `row` (binary search over the batches' first rows). */
  #batchOf(row: number): number {
    let low = 0;
    let high = this.#firsts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.#firsts[mid]! <= row) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}
