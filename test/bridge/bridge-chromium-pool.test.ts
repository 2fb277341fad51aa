// A pooled client in Debian's Chromium: a page served by Vite (dev server, started through its
// JS API; test/bridge/pool-page) connects through the bridge to a real node with the browser's
// WebSocket, one per pooled connection, within the bridge's per-client cap.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PageRig, startPageRig } from "../support/chromium-page.ts";

let rig: PageRig;

beforeAll(async () => {
  rig = await startPageRig({ root: "test/bridge/pool-page", token: "pool-page-token-0123456789abcdefgh", maxConnectionsPerClient: 2 });
});

afterAll(async () => {
  await rig?.close();
});

describe("a pooled client in Chromium through the bridge", () => {
  it("reads beside a held result on a second WebSocket, stays within the bridge's cap and says so, reads during a transaction", async () => {
    const outcome = await rig.run();
    const result = JSON.parse(outcome.result);
    expect(outcome.errors).toEqual([]);
    expect(result.failed).toBeUndefined();
    expect(result.heldFirstBatch).toBe(true);
    expect(result.beside).toEqual([[0], [1], [2], [3], [4], [5], [6], [7]]);
    expect(result.openDuringHold).toBe(2);
    expect(result.longRows).toEqual([20000, 20000, 20000, 20000]);
    expect(result.outside).toEqual([0]);
    expect(result.after).toEqual([1]);
    expect(result.stats.max).toBe(2);
    expect(result.stats.limitedBy).toMatch(
      /the bridge refused connection 3 \(close code 4009: its per-client cap, --max-per-client\); the pool keeps 2/,
    );
    expect(outcome.userAgent).toContain("HeadlessChrome");
  }, 90_000);
});
