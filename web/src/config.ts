// Where the page finds the bridge. `npm run demo` prints a URL whose fragment carries the bridge
// address, its token and the node: a fragment never reaches a server or its logs. The page keeps
// it for the tab's lifetime (sessionStorage, so a reload works) and removes it from the address
// bar, so the token does not stay in history or end up in a screenshot.

import type { BridgeConfig } from "./worker-protocol.ts";

const STORAGE_KEY = "dqlite-wire-demo.bridge";
const DEFAULT_DATABASE = "demo";

export function readBridgeConfig(location: Location, storage: Storage | undefined): BridgeConfig | undefined {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const bridgeUrl = params.get("bridge");
  const token = params.get("token");
  const target = params.get("target");
  if (bridgeUrl !== null && token !== null && target !== null) {
    const config = { bridgeUrl, token, target, database: params.get("db") ?? DEFAULT_DATABASE };
    try {
      storage?.setItem(STORAGE_KEY, JSON.stringify(config));
    } catch {
      // Storage may be disabled; the config still works for this load.
    }
    history.replaceState(null, "", location.pathname + location.search);
    return config;
  }
  try {
    const saved = storage?.getItem(STORAGE_KEY);
    if (saved !== null && saved !== undefined) return JSON.parse(saved) as BridgeConfig;
  } catch {
    // A malformed saved value is ignored like a missing one.
  }
  return undefined;
}
