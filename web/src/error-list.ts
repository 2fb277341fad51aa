// Errors shown to the person, in plain words: a node's FAILURE with its SQLite code and name, a
// bridge refusal or a lost connection with the reason, a capture that does not parse. The last
// few stay on screen until dismissed.

import { BridgeCloseCode } from "./library.ts";
import { h } from "./dom.ts";
import { sqliteCodeName } from "./sqlite-codes.ts";
import type { ErrorView } from "./worker-protocol.ts";

const MAX_SHOWN = 4;

/** The close code a browser reports itself when no close frame came (no server, refused upgrade). */
const ABNORMAL_CLOSURE = 1006;

/** What a person can do about the bridge's refusals (close codes of the bridge). */
const BRIDGE_HINTS: Record<number, string> = {
  [BridgeCloseCode.Unauthorized]: "The page's token is not this bridge's: open the URL that `npm run demo` printed this time.",
  [BridgeCloseCode.ForbiddenOrigin]:
    "The bridge admits only the page origin it was started for: open the printed 127.0.0.1 URL (not localhost).",
  [BridgeCloseCode.ForbiddenTarget]: "The node is not on the bridge's allow-list: open the printed URL unchanged.",
  [BridgeCloseCode.TooManyConnections]: "The bridge has as many connections as it allows; close other tabs of this page.",
  [BridgeCloseCode.TooManyConnectionsFromClient]:
    "The bridge has as many connections from this machine as it allows; close other tabs of this page.",
  [BridgeCloseCode.TargetUnreachable]: "The bridge cannot reach the node: is the demo still running?",
  [ABNORMAL_CLOSURE]: "No bridge answered: is the demo still running?",
};

function hintFor(message: string): string | undefined {
  // The WebSocket transport's ConnectionError message carries the code as "closed with code N".
  const code = /closed with code (\d{4})/.exec(message)?.[1];
  return code === undefined ? undefined : BRIDGE_HINTS[Number(code)];
}

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
      hintFor(error.message) === undefined ? null : h("div", { class: "hint" }, hintFor(error.message)),
      h("button", { type: "button", class: "close", title: "Dismiss", onclick: () => item.remove() }, "×"),
    );
    this.element.append(item);
    while (this.element.children.length > MAX_SHOWN) this.element.firstElementChild!.remove();
  }
}
