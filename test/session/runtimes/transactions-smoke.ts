// Transactions and the Kysely dialect end to end, written once and run unchanged under Node
// (imported by test/session/runtimes-transactions.test.ts), Deno and Bun (run directly), against
// the dqlite node at $DQLITE_ADDRESS over the runtime's own TCP transport: a committed and a
// rolled-back transaction, another task's write kept out of a rolled-back one, a savepoint,
// and Kysely's insert, select and rolled-back transaction on the same client.
// Prints "ok" and exits 0, or the failure and 1.
//
//   DQLITE_ADDRESS=127.0.0.1:9001 npx deno run -A test/session/runtimes/transactions-smoke.ts
//   DQLITE_ADDRESS=127.0.0.1:9001 npx bun test/session/runtimes/transactions-smoke.ts

import { Kysely } from "kysely";
import { connectClient } from "../../../src/client/index.ts";
import { DqliteDialect } from "../../../src/kysely/index.ts";
import { connectTcp } from "../../../src/transport/auto.ts";
import { host } from "./script-host.ts";

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`check failed: ${what}: got ${a}, expected ${e}`);
}

interface Tables {
  [table: string]: { tag: string };
}

/** Runs the whole scenario; returns a one-line summary. */
export async function transactionsSmoke(address: string): Promise<string> {
  const client = await connectClient({ addresses: [address], connector: connectTcp, timeoutMs: 10_000 });
  try {
    const db = await client.open("demo");
    const table = `tx_smoke_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    await db.exec(`CREATE TABLE ${table} (tag TEXT)`);
    const tags = async (): Promise<unknown[]> =>
      (await db.query(`SELECT tag FROM ${table} ORDER BY rowid`).all()).rows.map((row) => (row as unknown[])[0]);

    same(
      await db.transaction(async (tx) => (await tx.exec(`INSERT INTO ${table} VALUES ('committed')`)).rowsAffected),
      1,
      "commit returns fn's value",
    );

    // A read while a transaction is open answers before its COMMIT (another connection of the
    // pool) and sees only committed rows; were it queued behind the COMMIT, this would time out.
    const seenDuring = await db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${table} VALUES ('pending')`);
      const outside = await tags();
      await tx.exec(`DELETE FROM ${table} WHERE tag = 'pending'`);
      return outside;
    });
    same(seenDuring, ["committed"], "a read outside an open transaction sees committed rows only");

    let other: Promise<unknown> | undefined;
    const rolledBack = await db
      .transaction(async (tx) => {
        await tx.exec(`INSERT INTO ${table} VALUES ('rolled back')`);
        other = db.exec(`INSERT INTO ${table} VALUES ('other task')`);
        await tx.transaction(async (inner) => inner.exec(`INSERT INTO ${table} VALUES ('savepoint')`));
        throw new Error("undo");
      })
      .catch((e: Error) => e.message);
    await other;
    same(rolledBack, "undo", "the function's error comes out");
    same(await tags(), ["committed", "other task"], "another task's write survives the rollback");

    const kysely = new Kysely<Tables>({ dialect: new DqliteDialect({ client, database: "demo" }) });
    await kysely.insertInto(table).values({ tag: "kysely" }).execute();
    await kysely
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto(table).values({ tag: "kysely, rolled back" }).execute();
        throw new Error("undo");
      })
      .catch(() => {});
    const viaKysely = await kysely.selectFrom(table).select("tag").execute();
    same(viaKysely, [{ tag: "committed" }, { tag: "other task" }, { tag: "kysely" }], "Kysely's select");
    await kysely.destroy();
    await db.exec(`DROP TABLE ${table}`);
    return `transactions and Kysely: ${viaKysely.length} rows`;
  } finally {
    await client.close();
  }
}

if ((import.meta as { main?: boolean }).main === true) {
  const h = host();
  const address = h.env("DQLITE_ADDRESS");
  if (address === undefined || address === "") {
    h.log("transactions-smoke: set DQLITE_ADDRESS=HOST:PORT of a dqlite node");
    h.exit(1);
  }
  try {
    h.log(`transactions-smoke (${h.runtime}): ${await transactionsSmoke(address!)}`);
    console.log("ok");
    h.exit(0);
  } catch (error) {
    h.log(`transactions-smoke (${h.runtime}): ${(error as Error)?.stack ?? String(error)}`);
    h.exit(1);
  }
}
