// The shapes of what a database and its statements answer, shared by both: the result of a
// write, the short SQL quoted in error messages, and what a streamed query needs to start.

import type { RequestInput } from "../messages/types.ts";
import type { ParamInput } from "../values/cell.ts";
import type { Connection } from "./connection.ts";
import { withToJSON } from "./json-safe.ts";
import type { QueryStart } from "./query-result.ts";
import type { Session } from "./session.ts";

/** Parameters of a statement, bound in order to its `?` placeholders. */
export type Params = readonly ParamInput[];

/** What EXEC and EXEC_SQL answer. */
export interface ExecResult {
  /** The rowid of the last insert on this connection (unsigned on the wire: -1 arrives as 2^64-1). */
  readonly lastInsertId: bigint;
  readonly rowsAffected: number;
  /** JSON-safe form: `lastInsertId` as a decimal string. */
  toJSON(): { lastInsertId: string; rowsAffected: number };
}

export function execResult(reply: { lastInsertId: bigint; rowsAffected: number }): ExecResult {
  const { lastInsertId, rowsAffected } = reply;
  return withToJSON({ lastInsertId, rowsAffected }, () => ({ lastInsertId: lastInsertId.toString(), rowsAffected })) as ExecResult;
}

/** A short form of SQL for error messages. */
export function describeSql(sql: string): string {
  const flat = sql.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length > 60 ? `${flat.slice(0, 57)}...` : flat);
}

/** What a QueryResult needs to run `request` on `connection`; its errors are reported to `session`. */
export function queryStart(session: Session, connection: Connection, db: number, request: RequestInput): QueryStart {
  return { connection, db, request, limits: session.limits, onError: (error) => session.noteFailure(connection, error) };
}

/** PREPARE, asking for the statement's tail offset (schema 1) where the node reads it. */
export function prepareRequest(connection: Connection, db: number, sql: string): RequestInput {
  return connection.features.statementTail ? { type: "PREPARE", schema: 1, db, sql } : { type: "PREPARE", db, sql };
}
