// Drizzle on dqlite through drizzle-orm/sqlite-proxy and the recipe of docs/query-builders.md
// (dqlite-proxy.ts, shown there verbatim): queries of every sqlite-proxy method, transactions
// (committed, rolled back, nested), atomic batches, and drizzle's own transaction() refused.

import { readFileSync } from "node:fs";
import { eq, gt, sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { drizzle } from "drizzle-orm/sqlite-proxy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import type { Database } from "../../src/client/database.ts";
import { connect } from "../../src/client/index.ts";
import { EncodeError } from "../../src/errors.ts";
import { CURRENT_NODE, NODE_RELEASE, startNode, type DqliteNode } from "../support/nodes.ts";
import { dqliteProxy } from "./dqlite-proxy.ts";

const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  age: integer("age"),
});

let node: DqliteNode;
let client: Client;
let db: Database;
let orm: ReturnType<typeof drizzle>;

beforeAll(async () => {
  node = await startNode();
  client = await connect({ addresses: node.address });
  db = await client.open("demo");
  orm = drizzle(...dqliteProxy(db));
  await orm.run(sql`CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, age INTEGER)`);
});

afterAll(async () => {
  await client?.close();
  await node?.stop();
});

async function names(): Promise<string[]> {
  return (await orm.select({ name: users.name }).from(users).orderBy(users.id)).map((row) => row.name);
}

describe("drizzle-orm/sqlite-proxy on dqlite", () => {
  it("docs/query-builders.md shows the recipe this test runs, verbatim", () => {
    const recipe = readFileSync(new URL("./dqlite-proxy.ts", import.meta.url), "utf8").replace(
      "../../src/client/index.ts",
      "dqlite-wire/client",
    );
    expect(readFileSync("docs/query-builders.md", "utf8")).toContain(recipe);
  });

  it("insert, select (all, get, values), update, delete", async () => {
    await orm.insert(users).values([{ name: "ada", age: 36 }, { name: "grace", age: 85 }, { name: "linus" }]);
    expect(await orm.select().from(users).where(gt(users.age, 30)).orderBy(users.name)).toEqual([
      { id: 1, name: "ada", age: 36 },
      { id: 2, name: "grace", age: 85 },
    ]);
    expect(await orm.select().from(users).where(eq(users.name, "linus")).get()).toEqual({ id: 3, name: "linus", age: null });
    expect(await orm.select().from(users).where(eq(users.name, "nobody")).get()).toBeUndefined();
    expect(await orm.select({ id: users.id, name: users.name }).from(users).orderBy(users.id).values()).toEqual([
      [1, "ada"],
      [2, "grace"],
      [3, "linus"],
    ]);
    const updated = await orm.update(users).set({ age: 37 }).where(eq(users.name, "ada")).run();
    expect(updated).toMatchObject({ rowsAffected: 1 });
    await orm.delete(users).where(eq(users.name, "linus"));
    expect(await names()).toEqual(["ada", "grace"]);
  });

  it(`.returning(): the rows written, on a node that reads RETURNING; refused before anything is sent on one that does not (dqlite ${NODE_RELEASE})`, async () => {
    const inserting = orm.insert(users).values({ name: "returned", age: 1 }).returning({ id: users.id, name: users.name });
    if (!CURRENT_NODE) {
      // drizzle wraps the driver's error ("Failed query: …"); the client's refusal is its cause.
      const error = (await inserting.then(
        () => undefined,
        (e: unknown) => e,
      )) as Error;
      expect(error.cause).toBeInstanceOf(EncodeError);
      expect((error.cause as Error).message).toMatch(/RETURNING/);
      expect(await names()).not.toContain("returned");
      return;
    }
    const [row] = await inserting;
    expect(row).toEqual({ id: expect.any(Number), name: "returned" });
    expect(await orm.update(users).set({ age: 2 }).where(eq(users.id, row!.id)).returning({ age: users.age })).toEqual([{ age: 2 }]);
    expect(await orm.delete(users).where(eq(users.id, row!.id)).returning()).toEqual([{ id: row!.id, name: "returned", age: 2 }]);
    expect(await names()).not.toContain("returned");
  });

  it("transactions: committed, rolled back, and nested through the client's transaction()", async () => {
    const value = await db.transaction(async (tx) => {
      const txOrm = drizzle(...dqliteProxy(tx));
      await txOrm.insert(users).values({ name: "committed" });
      const inner = await tx
        .transaction(async (savepoint) => {
          await drizzle(...dqliteProxy(savepoint))
            .insert(users)
            .values({ name: "inner, undone" });
          throw new Error("undo the savepoint");
        })
        .catch((e: Error) => e.message);
      return [inner, (await txOrm.select().from(users).where(eq(users.name, "committed")).get())?.name];
    });
    expect(value).toEqual(["undo the savepoint", "committed"]);

    const error = await db
      .transaction(async (tx) => {
        await drizzle(...dqliteProxy(tx))
          .insert(users)
          .values({ name: "rolled back" });
        throw new Error("roll back");
      })
      .catch((e: Error) => e.message);
    expect(error).toBe("roll back");
    expect(await names()).toEqual(["ada", "grace", "committed"]);
  });

  it("a batch runs in one transaction: all of it, or nothing when a statement fails", async () => {
    const [inserted, selected] = await orm.batch([
      orm.insert(users).values({ name: "batch 1" }),
      orm.select({ name: users.name }).from(users).where(eq(users.name, "batch 1")),
    ]);
    expect(inserted).toMatchObject({ rowsAffected: 1 });
    expect(selected).toEqual([{ name: "batch 1" }]);

    const failed = await orm
      .batch([orm.insert(users).values({ name: "batch 2" }), orm.insert(users).values({ name: "ada" })])
      .catch((e: unknown) => e);
    expect((failed as Error).message).toContain("UNIQUE constraint failed");
    expect(await names()).not.toContain("batch 2");
  });

  it("drizzle's own transaction() is refused before BEGIN is sent (it would share the connection with every task)", async () => {
    const error = await orm
      .transaction(async (tx) => {
        await tx.insert(users).values({ name: "never" });
      })
      .catch((e: Error) => e);
    // drizzle wraps the callback's error in its DrizzleQueryError ("Failed query: begin").
    expect((error as Error).message).toContain("Failed query: begin");
    expect(((error as Error).cause as Error).message).toContain("use db.transaction");
    expect(await names()).not.toContain("never");
    await db.exec("INSERT INTO users (name) VALUES ('plain after')"); // no transaction was left open
    expect(await names()).toContain("plain after");
  });
});
