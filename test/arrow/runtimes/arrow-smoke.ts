// Arrow output end to end, written once and run unchanged under Node, Deno and Bun (see
// test/arrow/runtimes.test.ts): connects to the dqlite node at $DQLITE_ADDRESS with the
// runtime's own TCP transport and runs the scenario of arrow-scenario.ts. Prints "ok" and exits
// 0, or the failure and 1.
//
//   DQLITE_ADDRESS=127.0.0.1:9001 npx deno run -A test/arrow/runtimes/arrow-smoke.ts
//   DQLITE_ADDRESS=127.0.0.1:9001 npx bun test/arrow/runtimes/arrow-smoke.ts

import { connectClient } from "../../../src/client/index.ts";
import { connectTcp } from "../../../src/transport/auto.ts";
import { host } from "../../session/runtimes/script-host.ts";
import { arrowScenario } from "./arrow-scenario.ts";

/** Runs the scenario against the node at `address` over TCP; returns its summary. */
export async function arrowSmoke(address: string): Promise<string> {
  const client = await connectClient({ addresses: [address], connector: connectTcp, timeoutMs: 10_000 });
  try {
    return await arrowScenario(client);
  } finally {
    await client.close();
  }
}

const runtime = host();
if (runtime.runtime !== "node") {
  try {
    const address = runtime.env("DQLITE_ADDRESS");
    if (address === undefined) throw new Error("DQLITE_ADDRESS is not set");
    runtime.log(`arrow-smoke (${runtime.runtime}): ${await arrowSmoke(address)}`);
    console.log("ok");
  } catch (error) {
    console.log(`failed: ${(error as Error).stack ?? String(error)}`);
    runtime.exit(1);
  }
}
