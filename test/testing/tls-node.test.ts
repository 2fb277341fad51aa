// The TLS node rig: go-dqlite `app` nodes with mutual TLS, started from src/testing/tls-node.ts.

import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { connect as connectPlain } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeCluster, probeLeader, rawRequest } from "../../src/testing/raw-probe.ts";
import {
  type TlsCluster,
  type TlsNode,
  findTlsNodeBinary,
  generateClusterCertificate,
  probeTlsFor,
  startTlsCluster,
  startTlsNode,
} from "../../src/testing/tls-node.ts";

describe("a single TLS node", () => {
  let node: TlsNode;
  beforeAll(async () => {
    node = await startTlsNode();
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
  });

  it("answers LEADER over TLS with its own address, and writes go-dqlite's YAML node store", async () => {
    const leader = await probeLeader(node.address, 2_000, probeTlsFor(node.certificate));
    expect(leader.address).toBe(node.address);
    expect(leader.id).toBeGreaterThan(0n);
    const store = readFileSync(`${node.dir}/cluster.yaml`, "utf8");
    expect(store).toContain(`Address: ${node.address}`);
    expect(store).toContain(`ID: ${leader.id}`);
  });

  it("closes a plain connection at once, without a byte", async () => {
    const { host, port } = { host: "127.0.0.1", port: Number(node.address.split(":")[1]) };
    const outcome = await new Promise<{ bytes: number; closedMs: number }>((resolve, reject) => {
      const started = Date.now();
      let bytes = 0;
      const socket = connectPlain({ host, port }, () =>
        socket.write(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
      );
      socket.on("data", (chunk) => (bytes += chunk.length));
      socket.on("close", () => resolve({ bytes, closedMs: Date.now() - started }));
      socket.on("error", reject);
      // A deadline for the failure only ("at once" means it closes rather than waits for more).
      setTimeout(() => reject(new Error("the TLS node kept a plain connection open for 20 s")), 20_000).unref();
    });
    expect(outcome.bytes).toBe(0);
  });

  it("refuses a probe whose certificate it does not trust", async () => {
    const stranger = generateClusterCertificate();
    try {
      await expect(probeLeader(node.address, 2_000, probeTlsFor(stranger))).rejects.toThrow();
    } finally {
      rmSync(dirname(stranger.certFile), { recursive: true, force: true });
    }
  });

  it("stop() ends the process and removes its directory", async () => {
    const other = await startTlsNode({ certificate: node.certificate });
    const { pid, dir } = other;
    await other.stop();
    expect(other.running).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
  }, 30_000);
});

describe("a 3-node TLS cluster", () => {
  let cluster: TlsCluster;
  beforeAll(async () => {
    cluster = await startTlsCluster(3);
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("forms with three voters that agree on the leader", async () => {
    const tls = probeTlsFor(cluster.certificate);
    const leader = await cluster.leader();
    for (const address of cluster.addresses) {
      expect((await probeLeader(address, 2_000, tls)).address).toBe(leader.address);
    }
    const members = await probeCluster(leader.address, 2_000, tls);
    expect(members.map((member) => member.address).sort()).toEqual([...cluster.addresses].sort());
    expect(members.every((member) => member.role === 0)).toBe(true);
  });
});

describe("the rig's errors", () => {
  it("a missing binary names how to build it", async () => {
    await expect(startTlsNode({ binary: "/nonexistent/dqlite-tls-node", startupTimeoutMs: 3_000 })).rejects.toThrow(/scripts\/setup\.sh/);
  });

  it("findTlsNodeBinary finds the built node (scripts/setup.sh builds it)", () => {
    expect(findTlsNodeBinary()).toMatch(/dqlite-tls-node$/);
  });

  it("a raw request to a TLS node without TLS fails, it does not hang", async () => {
    const node = await startTlsNode();
    try {
      await expect(rawRequest(node.address, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 3_000)).rejects.toThrow(
        /closed the connection/,
      );
    } finally {
      await node.stop();
    }
  }, 30_000);
});
