// The row type follows `rowMode`, and a caller may name it. Checked by the type checker
// (`npm run typecheck`, and vitest's typecheck mode): nothing here runs.

import { describe, expectTypeOf, it } from "vitest";
import type { Database } from "../../src/client/database.ts";
import type { Batch, ObjectRow, QueryResult, Rows } from "../../src/client/query-result.ts";
import type { Statement } from "../../src/client/statement.ts";
import type { Transaction } from "../../src/client/transaction.ts";
import type { CellValue } from "../../src/values/cell.ts";

declare const db: Database;
declare const tx: Transaction;
declare const statement: Statement;

interface KeyValue {
  k: string;
  v: number;
}

describe("typed rows", () => {
  it("objects mode: rows are keyed objects, and `row.k` typechecks", async () => {
    const { rows } = await db.query("SELECT k, v FROM kv", [], { rowMode: "objects" }).all();
    expectTypeOf(rows).toEqualTypeOf<ObjectRow[]>();
    expectTypeOf(rows[0]!.k).toEqualTypeOf<CellValue | undefined>(); // any column name may be asked for
  });

  it("objects mode with a named row type (a type literal or an interface)", async () => {
    const named = await db.query<{ k: string; v: number }>("SELECT k, v FROM kv", [], { rowMode: "objects" }).all();
    expectTypeOf(named.rows).toEqualTypeOf<{ k: string; v: number }[]>();
    expectTypeOf(named).toEqualTypeOf<Rows<{ k: string; v: number }>>();
    const viaInterface = await db.query<KeyValue>("SELECT k, v FROM kv", [], { rowMode: "objects" }).all();
    expectTypeOf(viaInterface.rows[0]!.v).toEqualTypeOf<number>();
  });

  it("arrays mode (the default): rows are arrays of cells, or a named tuple", async () => {
    const { rows } = await db.query("SELECT k, v FROM kv").all();
    expectTypeOf(rows).toEqualTypeOf<CellValue[][]>();
    const tuples = await db.query<[string, number]>("SELECT k, v FROM kv").all();
    expectTypeOf(tuples.rows[0]![1]).toEqualTypeOf<number>();
    const explicit = await db.query("SELECT 1", [], { rowMode: "arrays" }).all();
    expectTypeOf(explicit.rows).toEqualTypeOf<CellValue[][]>();
  });

  it("batches of a streamed result carry the same row type", async () => {
    for await (const batch of db.query<KeyValue>("SELECT k, v FROM kv", [], { rowMode: "objects" })) {
      expectTypeOf(batch).toMatchTypeOf<Batch<KeyValue>>();
      expectTypeOf(batch.rows[0]!.k).toEqualTypeOf<string>();
      expectTypeOf(batch.rows[0]!.v).toEqualTypeOf<number>();
    }
  });

  it("a transaction's and a statement's queries are typed the same way", async () => {
    expectTypeOf((await tx.query<KeyValue>("SELECT k, v FROM kv", [], { rowMode: "objects" }).all()).rows).toEqualTypeOf<KeyValue[]>();
    expectTypeOf((await tx.query("SELECT 1").all()).rows).toEqualTypeOf<CellValue[][]>();
    expectTypeOf((await statement.query<KeyValue>([], { rowMode: "objects" }).all()).rows).toEqualTypeOf<KeyValue[]>();
    expectTypeOf((await statement.query().all()).rows).toEqualTypeOf<CellValue[][]>();
  });

  it("a typed result is still a QueryResult; other modes give the untyped one", () => {
    expectTypeOf(db.query<KeyValue>("SELECT k, v FROM kv", [], { rowMode: "objects" })).toMatchTypeOf<QueryResult>();
    expectTypeOf(db.query("SELECT 1", [], { rowMode: "columns" })).toEqualTypeOf<QueryResult>();
  });

  it("mistakes the types catch", () => {
    // @ts-expect-error an object row type needs rowMode "objects"
    db.query<KeyValue>("SELECT k, v FROM kv");
    // @ts-expect-error cells are never Dates
    db.query<{ when: Date }>("SELECT t FROM kv", [], { rowMode: "objects" });
    // @ts-expect-error a tuple row type needs arrays mode
    db.query<[string]>("SELECT k FROM kv", [], { rowMode: "objects" });
  });
});
