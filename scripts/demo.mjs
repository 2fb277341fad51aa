#!/usr/bin/env node
// The demo: a real dqlite node with a seeded database, the WebSocket-to-TCP bridge and the web
// app's dev server, all on 127.0.0.1. Prints the URL to open; Ctrl-C stops everything.
//
//   node scripts/demo.mjs [--rows N] [--port PORT]
//
// It runs the compiled library from dist/ (scripts/setup.sh builds it; Node 20 cannot run .ts).
// Order matters: the dev server starts before the bridge, because the bridge admits exactly the
// page's origin, and the dev server may have moved to another port if 5173 was taken.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const USAGE = "usage: node scripts/demo.mjs [--rows N] [--port PORT]";

function parseArgs(argv) {
  const options = { rows: 1_000_000, port: 5173 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--rows") options.rows = Number(argv[++i]);
    else if (arg === "--port") options.port = Number(argv[++i]);
    else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`demo: unknown argument ${arg}\n${USAGE}`);
      process.exit(2);
    }
  }
  if (!Number.isSafeInteger(options.rows) || options.rows < 0) throw new RangeError("--rows must be a whole number ≥ 0");
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new RangeError("--port must be 1-65535");
  return options;
}

const options = parseArgs(process.argv.slice(2));
if (!existsSync(`${root}/dist/src/index.js`)) {
  console.error("demo: dist/ is missing; run `bash scripts/setup.sh` (npm run demo does it for you)");
  process.exit(1);
}

const { startNode } = await import(`${root}/dist/src/testing/dqlite-node.js`);
const { connect } = await import(`${root}/dist/src/client/index.js`);
const { startBridge } = await import(`${root}/dist/src/bridge/index.js`);
const { seedDemo } = await import("./seed-demo.mjs");
const { createServer } = await import("vite");

const stops = [];
let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  console.log("\ndemo: stopping the dev server, the bridge and the node…");
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch (error) {
      console.error(`demo: while stopping: ${error.message}`);
    }
  }
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

try {
  const step = (text) => process.stdout.write(`demo: ${text}`);
  step("starting a dqlite node… ");
  const node = await startNode();
  stops.push(() => node.stop());
  console.log(node.address);

  step(`seeding the "demo" database (small tables + ${options.rows.toLocaleString("en-US")}-row table "big")… `);
  const client = await connect({ addresses: [node.address] });
  try {
    const db = await client.open("demo");
    const bigMs = await seedDemo(db, { bigRows: options.rows });
    console.log(`done; "big" took ${(bigMs / 1000).toFixed(1)} s`);
  } finally {
    await client.close();
  }

  step("starting the web app… ");
  const vite = await createServer({
    configFile: `${root}/vite.config.ts`,
    server: { port: options.port, strictPort: false },
    logLevel: "warn",
  });
  await vite.listen();
  stops.push(() => vite.close());
  const pageUrl = new URL(vite.resolvedUrls?.local[0] ?? `http://127.0.0.1:${options.port}/`);
  console.log(pageUrl.origin);

  // The bridge logs each connection as a JSON line on stderr (its "listening" line comes first).
  const bridge = await startBridge({ targets: [node.address], origins: [pageUrl.origin] });
  stops.push(() => bridge.close());
  console.log(`demo: bridge ${bridge.url} (target ${node.address}, origin ${pageUrl.origin})`);

  const fragment = new URLSearchParams({ bridge: bridge.url, token: bridge.token, target: node.address, db: "demo" });
  console.log(`\n  Open:  ${pageUrl.origin}/#${fragment}\n`);
  console.log("  The link carries the bridge's one-time token. Ctrl-C stops the node, the bridge and the app.\n");
} catch (error) {
  console.error(`\ndemo: ${error.stack ?? error}`);
  await stopAll(1);
}
