// Guards against requests that a dqlite 1.11 node mishandles in ways a client cannot recover
// from (it crashes, hangs, or silently misreads the request). Each guard refuses the request
// before any byte is sent, with an error that says why and what to do instead.
//
// What dqlite 1.11 does (checked against dqlite-demo 1.11.5 / libdqlite 1.11.1):
// - HEARTBEAT and unknown request types get no reply at all: a client that waits, waits forever.
// - A params tuple in schema 1 (needed above 255 params) is refused with FAILURE 1005
//   (DQLITE_PARSE, message "not an error"), so more than 255 parameters cannot work.
// - DESCRIBE with a format other than 0 answers FAILURE, then the node dies on an assertion.
// - A statement with RETURNING, run as EXEC or QUERY (by SQL or prepared), leaves its write
//   transaction open on the node (EXEC answers FAILURE 100 "another row available", QUERY
//   answers the rows); the next write from any connection then kills the node
//   (`vfsFileShmLock: Assertion 'wal->n_tx == 0' failed`).
// - EXEC/QUERY/FINALIZE of a statement id that was finalized crashes the node when a statement
//   with a higher id still exists (a hole in its registry); with no higher id it answers FAILURE.

import { EncodeError } from "../errors.ts";
import type { RequestInput } from "../messages/types.ts";
import { PARAMS_V0_MAX } from "../values/tuple.ts";

const PARAM_REQUESTS = new Set(["EXEC", "QUERY", "EXEC_SQL", "QUERY_SQL"]);
const SILENT_REQUESTS = new Set(["HEARTBEAT", "CONNECT"]);

function refuse(field: string, message: string): EncodeError {
  return new EncodeError("UNSUPPORTED_VALUE", `${field}: ${message}`, { field });
}

/** Throws an EncodeError for a request a dqlite 1.11 node would never answer or would crash on. */
export function guardRequest(input: RequestInput, wideParams: boolean): void {
  const type = input.type;
  if (SILENT_REQUESTS.has(type)) {
    throw refuse(type, "a dqlite node never answers this raft-internal request; it is not sent");
  }
  if (type === "DESCRIBE" && Number(input.format) !== 0) {
    throw refuse("DESCRIBE.format", "only format 0 exists; dqlite 1.11 crashes on any other value");
  }
  if (!PARAM_REQUESTS.has(type)) return;
  const withParams = input as RequestInput & { params?: unknown; schema?: number };
  const count = paramCount(withParams.params);
  if (!wideParams && (count > PARAMS_V0_MAX || (withParams.schema ?? 0) > 0)) {
    throw refuse(
      `${type}.params`,
      `${count} parameters need params schema 1, which dqlite 1.11 ignores and misreads; at most ${PARAMS_V0_MAX} are sent ` +
        `(set the connection option wideParams for a server that reads schema 1)`,
    );
  }
  if (type === "QUERY_SQL" || type === "EXEC_SQL") guardReturning((input as { sql: string }).sql, `${type}.sql`);
}

/**
 * Refuses SQL with a RETURNING clause: run by dqlite 1.11 it leaves a write transaction open,
 * and the next write on the node kills it.
 */
export function guardReturning(sql: string, field = "sql"): void {
  if (hasReturningClause(sql)) {
    throw refuse(
      field,
      "a statement with RETURNING leaves dqlite 1.11 with an open write transaction that kills the node at the next write; " +
        "it was not sent (run the write, then SELECT what it changed)",
    );
  }
}

function paramCount(params: unknown): number {
  if (params === undefined || params === null) return 0;
  if (Array.isArray(params)) return params.length;
  const values = (params as { values?: unknown }).values;
  return Array.isArray(values) ? values.length : 0;
}

/**
 * True when `sql` has the keyword RETURNING outside string literals, quoted identifiers and
 * comments. A bare identifier spelled "returning" also matches: refusing it is the safe side.
 */
export function hasReturningClause(sql: string): boolean {
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 0x27 /* ' */ || c === 0x22 /* " */ || c === 0x60 /* ` */) {
      i = skipQuoted(sql, i, c);
    } else if (c === 0x5b /* [ */) {
      const end = sql.indexOf("]", i + 1);
      i = end < 0 ? n : end + 1;
    } else if (c === 0x2d /* - */ && sql.charCodeAt(i + 1) === 0x2d) {
      const end = sql.indexOf("\n", i + 2);
      i = end < 0 ? n : end + 1;
    } else if (c === 0x2f /* / */ && sql.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (isWordChar(c)) {
      const start = i;
      while (i < n && isWordChar(sql.charCodeAt(i))) i++;
      if (i - start === 9 && sql.slice(start, i).toUpperCase() === "RETURNING") return true;
    } else {
      i++;
    }
  }
  return false;
}

/** Index after a quoted run starting at `i`; a doubled quote is an escaped quote. */
function skipQuoted(sql: string, i: number, quote: number): number {
  let j = i + 1;
  for (;;) {
    const end = sql.indexOf(String.fromCharCode(quote), j);
    if (end < 0) return sql.length;
    if (sql.charCodeAt(end + 1) === quote) {
      j = end + 2;
      continue;
    }
    return end + 1;
  }
}

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24 || c > 0x7f;
}

/**
 * Refuses EXEC/QUERY/FINALIZE of a statement id this connection already finalized, and
 * EXEC/QUERY of a statement prepared from SQL with RETURNING.
 */
export function guardStatementId(input: RequestInput, finalized: ReadonlySet<number>, returning: ReadonlySet<number>): void {
  if (input.type !== "EXEC" && input.type !== "QUERY" && input.type !== "FINALIZE") return;
  if (input.type !== "FINALIZE" && returning.has(input.stmt)) {
    guardReturning("RETURNING", `${input.type}.stmt`);
  }
  if (finalized.has(input.stmt)) {
    throw refuse(
      `${input.type}.stmt`,
      `statement ${input.stmt} was finalized on this connection; dqlite 1.11 crashes on a finalized id, so it is not sent`,
    );
  }
}
