// The Kysely dialect against a real node: schema, insert/select/update/delete, transactions
// (committed, rolled back, and the writes of other tasks kept out of them), savepoints of a
// controlled transaction, streaming, introspection, and a dialect on an existing client.

import { Kysely, sql, type Generated } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import { connect } from "../../src/client/index.ts";
import { EncodeError } from "../../src/errors.ts";
import { DqliteDialect } from "../../src/kysely/index.ts";
import { CURRENT_NODE, NODE_RELEASE, startNode, type DqliteNode } from "../support/nodes.ts";

interface DB {
  person: { id: Generated<number>; name: string; age: number | null };
  pet: { id: Generated<number>; owner: number; species: string };
}

let node: DqliteNode;
let db: Kysely<DB>;

beforeAll(async () => {
  node = await startNode();
  db = new Kysely<DB>({ dialect: new DqliteDialect({ addresses: node.address, database: "demo", timeoutMs: 10_000 }) });
  await db.schema
    .createTable("person")
    .addColumn("id", "integer", (column) => column.primaryKey().autoIncrement())
    .addColumn("name", "text", (column) => column.notNull())
    .addColumn("age", "integer")
    .execute();
  await db.schema
    .createTable("pet")
    .addColumn("id", "integer", (column) => column.primaryKey())
    .addColumn("owner", "integer", (column) => column.notNull().references("person.id"))
    .addColumn("species", "text", (column) => column.notNull())
    .execute();
});

afterAll(async () => {
  await db?.destroy();
  await node?.stop();
});

async function names(): Promise<string[]> {
  return (await db.selectFrom("person").select("name").orderBy("id").execute()).map((row) => row.name);
}

describe("Kysely on dqlite", () => {
  it("insert, select, update, delete", async () => {
    const inserted = await db.insertInto("person").values({ name: "Ada", age: 36 }).executeTakeFirstOrThrow();
    expect(inserted.numInsertedOrUpdatedRows).toBe(1n);
    const id = Number(inserted.insertId);
    expect(id).toBeGreaterThan(0);
    await db
      .insertInto("person")
      .values([
        { name: "Grace", age: 85 },
        { name: "Linus", age: null },
      ])
      .execute();

    const adults = await db.selectFrom("person").select(["name", "age"]).where("age", ">", 30).orderBy("name").execute();
    expect(adults).toEqual([
      { name: "Ada", age: 36 },
      { name: "Grace", age: 85 },
    ]);

    const updated = await db.updateTable("person").set({ age: 37 }).where("id", "=", id).executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(1n);
    expect(await db.selectFrom("person").select("age").where("id", "=", id).executeTakeFirstOrThrow()).toEqual({ age: 37 });

    const deleted = await db.deleteFrom("person").where("age", "is", null).executeTakeFirst();
    expect(deleted.numDeletedRows).toBe(1n);
    expect(await names()).toEqual(["Ada", "Grace"]);

    const joined = await db
      .insertInto("pet")
      .values({ owner: id, species: "cat" })
      .execute()
      .then(() => db.selectFrom("pet").innerJoin("person", "person.id", "pet.owner").select(["person.name", "pet.species"]).execute());
    expect(joined).toEqual([{ name: "Ada", species: "cat" }]);

    const counted = await sql<{ n: number }>`SELECT count(*) AS n FROM person`.execute(db);
    expect(counted.rows).toEqual([{ n: 2 }]);
  });

  it("a transaction commits; one that throws rolls back, and its error comes out", async () => {
    const result = await db.transaction().execute(async (trx) => {
      await trx.insertInto("person").values({ name: "Committed", age: 1 }).execute();
      return trx.selectFrom("person").select("name").where("name", "=", "Committed").executeTakeFirstOrThrow();
    });
    expect(result).toEqual({ name: "Committed" });

    const failure = new Error("undo");
    const error = await db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto("person").values({ name: "Rolled back", age: 2 }).execute();
        throw failure;
      })
      .catch((e: unknown) => e);
    expect(error).toBe(failure);
    expect(await names()).toContain("Committed");
    expect(await names()).not.toContain("Rolled back");
  });

  it("another task's write during a rolled-back Kysely transaction is kept (it waits, never runs inside)", async () => {
    // A dialect on a client of the test's own, whose stats show the write queued behind the
    // transaction before the transaction rolls back.
    const client: Client = await connect({ addresses: node.address, timeoutMs: 10_000 });
    const own = new Kysely<DB>({ dialect: new DqliteDialect({ client, database: "demo" }) });
    try {
      let outside: Promise<unknown> | undefined;
      await own
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto("person").values({ name: "Inside", age: 3 }).execute();
          outside = own.insertInto("person").values({ name: "Outside", age: 4 }).execute();
          const deadline = Date.now() + 20_000;
          while (client.stats().writeLane.waiting === 0) {
            if (Date.now() > deadline) throw new Error("the outside write never queued for the write lane");
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          throw new Error("roll back");
        })
        .catch((e: unknown) => {
          if ((e as Error).message !== "roll back") throw e;
        });
      await outside;
    } finally {
      await own.destroy();
      await client.close();
    }
    const all = await names();
    expect(all).toContain("Outside");
    expect(all).not.toContain("Inside");
  });

  it("a controlled transaction with savepoints: rolling back to one undoes only what followed it", async () => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto("person").values({ name: "Before savepoint", age: 5 }).execute();
    const saved = await trx.savepoint("s1").execute();
    await saved.insertInto("person").values({ name: "After savepoint", age: 6 }).execute();
    const back = await saved.rollbackToSavepoint("s1").execute();
    const released = await back.releaseSavepoint("s1").execute();
    await released.commit().execute();
    const all = await names();
    expect(all).toContain("Before savepoint");
    expect(all).not.toContain("After savepoint");
  });

  it("streams a large select batch by batch, and leaving early leaves the session usable", async () => {
    const numbers = () =>
      db
        .withRecursive("n(x)", (qb) =>
          qb
            .selectNoFrom(sql<number>`1`.as("x"))
            .unionAll((more) => more.selectFrom("n").select(sql<number>`x + 1`.as("x")).where("x", "<", 20_000)),
        )
        .selectFrom("n")
        .select("x");
    let count = 0;
    let sum = 0;
    for await (const row of numbers().stream()) {
      count++;
      sum += row.x;
    }
    expect([count, sum]).toEqual([20_000, (20_000 * 20_001) / 2]);
    for await (const row of numbers().stream()) {
      expect(row.x).toBe(1);
      break;
    }
    expect((await sql<{ v: number }>`SELECT 6 * 7 AS v`.execute(db)).rows).toEqual([{ v: 42 }]);
  });

  it("introspection lists the tables and their columns", async () => {
    const tables = await db.introspection.getTables();
    const byName = Object.fromEntries(tables.map((table) => [table.name, table]));
    // "model" is dqlite-demo's own key/value table (1.11's node); the 1.18 node is dqlite alone.
    expect(Object.keys(byName).sort()).toEqual(CURRENT_NODE ? ["person", "pet"] : ["model", "person", "pet"]);
    expect(byName.person!.columns.map((c) => [c.name, c.dataType, c.isNullable, c.isAutoIncrementing])).toEqual([
      ["id", "INTEGER", true, true],
      ["name", "TEXT", false, false],
      ["age", "INTEGER", true, false],
    ]);
    expect(byName.pet!.columns.map((c) => c.name)).toEqual(["id", "owner", "species"]);
  });

  it(`.returning(): the inserted, updated and deleted rows on a node that reads RETURNING; refused before anything is sent on one that does not (dqlite ${NODE_RELEASE})`, async () => {
    const inserting = db.insertInto("person").values({ name: "Returned", age: 7 }).returning(["id", "name"]).execute();
    if (!CURRENT_NODE) {
      const error = await inserting.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EncodeError);
      expect((error as EncodeError).code).toBe("UNSUPPORTED_VALUE");
      expect(await names()).not.toContain("Returned");
      return;
    }
    const [inserted] = await inserting;
    expect(inserted).toEqual({ id: expect.any(Number), name: "Returned" });
    const updated = await db
      .updateTable("person")
      .set({ age: 8 })
      .where("id", "=", inserted!.id)
      .returning("age")
      .executeTakeFirstOrThrow();
    expect(updated).toEqual({ age: 8 });
    const deleted = await db.deleteFrom("person").where("id", "=", inserted!.id).returningAll().execute();
    expect(deleted).toEqual([{ id: inserted!.id, name: "Returned", age: 8 }]);
    expect(await names()).not.toContain("Returned");
  });

  it("isolation levels are refused with a clear error (SQLite has none to set)", async () => {
    const error = await db
      .transaction()
      .setIsolationLevel("serializable")
      .execute(async () => 1)
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain("SQLite has no isolation levels");
  });

  it("a dialect on an existing client leaves that client open when Kysely is destroyed", async () => {
    const client: Client = await connect({ addresses: node.address });
    try {
      const shared = new Kysely<DB>({ dialect: new DqliteDialect({ client, database: "demo" }) });
      expect((await shared.selectFrom("person").select("name").where("name", "=", "Ada").execute()).length).toBe(1);
      await shared.destroy();
      const direct = await (await client.open("demo")).query("SELECT count(*) FROM person").all();
      expect((direct.rows[0] as number[])[0]).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});
