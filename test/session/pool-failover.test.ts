// The pool when the leader changes, on a real 3-node cluster: every pooled connection follows the
// new leader; a read that meets the change before any row reached the caller is sent once more
// and answers; and under 16 callers of mixed reads and writes with the leader killed twice, every
// write that resolved is stored once, none that failed before it was sent appears, and every read
// either answers or fails with a typed error.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import type { Database } from "../../src/client/database.ts";
import type { CallEnd } from "../../src/client/call-trace.ts";
import { isLeadershipLost, isOutcomeUnknown } from "../../src/client/server-errors.ts";
import { isWireError } from "../../src/errors.ts";
import { NODE_RELEASE } from "../support/nodes.ts";
import { client, startCluster, type DqliteCluster } from "./helpers.ts";

let cluster: DqliteCluster;
const clients: Client[] = [];

/** Discovery that outlasts an election (the survivors need a few seconds to pick a leader). */
const PATIENT = { discovery: { rounds: 40, backoffBaseMs: 100, backoffMaxMs: 500, attemptTimeoutMs: 1000 } };

beforeAll(async () => {
  cluster = await startCluster(3);
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster?.stop();
});

async function tracked(options: Parameters<typeof client>[1] = {}): Promise<{ session: Client; db: Database }> {
  const session = await client(cluster.addresses, { ...PATIENT, ...options });
  clients.push(session);
  return { session, db: await session.open("demo") };
}

describe(`the pool across leader changes (dqlite ${NODE_RELEASE}, 3 nodes)`, () => {
  it("after TRANSFER, every pooled connection follows the new leader; the next read answers without the caller seeing the change", async () => {
    const ends: CallEnd[] = [];
    const { session, db } = await tracked({ pool: { max: 4 }, trace: () => (end) => void ends.push(end) });
    await db.exec("CREATE TABLE IF NOT EXISTS moved (a INTEGER)");
    // Four connections open to the leader, then idle.
    const long = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n";
    const results = Array.from({ length: 4 }, () => db.query(long));
    for (const result of results) await result[Symbol.asyncIterator]().next();
    await Promise.all(results.map((result) => result.close()));
    const before = session.stats();
    expect(before).toMatchObject({ open: 4, idle: 4 });
    const oldLeader = before.leader!;
    // Another client moves leadership away.
    const { session: mover } = await tracked({ pool: { max: 1 } });
    const target = (await mover.cluster()).find((member) => member.address !== oldLeader)!;
    await mover.transfer(target.id);
    // The next read answers (on the new leader), and no connection of the pool stays on the old one.
    ends.length = 0;
    expect((await db.query("SELECT count(*) FROM moved", [], { timeoutMs: 30_000 }).all()).rows).toEqual([[0]]);
    // The first attempt met the old leader (NOT_LEADER, or its closed connection); the read was sent once more.
    expect(ends).toEqual([expect.objectContaining({ outcome: "ok", attempts: 2, address: target.address, rows: 1 })]);
    expect(session.stats().leader).toBe(target.address);
    const reads = await Promise.all(Array.from({ length: 4 }, () => db.query("SELECT 1", [], { timeoutMs: 30_000 }).all()));
    expect(reads.map((r) => r.rows)).toEqual(Array(4).fill([[1]]));
    expect(session.stats().leader).toBe(target.address);
    // Writes go to the new leader too.
    expect((await db.exec("INSERT INTO moved VALUES (1)", [], { timeoutMs: 30_000 })).rowsAffected).toBe(1);
  }, 90_000);

  it("16 callers, 90 % reads and 10 % writes, the leader killed twice: writes resolved are stored once, none unsent appears, reads answer or fail typed", async () => {
    const { db } = await tracked({ pool: { max: 8 }, timeoutMs: 15_000 });
    await db.exec("CREATE TABLE IF NOT EXISTS chaos (tag TEXT)");
    const resolved: string[] = [];
    const unknown: string[] = [];
    const unsent: string[] = [];
    const untyped: unknown[] = [];
    let reads = 0;
    let readErrors = 0;
    let stop = false;
    const callers = Array.from({ length: 16 }, async (_, caller) => {
      for (let n = 0; !stop; n++) {
        if (n % 10 === caller % 10) {
          const tag = `c${caller}-${n}`;
          try {
            await db.exec("INSERT INTO chaos VALUES (?)", [tag]);
            resolved.push(tag);
          } catch (error) {
            // Of unknown outcome: a lost reply, leadership lost while committing, or a timeout after the send.
            if (isOutcomeUnknown(error) || isLeadershipLost(error) || (isWireError(error) && error.code === "TIMEOUT")) unknown.push(tag);
            else if (isWireError(error)) unsent.push(tag);
            else untyped.push(error);
          }
        } else {
          try {
            const { rows } = await db.query("SELECT count(*) FROM chaos").all();
            expect(typeof rows[0]![0]).toBe("number");
            reads++;
          } catch (error) {
            readErrors++;
            if (!isWireError(error)) untyped.push(error);
          }
        }
      }
    });
    const victims: string[] = [];
    for (let round = 0; round < 2; round++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const leader = await cluster.leader();
      victims.push(leader.address);
      leader.kill("SIGKILL");
      await leader.exited();
      // The survivors elect a leader; the killed node comes back (three voters again for the next round).
      await cluster.leader(30_000);
      await leader.restart();
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stop = true;
    await Promise.all(callers);

    expect(untyped).toEqual([]);
    expect(new Set(victims).size).toBeGreaterThan(0);
    const { rows } = await db.query("SELECT tag FROM chaos").all();
    const stored = rows.map((row) => row[0] as string);
    const counts = new Map<string, number>();
    for (const tag of stored) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    // Nothing doubled, nothing lost, no phantom.
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    for (const tag of resolved) expect(counts.has(tag), `resolved write ${tag}`).toBe(true);
    for (const tag of unsent) expect(counts.has(tag), `write ${tag} that failed before it was sent`).toBe(false);
    for (const tag of stored)
      expect(resolved.includes(tag) || unknown.includes(tag), `stored ${tag} was resolved or of unknown outcome`).toBe(true);
    expect(resolved.length).toBeGreaterThan(0);
    expect(reads).toBeGreaterThan(readErrors);
  }, 180_000);
});
