// The test rig against the real dqlite-demo: nodes start, answer, form a cluster, and leave no
// process or directory behind.

import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import {
  findDqliteDemo,
  probeCluster,
  probeLeader,
  startCluster,
  startNode,
  type DqliteCluster,
  type DqliteNode,
} from "../../src/testing/index.ts";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const started: Array<DqliteNode | DqliteCluster> = [];
afterAll(async () => {
  await Promise.all(started.map((thing) => thing.stop()));
});

describe("dqlite-demo rig", () => {
  it("finds the dqlite-demo binary", () => {
    expect(findDqliteDemo()).toMatch(/dqlite-demo$/);
  });

  it("starts a node that answers LEADER with its own address, and stop() removes process and directory", async () => {
    const node = await startNode();
    started.push(node);
    expect(node.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(node.apiAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(node.apiAddress).not.toBe(node.address);
    expect(isAlive(node.pid)).toBe(true);
    expect(existsSync(node.dir)).toBe(true);

    const leader = await probeLeader(node.address);
    expect(leader.address).toBe(node.address);
    expect(leader.id).not.toBe(0n);

    const pid = node.pid;
    await node.stop();
    expect(node.running).toBe(false);
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(node.dir)).toBe(false);
    await node.stop(); // idempotent
  });

  it("restarts on the same ports and directory, keeping its data", async () => {
    const node = await startNode();
    started.push(node);
    const put = await fetch(`http://${node.apiAddress}/colour`, { method: "PUT", body: "teal" });
    expect(put.status).toBe(200);
    const { address, dir, pid } = node;
    const before = await probeLeader(address);

    await node.restart();
    expect(node.pid).not.toBe(pid);
    expect(isAlive(pid)).toBe(false);
    expect(node.address).toBe(address);
    expect(node.dir).toBe(dir);
    expect((await probeLeader(address)).id).toBe(before.id);
    const get = await fetch(`http://${node.apiAddress}/colour`);
    expect((await get.text()).trim()).toBe("teal");
    await node.stop();
  });

  it("pause() makes the node silent and resume() brings it back", async () => {
    const node = await startNode();
    started.push(node);
    await node.pause();
    await expect(probeLeader(node.address, 300)).rejects.toThrow(/no reply/);
    await node.resume();
    expect((await probeLeader(node.address)).address).toBe(node.address);
    // stop() also ends a paused node.
    await node.pause();
    await node.stop();
    expect(node.running).toBe(false);
  });

  it("kill() ends the process and restart() brings the same node back", async () => {
    const node = await startNode();
    started.push(node);
    const { id } = await probeLeader(node.address);
    node.kill("SIGKILL");
    const status = await node.exited();
    expect(status.signal).toBe("SIGKILL");
    expect(node.running).toBe(false);
    await expect(probeLeader(node.address, 300)).rejects.toThrow();
    await node.restart();
    expect((await probeLeader(node.address)).id).toBe(id);
    await node.stop();
  });

  it("fails with the node's own output when dqlite-demo cannot start", async () => {
    // --join to a port where nothing listens: the node never becomes ready.
    const error = await startNode({ join: ["127.0.0.1:1"], startupTimeoutMs: 1500 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/did not answer within the startup timeout|before it answered/);
  });

  it("names the install command when the binary is missing", async () => {
    const error = await startNode({ binary: "/nonexistent/dqlite-demo" }).catch((e: Error) => e);
    expect((error as Error).message).toContain("apt-get install -y go-dqlite");
  });

  it("forms a 3-node cluster with three voters", async () => {
    const cluster = await startCluster(3);
    started.push(cluster);
    expect(cluster.nodes).toHaveLength(3);
    expect(new Set(cluster.addresses).size).toBe(3);
    const leader = await cluster.leader();
    const servers = await probeCluster(leader.address);
    expect(servers.map((s) => s.address).sort()).toEqual([...cluster.addresses].sort());
    expect(servers.every((s) => s.role === 0)).toBe(true);

    // Kill the leader: the other two elect a new one; the killed node restarts and rejoins.
    leader.kill("SIGKILL");
    await leader.exited();
    const next = await cluster.leader();
    expect(next).not.toBe(leader);
    await leader.restart();
    const after = await probeCluster(next.address);
    expect(after.map((s) => s.address).sort()).toEqual([...cluster.addresses].sort());
    expect((await probeLeader(leader.address)).address).not.toBe("");

    const pids = cluster.nodes.map((node) => node.pid);
    await cluster.stop();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(cluster.nodes.filter((node) => existsSync(node.dir))).toEqual([]);
  }, 60_000);
});
