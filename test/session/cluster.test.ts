// A 3-node cluster: leader discovery from a follower, NOT_LEADER from a follower, and the
// membership requests (ADD, ASSIGN, REMOVE, TRANSFER) with their replies and effects.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import { isNotLeader } from "../../src/client/server-errors.ts";
import { ConnectionError, ServerError } from "../../src/errors.ts";
import { probeLeader } from "../../src/testing/index.ts";
import { CURRENT_NODE, NODE_RELEASE } from "../support/nodes.ts";
import { client, rawConnection, startCluster, type DqliteCluster } from "./helpers.ts";

let cluster: DqliteCluster;
let leaderAddress: string;
let followers: string[];
const clients: Client[] = [];

beforeAll(async () => {
  cluster = await startCluster(3);
  leaderAddress = (await cluster.leader()).address;
  followers = cluster.addresses.filter((address) => address !== leaderAddress);
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster?.stop();
});

async function tracked(addresses: string | readonly string[]): Promise<Client> {
  const c = await client(addresses, { discovery: { rounds: 10, backoffBaseMs: 50, backoffMaxMs: 500 } });
  clients.push(c);
  return c;
}

describe("a 3-node cluster", () => {
  it("a follower answers LEADER with the leader's id and address", async () => {
    const conn = await rawConnection(followers[0]!);
    try {
      const reply = await conn.request({ type: "LEADER" }, "LEADER");
      expect(reply.address).toBe(leaderAddress);
      const own = await probeLeader(leaderAddress);
      expect("id" in reply ? reply.id : undefined).toBe(own.id);
    } finally {
      await conn.close();
    }
  });

  it(`a follower refuses with NOT_LEADER (10250), recognisable with isNotLeader: a write on 1.11, OPEN already on 1.18 (dqlite ${NODE_RELEASE})`, async () => {
    const conn = await rawConnection(followers[0]!);
    try {
      const open = conn.request({ type: "OPEN", name: "demo", flags: 0, vfs: "" }, "DB");
      let error: unknown;
      if (CURRENT_NODE) {
        error = await open.catch((e: unknown) => e);
      } else {
        expect((await open).id).toBe(0);
        error = await conn.request({ type: "EXEC_SQL", db: 0, sql: "CREATE TABLE t (a)" }, "RESULT").catch((e: unknown) => e);
      }
      expect(error).toBeInstanceOf(ServerError);
      expect((error as ServerError).sqliteCode).toBe(10250);
      expect(isNotLeader(error)).toBe(true);
    } finally {
      await conn.close();
    }
  });

  it("leader discovery from a follower's address alone ends on the leader", async () => {
    const c = await tracked(followers[1]!);
    expect(c.address).toBe(leaderAddress);
    expect((await c.leader()).address).toBe(leaderAddress);
    const db = await c.open("demo");
    await db.exec("CREATE TABLE IF NOT EXISTS discovered (a INTEGER)");
    expect((await db.exec("INSERT INTO discovered VALUES (1)")).rowsAffected).toBe(1);
  });

  it("CLUSTER lists the three voters; ADD, ASSIGN and REMOVE change the membership", async () => {
    const c = await tracked(cluster.addresses);
    const members = await c.cluster();
    expect(members.map((m) => m.address).sort()).toEqual([...cluster.addresses].sort());
    expect(members.every((m) => m.role === "voter" && m.id > 0n)).toBe(true);
    expect(JSON.parse(JSON.stringify(members[0]))).toEqual({ id: members[0]!.id.toString(), address: members[0]!.address, role: "voter" });

    // A member that never runs: ADD makes it a spare, ASSIGN a standby, REMOVE drops it.
    const ghost = { id: 0x7a11_0000_0001n, address: "127.0.0.1:9" };
    await c.add(ghost.id, ghost.address);
    expect((await c.cluster()).find((m) => m.id === ghost.id)).toMatchObject({ address: ghost.address, role: "spare" });
    const same = await c.assign(ghost.id, "spare").catch((e: unknown) => e);
    expect(same).toBeInstanceOf(ServerError);
    expect((same as ServerError).message).toContain("server role is not valid");
    await c.assign(ghost.id, "standby");
    expect((await c.cluster()).find((m) => m.id === ghost.id)?.role).toBe("standby");
    await c.remove(ghost.id);
    expect((await c.cluster()).some((m) => m.id === ghost.id)).toBe(false);
    // Removing it again: the node says so.
    const gone = await c.remove(ghost.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ServerError);
  });

  it("the raw replies of ADD, ASSIGN, REMOVE are EMPTY", async () => {
    const conn = await rawConnection(leaderAddress);
    try {
      const empty = { type: "EMPTY", code: 8, schema: 0 };
      expect(await conn.request({ type: "ADD", id: 77n, address: "127.0.0.1:7" }, "EMPTY")).toEqual(empty);
      expect(await conn.request({ type: "ASSIGN", id: 77n, role: 1 }, "EMPTY")).toEqual(empty);
      expect(await conn.request({ type: "REMOVE", id: 77n }, "EMPTY")).toEqual(empty);
    } finally {
      await conn.close();
    }
  });

  it("TRANSFER hands leadership to a follower; the client then finds the new leader by itself", async () => {
    const c = await tracked(cluster.addresses);
    const before = c.address!;
    const target = (await c.cluster()).find((m) => m.address !== before)!;
    const conn = await rawConnection(before);
    try {
      expect(await conn.request({ type: "TRANSFER", id: target.id }, "EMPTY")).toEqual({ type: "EMPTY", code: 8, schema: 0 });
    } finally {
      await conn.close();
    }
    // The old leader now names the target.
    expect((await probeLeader(before)).address).toBe(target.address);
    // The client's connection is to a follower now: its first call that needs the leader says so
    // and drops it (OPEN on 1.18, the first write on 1.11)…
    const firstCall = CURRENT_NODE ? c.open("demo") : c.open("demo").then((db) => db.exec("CREATE TABLE IF NOT EXISTS moved (a)"));
    const error = await firstCall.catch((e: unknown) => e);
    expect(isNotLeader(error)).toBe(true);
    // …and the next call reaches the new leader.
    const db = await c.open("demo");
    await db.exec("CREATE TABLE IF NOT EXISTS moved (a)");
    expect(c.address).toBe(target.address);
    // Client.transfer() does the same and drops its connection at once.
    const back = (await c.cluster()).find((m) => m.address === before)!;
    await c.transfer(back.id);
    expect(c.address).toBeUndefined();
    expect((await c.leader()).address).toBe(before);
    expect(c.address).toBe(before);
  });

  it("no reachable node: ConnectionError CONNECTION_FAILED after the bounded rounds, naming each address", async () => {
    const started = Date.now();
    const error = await client(["127.0.0.1:1", "127.0.0.1:2"], { discovery: { rounds: 3, backoffBaseMs: 20 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_FAILED");
    expect((error as Error).message).toMatch(/3 rounds over 2 node\(s\).*127\.0\.0\.1:1.*127\.0\.0\.1:2/);
    expect(Date.now() - started).toBeLessThan(10_000);
    // A call deadline shorter than the rounds ends the search with a TimeoutError that still
    // says what each node did.
    const timedOut = await client(["127.0.0.1:1"], { timeoutMs: 1000, discovery: { rounds: 50 } }).catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ name: "TimeoutError", code: "TIMEOUT" });
    expect((timedOut as Error).message).toMatch(/find the leader: no answer within 1000 ms \(127\.0\.0\.1:1: cannot connect/);
  });
});
