// A pooled client in Debian's Chromium: a page served by Vite (dev server, started through its
// JS API; test/bridge/pool-page) connects through the bridge to a real node with the browser's
// WebSocket, one per pooled connection, within the bridge's per-client cap.

import { chromium, type Browser } from "playwright-core";
import { createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bridge } from "../../src/bridge/index.ts";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import { startTestBridge } from "./bridge-helpers.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/chromium.mjs";

const TOKEN = "pool-page-token-0123456789abcdefgh";

let node: DqliteNode;
let vite: ViteDevServer;
let bridge: Bridge;
let browser: Browser;

beforeAll(async () => {
  node = await startNode();
  vite = await createServer({
    configFile: false,
    root: "test/bridge/pool-page",
    logLevel: "error",
    server: { host: "127.0.0.1", port: 0, strictPort: false, fs: { allow: ["../../.."] } },
  });
  await vite.listen();
  const origin = vite.resolvedUrls!.local[0]!.replace(/\/$/, "");
  ({ bridge } = await startTestBridge({ targets: [node.address], token: TOKEN, origins: [origin], maxConnectionsPerClient: 2 }));
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  } catch (error) {
    throw new Error(`cannot launch Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium): ${String(error)}`);
  }
});

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await vite?.close();
  await node?.stop();
});

describe("a pooled client in Chromium through the bridge", () => {
  it("reads beside a held result on a second WebSocket, stays within the bridge's cap and says so, reads during a transaction", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const hash = new URLSearchParams({ bridge: bridge.url, token: TOKEN, node: node.address });
    await page.goto(`${vite.resolvedUrls!.local[0]}#${hash}`);
    const handle = await page.waitForSelector("body[data-result]", { state: "attached", timeout: 60_000 });
    const result = JSON.parse((await handle.getAttribute("data-result"))!);
    expect(errors).toEqual([]);
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
    expect(await page.evaluate(() => navigator.userAgent)).toContain("HeadlessChrome");
  }, 90_000);
});
