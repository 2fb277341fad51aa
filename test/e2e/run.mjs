#!/usr/bin/env node
// End-to-end test of the demo page: a real dqlite node, the real bridge, the production build of
// the web app served by `vite preview`, and Debian's Chromium driven by playwright-core. Each
// check is one test; the last line is "N passed, N failed" and the exit status is non-zero when
// anything failed. Everything started here is stopped here, whatever happens.
//
//   node test/e2e/run.mjs            (after `npm run build`, which scripts/test.sh runs)
//
// Node 20 cannot run .ts, so the node, the session and the bridge come from dist/.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/chromium.mjs";
import { assert, assertEqual, createStepRunner } from "../support/step-runner.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const SCREENSHOT = join(root, "docs", "screenshot.png");
const CHROMIUM = CHROMIUM_PATH;
/** Rows of the large table here: enough for many ROWS frames, small enough to stay quick. */
const BIG_ROWS = 5_000;
/** The whole run is abandoned (and counted failed) after this. */
const OVERALL_TIMEOUT_MS = 150_000;
const STEP_TIMEOUT_MS = 20_000;

const steps = createStepRunner({ name: "run", overallTimeoutMs: OVERALL_TIMEOUT_MS, errorLines: 6, stack: true });
const { test, cleanup, finish, cleanups } = steps;

// ---- The cell text the page shows, derived here from the node's data independently of the page.
// It mirrors web/src/cell-view.ts (which is TypeScript, so Node 20 cannot import it).
const VALUE = { INTEGER: 1, FLOAT: 2, TEXT: 3, BLOB: 4, NULL: 5, UNIXTIME: 9, ISO8601: 10, BOOLEAN: 11 };
function cellText(type, value) {
  switch (type) {
    case VALUE.NULL:
      return "NULL";
    case VALUE.FLOAT:
      if (Object.is(value, -0)) return "-0.0";
      return Number.isInteger(value) && Math.abs(value) < 1e21 ? `${value}.0` : String(value);
    case VALUE.TEXT:
      return value.length > 200 ? `${value.slice(0, 200)}…` : value;
    case VALUE.BLOB: {
      const hex = Buffer.from(value.subarray(0, 16)).toString("hex");
      return value.length > 16 ? `x'${hex}…' (${value.length} bytes)` : `x'${hex}'`;
    }
    case VALUE.BOOLEAN:
      return value ? "true" : "false";
    default:
      return String(value);
  }
}

/** Every row of `sql` as the page should show it, read through the session layer over TCP. */
async function nodeRows(db, sql) {
  const rows = [];
  for await (const batch of db.query(sql, [], { rowMode: "batch", intMode: "string" })) {
    const raw = batch.raw;
    for (let r = 0; r < raw.rowCount; r++) {
      const row = [];
      for (let c = 0; c < raw.columns.length; c++) {
        const column = raw.column(c);
        row.push(cellText(column.types[r], column.value(r)));
      }
      rows.push(row);
    }
  }
  return rows;
}

// ---- Reading the page.

/** The rendered rows of the result table: [row number, cells…] in screen order. */
async function renderedRows(page) {
  return page.$$eval(".results-body .grid-row[data-row]", (rows) =>
    rows
      .filter((row) => !row.classList.contains("loading"))
      .map((row) => ({ index: Number(row.dataset.row), cells: [...row.querySelectorAll("[role=gridcell]")].map((c) => c.textContent) })),
  );
}

async function runSql(page, sql) {
  const before = await page.evaluate(() => document.body.dataset.resultDone ?? "");
  await page.fill("#sql", sql);
  await page.click("#run");
  await page.waitForFunction((prev) => (document.body.dataset.resultDone ?? "") !== prev, before, { timeout: STEP_TIMEOUT_MS });
  // Then wait until the table shows this result's rows (fetched from the worker after "done").
  await page.waitForFunction(
    () => {
      const done = document.body.dataset.resultDone;
      const count = Number(document.querySelector("[data-testid=stat-rows]").textContent.replace(/[^0-9]/g, ""));
      const shown = document.querySelectorAll(".results-body .grid-row[data-row]").length;
      const loading = document.querySelectorAll(".results-body .grid-row.loading").length;
      return document.querySelector(".results").dataset.renderedResult === done && loading === 0 && (count === 0 || shown > 0);
    },
    null,
    { timeout: STEP_TIMEOUT_MS },
  );
}

async function statNumber(page, id) {
  return Number((await page.textContent(`[data-testid=${id}]`)).replace(/[^0-9.]/g, ""));
}

// ---- Setup: dist, node, data, web build, preview server, bridge, browser.

async function main() {
  if (!existsSync(join(root, "dist/src/index.js"))) {
    throw new Error("dist/ is missing: run `npm run build` (scripts/test.sh and scripts/setup.sh do)");
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/setup.sh does)`);

  const { startNode } = await import(join(root, "dist/src/testing/dqlite-node.js"));
  const { connect } = await import(join(root, "dist/src/client/index.js"));
  const { startBridge } = await import(join(root, "dist/src/bridge/index.js"));
  const { encodeMessage, messageFromJSON } = await import(join(root, "dist/src/index.js"));
  // Frames built through the documented JSON mapping (docs/json.md).
  const responseFrame = (json) => encodeMessage("response", messageFromJSON("response", json));
  const { seedDemo, CUSTOMERS } = await import(join(root, "scripts/seed-demo.mjs"));
  const { build, preview } = await import("vite");
  const { chromium } = await import("playwright-core");

  console.log("e2e: starting a dqlite node, seeding it, building the web app…");
  const node = await startNode();
  cleanups.push(() => node.stop());
  const client = await connect({ addresses: [node.address] });
  cleanups.push(() => client.close());
  const db = await client.open("demo");
  await seedDemo(db, { bigRows: BIG_ROWS });

  const outDir = mkdtempSync(join(tmpdir(), "dqlite-wire-e2e-web-"));
  cleanups.push(() => rmSync(outDir, { recursive: true, force: true }));
  const configFile = join(root, "vite.config.ts");
  await build({ configFile, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  const server = await preview({ configFile, logLevel: "warn", build: { outDir }, preview: { port: 4173, strictPort: false } });
  cleanups.push(() => server.close());
  const origin = new URL(server.resolvedUrls.local[0]).origin;

  const bridgeLog = [];
  const bridge = await startBridge({ targets: [node.address], origins: [origin], logger: (entry) => bridgeLog.push(entry) });
  cleanups.push(() => bridge.close());

  const userDataDir = mkdtempSync(join(tmpdir(), "dqlite-wire-e2e-chromium-"));
  cleanups.push(() => rmSync(userDataDir, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
  });
  cleanups.push(() => context.close());

  const pageErrors = [];
  const openPage = async (token) => {
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    const fragment = new URLSearchParams({ bridge: bridge.url, token, target: node.address, db: "demo" });
    await page.goto(`${origin}/#${fragment}`);
    await page.waitForSelector("body[data-ready]", { timeout: STEP_TIMEOUT_MS });
    return page;
  };
  const page = await openPage(bridge.token);
  console.log(`e2e: page ${origin}, bridge ${bridge.url}, node ${node.address}`);

  // ---- The checks.

  await test("a query's rendered rows equal the node's rows", async () => {
    const sql = "SELECT * FROM customers ORDER BY id";
    await runSql(page, sql);
    const expected = await nodeRows(db, sql);
    assertEqual(expected.length, CUSTOMERS.length, "rows read from the node");
    const rendered = await renderedRows(page);
    assertEqual(
      rendered.map((r) => r.index),
      expected.map((_, i) => i),
      "rendered row numbers",
    );
    assertEqual(
      rendered.map((r) => r.cells),
      expected,
      "rendered cells",
    );
    const headers = await page.$$eval(".grid-header [role=columnheader]", (cells) => cells.map((c) => c.textContent));
    assertEqual(headers, ["id", "name", "city", "joined"], "column headers");
    assertEqual(await statNumber(page, "stat-rows"), CUSTOMERS.length, "row counter");
    assert((await page.textContent("[data-testid=connection]")).startsWith("connected"), "connection state shows connected");
  });

  await test("a multi-frame result streams into the virtual table and scrolls to its last row", async () => {
    const sql = "SELECT * FROM big ORDER BY id";
    await runSql(page, sql);
    const expected = await nodeRows(db, sql);
    assertEqual(await statNumber(page, "stat-rows"), BIG_ROWS, "row counter");
    const frames = await statNumber(page, "stat-frames");
    assert(frames > 1, `expected several ROWS frames for ${BIG_ROWS} rows, the page counted ${frames}`);
    const domRows = await page.$$eval(".results-body .grid-row", (rows) => rows.length);
    assert(domRows < 120, `the table should render only the visible rows, it has ${domRows} row elements`);
    await page.$eval(".results-body", (viewport) => (viewport.scrollTop = viewport.scrollHeight));
    await page.waitForFunction(
      (last) =>
        [...document.querySelectorAll(".results-body .grid-row[data-row]")].some(
          (r) => Number(r.dataset.row) === last && !r.classList.contains("loading"),
        ),
      BIG_ROWS - 1,
      { timeout: STEP_TIMEOUT_MS },
    );
    const rendered = await renderedRows(page);
    assert(rendered.length > 0, "rows are rendered after scrolling");
    for (const row of rendered) assertEqual(row.cells, expected[row.index], `rendered row ${row.index}`);
  });

  await test("switching the row engine (WASM → TS) renders the same rows", async () => {
    const sql = "SELECT * FROM kinds ORDER BY id";
    const expected = await nodeRows(db, sql);
    await page.click("label.seg:has(input[value=wasm])");
    await runSql(page, sql);
    const withWasm = await renderedRows(page);
    assertEqual((await page.textContent("[data-testid=stat-engine]")).startsWith("wasm"), true, "engine shown for the WASM run");
    await page.click("label.seg:has(input[value=js])");
    await runSql(page, sql);
    const withTs = await renderedRows(page);
    assertEqual(await page.textContent("[data-testid=stat-engine]"), "js", "engine shown for the TS run");
    assertEqual(
      withWasm.map((r) => r.cells),
      expected,
      "rows decoded by WASM",
    );
    assertEqual(
      withTs.map((r) => r.cells),
      expected,
      "rows decoded by TS",
    );
    await page.click("label.seg:has(input[value=wasm])");
  });

  await test("both engines timed on the last result decode identical cells", async () => {
    await runSql(page, "SELECT * FROM big ORDER BY id");
    await page.click("text=Time both");
    await page.waitForFunction(() => document.querySelectorAll(".compare tbody tr").length === 2, null, { timeout: STEP_TIMEOUT_MS });
    const note = await page.textContent("[data-testid=compare-note]");
    assert(note.includes(`${BIG_ROWS.toLocaleString("en-US")} rows`), `comparison note names the row count: ${note}`);
    assert(note.includes("identical"), `both engines should decode identical cells: ${note}`);
    const engines = await page.$$eval(".compare tbody tr", (rows) => rows.map((r) => r.dataset.engine));
    assertEqual(engines, ["wasm", "js"], "timed engines");
  });

  await test("Download .arrow saves the shown result as Arrow, read back by apache-arrow, and the page's aggregate of it matches the node", async () => {
    await runSql(page, "SELECT * FROM big ORDER BY id");
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: STEP_TIMEOUT_MS }), page.click("#arrow-download")]);
    assertEqual(download.suggestedFilename(), "dqlite-result.arrow", "file name");
    const saved = join(outDir, "result.arrow");
    await download.saveAs(saved);
    const { tableFromIPC } = await import("apache-arrow");
    const table = tableFromIPC(readFileSync(saved));
    assertEqual(table.numRows, BIG_ROWS, "rows in the .arrow file");
    assertEqual(
      table.schema.fields.map((f) => `${f.name}:${f.type}`),
      ["id:Int64", "name:Utf8", "amount:Float64", "bucket:Int64"],
      "columns and types",
    );
    const expected = (await db.query("SELECT SUM(amount), MIN(id), MAX(id), SUM(bucket) FROM big", [], { intMode: "bigint" }).all())
      .rows[0];
    let amount = 0;
    for (const value of table.getChild("amount")) amount += value;
    assertEqual(amount, expected[0], "SUM(amount) over the file");
    await page.waitForSelector("[data-testid=arrow-columns] tr[data-column=bucket]", { timeout: STEP_TIMEOUT_MS });
    const shown = await page.$$eval("[data-testid=arrow-columns] tr", (rows) =>
      rows.map((row) => [...row.children].map((cell) => cell.textContent)),
    );
    assertEqual(
      shown[0],
      ["id", "int64", "0", String(expected[1]), String(expected[2]), String((BigInt(BIG_ROWS) * BigInt(BIG_ROWS + 1)) / 2n)],
      "the id column's aggregate",
    );
    assertEqual(shown[3].slice(0, 3), ["bucket", "int64", "0"], "the bucket column");
    assertEqual(shown[3][5], String(expected[3]), "SUM(bucket) shown in the page");
  });

  await test("the inspector shows a ROWS frame's decoded fields and their bytes", async () => {
    const sql = "SELECT * FROM customers ORDER BY id";
    await runSql(page, sql);
    const expected = await nodeRows(db, sql);
    // The page opens the result's first ROWS frame by itself. The previous query's frame was a
    // ROWS frame too, so wait for this one's last column name before reading its fields.
    await page.waitForFunction(
      () => document.querySelector(".fields tr[data-path='ROWS.columns[3]'] .value")?.textContent === JSON.stringify("joined"),
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
    const field = async (path) => page.$eval(`.fields tr[data-path='${path}'] .value`, (cell) => cell.textContent);
    assertEqual(await field("ROWS.columns[0]"), JSON.stringify("id"), "ROWS.columns[0]");
    assertEqual(await field("ROWS.columns[3]"), JSON.stringify("joined"), "ROWS.columns[3]");
    const first = expected[0];
    assertEqual(await field("ROWS.rows[0]"), JSON.stringify([Number(first[0]), ...first.slice(1)]), "ROWS.rows[0]");
    assertEqual(await field("header.type"), "7 ROWS", "header.type");
    const title = await page.textContent(".frame-title");
    const size = Number(/, ([0-9.]+) B$/.exec(title)?.[1]);
    const shownBytes = await page.$$eval(".hex .b", (cells) => cells.length);
    assertEqual(shownBytes, size, "hex bytes shown for the frame");
    const range = await page.$eval(".fields tr[data-path='ROWS.rows[0]'] .range", (cell) => cell.textContent);
    const [start, end] = range.split("–").map(Number);
    await page.hover(".fields tr[data-path='ROWS.rows[0]']");
    const lit = await page.$$eval(".hex .b.lit", (cells) => cells.map((c) => Number(c.dataset.i)));
    assertEqual([lit.length, lit[0], lit.at(-1)], [end - start, start, end - 1], "bytes lit when hovering ROWS.rows[0]");
  });

  await test("an offline text capture decodes with no server", async () => {
    const rows = responseFrame({
      type: "ROWS",
      columns: ["k", "v", "ratio", "raw"],
      rows: [
        [
          { type: "INTEGER", value: 7 },
          { type: "TEXT", value: "seven" },
          { type: "FLOAT", value: 0.5 },
          { type: "BLOB", value: "cafe" },
        ],
        [
          { type: "INTEGER", value: 8 },
          { type: "TEXT", value: "eight" },
          { type: "FLOAT", value: 2 },
          { type: "NULL", value: null },
        ],
      ],
      marker: "DONE",
    });
    const failure = responseFrame({ type: "FAILURE", errorCode: 19, message: "constraint failed" });
    const hex = (bytes) =>
      Buffer.from(bytes)
        .toString("hex")
        .replace(/(.{16})/g, "$1 ")
        .trim();
    const capture = join(outDir, "capture.txt");
    writeFileSync(capture, `# written by the e2e test\n> 0100000000000000\n< ${hex(rows)}\n< ${hex(failure)}\n`);
    const offline = await context.newPage();
    offline.on("pageerror", (error) => pageErrors.push(error.message));
    // No bridge in the URL: offline mode needs none.
    await offline.goto(`${origin}/`);
    await offline.waitForSelector("body[data-ready]", { timeout: STEP_TIMEOUT_MS });
    await offline.setInputFiles("#capture-file", capture);
    await offline.waitForFunction(() => /rows from/.test(document.querySelector("[data-testid=offline-note]")?.textContent ?? ""), null, {
      timeout: STEP_TIMEOUT_MS,
    });
    await offline.waitForFunction(() => document.querySelectorAll(".results-body .grid-row[data-row]:not(.loading)").length === 2, null, {
      timeout: STEP_TIMEOUT_MS,
    });
    const rendered = await renderedRows(offline);
    assertEqual(
      rendered.map((r) => r.cells),
      [
        ["7", "seven", "0.5", "x'cafe'"],
        ["8", "eight", "2.0", "NULL"],
      ],
      "rows decoded from the capture",
    );
    const names = await offline.$$eval(".frame .type", (cells) => cells.map((c) => c.textContent));
    assertEqual(names, ["HANDSHAKE", "ROWS", "FAILURE"], "frames listed from the capture");
    await offline.click(".frame[data-seq='2']");
    await offline.waitForSelector(".fields tr[data-path='FAILURE.errorCode']", { timeout: STEP_TIMEOUT_MS });
    assertEqual(await offline.$eval(".fields tr[data-path='FAILURE.errorCode'] .value", (c) => c.textContent), "19", "FAILURE.errorCode");
    await offline.close();
  });

  await test("an offline raw byte capture of a node's stream decodes too", async () => {
    const cell = (n) => [{ type: "INTEGER", value: n }];
    const rows = responseFrame({ type: "ROWS", columns: ["n"], rows: [cell(1), cell(2), cell(3)], marker: "DONE" });
    const capture = join(outDir, "stream.bin");
    writeFileSync(capture, rows);
    const offline = await context.newPage();
    await offline.goto(`${origin}/`);
    await offline.waitForSelector("body[data-ready]", { timeout: STEP_TIMEOUT_MS });
    await offline.setInputFiles("#capture-file", capture);
    await offline.waitForFunction(() => document.querySelectorAll(".results-body .grid-row[data-row]:not(.loading)").length === 3, null, {
      timeout: STEP_TIMEOUT_MS,
    });
    assertEqual(
      (await renderedRows(offline)).map((r) => r.cells),
      [["1"], ["2"], ["3"]],
      "rows decoded from the raw capture",
    );
    await offline.close();
  });

  await test("Save capture writes the session's frames, and they load back offline", async () => {
    const frameCount = Number((await page.textContent("[data-testid=frame-count]")).replace(/[^0-9]/g, ""));
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: STEP_TIMEOUT_MS }), page.click("text=Save capture")]);
    const saved = join(outDir, "saved-capture.txt");
    await download.saveAs(saved);
    const lines = readFileSync(saved, "utf8")
      .split("\n")
      .filter((line) => /^[<>]/.test(line));
    assertEqual(lines.length, frameCount, "frames in the saved capture");
    const offline = await context.newPage();
    await offline.goto(`${origin}/`);
    await offline.waitForSelector("body[data-ready]", { timeout: STEP_TIMEOUT_MS });
    await offline.setInputFiles("#capture-file", saved);
    await offline.waitForFunction(() => /rows from/.test(document.querySelector("[data-testid=offline-note]")?.textContent ?? ""), null, {
      timeout: STEP_TIMEOUT_MS,
    });
    assertEqual(
      Number((await offline.textContent("[data-testid=frame-count]")).replace(/[^0-9]/g, "")),
      frameCount,
      "frames decoded from the saved capture",
    );
    // The first result of the session was the customers query.
    await offline.waitForFunction(
      (n) => document.querySelectorAll(".results-body .grid-row[data-row]:not(.loading)").length === n,
      CUSTOMERS.length,
      { timeout: STEP_TIMEOUT_MS },
    );
    assertEqual(
      (await renderedRows(offline)).map((r) => r.cells),
      await nodeRows(db, "SELECT * FROM customers ORDER BY id"),
      "rows of the first result in the capture",
    );
    await offline.close();
  });

  await test("bad SQL shows the node's FAILURE with its SQLite code", async () => {
    await page.fill("#sql", "SELEC * FROM customers");
    await page.click("#run");
    const error = await page.waitForSelector("[data-testid=error][data-sqlite-code]", { timeout: STEP_TIMEOUT_MS });
    assertEqual(await error.getAttribute("data-sqlite-code"), "1", "SQLite code shown");
    const text = await error.textContent();
    assert(text.includes("SQLite error 1") && text.includes("syntax error"), `error text: ${text}`);
    assertEqual(await page.textContent("[data-testid=result-state]"), "failed", "result state after the failure");
    await page.click("[data-testid=error] .close");
  });

  await test("a bridge refusal (wrong token) is shown, not a blank page", async () => {
    const refused = await openPage("wrong-token-0123456789abcdef");
    // The page connects on load (for the cluster view), so the refusal shows before any query…
    const error = await refused.waitForSelector("[data-testid=error]", { timeout: STEP_TIMEOUT_MS });
    const text = await error.textContent();
    assert(/token/i.test(text), `the refusal should name the token: ${text}`);
    assert(text.includes("open the URL that `npm run demo` printed"), `the refusal should say what to do: ${text}`);
    // …and again for a query.
    await refused.click("#run");
    await refused.waitForFunction(() => document.querySelectorAll("[data-testid=error]").length === 2, null, { timeout: STEP_TIMEOUT_MS });
    const texts = await refused.$$eval("[data-testid=error]", (items) => items.map((item) => item.textContent));
    assert(texts[1].startsWith("query:") && /token/i.test(texts[1]), `the query's error should name the token: ${texts[1]}`);
    assertEqual(await refused.getAttribute("[data-testid=connection]", "data-state"), "closed", "connection state after the refusal");
    const state = await refused.textContent("[data-testid=connection]");
    assert(/token/i.test(state), `the connection state should give the bridge's reason: ${state}`);
    assert(
      bridgeLog.some((entry) => entry.event === "refused" && entry.code === 4001),
      "the bridge logged the refusal (4001)",
    );
    await refused.close();
  });

  await test("the cluster view lists the node as the leader voter", async () => {
    await page.click("text=Refresh");
    await page.waitForSelector("[data-testid=member]", { timeout: STEP_TIMEOUT_MS });
    const members = await page.$$eval("[data-testid=member]", (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    assertEqual(members.length, 1, "members");
    assertEqual(members[0].slice(1), [node.address, "voter", "★ leader"], "member address, role and leader mark");
  });

  await test("no uncaught error in the page", async () => {
    assertEqual(pageErrors, [], "page errors");
  });

  await test("the screenshot is saved to docs/screenshot.png", async () => {
    await runSql(page, "SELECT o.id, c.name, o.amount, o.note FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id");
    await page.click("text=Time both");
    await page.waitForFunction(() => /orders|24 rows/.test(document.querySelector("[data-testid=compare-note]")?.textContent ?? ""), null, {
      timeout: STEP_TIMEOUT_MS,
    });
    await page.waitForFunction(
      () => document.querySelector(".fields tr[data-path='ROWS.columns[3]'] .value")?.textContent === JSON.stringify("note"),
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
    await page.hover(".fields tr[data-path='ROWS.rows[1]']");
    const before = existsSync(SCREENSHOT) ? statSync(SCREENSHOT).mtimeMs : 0;
    await page.screenshot({ path: SCREENSHOT });
    const png = readFileSync(SCREENSHOT);
    assert(statSync(SCREENSHOT).mtimeMs > before, "the screenshot file was written");
    assertEqual([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(""), "PNG", "screenshot format");
    assert(png.length > 20_000, `screenshot is ${png.length} bytes: too small to show the page`);
  });

  await test("a write runs as EXEC_SQL, reports what changed, and the node has it", async () => {
    await page.fill(
      "#sql",
      "INSERT INTO customers (id, name, city, joined) VALUES (100, 'Written From The Page', 'Browser', '2026-01-01')",
    );
    const before = await page.evaluate(() => document.body.dataset.resultDone);
    await page.click("#run");
    await page.waitForFunction((prev) => document.body.dataset.resultDone !== prev, before, { timeout: STEP_TIMEOUT_MS });
    assertEqual(await page.textContent("[data-testid=result-state]"), "done: 1 row changed, last insert id 100", "result state");
    assertEqual(
      await nodeRows(db, "SELECT name, city FROM customers WHERE id = 100"),
      [["Written From The Page", "Browser"]],
      "the row as the node has it",
    );
    // The inspector opens the RESULT frame of the write.
    await page.waitForSelector(".fields tr[data-path='RESULT.lastInsertId']", { timeout: STEP_TIMEOUT_MS });
    const field = async (path) => page.$eval(`.fields tr[data-path='${path}'] .value`, (cell) => cell.textContent);
    assertEqual([await field("RESULT.lastInsertId"), await field("RESULT.rowsAffected")], ["100", "1"], "RESULT fields");
    const selected = Number(await page.$eval(".frame.selected", (row) => row.dataset.seq));
    assertEqual(
      await page.$eval(`.frame[data-seq='${selected - 1}'] .type`, (cell) => cell.textContent),
      "EXEC_SQL",
      "the request before the RESULT",
    );
  });

  // Last: it stops the node.
  await test("a lost connection is shown, and so is the unreachable node on the next query", async () => {
    await node.stop();
    await page.waitForFunction(() => document.querySelector("[data-testid=connection]")?.dataset.state === "closed", null, {
      timeout: STEP_TIMEOUT_MS,
    });
    const state = await page.textContent("[data-testid=connection]");
    assert(/node closed the connection|closed/i.test(state), `connection state: ${state}`);
    await page.fill("#sql", "SELECT 1");
    await page.click("#run");
    const error = await page.waitForSelector("[data-testid=error]", { timeout: STEP_TIMEOUT_MS });
    const text = await error.textContent();
    assert(/cannot reach the dqlite node|connect/i.test(text), `error after the node stopped: ${text}`);
    if (process.env.E2E_KEEP_SHOTS) await page.screenshot({ path: process.env.E2E_KEEP_SHOTS });
  });
}

try {
  await main();
} catch (error) {
  steps.fail("setup");
  console.log(`  ✗ setup failed: ${error?.stack ?? error}`);
} finally {
  await cleanup();
}
finish();
