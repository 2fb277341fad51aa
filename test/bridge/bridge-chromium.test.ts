// What a real browser sees: Debian's Chromium (driven by playwright-core, no browser download)
// loads a page from a loopback HTTP server and talks to the bridge with its own WebSocket. A page
// from an allowed origin with the token reaches the real node; refusals arrive as close codes with
// their reasons, which is why the bridge completes the upgrade before refusing.

import { createServer, type Server } from "node:http";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import type { Bridge } from "../../src/bridge/index.ts";
import { concat, decodeResponses, directExchange, openingScript, startTestBridge } from "./bridge-helpers.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/chromium.mjs";

const TOKEN = "chromium-test-token-0123456789abc";
const CHROMIUM = CHROMIUM_PATH;

let node: DqliteNode;
let bridge: Bridge;
let pageServer: Server;
let origin: string;
let browser: Browser;
let page: Page;

interface PageResult {
  opened: boolean;
  protocol: string;
  code: number;
  reason: string;
  received: number[];
}

/** Runs in the page: connects, optionally sends bytes, and reports what happened. */
function connectFromPage(page: Page, url: string, protocols: string[], send: number[], expectBytes: number): Promise<PageResult> {
  return page.evaluate(
    ({ url, protocols, send, expectBytes }) =>
      new Promise<PageResult>((resolve) => {
        const ws = new WebSocket(url, protocols);
        ws.binaryType = "arraybuffer";
        const result: PageResult = { opened: false, protocol: "", code: 0, reason: "", received: [] };
        ws.onopen = () => {
          result.opened = true;
          result.protocol = ws.protocol;
          if (send.length > 0) ws.send(new Uint8Array(send));
        };
        ws.onmessage = (event) => {
          result.received.push(...new Uint8Array(event.data as ArrayBuffer));
          if (expectBytes > 0 && result.received.length >= expectBytes) ws.close(1000, "enough");
        };
        ws.onclose = (event) => {
          result.code = event.code;
          result.reason = event.reason;
          resolve(result);
        };
      }),
    { url, protocols, send, expectBytes },
  );
}

beforeAll(async () => {
  node = await startNode();
  pageServer = createServer((_request, response) => {
    response.writeHead(200, { "Content-Type": "text/html" });
    response.end("<!doctype html><title>bridge test page</title>");
  });
  await new Promise<void>((resolve) => pageServer.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(pageServer.address() as { port: number }).port}`;
  ({ bridge } = await startTestBridge({ targets: [node.address], token: TOKEN, origins: [origin] }));
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
  } catch (error) {
    throw new Error(`cannot launch Chromium at ${CHROMIUM} (apt-get install -y chromium): ${String(error)}`);
  }
  page = await browser.newPage();
  await page.goto(origin);
});

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await new Promise((resolve) => pageServer?.close(resolve));
  await node?.stop();
});

describe("bridge from Chromium", () => {
  it("carries a page's frames to the real node and back, byte for byte as over direct TCP", async () => {
    const script = openingScript();
    const direct = await directExchange(node.address, script, 3);
    const result = await connectFromPage(page, bridge.url, ["dqlite-wire", `dqlite-wire.token.${TOKEN}`], [...script], direct.length);
    expect(result.opened).toBe(true);
    expect(result.protocol).toBe("dqlite-wire");
    expect(result.code).toBe(1000);
    expect(Buffer.from(result.received).toString("hex")).toBe(direct.toString("hex"));
    expect(decodeResponses(Uint8Array.from(result.received)).map((m) => m.type)).toEqual(["WELCOME", "LEADER", "DB"]);
  });

  it("shows the page a wrong token as close code 4001 with its reason", async () => {
    const result = await connectFromPage(page, bridge.url, ["dqlite-wire", "dqlite-wire.token.not-the-token-at-all"], [], 0);
    expect(result).toMatchObject({ code: 4001, reason: "wrong token" });
  });

  it("shows the page a forbidden target as close code 4004 with its reason", async () => {
    const result = await connectFromPage(page, `${bridge.url}?target=127.0.0.1:22`, ["dqlite-wire", `dqlite-wire.token.${TOKEN}`], [], 0);
    expect(result).toMatchObject({ code: 4004, reason: 'target "127.0.0.1:22" is not allowed' });
  });

  it("shows a page from another origin close code 4003 with its reason", async () => {
    // 127.0.0.2 is loopback too, and another origin for the browser.
    const otherServer = createServer((_request, response) => response.end("<!doctype html><title>other origin</title>"));
    await new Promise<void>((resolve) => otherServer.listen(0, "127.0.0.2", resolve));
    const otherOrigin = `http://127.0.0.2:${(otherServer.address() as { port: number }).port}`;
    const other = await browser.newPage();
    try {
      await other.goto(otherOrigin);
      const result = await connectFromPage(other, bridge.url, ["dqlite-wire", `dqlite-wire.token.${TOKEN}`], [], 0);
      expect(result.code).toBe(4003);
      expect(result.reason).toBe(`origin ${JSON.stringify(otherOrigin)} is not allowed`);
    } finally {
      await other.close();
      await new Promise((resolve) => otherServer.close(resolve));
    }
  });

  it("shows the page a malformed frame as close code 4011", async () => {
    const bad = [...concat([Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9)])];
    const result = await connectFromPage(page, bridge.url, ["dqlite-wire", `dqlite-wire.token.${TOKEN}`], bad, 0);
    expect(result.opened).toBe(true);
    expect(result.code).toBe(4011);
    expect(result.reason).toMatch(/^BAD_VALUE: LEADER/);
  });
});
