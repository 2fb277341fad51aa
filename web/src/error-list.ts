// Errors shown to the person, in plain words: a node's FAILURE with its SQLite code and name, a
// bridge refusal or a lost connection with the reason, a capture that does not parse. The last
// few stay on screen until dismissed.

import { h } from "./dom.ts";
import { sqliteCodeName } from "./sqlite-codes.ts";
import type { ErrorView } from "./worker-protocol.ts";

const MAX_SHOWN = 4;

export class ErrorList {
  readonly element = h("div", { class: "errors", role: "alert", "aria-live": "polite" });

  show(context: string, error: ErrorView): void {
    const name = error.sqliteCode === undefined ? undefined : sqliteCodeName(error.sqliteCode);
    const code = error.sqliteCode === undefined ? "" : `SQLite error ${error.sqliteCode}${name === undefined ? "" : ` (${name})`}`;
    const item = h(
      "div",
      { class: "error", "data-testid": "error", "data-sqlite-code": error.sqliteCode },
      h("strong", {}, `${context}: `),
      code !== "" ? h("span", { class: "code" }, `${code} — `) : null,
      h("span", {}, error.message),
      h("button", { type: "button", class: "close", title: "Dismiss", onclick: () => item.remove() }, "×"),
    );
    this.element.append(item);
    while (this.element.children.length > MAX_SHOWN) this.element.firstElementChild!.remove();
  }
}
