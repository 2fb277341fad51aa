// Arrow output in Debian's Chromium: a page served by Vite (dev server, started through its JS
// API) connects through the bridge to a real node with the browser's WebSocket, writes Arrow
// from the row engine's batches and reads it back with apache-arrow and flechette, bundled for
// the browser (test/arrow/page, the scenario of runtimes/arrow-scenario.ts).

import { chromium, type Browser } from "playwright-core";
import { createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bridge } from "../../src/bridge/index.ts";
import { startNode, type DqliteNode } from "../../src/testing/dqlite-node.ts";
import { startTestBridge } from "../bridge/bridge-helpers.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/chromium.mjs";

const TOKEN = "arrow-page-token-0123456789abcdef";

let node: DqliteNode;
let vite: ViteDevServer;
let bridge: Bridge;
let browser: Browser;

beforeAll(async () => {
  node = await startNode();
  vite = await createServer({
    configFile: false,
    root: "test/arrow/page",
    logLevel: "error",
    server: { host: "127.0.0.1", port: 0, strictPort: false, fs: { allow: ["../../.."] } },
    optimizeDeps: { include: ["apache-arrow", "@uwdata/flechette"] },
  });
  await vite.listen();
  const origin = vite.resolvedUrls!.local[0]!.replace(/\/$/, "");
  ({ bridge } = await startTestBridge({ targets: [node.address], token: TOKEN, origins: [origin] }));
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

describe("Arrow output in Chromium", () => {
  it("the page writes Arrow from a real result and both readers agree with .all()", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const hash = new URLSearchParams({ bridge: bridge.url, token: TOKEN, node: node.address });
    await page.goto(`${vite.resolvedUrls!.local[0]}#${hash}`);
    const handle = await page.waitForSelector("body[data-result]", { state: "attached", timeout: 60_000 });
    const result = await handle.getAttribute("data-result");
    expect(errors).toEqual([]);
    expect(result).toMatch(
      /^ok every type read back by apache-arrow and flechette in 3 intModes; 30000 rows in \d+ chunks, sum 450015000$/,
    );
    expect(await page.evaluate(() => navigator.userAgent)).toContain("HeadlessChrome");
  }, 90_000);
});
