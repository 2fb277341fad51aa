// Every dqlite message, both directions, declared once (protocol.md §6). The codec, the JSON
// mapping and the TypeScript types are all derived from this file: adding a message means adding
// one entry here. A request's `requestClass` (internal, admin, statement: see fields.ts) is what
// the codec, the client's guards and the bridge read to treat it apart.

import { RequestType, ResponseType, NodeRole } from "./codes.ts";
import { field, fixed, message, type MessageDeclaration } from "./fields.ts";

const ROLES = [NodeRole.Voter, NodeRole.Standby, NodeRole.Spare];

/** CLUSTER format: 0 lists ids and addresses, 1 adds roles (what clients send). */
const CLUSTER_FORMATS = [0, 1];
/** DESCRIBE format: only 0 exists (any other value crashes dqlite 1.11: hazard 4 of hazards.ts). */
const DESCRIBE_FORMATS = [0];

export const requestSchemas = {
  LEADER: message({ type: "LEADER", code: RequestType.Leader, variants: fixed([field.zero64()]) }),
  CLIENT: message({ type: "CLIENT", code: RequestType.Client, variants: fixed([field.u64("id")]) }),
  HEARTBEAT: message({
    type: "HEARTBEAT",
    code: RequestType.Heartbeat,
    requestClass: "internal",
    variants: fixed([field.u64("timestamp")]),
  }),
  OPEN: message({
    type: "OPEN",
    code: RequestType.Open,
    variants: fixed([field.text("name", "maxNameBytes"), field.u64("flags"), field.text("vfs", "maxNameBytes")]),
  }),
  PREPARE: message({
    type: "PREPARE",
    code: RequestType.Prepare,
    // Schema 1 asks for a STMT reply with the tail offset.
    maxSchema: 1,
    variants: fixed([field.u64("db"), field.text("sql", "maxValueBytes")]),
  }),
  EXEC: message({
    type: "EXEC",
    code: RequestType.Exec,
    requestClass: "statement",
    maxSchema: 1,
    variants: fixed([field.u32("db"), field.u32("stmt"), field.params()]),
  }),
  QUERY: message({
    type: "QUERY",
    code: RequestType.Query,
    requestClass: "statement",
    maxSchema: 1,
    variants: fixed([field.u32("db"), field.u32("stmt"), field.params()]),
  }),
  FINALIZE: message({
    type: "FINALIZE",
    code: RequestType.Finalize,
    requestClass: "statement",
    variants: fixed([field.u32("db"), field.u32("stmt")]),
  }),
  EXEC_SQL: message({
    type: "EXEC_SQL",
    code: RequestType.ExecSql,
    maxSchema: 1,
    variants: fixed([field.u64("db"), field.text("sql", "maxValueBytes"), field.params()]),
  }),
  QUERY_SQL: message({
    type: "QUERY_SQL",
    code: RequestType.QuerySql,
    maxSchema: 1,
    variants: fixed([field.u64("db"), field.text("sql", "maxValueBytes"), field.params()]),
  }),
  INTERRUPT: message({ type: "INTERRUPT", code: RequestType.Interrupt, variants: fixed([field.u64("db")]) }),
  CONNECT: message({
    type: "CONNECT",
    code: RequestType.Connect,
    requestClass: "internal",
    variants: fixed([field.u64("id", { nonZero: true }), field.text("address", "maxAddressBytes", { nonEmpty: true })]),
  }),
  ADD: message({
    type: "ADD",
    code: RequestType.Add,
    requestClass: "admin",
    variants: fixed([field.u64("id", { nonZero: true }), field.text("address", "maxAddressBytes", { nonEmpty: true })]),
  }),
  ASSIGN: message({
    type: "ASSIGN",
    code: RequestType.Assign,
    requestClass: "admin",
    variants: [
      { fields: [field.u64("id", { nonZero: true }), field.enum64("role", ROLES)] },
      // Legacy PROMOTE: the node id alone; the server makes the node a voter.
      { fields: [field.u64("id", { nonZero: true })] },
    ],
  }),
  REMOVE: message({
    type: "REMOVE",
    code: RequestType.Remove,
    requestClass: "admin",
    variants: fixed([field.u64("id", { nonZero: true })]),
  }),
  DUMP: message({ type: "DUMP", code: RequestType.Dump, requestClass: "admin", variants: fixed([field.text("name", "maxDumpNameBytes")]) }),
  CLUSTER: message({ type: "CLUSTER", code: RequestType.Cluster, variants: fixed([field.enum64("format", CLUSTER_FORMATS)]) }),
  // Node id 0 lets the server pick the most up-to-date voter.
  TRANSFER: message({ type: "TRANSFER", code: RequestType.Transfer, requestClass: "admin", variants: fixed([field.u64("id")]) }),
  DESCRIBE: message({ type: "DESCRIBE", code: RequestType.Describe, variants: fixed([field.enum64("format", DESCRIBE_FORMATS)]) }),
  WEIGHT: message({ type: "WEIGHT", code: RequestType.Weight, requestClass: "admin", variants: fixed([field.u64("weight")]) }),
} as const;

export const responseSchemas = {
  FAILURE: message({
    type: "FAILURE",
    code: ResponseType.Failure,
    variants: [
      { fields: [field.u64("errorCode"), field.text("message", "maxFailureMessageBytes")] },
      // A query that fails once the node has started its ROWS reply: the column names, and the
      // rows already in the frame, precede the record (dqlite 1.11; see failure-record.ts).
      { fields: [field.columns(), field.u64("errorCode"), field.text("message", "maxFailureMessageBytes")] },
      {
        fields: [field.columns(), field.rowsBeforeFailure(), field.u64("errorCode"), field.text("message", "maxFailureMessageBytes")],
      },
    ],
  }),
  LEADER: message({
    type: "LEADER",
    code: ResponseType.Leader,
    variants: [
      { when: { legacy: false }, fields: [field.u64("id"), field.text("address", "maxAddressBytes")] },
      // Pre-1.0 servers send the address alone.
      { when: { legacy: true }, fields: [field.text("address", "maxAddressBytes")] },
    ],
    // (0, "") means "no leader known"; an address without an id cannot be right.
    // Encoder input may carry the id as a number, decoded messages as a bigint.
    check: (m) =>
      (m["id"] === 0n || m["id"] === 0) && m["address"] !== "" ? { field: "id", problem: "node id 0 with a non-empty address" } : undefined,
  }),
  WELCOME: message({ type: "WELCOME", code: ResponseType.Welcome, variants: fixed([field.u64("heartbeatTimeout")]) }),
  SERVERS: message({ type: "SERVERS", code: ResponseType.Servers, variants: fixed([field.nodes()]) }),
  DB: message({ type: "DB", code: ResponseType.Db, variants: fixed([field.u32("id"), field.pad32()]) }),
  STMT: message({
    type: "STMT",
    code: ResponseType.Stmt,
    maxSchema: 1,
    variants: [
      { when: { schema: 0 }, fields: [field.u32("db"), field.u32("id"), field.count64("paramCount", "maxParams")] },
      {
        when: { schema: 1 },
        fields: [field.u32("db"), field.u32("id"), field.count64("paramCount", "maxParams"), field.count64("tailOffset", "maxTailOffset")],
      },
    ],
  }),
  RESULT: message({
    type: "RESULT",
    code: ResponseType.Result,
    // last_insert_id is unsigned on the wire: rowid -1 arrives as 2^64 - 1.
    variants: fixed([field.u64("lastInsertId"), field.count64("rowsAffected", "maxRowsAffected")]),
  }),
  ROWS: message({ type: "ROWS", code: ResponseType.Rows, variants: fixed([field.columns(), field.rows(), field.marker()]) }),
  EMPTY: message({ type: "EMPTY", code: ResponseType.Empty, variants: fixed([field.pad64()]) }),
  FILES: message({ type: "FILES", code: ResponseType.Files, variants: fixed([field.files()]) }),
  METADATA: message({
    type: "METADATA",
    code: ResponseType.Metadata,
    variants: fixed([field.u64("failureDomain"), field.u64("weight")]),
  }),
} as const;

export type RequestSchemas = typeof requestSchemas;
export type ResponseSchemas = typeof responseSchemas;
export type RequestTypeName = keyof RequestSchemas;
export type ResponseTypeName = keyof ResponseSchemas;

function byCode(schemas: Record<string, MessageDeclaration>): (MessageDeclaration | undefined)[] {
  const table: (MessageDeclaration | undefined)[] = new Array(256).fill(undefined);
  for (const declaration of Object.values(schemas)) table[declaration.code] = declaration;
  return table;
}

/** Declarations indexed by type code, one table per side. */
export const REQUESTS_BY_CODE = byCode(requestSchemas);
export const RESPONSES_BY_CODE = byCode(responseSchemas);
