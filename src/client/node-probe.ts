// What a node reads beyond dqlite 1.11 (RETURNING, wide parameters, the statement tail), found
// out once per connection by asking it things every version answers harmlessly and that
// different versions answer differently (src/messages/hazards.ts has the table of what differs):
//
// 1. EXEC_SQL "SELECT 1" (a statement that yields a row, run as an exec). dqlite ≥ 1.18.2 answers
//    FAILURE 1 "rows yielded when none expected for EXEC request" (its new exec path, the same
//    release that made RETURNING safe); every earlier version answers FAILURE 100 "another row
//    available". Nothing is written and nothing stays open: a read-only statement, finalized by
//    the node after the step. One round trip on a current node.
// 2. Only when 1 did not say ≥ 1.18.2: PREPARE schema 1 "SELECT 1". dqlite ≥ 1.15.1 answers a
//    schema-1 STMT (with the tail offset), older ones a schema-0 STMT (they ignore the schema
//    byte). The statement is finalized at once; it is the newest on the connection, so its id
//    leaves no hole behind (hazard 5).
//
// Any other answer counts as the older version: a probe can only err towards the guards.

import { ServerError } from "../errors.ts";
import { DQLITE_1_11_FEATURES, DQLITE_1_15_FEATURES, DQLITE_1_18_FEATURES, type NodeFeatures } from "../messages/hazards.ts";
import type { ResponseTypeName } from "../messages/schemas.ts";
import type { RequestInput, ResponseOf } from "../messages/types.ts";
import type { CallOptions } from "./call-scope.ts";

/** What the probe needs of a connection: one request, one reply (Connection.request). */
export interface Requester {
  request<N extends ResponseTypeName>(input: RequestInput, expect: N, options?: CallOptions): Promise<ResponseOf<N>>;
}

/** SQLITE_ERROR, what dqlite ≥ 1.18.2 answers an exec that yields rows. */
const SQLITE_ERROR = 1;
const ROWS_YIELDED = /rows yielded when none expected/;
const PROBE_SQL = "SELECT 1";

/** Asks the node behind `connection` (database `db` open on it) what it reads. */
export async function probeNodeFeatures(connection: Requester, db: number, call: CallOptions): Promise<NodeFeatures> {
  try {
    await connection.request({ type: "EXEC_SQL", db, sql: PROBE_SQL, params: [] }, "RESULT", call);
  } catch (error) {
    if (!(error instanceof ServerError)) throw error;
    if (error.sqliteCode === SQLITE_ERROR && ROWS_YIELDED.test(error.message)) return DQLITE_1_18_FEATURES;
  }
  const statement = await connection.request({ type: "PREPARE", schema: 1, db, sql: PROBE_SQL }, "STMT", call);
  await connection.request({ type: "FINALIZE", db, stmt: statement.id }, "EMPTY", call);
  return statement.schema === 1 ? DQLITE_1_15_FEATURES : DQLITE_1_11_FEATURES;
}
