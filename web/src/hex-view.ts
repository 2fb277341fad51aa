// The bytes of one frame in hex, eight bytes to a word and two words to a line, each byte
// coloured by the innermost field it belongs to. Highlighting a field lights up its bytes.

import type { FieldSpan } from "./library.ts";

/** Larger frames show this many bytes (a ROWS frame from a node is about 4 KiB). */
export const MAX_SHOWN_BYTES = 16 * 1024;
const BYTES_PER_LINE = 16;
const FIELD_COLOURS = 8;

export class HexView {
  readonly element: HTMLElement;
  #cells: HTMLElement[] = [];
  #lit: HTMLElement[] = [];
  #owner = new Int32Array(0);

  constructor(private readonly onHoverField: (field: number | undefined) => void) {
    this.element = document.createElement("div");
    this.element.className = "hex";
    this.element.addEventListener("mouseover", (event) => {
      const index = (event.target as HTMLElement).dataset["i"];
      this.onHoverField(index === undefined ? undefined : this.#owner[Number(index)]! >= 0 ? this.#owner[Number(index)] : undefined);
    });
    this.element.addEventListener("mouseleave", () => this.onHoverField(undefined));
  }

  /** Shows `bytes`; `fields` are the inspection's spans (outer ones before or after inner ones). */
  show(bytes: Uint8Array, fields: readonly FieldSpan[]): void {
    const shown = Math.min(bytes.length, MAX_SHOWN_BYTES);
    // Each byte belongs to the smallest span that covers it: paint the widest spans first.
    const owner = new Int32Array(shown).fill(-1);
    const order = fields.map((_, i) => i).sort((a, b) => fields[b]!.end - fields[b]!.start - (fields[a]!.end - fields[a]!.start));
    for (const index of order) {
      const span = fields[index]!;
      owner.fill(index, Math.min(span.start, shown), Math.min(span.end, shown));
    }
    this.#owner = owner;
    const lines: string[] = [];
    for (let line = 0; line < shown; line += BYTES_PER_LINE) {
      let hex = "";
      let text = "";
      for (let i = line; i < Math.min(line + BYTES_PER_LINE, shown); i++) {
        const byte = bytes[i]!;
        const colour = owner[i]! >= 0 ? ` f${owner[i]! % FIELD_COLOURS}` : " unknown";
        const gap = i % 8 === 0 && i !== line ? " word" : "";
        hex += `<span class="b${colour}${gap}" data-i="${i}">${byte.toString(16).padStart(2, "0")}</span>`;
        text += byte >= 0x20 && byte < 0x7f ? escapeHtml(String.fromCharCode(byte)) : ".";
      }
      lines.push(
        `<div class="hex-line"><span class="off">${line.toString(16).padStart(6, "0")}</span><span class="bytes">${hex}</span><span class="ascii">${text}</span></div>`,
      );
    }
    if (shown < bytes.length) lines.push(`<div class="hex-more">… ${bytes.length - shown} more bytes not shown</div>`);
    this.element.innerHTML = lines.join("");
    this.#cells = Array.from(this.element.querySelectorAll<HTMLElement>(".b"));
    this.#lit = [];
  }

  /** Lights up bytes [start, end). */
  highlight(range: { start: number; end: number } | undefined): void {
    for (const cell of this.#lit) cell.classList.remove("lit");
    this.#lit = range === undefined ? [] : this.#cells.slice(range.start, Math.min(range.end, this.#cells.length));
    for (const cell of this.#lit) cell.classList.add("lit");
  }

  /** Scrolls the hex so the first lit byte is in view. */
  revealLit(): void {
    this.#lit[0]?.scrollIntoView({ block: "nearest" });
  }

  clear(): void {
    this.element.replaceChildren();
    this.#cells = [];
    this.#lit = [];
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
