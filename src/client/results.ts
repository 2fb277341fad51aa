// The shapes of what a database and its statements answer, shared by both: the result of a
// write, the short SQL quoted in error messages, and what a streamed query needs to start.

import type { RequestInput } from "../messages/types.ts";
import type { ParamInput } from "../values/cell.ts";
import type { Connection } from "./connection.ts";
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

/** The JSON form every ExecResult shares (on its prototype: nothing is made per result). */
const EXEC_RESULT_PROTOTYPE = Object.create(Object.prototype, {
  toJSON: {
    value(this: ExecResult) {
      return { lastInsertId: this.lastInsertId.toString(), rowsAffected: this.rowsAffected };
    },
    enumerable: false,
  },
}) as object;

export function execResult(reply: { lastInsertId: bigint; rowsAffected: number }): ExecResult {
  const result = Object.create(EXEC_RESULT_PROTOTYPE) as { lastInsertId: bigint; rowsAffected: number };
  result.lastInsertId = reply.lastInsertId;
  result.rowsAffected = reply.rowsAffected;
  return result as ExecResult;
}

/** Short forms of SQL seen lately (a call's name is made for every call, used only in errors). */
const DESCRIBED = new Map<string, string>();
const MAX_DESCRIBED = 512;

/** A short form of SQL for error messages. */
export function describeSql(sql: string): string {
  let described = DESCRIBED.get(sql);
  if (described === undefined) {
    const flat = sql.replace(/\s+/g, " ").trim();
    described = JSON.stringify(flat.length > 60 ? `${flat.slice(0, 57)}...` : flat);
    if (DESCRIBED.size >= MAX_DESCRIBED) DESCRIBED.clear();
    DESCRIBED.set(sql, described);
  }
  return described;
}

/**
 * What a QueryResult needs to run `request` on `connection`; its errors are reported to `session`.
 * `release` gives the connection back when the result ends; `retryable` marks a read.
 */
export function queryStart(
  session: Session,
  connection: Connection,
  db: number,
  request: RequestInput,
  release?: () => void,
  retryable = false,
): QueryStart {
  return {
    connection,
    db,
    request,
    limits: session.limits,
    onError: (error) => session.noteFailure(connection, error),
    release,
    retryable,
  };
}

/** PREPARE, asking for the statement's tail offset (schema 1) where the node reads it. */
export function prepareRequest(connection: Connection, db: number, sql: string): RequestInput {
  return connection.features.statementTail ? { type: "PREPARE", schema: 1, db, sql } : { type: "PREPARE", db, sql };
}
