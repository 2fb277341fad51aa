import type { AsyncBatchRemoteCallback, AsyncRemoteCallback } from "drizzle-orm/sqlite-proxy";
import type { Database, Params, Transaction } from "../../src/client/index.ts";

/**
 * drizzle's sqlite-proxy callbacks on a dqlite-wire database, or on the `tx` of a transaction:
 * `drizzle(...dqliteProxy(db))`. Rows travel as arrays, as sqlite-proxy expects; a batch runs
 * in one transaction (all or nothing).
 */
export function dqliteProxy(on: Database | Transaction): [AsyncRemoteCallback, AsyncBatchRemoteCallback] {
  const run: AsyncRemoteCallback = async (sql, params, method) => {
    if (/^\s*begin\b/i.test(sql)) {
      // drizzle's own transaction() sends BEGIN on the connection every task of the client shares.
      throw new Error(
        "use db.transaction(async (tx) => { const orm = drizzle(...dqliteProxy(tx)); … }) instead of drizzle's transaction()",
      );
    }
    if (method === "run") {
      const { rowsAffected, lastInsertId } = await on.exec(sql, params as Params);
      return { rows: [], rowsAffected, lastInsertId };
    }
    const { rows } = await on.query(sql, params as Params).all();
    return { rows: method === "get" ? (rows[0] as unknown[]) : rows };
  };
  const batch: AsyncBatchRemoteCallback = (queries) =>
    on.transaction(async (tx) => {
      const [runInTx] = dqliteProxy(tx);
      const results: { rows: unknown[] }[] = [];
      for (const { sql, params, method } of queries) results.push(await runInTx(sql, params, method));
      return results;
    });
  return [run, batch];
}
