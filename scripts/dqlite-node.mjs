#!/usr/bin/env node
// Starts a real dqlite node (or a cluster) on free loopback ports and keeps it running until
// Ctrl-C or SIGTERM, then stops it and removes its data. For the demo, benchmarks and trying
// the library by hand.
//
//   node scripts/dqlite-node.mjs                 one node
//   node scripts/dqlite-node.mjs --cluster 3     a 3-node cluster
//   node scripts/dqlite-node.mjs --json          one JSON line instead of text
//
// The first line on stdout is what a script needs: the dqlite address(es), comma-separated
// (the `-s` form of the shells), or with --json {"addresses":[…],"nodes":[…]}. Details go to
// stderr. It uses the compiled rig in dist/, so `npm run build` must have run; that keeps one
// implementation of starting, waiting and cleaning up, shared with the tests.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const USAGE = "usage: node scripts/dqlite-node.mjs [--cluster N] [--json] [--timeout MS]";

function parseArgs(argv) {
  const options = { cluster: 0, json: false, timeoutMs: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") options.json = true;
    else if (arg === "--cluster") options.cluster = Number(argv[++i]);
    else if (arg === "--timeout") options.timeoutMs = Number(argv[++i]);
    else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`dqlite-node: unknown argument ${arg}\n${USAGE}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(options.cluster) || options.cluster < 0) {
    console.error(`dqlite-node: --cluster needs a positive integer\n${USAGE}`);
    process.exit(2);
  }
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
    console.error(`dqlite-node: --timeout needs a positive number of milliseconds\n${USAGE}`);
    process.exit(2);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const rigUrl = new URL("../dist/src/testing/dqlite-node.js", import.meta.url);
if (!existsSync(fileURLToPath(rigUrl))) {
  console.error("dqlite-node: dist/src/testing/dqlite-node.js is missing; run `npm run build` first");
  process.exit(1);
}
const { startNode, startCluster } = await import(rigUrl.href);

const startOptions = { startupTimeoutMs: options.timeoutMs, formTimeoutMs: options.timeoutMs };
let nodes;
let stopAll;
try {
  if (options.cluster > 0) {
    const cluster = await startCluster(options.cluster, startOptions);
    nodes = cluster.nodes;
    stopAll = () => cluster.stop();
  } else {
    const node = await startNode(startOptions);
    nodes = [node];
    stopAll = () => node.stop();
  }
} catch (error) {
  console.error(`dqlite-node: ${error.message}`);
  process.exit(1);
}

const addresses = nodes.map((node) => node.address);
if (options.json) {
  const described = nodes.map(({ address, apiAddress, dir, pid }) => ({ address, apiAddress, dir, pid }));
  console.log(JSON.stringify({ addresses, nodes: described }));
} else {
  console.log(addresses.join(","));
  for (const node of nodes) {
    console.error(`dqlite-node: ${node.address} ready (api http://${node.apiAddress}, pid ${node.pid}, dir ${node.dir})`);
  }
  console.error("dqlite-node: Ctrl-C stops it");
}

let stopping = false;
async function shutdown(signal) {
  if (stopping) {
    // A second Ctrl-C: leave now; the exit hook kills what is left.
    process.exit(130);
  }
  stopping = true;
  console.error(`dqlite-node: ${signal}, stopping`);
  await stopAll();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
// Keep running until a signal arrives.
setInterval(() => {}, 1 << 30);
