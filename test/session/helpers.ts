// Shared set-up of the session tests: real dqlite-demo nodes (started by the rig) and clients.

import { readFileSync } from "node:fs";
import { Connection, type ConnectionOptions } from "../../src/client/connection.ts";
import { type Client, type ClientOptions, connect } from "../../src/client/index.ts";
import { connectTcp } from "../../src/transport/auto.ts";

export { startCluster, startNode, type DqliteCluster, type DqliteNode } from "../support/nodes.ts";

/** A raw protocol connection (handshake done) to one node. */
export function rawConnection(address: string, options: ConnectionOptions = {}): Promise<Connection> {
  return Connection.open(connectTcp, address, { timeoutMs: 10_000, ...options });
}

/** A client connected to the leader found from `addresses`. */
export function client(addresses: string | readonly string[], options: Partial<ClientOptions> = {}): Promise<Client> {
  return connect({ addresses, timeoutMs: 10_000, ...options });
}

/** A table name unique to this run, so tests on a shared node never collide. */
let tableCounter = 0;
export function uniqueTable(prefix: string): string {
  tableCounter++;
  return `${prefix}_${process.pid}_${tableCounter}`;
}

/** Waits until the kernel reports the process stopped (SIGSTOP is delivered asynchronously). */
export async function untilStopped(pid: number): Promise<void> {
  await until(() => {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0];
    return state === "T" || state === "t";
  }, `process ${pid} to stop`);
}

/**
 * Polls `condition` every 10 ms until it holds; throws naming `what` after `timeoutMs`. The
 * deadline only bounds a failure (generous for a loaded machine): a passing wait returns at the
 * first poll that sees the condition.
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
