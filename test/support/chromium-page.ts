// A page of its own in Debian's Chromium, talking through the bridge to a real node: what the
// browser tests that drive such a page share. Vite serves the page's folder (dev server, started
// through its JS API), the bridge lets that origin in, the page reads the bridge, token and node
// from its URL's hash and reports on `body[data-result]` when it is done.

import { type Browser, chromium } from "playwright-core";
import { createServer, type ViteDevServer } from "vite";
import type { Bridge } from "../../src/bridge/index.ts";
import { startTestBridge } from "../bridge/bridge-helpers.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./chromium.mjs";
import { type DqliteNode, startNode } from "./nodes.ts";

export interface PageRigOptions {
  /** The page's folder (its index.html), from the project root. */
  root: string;
  /** The bridge's token, which the page is given. */
  token: string;
  /** Packages Vite bundles for the page before serving it. */
  optimizeDeps?: string[];
  /** The bridge's per-client connection cap. */
  maxConnectionsPerClient?: number;
}

export interface PageOutcome {
  /** What the page wrote on `body[data-result]`. */
  result: string;
  /** Uncaught errors of the page. */
  errors: string[];
  userAgent: string;
}

export interface PageRig {
  readonly node: DqliteNode;
  readonly bridge: Bridge;
  /** Opens the page and waits (up to `timeoutMs`) for its result. */
  run(timeoutMs?: number): Promise<PageOutcome>;
  /** Stops the browser, the bridge, Vite and the node. */
  close(): Promise<void>;
}

/** Starts a node, Vite on the page's folder, the bridge and Chromium; stops what started if one fails. */
export async function startPageRig(options: PageRigOptions): Promise<PageRig> {
  const started: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const stop of started.reverse()) await stop();
  };
  try {
    const node = await startNode();
    started.push(() => node.stop());
    const vite: ViteDevServer = await createServer({
      configFile: false,
      root: options.root,
      logLevel: "error",
      server: { host: "127.0.0.1", port: 0, strictPort: false, fs: { allow: ["../../.."] } },
      ...(options.optimizeDeps === undefined ? {} : { optimizeDeps: { include: options.optimizeDeps } }),
    });
    started.push(() => vite.close());
    await vite.listen();
    const pageUrl = vite.resolvedUrls!.local[0]!;
    const { bridge } = await startTestBridge({
      targets: [node.address],
      token: options.token,
      origins: [pageUrl.replace(/\/$/, "")],
      ...(options.maxConnectionsPerClient === undefined ? {} : { maxConnectionsPerClient: options.maxConnectionsPerClient }),
    });
    started.push(() => bridge.close());
    const browser = await launchChromium();
    started.push(() => browser.close());
    const run = async (timeoutMs = 60_000): Promise<PageOutcome> => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      const hash = new URLSearchParams({ bridge: bridge.url, token: options.token, node: node.address });
      await page.goto(`${pageUrl}#${hash}`);
      const handle = await page.waitForSelector("body[data-result]", { state: "attached", timeout: timeoutMs });
      const result = (await handle.getAttribute("data-result")) ?? "";
      return { result, errors, userAgent: await page.evaluate(() => navigator.userAgent) };
    };
    return { node, bridge, run, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  } catch (error) {
    throw new Error(`cannot launch Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium): ${String(error)}`);
  }
}
