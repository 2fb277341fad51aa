// Faults a real 3-node cluster produces, and what a session does about them: the leader dies
// in the middle of a result or of a write, restarts, or stops answering.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import type { Database } from "../../src/client/database.ts";
import { isOutcomeUnknown } from "../../src/client/server-errors.ts";
import type { Connector } from "../../src/client/transport-types.ts";
import { ConnectionError, TimeoutError } from "../../src/errors.ts";
import { connectTcp } from "../../src/transport/auto.ts";
import { client, startCluster, untilStopped, type DqliteCluster, type DqliteNode } from "./helpers.ts";

const ROWS = 100_000;
/**
 * Each name carries this many bytes of padding, so that the result (about 12 MB) is far more
 * than the socket buffers can hold: the leader must still be sending when it is killed.
 */
const PAD_BYTES = 100;
let cluster: DqliteCluster;
let session: Client;
let db: Database;

/** Discovery that outlasts an election (the survivors need a few seconds to pick a leader). */
const PATIENT = { discovery: { rounds: 30, backoffBaseMs: 100, backoffMaxMs: 500, attemptTimeoutMs: 1000 } };

/** Writes of the session that hold `needle`, each announced once its bytes are in the kernel. */
const writeWaiters: { needle: Buffer; resolve: () => void }[] = [];

/** Resolves once the session has handed a write holding `text` to the kernel. */
function written(text: string): Promise<void> {
  return new Promise((resolve) => writeWaiters.push({ needle: Buffer.from(text), resolve }));
}

/** TCP, with every write checked against `writeWaiters` once the kernel has it. */
const watchedTcp: Connector = async (address, options) => {
  const transport = await connectTcp(address, options);
  return {
    peer: transport.peer,
    readable: transport.readable,
    close: () => transport.close(),
    write: async (bytes: Uint8Array) => {
      await transport.write(bytes);
      const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (const waiter of writeWaiters.filter((w) => view.includes(w.needle))) {
        writeWaiters.splice(writeWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
  };
};

beforeAll(async () => {
  cluster = await startCluster(3);
  session = await client(cluster.addresses, { ...PATIENT, connector: watchedTcp });
  db = await session.open("demo");
  await db.exec("CREATE TABLE f (id INTEGER PRIMARY KEY, name TEXT)");
  await db.exec(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) INSERT INTO f SELECT i, 'name ' || i || ' ' || hex(zeroblob(${PAD_BYTES / 2})) FROM n`,
    [],
    { timeoutMs: 60_000 },
  );
  await db.exec("CREATE TABLE w (tag TEXT)");
}, 120_000);

afterAll(async () => {
  await session?.close();
  await cluster?.stop();
});

function nodeAt(address: string | undefined): DqliteNode {
  const node = cluster.nodes.find((candidate) => candidate.address === address);
  if (node === undefined) throw new Error(`no node of the cluster at ${address}`);
  return node;
}

/** Count and sums of the whole table, read in one go. */
async function readAll(): Promise<{ count: number; idSum: number; nameBytes: number }> {
  let count = 0;
  let idSum = 0;
  let nameBytes = 0;
  for await (const batch of db.query("SELECT id, name FROM f ORDER BY id", [], { rowMode: "columns", timeoutMs: 20_000 })) {
    count += batch.rowCount;
    for (const id of batch.data[0] as number[]) idSum += id;
    for (const name of batch.data[1] as string[]) nameBytes += name.length;
  }
  return { count, idSum, nameBytes };
}

const expectedNameBytes = (() => {
  let total = 0;
  for (let i = 1; i <= ROWS; i++) total += `name ${i} `.length + PAD_BYTES;
  return total;
})();

describe("faults of a real cluster", () => {
  it("the leader dies during a long streaming query: a typed error, then the session finds the new leader and a retried read is complete", async () => {
    const leader = nodeAt(session.address);
    let seen = 0;
    const error = await (async () => {
      for await (const batch of db.query("SELECT id, name FROM f ORDER BY id", [], { timeoutMs: 20_000 })) {
        seen += batch.rowCount;
        if (leader.running) leader.kill("SIGKILL");
        // Read slowly so most of the result is still on the node when it dies.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_CLOSED");
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(ROWS);

    const retried = await readAll();
    expect(retried).toEqual({ count: ROWS, idSum: (ROWS * (ROWS + 1)) / 2, nameBytes: expectedNameBytes });
    expect(session.address).not.toBe(leader.address);
    await leader.restart();
  }, 90_000);

  it("the leader dies between a write's send and its reply: OUTCOME_UNKNOWN, and the write is not resent", async () => {
    const leader = nodeAt((await session.leader()).address);
    expect(session.address).toBe(leader.address);
    leader.pause();
    await untilStopped(leader.pid);
    // The request reaches the stopped node's socket (the kernel has taken the write; on loopback
    // that puts it in the node's receive queue); its reply never comes.
    const sent = written("'lost?'");
    const write = db.exec("INSERT INTO w VALUES ('lost?')", [], { timeoutMs: 30_000 });
    await sent;
    leader.kill("SIGKILL");
    const error = await write.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("OUTCOME_UNKNOWN");
    expect(isOutcomeUnknown(error)).toBe(true);
    expect((error as Error).message).toMatch(/may or may not have run \(it was not resent\)/);
    // The new leader has no such row: the node died before running it and nothing resent it.
    expect((await db.query("SELECT count(*) FROM w", [], { timeoutMs: 20_000 }).all()).rows).toEqual([[0]]);
    expect(session.address).not.toBe(leader.address);
    await leader.restart();
  }, 90_000);

  it("the node a session is on restarts: the session notices while idle and its next call simply works", async () => {
    const leader = nodeAt((await session.leader()).address);
    const generation = session.generation;
    await leader.restart();
    // No error on the first call after the restart: the closed connection was noticed while
    // idle, so this call reconnects (to whichever node leads now).
    expect((await db.query("SELECT count(*) FROM f", [], { timeoutMs: 20_000 }).all()).rows).toEqual([[ROWS]]);
    expect(session.generation).toBeGreaterThan(generation);
  }, 90_000);

  it("a leader that accepts TCP but never answers (SIGSTOP): calls fail by their timeout, then the session finds the new leader", async () => {
    const leader = nodeAt((await session.leader()).address);
    leader.pause();
    try {
      await untilStopped(leader.pid);
      const started = Date.now();
      const error = await db
        .query("SELECT count(*) FROM f", [], { timeoutMs: 500 })
        .all()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      // By its 500 ms timeout rather than hanging: a bound loose enough for a loaded machine.
      expect(Date.now() - started).toBeLessThan(10_000);
      // The other two elect a leader; discovery skips the silent node after its attempt timeout.
      expect((await db.query("SELECT count(*) FROM f", [], { timeoutMs: 30_000 }).all()).rows).toEqual([[ROWS]]);
      expect(session.address).not.toBe(leader.address);
    } finally {
      leader.resume();
    }
  }, 90_000);
});
