// The demo page's offline mode with a tcpdump capture, in Debian's Chromium: a capture chosen
// (or dropped) on the page lists its connections; opening one shows its frames in the frame
// list and the inspector, and the rows of its query in the table, as a live query would.
// The capture is a real one (test/capture/fixtures/go-shell.pcap, four runs of the Go shell);
// the page is the production build (Vite), served by `vite preview`, decoding in its worker.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { build, preview, type PreviewServer } from "vite";
import { afterAll, beforeAll, expect, test } from "vitest";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/chromium.mjs";
import { readPcap, toPcapng } from "./pcap-edit.ts";

const FIXTURE = resolve("test/capture/fixtures/go-shell.pcap");
const STEP_MS = 20_000;
const cleanups: (() => unknown)[] = [];
let context: BrowserContext;
let origin: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: apt-get install -y chromium`);
  const outDir = mkdtempSync(join(tmpdir(), "dqlite-wire-capture-web-"));
  cleanups.push(() => rmSync(outDir, { recursive: true, force: true }));
  const configFile = resolve("vite.config.ts");
  await build({ configFile, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  const server: PreviewServer = await preview({ configFile, logLevel: "warn", build: { outDir }, preview: { port: 0, strictPort: false } });
  cleanups.push(() => server.close());
  origin = new URL(server.resolvedUrls!.local[0]!).origin;
  const userDataDir = mkdtempSync(join(tmpdir(), "dqlite-wire-capture-chromium-"));
  cleanups.push(() => rmSync(userDataDir, { recursive: true, force: true }));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
  });
  cleanups.push(() => context.close());
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function offlinePage(): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${origin}/`);
  await page.waitForSelector("body[data-ready]", { timeout: STEP_MS });
  return page;
}

const renderedRows = (page: Page) =>
  page.$$eval(".results-body .grid-row[data-row]", (rows) =>
    rows.map((row) => [...row.querySelectorAll("[role=gridcell]")].map((c) => c.textContent)),
  );

test("a chosen capture lists its connections; the one with the SELECT shows its frames and rows", async () => {
  const page = await offlinePage();
  await page.setInputFiles("#capture-file", FIXTURE);
  await page.waitForSelector("[data-testid=conversation]", { timeout: STEP_MS });
  const conversations = await page.$$eval("[data-testid=conversation]", (items) => items.map((item) => item.textContent));
  expect(conversations).toEqual([
    "c1 127.0.0.1:49932 → 127.0.0.1:37051",
    "c2 127.0.0.1:49934 → 127.0.0.1:37051",
    "c3 127.0.0.1:49950 → 127.0.0.1:37051",
    "c4 127.0.0.1:49964 → 127.0.0.1:37051",
  ]);
  expect(await page.textContent("[data-testid=connections-note]")).toBe(
    "pcap: 139 packets, 4 dqlite conversations (24 requests, 24 responses)",
  );
  const results = await page.$$eval("[data-testid=capture-result]", (items) => items.map((item) => item.textContent));
  expect(results).toEqual(["#5 SELECT * FROM t"]);
  // Loading opened the conversation with a query: its rows are in the table.
  await page.waitForFunction(
    () => /2 rows from 1 ROWS frames/.test(document.querySelector("[data-testid=offline-note]")?.textContent ?? ""),
    null,
    { timeout: STEP_MS },
  );
  expect(await renderedRows(page)).toEqual([
    ["1", "x"],
    ["2", "NULL"],
  ]);
  const frames = await page.$$eval(".frame .type", (cells) => cells.map((c) => c.textContent));
  expect(frames).toEqual([
    "HANDSHAKE",
    "LEADER",
    "LEADER",
    "CLIENT",
    "WELCOME",
    "OPEN",
    "DB",
    "EXEC_SQL",
    "RESULT",
    "QUERY_SQL",
    "ROWS",
    "EXEC_SQL",
    "RESULT",
  ]);
  // The inspector opened the ROWS frame, field by field.
  await page.waitForSelector(".fields tr[data-path='ROWS.columns[0]']", { timeout: STEP_MS });
  expect(await page.textContent(".fields tr[data-path='ROWS.columns[1]']")).toContain("b");
  await page.close();
}, 60_000);

test("another conversation opens in the frame list: the failed statement and its FAILURE", async () => {
  const page = await offlinePage();
  await page.setInputFiles("#capture-file", FIXTURE);
  await page.waitForSelector("[data-conn=c4] [data-testid=conversation]", { timeout: STEP_MS });
  const before = await page.$$eval(".frame", (rows) => rows.length);
  await page.click("[data-conn=c4] [data-testid=conversation]");
  await page.waitForFunction((n) => document.querySelectorAll(".frame").length > n, before, { timeout: STEP_MS });
  const names = await page.$$eval(".frame .type", (cells) => cells.map((c) => c.textContent));
  expect(names.slice(before)).toContain("FAILURE");
  expect(await page.textContent("[data-testid=offline-note]")).toContain("c4 127.0.0.1:49964 → 127.0.0.1:37051");
  await page.close();
}, 60_000);

test("a pcapng file dropped on the page gives the same connections", async () => {
  const page = await offlinePage();
  const pcapng = toPcapng(readPcap(new Uint8Array(readFileSync(FIXTURE))), { littleEndian: false });
  await page.evaluate(
    (bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], "go-shell.pcapng"));
      document.querySelector(".drop")!.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    [...pcapng],
  );
  await page.waitForSelector("[data-testid=conversation]", { timeout: STEP_MS });
  expect(await page.$$eval("[data-testid=conversation]", (items) => items.length)).toBe(4);
  expect(await page.textContent("[data-testid=connections-note]")).toMatch(/^pcapng: 139 packets, 4 dqlite conversations/);
  await page.waitForFunction(
    () => /2 rows from 1 ROWS frames/.test(document.querySelector("[data-testid=offline-note]")?.textContent ?? ""),
    null,
    { timeout: STEP_MS },
  );
  await page.close();
  expect(pageErrors).toEqual([]);
}, 60_000);
