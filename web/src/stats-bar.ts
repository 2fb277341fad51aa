// The figures of the result being shown: rows, ROWS frames, bytes received, elapsed time, rows
// per second, the engine that decoded, and how it ended.

import { formatBytes, formatCount, formatMs, h } from "./dom.ts";
import type { Progress } from "./worker-protocol.ts";

const FIGURES = [
  ["rows", "rows"],
  ["frames", "frames"],
  ["bytes", "bytes"],
  ["elapsed", "elapsed"],
  ["rate", "rows/s"],
  ["engine", "engine"],
] as const;
type Figure = (typeof FIGURES)[number][0];

export class StatsBar {
  readonly element: HTMLElement;
  readonly #values = {} as Record<Figure, HTMLElement>;
  readonly #state = h("span", { class: "muted", "data-testid": "result-state" }, "");

  constructor() {
    const cells = FIGURES.map(([key, label]) => {
      const value = (this.#values[key] = h("b", { "data-testid": `stat-${key}` }, "–"));
      return h("div", { class: "stat" }, h("span", {}, label), value);
    });
    this.element = h("div", { class: "stats" }, ...cells, this.#state);
  }

  running(): void {
    this.#state.textContent = "running…";
  }

  show(progress: Progress): void {
    const values = this.#values;
    values.rows.textContent = formatCount(progress.rows);
    values.frames.textContent = formatCount(progress.frames);
    values.bytes.textContent = formatBytes(progress.bytes);
    values.elapsed.textContent = formatMs(progress.elapsedMs);
    values.rate.textContent = progress.elapsedMs > 0 ? formatCount((progress.rows / progress.elapsedMs) * 1000) : "–";
    values.engine.textContent = progress.engine;
    if (!progress.done) return;
    const rows = `${formatCount(progress.rows)} row${progress.rows === 1 ? "" : "s"}`;
    const exec = progress.exec;
    this.#state.textContent = progress.failed
      ? "failed"
      : progress.stopped
        ? `stopped after ${rows}`
        : exec !== undefined
          ? `done: ${formatCount(exec.rowsAffected)} row${exec.rowsAffected === 1 ? "" : "s"} changed, last insert id ${exec.lastInsertId}`
          : `done: ${rows}`;
  }
}
