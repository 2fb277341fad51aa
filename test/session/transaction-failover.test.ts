// The leader of a real 3-node cluster is killed while a transaction is open: the transaction
// ends with a typed error, none of its writes is applied (the node discards an open
// transaction with its connection), nothing is resent, and the client goes on with the new
// leader; a write that waited for the transaction runs there, once.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import type { Database } from "../../src/client/database.ts";
import { isOutcomeUnknown } from "../../src/client/server-errors.ts";
import { ConnectionError } from "../../src/errors.ts";
import { client, startCluster, type DqliteCluster } from "./helpers.ts";

let cluster: DqliteCluster;
let session: Client;
let db: Database;

/** Discovery that outlasts an election (the survivors need a few seconds to pick a leader). */
const PATIENT = { discovery: { rounds: 30, backoffBaseMs: 100, backoffMaxMs: 500, attemptTimeoutMs: 1000 } };

beforeAll(async () => {
  cluster = await startCluster(3);
  session = await client(cluster.addresses, PATIENT);
  db = await session.open("demo");
  await db.exec("CREATE TABLE moves (tag TEXT)");
  await db.exec("INSERT INTO moves VALUES ('before')");
}, 120_000);

afterAll(async () => {
  await session?.close();
  await cluster?.stop();
});

describe("a leader killed during a transaction", () => {
  it("ends it with a typed error; none of it is applied, nothing is resent, and the client moves to the new leader", async () => {
    const oldLeader = session.address;
    const victim = cluster.nodes.find((node) => node.address === oldLeader)!;
    let waiting: Promise<unknown> | undefined;
    const error = await db
      .transaction(async (tx) => {
        await tx.exec("INSERT INTO moves VALUES ('tx 1')");
        await tx.exec("INSERT INTO moves VALUES ('tx 2')");
        waiting = db.exec("INSERT INTO moves VALUES ('plain, queued behind the transaction')").catch((e: unknown) => e);
        victim.kill("SIGKILL");
        await victim.exited();
        await tx.exec("INSERT INTO moves VALUES ('tx 3')");
        return "committed?";
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_CLOSED");
    expect((error as Error).message).toContain("the transaction was not committed");
    // The plain write waited for the write lane and was not sent while the old leader lived; once
    // the transaction had ended it ran, once, on the new leader.
    const plain = await waiting;
    expect(plain).toMatchObject({ rowsAffected: 1 });
    expect(isOutcomeUnknown(plain)).toBe(false);

    const { rows } = await db.query("SELECT tag FROM moves ORDER BY rowid", [], { timeoutMs: 30_000 }).all();
    expect(session.address).not.toBe(oldLeader);
    expect(rows).toEqual([["before"], ["plain, queued behind the transaction"]]);

    // Transactions work on the new leader.
    await db.transaction((tx) => tx.exec("INSERT INTO moves VALUES ('after')"));
    expect((await db.query("SELECT tag FROM moves ORDER BY rowid").all()).rows).toEqual([
      ["before"],
      ["plain, queued behind the transaction"],
      ["after"],
    ]);
  }, 90_000);
});
