// The test rig's dqlite 1.18 nodes (dqlite-bare-node on libdqlite built from source): they start
// and answer, keep their data across a restart, form a cluster through ADD and ASSIGN, elect a
// new leader when one dies, and leave no process or directory behind.

import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "../../src/client/index.ts";
import {
  BARE_NODE_DQLITE_VERSION,
  type BareCluster,
  type BareNode,
  findBareNodeBinary,
  probeCluster,
  probeLeader,
  startBareCluster,
  startBareNode,
} from "../../src/testing/index.ts";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const started: Array<BareNode | BareCluster> = [];
afterAll(async () => {
  await Promise.all(started.map((thing) => thing.stop()));
});

describe(`dqlite ${BARE_NODE_DQLITE_VERSION} rig (dqlite-bare-node)`, () => {
  it("finds the binary that scripts/setup.sh built, and says how to build it when it is not there", async () => {
    expect(findBareNodeBinary()).toMatch(/build\/dqlite-1\.18\.6\/bin\/dqlite-bare-node$/);
    const error = await startBareNode({ binary: "/nonexistent/dqlite-bare-node" }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/cannot run \/nonexistent\/dqlite-bare-node.*scripts\/setup\.sh/s);
  });

  it("starts node 1, which bootstraps a cluster of its own and names itself leader; stop() leaves nothing behind", async () => {
    const node = await startBareNode();
    started.push(node);
    expect(node.id).toBe(1n);
    expect(node.output()).toMatch(/^ready 127\.0\.0\.1:\d+ version 11806$/m);
    expect(await probeLeader(node.address)).toEqual({ id: 1n, address: node.address });
    expect(await probeCluster(node.address)).toEqual([{ id: 1n, address: node.address, role: 0 }]);
    const pid = node.pid;
    await node.stop();
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(node.dir)).toBe(false);
    await node.stop(); // idempotent
  });

  it("restarts on the same address and directory, keeping its data", async () => {
    const node = await startBareNode();
    started.push(node);
    const write = await connect({ addresses: node.address });
    try {
      const db = await write.open("kept");
      await db.exec("CREATE TABLE k (v TEXT)");
      await db.exec("INSERT INTO k VALUES ('before the restart')");
    } finally {
      await write.close();
    }
    const pid = node.pid;
    await node.restart();
    expect(node.pid).not.toBe(pid);
    const read = await connect({ addresses: node.address });
    try {
      const db = await read.open("kept");
      expect((await db.query("SELECT v FROM k").all()).rows).toEqual([["before the restart"]]);
    } finally {
      await read.close();
    }
  });

  it("forms a 3-node cluster of voters through ADD and ASSIGN; when the leader dies, another is elected", async () => {
    const cluster = await startBareCluster(3);
    started.push(cluster);
    const leader = await cluster.leader();
    const members = await probeCluster(leader.address);
    expect(members.map((member) => member.address).sort()).toEqual([...cluster.addresses].sort());
    expect(members.every((member) => member.role === 0)).toBe(true);
    expect(new Set(cluster.nodes.map((node) => node.id)).size).toBe(3);
    leader.kill();
    const next = await cluster.leader();
    expect(next).not.toBe(leader);
    expect(cluster.addresses).toContain(next.address);
  });

  it("a node told to join an address where nothing answers fails within its startup timeout, naming the address", async () => {
    const error = await startBareNode({ join: ["127.0.0.1:1"], startupTimeoutMs: 1500 }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/could not join 127\.0\.0\.1:1/);
  });
});
