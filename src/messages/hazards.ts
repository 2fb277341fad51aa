// What a dqlite 1.11 node mishandles, explained once, and the rules that keep a client from
// sending it. The client's connection (src/client/) and the bridge (src/bridge/node-hazards.ts)
// both guard with these; README, docs/session.md and docs/bridge.md refer here.
//
// Observed on dqlite-demo 1.11.5 / libdqlite 1.11.1 (test/session/hazards.test.ts shows each one
// with raw bytes on a throwaway node):
// 1. Silence. HEARTBEAT and unknown request types get no reply at all: a client that waits, waits
//    forever. Raft-internal requests (requestClass "internal") are never sent, and every call of
//    the client has a timeout.
// 2. Schema-1 parameters. The node reads every params tuple with a one-byte count, whatever the
//    header's schema byte says: a schema-1 tuple (the only way to send more than 255 parameters)
//    is refused with FAILURE 1005 (DQLITE_PARSE, "not an error") or silently misread (with 256
//    parameters the low byte of the count is 0, nothing is bound, and an INSERT stores NULL).
// 3. RETURNING. A statement with RETURNING, run as EXEC or QUERY (by SQL or prepared), answers
//    (EXEC: FAILURE 100 "another row available"; QUERY: the rows) but leaves its write
//    transaction open; the next write from any connection kills the node
//    (`vfsFileShmLock: Assertion 'wal->n_tx == 0' failed`).
// 4. DESCRIBE with a format other than 0 answers FAILURE, then the node dies
//    (`transport__write: Assertion 't->write_cb == NULL' failed`). The codec encodes format 0 only.
// 5. Finalized statement ids. EXEC, QUERY or FINALIZE (requestClass "statement") of an id that
//    was finalized kills the node when a statement with a higher id still exists (a hole in its
//    registry); with none, it answers FAILURE 12. The node hands a freed id out again to a later
//    PREPARE, after which it is live.
// 6. After INTERRUPT the node streams the rest of the result, then EMPTY.
// 7. When a row fails mid-result (an integer overflow, …), the node writes the FAILURE record
//    after the part of the ROWS frame it had filled: [column count][names][rows…][code][message].
// 8. Reading a BOOLEAN column holding text, real or blob fails an assertion in the node
//    (`value_type: Assertion 'type == SQLITE_INTEGER || type == SQLITE_NULL' failed`), and so
//    does a DATETIME/DATE/TIMESTAMP column holding real or blob (`'type == SQLITE_TEXT ||
//    type == SQLITE_NULL'`). It depends on stored data: no request guard is possible.
// 9. The padding after a blob shorter than a word is not zeroed (the same query answered twice
//    can differ in those bytes).
// 10. A transaction belongs to the connection, not to whoever sent BEGIN: the protocol has no
//    transaction id, so every request on the connection after a BEGIN runs inside it. Callers
//    sharing one connection (one client) who send BEGIN/ROLLBACK themselves roll back each
//    other's writes; the client's `db.transaction()` holds the connection while it runs
//    (src/client/transaction.ts). Nothing here guards plain BEGIN: it keeps working.
//
// The guards below refuse 1–5 before any byte is sent, with an EncodeError that says why and what
// to do instead.

import { EncodeError } from "../errors.ts";
import { PARAMS_V0_MAX } from "../values/tuple.ts";
import type { FieldSpec, RequestClass } from "./fields.ts";
import { requestSchemas } from "./schemas.ts";
import type { Request, RequestInput } from "./types.ts";

const DECLARATIONS = Object.values(requestSchemas);

function typesWhere(test: (declaration: (typeof DECLARATIONS)[number]) => boolean): ReadonlySet<string> {
  return new Set(DECLARATIONS.filter(test).map((declaration) => declaration.type));
}

/** The request types of a class, from the declarations. */
export function requestTypesOf(requestClass: RequestClass): ReadonlySet<string> {
  return typesWhere((declaration) => declaration.requestClass === requestClass);
}

function hasField(declaration: (typeof DECLARATIONS)[number], test: (spec: FieldSpec) => boolean): boolean {
  return declaration.variants.some((variant) => variant.fields.some(test));
}

/** Requests that carry a params tuple (hazard 2). */
const PARAM_REQUESTS = typesWhere((declaration) => hasField(declaration, (spec) => spec.kind === "params"));
/** Requests a node never answers (hazard 1). */
const SILENT_REQUESTS = requestTypesOf("internal");
/** Requests that name a prepared statement (hazard 5). */
const STATEMENT_REQUESTS = requestTypesOf("statement");
/** Requests that carry SQL text: prepared or run, it may hold RETURNING (hazard 3). */
const SQL_REQUESTS = typesWhere((declaration) => hasField(declaration, (spec) => spec.name === "sql"));

/** The SQL a request carries (PREPARE, EXEC_SQL, QUERY_SQL), or undefined. */
export function sqlOf(request: Request | RequestInput): string | undefined {
  return SQL_REQUESTS.has(request.type) ? (request as { sql: string }).sql : undefined;
}

/** The statement id a request names, or undefined for requests that name none. */
export function statementIdOf(request: Request | RequestInput): number | undefined {
  return STATEMENT_REQUESTS.has(request.type) ? (request as { stmt: number }).stmt : undefined;
}

function refuse(field: string, message: string): EncodeError {
  return new EncodeError("UNSUPPORTED_VALUE", `${field}: ${message}`, { field });
}

/** Throws an EncodeError for a request a dqlite 1.11 node would never answer or would crash on (1, 2, 3, 4). */
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

/** Refuses SQL with a RETURNING clause (hazard 3). */
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
 * Refuses a statement-bound request (EXEC, QUERY, FINALIZE) of an id this connection already
 * finalized (hazard 5), and EXEC/QUERY of a statement prepared from SQL with RETURNING (hazard 3).
 */
export function guardStatementId(input: RequestInput, finalized: ReadonlySet<number>, returning: ReadonlySet<number>): void {
  const stmt = statementIdOf(input);
  if (stmt === undefined) return;
  if (input.type !== "FINALIZE" && returning.has(stmt)) {
    guardReturning("RETURNING", `${input.type}.stmt`);
  }
  if (finalized.has(stmt)) {
    throw refuse(
      `${input.type}.stmt`,
      `statement ${stmt} was finalized on this connection; dqlite 1.11 crashes on a finalized id, so it is not sent`,
    );
  }
}
