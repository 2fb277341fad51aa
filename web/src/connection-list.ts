// The connections of a tcpdump capture loaded in offline mode: one entry per TCP connection,
// dqlite conversations with their queries (open one to see its frames and its rows), the others
// with why they were not decoded (TLS, raft traffic between nodes, another protocol).

import { h } from "./dom.ts";
import type { ConnectionView, FromWorker } from "./worker-protocol.ts";

export class ConnectionList {
  readonly element: HTMLElement;
  readonly #list = h("ol", { class: "connections", "data-testid": "connections" });
  readonly #note = h(
    "p",
    { class: "muted", "data-testid": "connections-note" },
    "Drop a tcpdump capture (.pcap, .pcapng) on the offline card: its connections show here.",
  );

  constructor(private readonly open: (conn: string, request: number | undefined) => void) {
    this.element = h(
      "section",
      { class: "card capture" },
      h("div", { class: "panel-head" }, h("h2", {}, "Capture connections")),
      this.#note,
      this.#list,
    );
  }

  show(answer: Extract<FromWorker, { kind: "connections" }>): void {
    this.element.classList.add("loaded");
    this.#note.textContent = answer.summary;
    this.#list.replaceChildren(...answer.connections.map((connection) => this.#item(connection)));
  }

  #item(c: ConnectionView): HTMLElement {
    const title = `${c.id} ${c.client} → ${c.server}`;
    if (c.kind !== "dqlite") {
      return h(
        "li",
        { class: "skipped", "data-conn": c.id },
        h("span", {}, title),
        h("span", { class: "muted" }, ` ${c.kind}${c.detail ? ` (${c.detail})` : ""}`),
      );
    }
    const counts = `${c.requests} requests, ${c.responses} responses${c.problems > 0 ? `, ${c.problems} problems` : ""}`;
    return h(
      "li",
      { "data-conn": c.id },
      h("button", { type: "button", class: "link", "data-testid": "conversation", onclick: () => this.open(c.id, undefined) }, title),
      h("span", { class: "muted" }, ` ${counts}`),
      c.results.length === 0
        ? null
        : h(
            "ul",
            {},
            ...c.results.map((r) =>
              h(
                "li",
                {},
                h(
                  "button",
                  { type: "button", class: "link", "data-testid": "capture-result", onclick: () => this.open(c.id, r.request) },
                  `#${r.request} ${r.sql}`,
                ),
                h("span", { class: "muted" }, r.failed ? " failed" : ` ${r.rows} rows`),
              ),
            ),
          ),
    );
  }
}
