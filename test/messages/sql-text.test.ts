// What the client reads from SQL text: one lexer for RETURNING (the guards), read-only statements
// (the pool's lanes), statements that answer rows (Kysely, the shell), transaction control (refused
// on a pooled client), statements after the first and `*` columns (the statement cache).

import { describe, expect, it } from "vitest";
import { answersRows, hasReturningClause, isReadOnlySql, sqlShape, transactionControlOf } from "../../src/messages/sql-text.ts";

describe("SQL text", () => {
  it("only reads: one SELECT, VALUES, WITH or EXPLAIN statement with no word that writes", () => {
    for (const sql of [
      "SELECT 1",
      " select v from kv where k = ?",
      "(SELECT 1)",
      "VALUES (1), (2)",
      "WITH t AS (SELECT 1) SELECT * FROM t",
      "EXPLAIN QUERY PLAN SELECT 1",
      "SELECT 'insert; drop' -- update\n",
    ]) {
      expect(isReadOnlySql(sql), sql).toBe(true);
    }
    for (const sql of [
      "INSERT INTO t VALUES (1)",
      "WITH t AS (SELECT 1) INSERT INTO u SELECT * FROM t",
      "SELECT 1; DELETE FROM t",
      "PRAGMA user_version = 3",
      "SELECT update FROM t",
      "BEGIN",
      "",
      "DELETE FROM t RETURNING *",
    ]) {
      expect(isReadOnlySql(sql), sql).toBe(false);
    }
  });

  it("answers rows: queries, and anything with RETURNING; a WITH leading into a write does not", () => {
    expect(
      ["SELECT 1", "PRAGMA table_info(t)", "INSERT INTO t VALUES (1) RETURNING id", "WITH x AS (SELECT 1) SELECT * FROM x"].map(
        answersRows,
      ),
    ).toEqual([true, true, true, true]);
    expect(["INSERT INTO t VALUES (1)", "CREATE TABLE t (a)", "WITH x AS (SELECT 1) DELETE FROM t", "", "BEGIN"].map(answersRows)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it("finds RETURNING, statements after the first, `*` columns and transaction control outside strings, names and comments", () => {
    expect(hasReturningClause("SELECT 'returning', \"returning\", [returning], `returning` -- returning\n /* returning */")).toBe(false);
    expect(hasReturningClause("SELECT 1; UPDATE t SET a = 1 RETURNING a")).toBe(true);
    expect(sqlShape("SELECT 1; -- nothing after\n").moreStatements).toBe(false);
    expect(sqlShape("SELECT 1; SELECT 2").moreStatements).toBe(true);
    expect(sqlShape("SELECT ';' FROM t").moreStatements).toBe(false);
    for (const sql of [
      "SELECT * FROM t",
      "SELECT t.* FROM t",
      "SELECT a, * FROM t",
      "SELECT DISTINCT * FROM t",
      "DELETE FROM t RETURNING *",
    ])
      expect(sqlShape(sql).allColumns, sql).toBe(true);
    for (const sql of ["SELECT count(*) FROM t", "SELECT a * b FROM t", "SELECT '*' FROM t", "SELECT a /* * */ FROM t"])
      expect(sqlShape(sql).allColumns, sql).toBe(false);
    expect(
      ["BEGIN", " commit", "END TRANSACTION", "ROLLBACK TO s", "SAVEPOINT s", "RELEASE s", "SELECT 1", "-- begin\nSELECT 1"].map(
        transactionControlOf,
      ),
    ).toEqual(["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", undefined, undefined]);
  });
});
