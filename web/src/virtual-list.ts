// A scrolling list that creates elements only for the rows in view, so a list of a million rows
// costs as much as a list of forty. Browsers cap an element's height (about 33 million pixels in
// Chromium, less elsewhere), so past a cap the scrollbar maps proportionally onto the rows.

/** Tallest spacer the list makes; beyond it the scroll position is scaled. */
const MAX_SPACER_PX = 15_000_000;
/** Rows rendered above and below the visible ones, so fast scrolling shows no gaps. */
const OVERSCAN_ROWS = 8;

export interface VirtualListOptions {
  rowHeight: number;
  /** The element for row `index`. */
  renderRow(index: number): HTMLElement;
  /** Called after each render with the rows now on screen (for fetching them). */
  onRange?(first: number, end: number): void;
}

export class VirtualList {
  readonly viewport: HTMLElement;
  readonly #spacer: HTMLElement;
  readonly #layer: HTMLElement;
  #count = 0;
  #frame = 0;
  /** What the last render drew; a render that would draw the same is skipped. */
  #drawn = "";
  #dirty = true;

  constructor(private readonly options: VirtualListOptions) {
    this.viewport = document.createElement("div");
    this.viewport.className = "vlist";
    this.#spacer = document.createElement("div");
    this.#spacer.className = "vlist-spacer";
    this.#layer = document.createElement("div");
    this.#layer.className = "vlist-layer";
    this.viewport.append(this.#spacer, this.#layer);
    this.viewport.addEventListener("scroll", () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
  }

  get count(): number {
    return this.#count;
  }

  setCount(count: number): void {
    this.#count = count;
    this.#spacer.style.height = `${Math.min(count * this.options.rowHeight, MAX_SPACER_PX)}px`;
    this.schedule();
  }

  /** Re-renders the visible rows on the next animation frame, even if the same rows are in view. */
  refresh(): void {
    this.#dirty = true;
    this.schedule();
  }

  /** Renders on the next animation frame if the rows in view changed (scroll, resize, count). */
  schedule(): void {
    if (this.#frame !== 0) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.render();
    });
  }

  scrollToIndex(index: number): void {
    const { first } = this.#position();
    const visible = Math.floor(this.viewport.clientHeight / this.options.rowHeight);
    if (index >= first && index < first + visible) return;
    const spacer = Math.min(this.#count * this.options.rowHeight, MAX_SPACER_PX);
    const maxFirst = Math.max(1, this.#count - visible);
    this.viewport.scrollTop = (index / maxFirst) * Math.max(0, spacer - this.viewport.clientHeight);
  }

  render(): void {
    const { rowHeight } = this.options;
    const { first, offset } = this.#position();
    const visible = Math.ceil(this.viewport.clientHeight / rowHeight) + 1;
    const start = Math.max(0, first - OVERSCAN_ROWS);
    const end = Math.min(this.#count, first + visible + OVERSCAN_ROWS);
    const translate = offset - (first - start) * rowHeight;
    // While a result streams in, the count grows below the rows in view: nothing to redraw.
    const drawn = `${start}:${end}:${translate}`;
    if (drawn === this.#drawn && !this.#dirty) return;
    this.#drawn = drawn;
    this.#dirty = false;
    const rows: HTMLElement[] = [];
    for (let index = start; index < end; index++) {
      const row = this.options.renderRow(index);
      row.style.height = `${rowHeight}px`;
      rows.push(row);
    }
    this.#layer.replaceChildren(...rows);
    this.#layer.style.transform = `translateY(${translate}px)`;
    this.options.onRange?.(start, end);
  }

  /** The first row in view and where its top edge sits in the scrolled content. */
  #position(): { first: number; offset: number } {
    const { rowHeight } = this.options;
    const viewportHeight = this.viewport.clientHeight;
    const spacer = Math.min(this.#count * rowHeight, MAX_SPACER_PX);
    const maxScroll = Math.max(0, spacer - viewportHeight);
    const maxFirst = Math.max(0, this.#count - viewportHeight / rowHeight);
    const scrollTop = Math.min(this.viewport.scrollTop, maxScroll);
    const exact = maxScroll > 0 ? (scrollTop / maxScroll) * maxFirst : 0;
    const first = Math.floor(exact);
    return { first, offset: scrollTop - (exact - first) * rowHeight };
  }
}
