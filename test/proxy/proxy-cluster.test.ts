// A 3-node cluster behind the proxy (one listen address per node): a client that knows only the
// proxy's addresses finds the leader through it, and when the leader is killed, follows the new
// leader through the proxy too. Every connection it makes is to a proxy address: the node
// addresses in LEADER and SERVERS replies reach it rewritten.

import { afterAll, beforeAll, expect, test } from "vitest";
import { connectClient } from "../../src/client/client.ts";
import { startProxy, type RunningProxy } from "../../src/proxy/index.ts";
import { type DqliteCluster, startCluster } from "../support/nodes.ts";
import { connectTcp } from "../../src/transport/auto.ts";
import { goShell } from "../capture/tcpdump-rig.ts";

let cluster: DqliteCluster;
let proxy: RunningProxy;
const log: Record<string, unknown>[] = [];

beforeAll(async () => {
  cluster = await startCluster(3);
  proxy = await startProxy({
    routes: cluster.addresses.map((target) => ({ listen: "127.0.0.1:0", target })),
    log: (line) => log.push(JSON.parse(line) as Record<string, unknown>),
  });
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await cluster?.stop();
});

test("a client of the proxy follows a leader change through the proxy", async () => {
  const listens = proxy.routes.map((route) => route.listen);
  const dialed: string[] = [];
  const client = await connectClient({
    addresses: listens,
    timeoutMs: 10_000,
    connector: (address, options) => {
      dialed.push(address);
      return connectTcp(address, options);
    },
  });
  try {
    const db = await client.open("demo");
    await db.exec("CREATE TABLE IF NOT EXISTS failover (n INTEGER)");
    await db.exec("INSERT INTO failover VALUES (1)");
    const members = await client.cluster();
    // SERVERS came back with the proxy's addresses, one per node.
    expect(members.map((m) => m.address).sort()).toEqual([...listens].sort());
    const leader = await cluster.leader();
    const leaderListen = proxy.routes.find((route) => route.target === leader.address)!.listen;
    expect(client.address).toBe(leaderListen);

    leader.kill("SIGKILL");
    await leader.exited();
    // The next calls find the new leader (the old connection is gone) and go on. Until the
    // survivors have elected one, calls fail: try again until they work, within a deadline
    // generous for a loaded machine.
    let rows: unknown[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const again = await client.open("demo");
        await again.exec("INSERT INTO failover VALUES (2)");
        rows = (await again.query("SELECT n FROM failover ORDER BY n", [], { rowMode: "arrays" }).all()).rows;
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    expect(rows).toEqual([[1], [2]]);
    const newLeader = await cluster.leader();
    expect(newLeader.address).not.toBe(leader.address);
    expect(client.address).toBe(proxy.routes.find((route) => route.target === newLeader.address)!.listen);
    // Every connection the client made went to a proxy address.
    expect(dialed.length).toBeGreaterThan(1);
    expect(dialed.every((address) => listens.includes(address))).toBe(true);
  } finally {
    await client.close();
  }
  // The proxy's log shows the replies it rewrote.
  const rewritten = log.filter((line) => line["rewritten"] !== undefined);
  expect(rewritten.some((line) => (line["message"] as { type: string }).type === "LEADER")).toBe(true);
  expect(rewritten.some((line) => (line["message"] as { type: string }).type === "SERVERS")).toBe(true);
  for (const line of rewritten)
    for (const [from, to] of Object.entries(line["rewritten"] as Record<string, string>))
      expect(proxy.routes).toContainEqual({ listen: to, target: from });
}, 120_000);

test("the Go shell through the proxy finds the new leader too", async () => {
  const out = await goShell(proxy.routes.map((route) => route.listen).join(","), "demo", "SELECT count(*) FROM failover");
  expect(out.trim()).toBe("2");
});
