// What dqlite nodes mishandle, per version, explained once, and the rules that keep a client
// from sending it. The client's connection (src/client/) and the bridge (src/bridge/node-hazards.ts)
// both guard with these; README, docs/session.md and docs/bridge.md refer here.
//
// Two versions are checked on real nodes by test/session/hazards.test.ts (raw bytes on throwaway
// nodes): Debian's dqlite 1.11.1 (dqlite-demo 1.11.5) and dqlite 1.18.6 built from source. What a
// version between them does was read from dqlite's source history and checked where it says so.
//
//  #  | what is sent                                   | 1.11.1                                   | 1.18.6
// ----|------------------------------------------------|------------------------------------------|------------------------------------------
//  1  | HEARTBEAT, an unknown request type             | no reply at all: a client waits forever  | FAILURE 1005 "unrecognized request type"
//  2  | params schema 1 (> 255 parameters)             | read with a one-byte count: FAILURE 1005, | read correctly (since 1.12)
//     |                                                | or misread (256 bind nothing: NULLs)     |
//  3a | RETURNING as QUERY / QUERY_SQL                 | answers its rows but leaves the write    | its rows, one committed write (since
//     |                                                | transaction open; the next write from    | 1.18.2; 1.15.1–1.18.1 answer FAILURE 100
//     |                                                | any connection kills the node            | and die at the next write, checked on
//     |                                                | (`wal->n_tx == 0`)                       | 1.17.1 and 1.18.1)
//  3b | RETURNING as EXEC / EXEC_SQL                   | FAILURE 100, write left open, node killed | FAILURE 1 "rows yielded when none
//     |                                                | at the next write                        | expected", the write left open: every
//     |                                                |                                          | other writer gets SQLITE_BUSY until the
//     |                                                |                                          | connection closes, and the close kills the
//     |                                                |                                          | node (`shm.lock[0] == 0`)
//  4  | DESCRIBE with a format other than 0            | FAILURE, then the node dies              | the same
//  5  | EXEC/QUERY/FINALIZE of a finalized statement id | the node dies when a statement with a    | the same
//     | (a later statement still alive)                | higher id exists; FAILURE 12 otherwise   |
//  6  | INTERRUPT                                      | streams the rest of the result, then EMPTY | the same
//  7  | a row fails mid-result                         | FAILURE record after the rows in the frame | the same
//  8  | reading a BOOLEAN column holding text, real or | an assertion kills the node; NULL in a   | the same (and on dqlite's main branch)
//     | blob; a DATETIME column holding real or blob   | BOOLEAN column reads as BOOLEAN 0 (false) |
//  9  | a blob shorter than a word                     | its padding is not zeroed                | the same
//  10 | BEGIN from callers sharing one connection      | one transaction per connection: they roll | the same
//     |                                                | back each other's writes                 |
//  11 | PREPARE of SQL with more than one statement    | the tail is silently ignored             | schema 0: FAILURE "nonempty statement
//     |                                                |                                          | tail"; schema 1: STMT with the offset
//     |                                                |                                          | where the first statement ends (1.15.1)
//
// The client learns which of 2, 3a and 11 a node reads by asking it once per connection
// (src/client/node-probe.ts), and `NodeFeatures` below records the answer. The guards refuse 1–5
// before any byte is sent, with an EncodeError that says why and what to do instead: 1, 3b, 4 and
// 5 on every version, 2 and 3a where the node does not read them. 8 depends on stored data: no
// request guard is possible. 10 is why `db.transaction()` holds a connection of its own.

import { EncodeError } from "../errors.ts";
import { hasReturningClause } from "./sql-text.ts";
import { PARAMS_V0_MAX } from "../values/tuple.ts";
import type { FieldSpec, RequestClass } from "./fields.ts";
import { requestSchemas } from "./schemas.ts";
import type { Request, RequestInput } from "./types.ts";

export { hasReturningClause };

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

/** What a node reads correctly beyond dqlite 1.11 (hazards 2, 3a and 11 of the table above). */
export interface NodeFeatures {
  /** Params schema 1, so more than 255 parameters: dqlite ≥ 1.12. */
  readonly wideParams: boolean;
  /** PREPARE schema 1, answered with the offset where the SQL's first statement ends: dqlite ≥ 1.15.1. */
  readonly statementTail: boolean;
  /** RETURNING run as QUERY or QUERY_SQL: its rows and one committed write (dqlite ≥ 1.18.2). */
  readonly returning: boolean;
}

/** What dqlite 1.11 reads: none of it. The guards assume this of a node not (yet) probed. */
export const DQLITE_1_11_FEATURES: NodeFeatures = Object.freeze({ wideParams: false, statementTail: false, returning: false });

/** What dqlite 1.15.1 up to 1.18.1 read: wide parameters and the statement tail, not RETURNING. */
export const DQLITE_1_15_FEATURES: NodeFeatures = Object.freeze({ wideParams: true, statementTail: true, returning: false });

/** What dqlite ≥ 1.18.2 reads: everything here. */
export const DQLITE_1_18_FEATURES: NodeFeatures = Object.freeze({ wideParams: true, statementTail: true, returning: true });

/**
 * Throws an EncodeError for a request no dqlite node answers or that would crash one (1, 3b, 4
 * and RETURNING by statement id, see `guardStatementId`), or that a node with `features` would
 * misread or crash on (2, 3a).
 */
export function guardRequest(input: RequestInput, features: NodeFeatures): void {
  const type = input.type;
  if (SILENT_REQUESTS.has(type)) {
    throw refuse(type, "a raft-internal request: dqlite 1.11 never answers it (later versions refuse it); it is not sent");
  }
  if (type === "DESCRIBE" && Number(input.format) !== 0) {
    throw refuse("DESCRIBE.format", "only format 0 exists; dqlite 1.11 and 1.18 crash on any other value");
  }
  if (!PARAM_REQUESTS.has(type)) return;
  const withParams = input as RequestInput & { params?: unknown; schema?: number };
  const count = paramCount(withParams.params);
  if (!features.wideParams && (count > PARAMS_V0_MAX || (withParams.schema ?? 0) > 0)) {
    throw refuse(
      `${type}.params`,
      `${count} parameters need params schema 1, which this node does not read (dqlite before 1.12 misreads it); ` +
        `at most ${PARAMS_V0_MAX} are sent (a node that reads it: the option features: { wideParams: true })`,
    );
  }
  if (type === "EXEC_SQL") guardReturning((input as { sql: string }).sql, "EXEC_SQL.sql", "exec", features);
  if (type === "QUERY_SQL") guardReturning((input as { sql: string }).sql, "QUERY_SQL.sql", "query", features);
}

/**
 * Refuses SQL with a RETURNING clause (hazard 3) run as `as`: as an exec on every version (3b),
 * as a query where the node does not read it (3a).
 */
export function guardReturning(sql: string, field: string, as: "exec" | "query", features: NodeFeatures): void {
  if (!hasReturningClause(sql)) return;
  if (as === "exec") throw refuse(field, RETURNING_AS_EXEC + (features.returning ? "; run it as a query, which answers its rows" : ""));
  if (!features.returning) throw refuse(field, RETURNING_UNREAD);
}

const RETURNING_AS_EXEC =
  "a statement with RETURNING run as an exec leaves its write transaction open (dqlite 1.18 then refuses every other " +
  "write until the connection closes, and the close kills the node; dqlite 1.11 dies at the next write); it was not sent";
const RETURNING_UNREAD =
  "a statement with RETURNING leaves this node (dqlite before 1.18.2) with an open write transaction that kills it at " +
  "the next write; it was not sent (run the write, then SELECT what it changed)";

function paramCount(params: unknown): number {
  if (params === undefined || params === null) return 0;
  if (Array.isArray(params)) return params.length;
  const values = (params as { values?: unknown }).values;
  return Array.isArray(values) ? values.length : 0;
}

/**
 * Refuses a statement-bound request (EXEC, QUERY, FINALIZE) of an id this connection already
 * finalized (hazard 5), EXEC of a statement prepared from SQL with RETURNING (3b), and QUERY of
 * one where the node does not read RETURNING (3a).
 */
export function guardStatementId(
  input: RequestInput,
  finalized: ReadonlySet<number>,
  returning: ReadonlySet<number>,
  features: NodeFeatures,
): void {
  const stmt = statementIdOf(input);
  if (stmt === undefined) return;
  if (input.type !== "FINALIZE" && returning.has(stmt)) {
    guardReturning("RETURNING", `${input.type}.stmt`, input.type === "EXEC" ? "exec" : "query", features);
  }
  if (finalized.has(stmt)) {
    throw refuse(
      `${input.type}.stmt`,
      `statement ${stmt} was finalized on this connection; dqlite crashes on a finalized id (1.11 and 1.18), so it is not sent`,
    );
  }
}
